// The migrations are embedded by `sqlx::migrate!`; without this a new migration file would not
// rebuild the crate, and a build could ship without it (sqlx's own advice).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
