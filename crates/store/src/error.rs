use thiserror::Error;

/// What can go wrong in the store, in terms a caller can act on.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error(
        "this database was written by a newer version of Together (migration \
        {0}); install that version or newer to use it"
    )]
    SchemaNewer(i64),
    #[error("the database is not a Together database or is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(&'static str),
    /// A rule of the domain said no (a move the champion journey does not allow, a DBS check
    /// the role does not justify): the message says why, for the person who asked.
    #[error("{0}")]
    Refused(together_core::refusal::Refusal),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("could not update the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict("a record with the same unique value");
            }
        }
        StoreError::Database(e)
    }
}
