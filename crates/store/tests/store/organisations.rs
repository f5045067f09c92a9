//! Organisations, practices, sites and users: what one PCN may touch of another's.

use super::*;
use together_core::audit::AuditAction;

on_both!(organisations_and_users);
async fn organisations_and_users(store: DynStore) {
    let pcn = store
        .create_pcn("Harbourview PCN", Some("U12345"), NOW)
        .await
        .unwrap();
    let a = audit(pcn, AuditAction::AddPractice);
    let p1 = store
        .add_practice(pcn, &"B82005".parse().unwrap(), "Quayside Surgery", &a, NOW)
        .await
        .unwrap();
    let dup = store
        .add_practice(pcn, &"B82005".parse().unwrap(), "Again", &a, NOW)
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    store
        .add_site(pcn, p1, "Main building", "1 Quay Street", &a, NOW)
        .await
        .unwrap();
    let other_pcn = store.create_pcn("Elsewhere PCN", None, NOW).await.unwrap();
    assert!(matches!(
        store
            .add_site(other_pcn, p1, "Not theirs", "x", &a, NOW)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.sites(pcn).await.unwrap().len(), 1);
    assert!(store.sites(other_pcn).await.unwrap().is_empty());
    assert!(
        matches!(
            store.set_data_sharing(other_pcn, p1, false, &a).await,
            Err(StoreError::NotFound(_))
        ),
        "another PCN's practice"
    );

    assert_eq!(store.count_users_able_to_sign_in().await.unwrap(), 0);
    let new = NewUser {
        pcn_id: pcn,
        email: "gp@quayside.example".parse().unwrap(),
        display_name: "Dr Ada Okafor".into(),
        role: Role::Clinician,
        practice_id: Some(p1),
        status: UserStatus::Invited,
        password_hash: None,
    };
    let id = store.create_user(&new, &a, NOW).await.unwrap();
    assert!(matches!(
        store.create_user(&new, &a, NOW).await,
        Err(StoreError::Conflict(_))
    ));
    // A clinician cannot be tied to another PCN's practice.
    let stray = NewUser {
        pcn_id: other_pcn,
        email: "x@y.example".parse().unwrap(),
        ..new.clone()
    };
    assert!(matches!(
        store.create_user(&stray, &a, NOW).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .user_by_email(&"x@y.example".parse().unwrap())
            .await
            .unwrap()
            .is_none(),
        "failed creation left a user behind"
    );

    let u = store
        .user_by_email(&"GP@quayside.example".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (u.id, u.role, u.practice_id, u.status),
        (id, Role::Clinician, Some(p1), UserStatus::Invited)
    );
    store.set_password(id, "$argon2id$fake").await.unwrap();
    assert_eq!(
        store.user(id).await.unwrap().unwrap().status,
        UserStatus::Active
    );
    assert_eq!(store.count_users_able_to_sign_in().await.unwrap(), 1);

    // Wrong passwords lock the account by the core rule, counted and locked in one statement.
    let lockout = together_core::password::Lockout::DEFAULT;
    for n in 1..=12 {
        let locked = store.record_failed_sign_in(id, NOW, lockout).await.unwrap();
        let want = lockout.minutes_after(n).map(|m| NOW + Duration::minutes(m));
        assert_eq!(locked, want, "after {n} failures");
    }
    // A lock already set is never shortened by a failure counted with an earlier clock (a
    // request that started before).
    let earlier = store
        .record_failed_sign_in(id, NOW - Duration::minutes(30), lockout)
        .await
        .unwrap();
    assert_eq!(earlier, Some(NOW + Duration::minutes(60)));
    let u = store.user(id).await.unwrap().unwrap();
    assert_eq!(
        (u.failed_sign_ins, u.locked_until),
        (13, Some(NOW + Duration::minutes(60)))
    );
    store.clear_failed_sign_ins(id).await.unwrap();
    assert_eq!(store.user(id).await.unwrap().unwrap().failed_sign_ins, 0);

    // Sessions: disabling a user ends them all.
    for t in ["s1", "s2"] {
        store
            .create_session(&NewSession {
                token_hash: t.into(),
                user_id: id,
                now: NOW,
                mfa_done: false,
                ip: "127.0.0.1".into(),
                user_agent: "test".into(),
            })
            .await
            .unwrap();
    }
    store
        .touch_session("s1", NOW + Duration::minutes(5), true)
        .await
        .unwrap();
    let s1 = store.session("s1").await.unwrap().unwrap();
    assert!(s1.mfa_done && s1.last_seen_at == NOW + Duration::minutes(5));
    assert_eq!(store.user_sessions(id).await.unwrap().len(), 2);
    store
        .set_user_status(id, UserStatus::Disabled, &a)
        .await
        .unwrap();
    assert!(store.session("s1").await.unwrap().is_none());
    assert_eq!(store.count_users_able_to_sign_in().await.unwrap(), 0);

    // Single-use links: once, and not after expiry.
    let token = |hash: &str, kind| NewToken {
        token_hash: hash.into(),
        user_id: id,
        kind,
        label: String::new(),
        created_at: NOW,
        expires_at: NOW + Duration::hours(1),
    };
    store
        .create_token(&token("t1", TokenKind::Enrol))
        .await
        .unwrap();
    assert_eq!(
        store.take_token(TokenKind::Reset, "t1", NOW).await.unwrap(),
        None,
        "kind must match"
    );
    assert_eq!(
        store
            .take_token(TokenKind::Enrol, "t1", NOW + Duration::hours(2))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.take_token(TokenKind::Enrol, "t1", NOW).await.unwrap(),
        Some(id)
    );
    assert_eq!(
        store.take_token(TokenKind::Enrol, "t1", NOW).await.unwrap(),
        None,
        "used twice"
    );
    store
        .create_token(&token("api1", TokenKind::Api))
        .await
        .unwrap();
    assert_eq!(store.api_token_user("api1", NOW).await.unwrap(), Some(id));
    assert_eq!(
        store
            .api_token_user("api1", NOW + Duration::hours(2))
            .await
            .unwrap(),
        None
    );

    // TOTP steps cannot be replayed; recovery codes are single use.
    store
        .set_totp(id, Some("SECRET"), &["c1".into(), "c2".into()], &a)
        .await
        .unwrap();
    assert!(store.use_totp_step(id, 100).await.unwrap());
    assert!(!store.use_totp_step(id, 100).await.unwrap());
    assert!(!store.use_totp_step(id, 99).await.unwrap());
    assert!(store.use_recovery_code(id, "c1", NOW).await.unwrap());
    assert!(!store.use_recovery_code(id, "c1", NOW).await.unwrap());
    assert!(!store.use_recovery_code(id, "nope", NOW).await.unwrap());
}
