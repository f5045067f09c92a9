//! `together bootstrap-admin` and `together users …`: the operator's way in, for the first
//! administrator and for when no one can sign in to do it on the web.

use crate::import::pick_pcn;
use crate::instance::{cli_audit, open_store, FileSettings};
use crate::Location;
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use time::Duration;
use together_core::audit::AuditAction;
use together_core::tokens::hash_token as sha256_hex;
use together_core::Clock as _;
use together_core::{Email, PracticeCode, Role};
use together_store::{DynStore, NewToken, NewUser, TokenKind, User, UserStatus};

#[derive(clap::Args, Debug)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub at: Location,
    /// The administrator's email address (they sign in with it).
    #[arg(long)]
    pub email: String,
    /// The administrator's name, as colleagues know them.
    #[arg(long)]
    pub name: String,
    /// The PCN's name, when the instance has no PCN yet.
    #[arg(long, default_value = "Our PCN")]
    pub pcn_name: String,
    /// The address people reach Together at, used in the printed link.
    #[arg(
        long,
        env = "TOGETHER_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a user and print a one-time link for them to choose a password.
    Add {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// pcn_admin, clinician, link_worker, analyst, champion or partner.
        #[arg(long)]
        role: String,
        /// The ODS code of a clinician's practice.
        #[arg(long)]
        practice: Option<String>,
        /// Which PCN, when the instance serves more than one.
        #[arg(long)]
        pcn: Option<String>,
        #[arg(
            long,
            env = "TOGETHER_PUBLIC_URL",
            default_value = "http://localhost:8080"
        )]
        public_url: String,
    },
    /// List users: email, role, status.
    List {
        #[command(flatten)]
        at: Location,
    },
    /// Stop a user signing in, and end their sessions.
    Disable {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link (valid 24 hours) for the user to choose a new password.
    ResetPassword {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        email: String,
        #[arg(
            long,
            env = "TOGETHER_PUBLIC_URL",
            default_value = "http://localhost:8080"
        )]
        public_url: String,
    },
    /// Print a new API token for the user (shown once; only its hash is kept).
    Token {
        #[command(flatten)]
        at: Location,
        #[arg(long)]
        email: String,
        /// How many days the token works for.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// What the token is for, e.g. the name of the system using it.
        #[arg(long, default_value = "api")]
        label: String,
    },
}

async fn store(at: &Location) -> Result<DynStore> {
    open_store(at, &FileSettings::load(&at.data_dir)?).await
}

/// Creates a single-use or API token for the user; returns the secret (never stored).
async fn token(
    store: &DynStore,
    user: &User,
    kind: TokenKind,
    valid: Duration,
    label: &str,
) -> Result<String> {
    let secret = together_core::tokens::random_token();
    let now = together_core::clock::SystemClock.now();
    store
        .create_token(&NewToken {
            token_hash: sha256_hex(&secret),
            user_id: user.id,
            kind,
            label: label.into(),
            created_at: now,
            expires_at: now + valid,
        })
        .await?;
    Ok(secret)
}

fn link(public_url: &str, kind: TokenKind, secret: &str) -> String {
    let path = if kind == TokenKind::Enrol {
        "enrol"
    } else {
        "reset-password"
    };
    format!("{}/{path}?token={secret}", public_url.trim_end_matches('/'))
}

async fn find_user(store: &DynStore, email: &str) -> Result<User> {
    let email: Email = email.parse()?;
    store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("no user has the email address {email}"))
}

pub async fn bootstrap(args: BootstrapArgs) -> Result<()> {
    let email: Email = args.email.parse()?;
    let name = args.name.trim();
    if name.is_empty() {
        bail!("give the administrator's name with --name");
    }
    let store = store(&args.at).await?;
    for pcn in store.pcns().await? {
        if store
            .users(pcn.id)
            .await?
            .iter()
            .any(|u| u.role == Role::PcnAdmin && u.status == UserStatus::Active)
        {
            bail!("{} already has an administrator; use `together users reset-password` if they cannot sign in", pcn.name);
        }
    }
    let pcn = match store.pcns().await?.first() {
        Some(p) => p.id,
        None => {
            store
                .create_pcn(
                    args.pcn_name.trim(),
                    None,
                    together_core::clock::SystemClock.now(),
                )
                .await?
        }
    };
    let new = NewUser {
        pcn_id: pcn,
        email,
        display_name: name.into(),
        role: Role::PcnAdmin,
        practice_id: None,
        status: UserStatus::Invited,
        password_hash: None,
    };
    let id = store
        .create_user(
            &new,
            &cli_audit(AuditAction::BootstrapAdmin, "user", Some(pcn)),
            together_core::clock::SystemClock.now(),
        )
        .await?;
    let user = store.user(id).await?.context("the new user vanished")?;
    let secret = token(
        &store,
        &user,
        TokenKind::Enrol,
        Duration::hours(24),
        "bootstrap",
    )
    .await?;
    println!(
        "{} can now choose a password here (the link works once, for 24 hours):",
        user.display_name
    );
    println!("{}", link(&args.public_url, TokenKind::Enrol, &secret));
    Ok(())
}

pub async fn run(cmd: UsersCommand) -> Result<()> {
    match cmd {
        UsersCommand::Add {
            at,
            email,
            name,
            role,
            practice,
            pcn,
            public_url,
        } => {
            let store = store(&at).await?;
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let pcn = pick_pcn(&store, pcn.as_deref()).await?;
            let practice_id = match (role.needs_practice(), practice) {
                (true, None) => {
                    bail!("a clinician belongs to a practice: give its ODS code with --practice")
                }
                (true, Some(code)) => {
                    let code: PracticeCode = code.parse()?;
                    Some(
                        store
                            .practices(pcn)
                            .await?
                            .into_iter()
                            .find(|p| p.ods_code == code)
                            .with_context(|| {
                                format!("no practice in this PCN has the ODS code {code}")
                            })?
                            .id,
                    )
                }
                (false, _) => None,
            };
            let new = NewUser {
                pcn_id: pcn,
                email: email.parse()?,
                display_name: name.trim().into(),
                role,
                practice_id,
                status: UserStatus::Invited,
                password_hash: None,
            };
            let id = store
                .create_user(
                    &new,
                    &cli_audit(AuditAction::AddUser, "user", Some(pcn)),
                    together_core::clock::SystemClock.now(),
                )
                .await?;
            let user = store.user(id).await?.context("the new user vanished")?;
            let secret = token(&store, &user, TokenKind::Enrol, Duration::days(7), "cli").await?;
            println!(
                "Added {} ({}). Their one-time link to choose a password (valid 7 days):",
                user.email,
                role.label()
            );
            println!("{}", link(&public_url, TokenKind::Enrol, &secret));
        }
        UsersCommand::List { at } => {
            let store = store(&at).await?;
            for pcn in store.pcns().await? {
                println!("{}", pcn.name);
                for u in store.users(pcn.id).await? {
                    println!(
                        "  {:<40} {:<12} {}",
                        u.email.as_str(),
                        u.role.as_str(),
                        u.status.as_str()
                    );
                }
            }
        }
        UsersCommand::Disable { at, email } => {
            let store = store(&at).await?;
            let user = find_user(&store, &email).await?;
            store
                .set_user_status(
                    user.id,
                    UserStatus::Disabled,
                    &cli_audit(AuditAction::DisableUser, "user", Some(user.pcn_id)),
                )
                .await?;
            println!(
                "{} can no longer sign in; their sessions have ended.",
                user.email
            );
        }
        UsersCommand::ResetPassword {
            at,
            email,
            public_url,
        } => {
            let store = store(&at).await?;
            let user = find_user(&store, &email).await?;
            if user.status == UserStatus::Disabled {
                bail!(
                    "{} is disabled; enable them on the Team page first",
                    user.email
                );
            }
            store.delete_user_sessions(user.id).await?;
            let kind = if user.password_hash.is_some() {
                TokenKind::Reset
            } else {
                TokenKind::Enrol
            };
            let secret = token(&store, &user, kind, Duration::hours(24), "cli").await?;
            store
                .audit(
                    &cli_audit(AuditAction::ResetPassword, "user", Some(user.pcn_id))
                        .about("user", user.id),
                )
                .await?;
            println!(
                "One-time link for {} to choose a new password (valid 24 hours):",
                user.email
            );
            println!("{}", link(&public_url, kind, &secret));
        }
        UsersCommand::Token {
            at,
            email,
            days,
            label,
        } => {
            if !(1..=366).contains(&days) {
                bail!("--days must be between 1 and 366");
            }
            let store = store(&at).await?;
            let user = find_user(&store, &email).await?;
            if user.status != UserStatus::Active {
                bail!("{} is not active", user.email);
            }
            let secret = token(&store, &user, TokenKind::Api, Duration::days(days), &label).await?;
            store
                .audit(
                    &cli_audit(AuditAction::IssueApiToken, "user", Some(user.pcn_id))
                        .about("user", user.id),
                )
                .await?;
            println!("{secret}");
            eprintln!("API token for {} ({} days). Send it as `Authorization: Bearer <token>`; it is not shown again.", user.email, days);
        }
    }
    Ok(())
}
