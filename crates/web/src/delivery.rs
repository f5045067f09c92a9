//! How a message leaves Together: the [`Delivery`] adapter the outbox hands each message to.

use async_trait::async_trait;
use together_store::Message;

/// Something that can send a message: the log (default), or a provider such as GOV.UK Notify.
#[async_trait]
pub trait Delivery: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn deliver(&self, message: &Message) -> Result<(), String>;
}

/// Records messages for the outbox page and the log; sends nothing outside the machine.
pub struct LogDelivery;

#[async_trait]
impl Delivery for LogDelivery {
    fn name(&self) -> &'static str {
        "log"
    }
    async fn deliver(&self, m: &Message) -> Result<(), String> {
        let domain = m
            .recipient
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("(phone)");
        tracing::info!(channel = %m.channel, to_domain = %domain, message = %m.id, "message recorded in the outbox");
        Ok(())
    }
}
