//! Time is given to the application rather than read from the system, so that session expiry,
//! reminders and follow-ups can be tested by moving a clock instead of waiting.

use std::sync::Arc;
use time::OffsetDateTime;

/// The source of "now" for every rule that depends on time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The real clock, used by the shipped binary.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        // The one place the system's time is read (clippy.toml forbids it elsewhere).
        #[allow(clippy::disallowed_methods)]
        OffsetDateTime::now_utc()
    }
}

/// Shared handle to whichever clock the application was started with.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(any(test, feature = "test-clock"))]
pub use fake::FakeClock;

#[cfg(any(test, feature = "test-clock"))]
mod fake {
    use super::Clock;
    use std::sync::{Arc, Mutex};
    use time::{Duration, OffsetDateTime};

    /// A clock that only moves when a test moves it.
    #[derive(Debug, Clone)]
    pub struct FakeClock(Arc<Mutex<OffsetDateTime>>);

    impl FakeClock {
        pub fn at(start: OffsetDateTime) -> Self {
            Self(Arc::new(Mutex::new(start)))
        }

        pub fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
            *now += by;
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> OffsetDateTime {
            *self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}
