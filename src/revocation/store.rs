//! [`RevocationStore`]: where replicas share their revocation rules.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{Revocation, Revocations};

/// A boxed future, as the store's methods return them.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the replicas of one API share their revocation rules, so that a webhook that reaches
/// one replica (Logto sends each to one URL) stops the tokens on every replica. Without a
/// store (the default) the rules live in the process that received them.
///
/// A store keeps each rule for its `ttl` (after which no token it could match is still
/// valid), pushes it to every replica, and gives a replica that starts later the rules still
/// live. The crate's own is `RedisRevocations` (feature `redis`); implement this for another
/// (a database, NATS) if you need one.
pub trait RevocationStore: Send + Sync + fmt::Debug + 'static {
    /// Shares `rule` with every replica, this one included, and keeps it for `ttl`.
    fn publish(&self, rule: Revocation, ttl: Duration) -> StoreFuture<'_, Result<(), StoreError>>;

    /// Runs for as long as the state lives: gives `sink` every rule still live, then each rule
    /// any replica publishes, and tells it whether the store is reachable
    /// ([`RevocationSink::set_reachable`]). Reconnects by itself; returns when
    /// [`RevocationSink::apply`] says the state is gone.
    fn follow(&self, sink: RevocationSink) -> StoreFuture<'static, ()>;
}

/// Where a [`RevocationStore`] delivers the rules it follows: the rules of one `LogtoState`.
#[derive(Clone)]
pub struct RevocationSink {
    rules: Weak<Revocations>,
}

impl fmt::Debug for RevocationSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationSink")
            .field("alive", &(self.rules.strong_count() > 0))
            .finish()
    }
}

impl RevocationSink {
    pub(crate) fn new(rules: &Arc<Revocations>) -> Self {
        Self {
            rules: Arc::downgrade(rules),
        }
    }

    /// Applies `rule` here; `false` when the state is gone (the store stops following). A rule
    /// that names nothing, or whose moment is not a number, is ignored.
    pub fn apply(&self, rule: &Revocation) -> bool {
        let Some(rules) = self.rules.upgrade() else {
            return false;
        };
        rules.apply(rule);
        true
    }

    /// The rules held here and how long each stays live, for a store to write back (after it
    /// restarted empty, say); `None` when the state is gone.
    pub fn live_rules(&self) -> Option<Vec<(Revocation, Duration)>> {
        let rules = self.rules.upgrade()?;
        Some(
            rules
                .rules()
                .into_iter()
                .map(|rule| {
                    let ttl = rules.time_left(&rule);
                    (rule, ttl)
                })
                .collect(),
        )
    }

    /// Says whether the store is reachable now (a state that fails closed refuses every token
    /// while it is not); `false` when the state is gone.
    pub fn set_reachable(&self, reachable: bool) -> bool {
        let Some(rules) = self.rules.upgrade() else {
            return false;
        };
        rules.set_reachable(reachable);
        true
    }
}

/// A store could not share a rule: it is in force in this process, not (yet) elsewhere.
#[derive(Debug)]
pub struct StoreError {
    message: &'static str,
    cause: Option<Box<dyn Error + Send + Sync>>,
}

impl StoreError {
    /// An error saying `message` (fixed text), caused by `cause`.
    pub fn new(message: &'static str, cause: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self {
            message,
            cause: Some(cause.into()),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)?;
        let mut cause = self.cause.as_deref().map(|c| c as &(dyn Error + 'static));
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn Error + 'static))
    }
}
