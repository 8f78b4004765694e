//! [`RedisRevocations`] (feature `redis`): revocation rules shared through Redis.

use std::time::Duration;

use futures_util::StreamExt as _;
use redis::AsyncCommands as _;

use super::Revocation;
use super::rule::seconds;
use super::store::{RevocationSink, RevocationStore, StoreError, StoreFuture};

/// The first wait before reconnecting to Redis; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Revocation rules shared through Redis, for an API that runs several replicas: a
/// [`RevocationStore`] for
/// [`LogtoStateBuilder::revocation_store`](crate::LogtoStateBuilder::revocation_store).
///
/// Each rule goes into a sorted set (`<prefix>:rules`, scored by when it expires, so that a
/// replica that starts later loads the live ones) and onto a channel
/// (`<prefix>:revocations`, which every replica follows, so that a webhook that reaches one
/// replica stops the tokens on all of them at once). The prefix defaults to `axum-logto`:
/// give each API its own when several share one Redis. A replica that reconnects loads the
/// live rules again and writes back those it holds, so a Redis restarted without persistence
/// gets them back from the replicas.
///
/// While Redis is unreachable, every replica keeps enforcing the rules it knows, a new rule
/// holds in the replica that received it, and the trouble is logged (`warn`) and counted
/// (`axum_logto_revocation_store_reachable`, `axum_logto_revocation_store_errors_total`); see
/// [`revocations_fail_closed`](crate::LogtoStateBuilder::revocations_fail_closed) to refuse
/// every token instead. The connection is plain TCP (`redis://`); `build()` does no I/O.
///
/// ```no_run
/// use axum_logto::{LogtoState, RedisRevocations};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .revocation_store(RedisRevocations::new("redis://127.0.0.1:6379")?.prefix("my-api"))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    client: redis::Client,
    prefix: String,
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info may hold a password: only where it goes.
        let info = self.client.get_connection_info();
        f.debug_struct("RedisRevocations")
            .field("addr", &info.addr().to_string())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl RedisRevocations {
    /// Rules shared through the Redis at `url` (`redis://host:port[/db]`). Connects on first
    /// use, not here.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when `url` is not a Redis URL.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|error| StoreError::new("the Redis URL is not valid", error))?;
        Ok(Self {
            client,
            prefix: "axum-logto".to_owned(),
        })
    }

    /// The prefix of the keys and channel used. Default: `axum-logto`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn rules_key(&self) -> String {
        format!("{}:rules", self.prefix)
    }

    fn channel(&self) -> String {
        format!("{}:revocations", self.prefix)
    }

    /// Keeps `rule` in the sorted set, scored by when it expires, and drops the expired ones.
    async fn keep(
        &self,
        connection: &mut redis::aio::MultiplexedConnection,
        rule: &str,
        ttl: Duration,
    ) -> redis::RedisResult<()> {
        let now = seconds(std::time::SystemTime::now());
        let key = self.rules_key();
        let () = connection.zadd(&key, rule, now + ttl.as_secs_f64()).await?;
        let _: usize = connection.zrembyscore(&key, "-inf", now).await?;
        Ok(())
    }

    /// One connection's worth of following: subscribe, load, write back, then apply what comes.
    /// Returns `Ok(false)` when the state is gone; sets `connected` once it follows.
    async fn follow_once(
        &self,
        sink: &RevocationSink,
        connected: &mut bool,
    ) -> redis::RedisResult<bool> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        // Subscribed first: nothing published while the rules load is missed.
        pubsub.subscribe(self.channel()).await?;
        let mut connection = self.client.get_multiplexed_async_connection().await?;
        let now = seconds(std::time::SystemTime::now());
        let live: Vec<String> = connection
            .zrangebyscore(self.rules_key(), now, "+inf")
            .await?;
        for rule in &live {
            if !apply(sink, rule.as_bytes()) {
                return Ok(false);
            }
        }
        // Write back what this replica holds, and tell the others (a Redis restarted empty gets
        // them again, and a replica that loaded before this one wrote them hears them).
        let Some(held) = sink.live_rules() else {
            return Ok(false);
        };
        for (rule, ttl) in held {
            if let Ok(json) = serde_json::to_string(&rule) {
                self.keep(&mut connection, &json, ttl).await?;
                let _: usize = connection.publish(self.channel(), &json).await?;
            }
        }
        if !sink.set_reachable(true) {
            return Ok(false);
        }
        *connected = true;
        tracing::debug!(live = live.len(), "following the revocations in Redis");
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            if !apply(sink, message.get_payload_bytes()) {
                return Ok(false);
            }
        }
        Err(redis::RedisError::from((
            redis::ErrorKind::Io,
            "the subscription ended",
        )))
    }
}

/// Applies a rule as JSON; `false` when the state is gone. A message that is not a rule (of
/// a newer version, say) is skipped.
fn apply(sink: &RevocationSink, json: &[u8]) -> bool {
    match serde_json::from_slice::<Revocation>(json) {
        Ok(rule) => sink.apply(&rule),
        Err(_) => {
            tracing::debug!("skipped a message in Redis that is not a revocation rule");
            true
        }
    }
}

impl RevocationStore for RedisRevocations {
    fn publish(&self, rule: Revocation, ttl: Duration) -> StoreFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let json = serde_json::to_string(&rule)
                .map_err(|error| StoreError::new("the rule could not be written", error))?;
            let result = async {
                let mut connection = self.client.get_multiplexed_async_connection().await?;
                self.keep(&mut connection, &json, ttl).await?;
                let _: usize = connection.publish(self.channel(), &json).await?;
                redis::RedisResult::Ok(())
            };
            result.await.map_err(|error| {
                StoreError::new("sharing a revocation through Redis failed", error)
            })
        })
    }

    fn follow(&self, sink: RevocationSink) -> StoreFuture<'static, ()> {
        let store = self.clone();
        Box::pin(async move {
            let mut backoff = FIRST_BACKOFF;
            loop {
                let mut connected = false;
                match store.follow_once(&sink, &mut connected).await {
                    Ok(false) => return,
                    Ok(true) => {}
                    Err(error) => {
                        if connected {
                            backoff = FIRST_BACKOFF;
                        }
                        if !sink.set_reachable(false) {
                            return;
                        }
                        crate::telemetry::revocation_store_error();
                        tracing::warn!(
                            "following the revocations in Redis failed: {error}; the rules known \
                             keep holding, retrying in {backoff:?}"
                        );
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        })
    }
}
