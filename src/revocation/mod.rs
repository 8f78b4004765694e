//! Revocation: tokens that stop working before they expire, because Logto said so (a webhook:
//! a user suspended, removed from an organization…) or an operator did.
//!
//! - `rule`: [`Revocation`], which tokens, before when;
//! - `set`: the live rules, indexed by subject, application, organization;
//! - `store`: [`RevocationStore`], how replicas share them (`redis`, feature `redis`).
//!
//! The one decision checks a token against the rules on every use, after its signature or its
//! verified-token cache hit, so a revoked token is never served from that cache. The check is
//! one atomic load while no rule changed since the token was last found clean (a version
//! number kept with the token), and a few hash lookups otherwise. A rule lives until no token
//! it could match can still be valid: its moment, plus the longest token lifetime, plus the
//! leeway.
//!
//! Part of the validation core's reach: nothing here knows about Axum.

#[cfg(feature = "redis")]
mod redis;
mod rule;
mod set;
mod store;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

#[cfg(feature = "redis")]
pub use self::redis::RedisRevocations;
pub use rule::Revocation;
use rule::{Subject, seconds};

/// Seconds since the Unix epoch, now.
pub(crate) fn seconds_now() -> f64 {
    seconds(SystemTime::now())
}
use set::RuleSet;
pub use store::{RevocationSink, RevocationStore, StoreError, StoreFuture};

use crate::claims::AuthInfo;
use crate::telemetry;

/// How often expired rules are swept out, at most.
const PURGE_EVERY: f64 = 60.0;

/// How long [`Revocations::loaded`] waits for a store's live rules, at most.
pub(crate) const LOAD_WAIT: Duration = Duration::from_secs(2);

/// Why a token is refused by the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A rule names it.
    Revoked,
    /// The state fails closed and its store is unreachable.
    Unavailable,
}

/// The rules of one `LogtoState`, and the store they are shared through.
pub(crate) struct Revocations {
    rules: RwLock<RuleSet>,
    /// Bumped by every rule that revokes something new; 0 while there was never one.
    version: AtomicU64,
    /// How long a rule outlives its moment.
    retention: Duration,
    /// When expired rules were last swept out (seconds since the epoch).
    purged_at: Mutex<f64>,
    store: Option<Arc<dyn RevocationStore>>,
    fail_closed: bool,
    reachable: AtomicBool,
    /// Woken when the store becomes reachable (its live rules loaded).
    reached: tokio::sync::Notify,
    following: AtomicBool,
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations")
            .field("rules", &self.len())
            .field("retention", &self.retention)
            .field("store", &self.store)
            .field("fail_closed", &self.fail_closed)
            .finish_non_exhaustive()
    }
}

impl Revocations {
    /// Rules kept for `retention` past their moment, shared through `store` if any.
    pub(crate) fn new(
        retention: Duration,
        store: Option<Arc<dyn RevocationStore>>,
        fail_closed: bool,
    ) -> Arc<Self> {
        Arc::new(Self {
            rules: RwLock::new(RuleSet::default()),
            version: AtomicU64::new(0),
            retention,
            purged_at: Mutex::new(0.0),
            store,
            fail_closed,
            reachable: AtomicBool::new(false),
            reached: tokio::sync::Notify::new(),
            following: AtomicBool::new(false),
        })
    }

    /// Whether the rules are shared through a store.
    pub(crate) fn has_store(&self) -> bool {
        self.store.is_some()
    }

    /// Whether a rule revokes the token `info`. One atomic load while no rule changed since
    /// the token was last found clean; the token remembers the version it was found clean at.
    pub(crate) fn check(self: &Arc<Self>, info: &AuthInfo) -> Result<(), Refusal> {
        if self.store.is_some() {
            self.ensure_following();
            if self.fail_closed && !self.reachable.load(Ordering::Acquire) {
                return Err(Refusal::Unavailable);
            }
        }
        let version = self.version.load(Ordering::Acquire);
        let seen = &info.data().revocations_seen;
        if version == 0 || seen.load(Ordering::Acquire) == version {
            return Ok(());
        }
        let revoked = self
            .rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .revokes(&Subject::of(info));
        if revoked {
            return Err(Refusal::Revoked);
        }
        // `version` was read before the rules: a rule added meanwhile bumped it past, and the
        // next use checks again.
        seen.store(version, Ordering::Release);
        Ok(())
    }

    /// Applies `rule` in this process; whether it revoked anything new. A rule that names
    /// nothing, or whose tokens have all expired already, is ignored.
    pub(crate) fn apply(&self, rule: &Revocation) -> bool {
        let now = seconds(SystemTime::now());
        let horizon = now - self.retention.as_secs_f64();
        if !rule.is_sound() || rule.at() < horizon {
            return false;
        }
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        let changed = rules.apply(rule);
        {
            let mut purged_at = self
                .purged_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if now - *purged_at >= PURGE_EVERY {
                rules.purge(horizon);
                *purged_at = now;
            }
        }
        let live = rules.len();
        drop(rules);
        if changed {
            self.version.fetch_add(1, Ordering::AcqRel);
            tracing::debug!(rule = ?rule, live, "revocation rule applied");
        }
        telemetry::revocation_rules(live);
        changed
    }

    /// Applies `rule` here, then shares it through the store (if any). The rule is in force
    /// here even when sharing fails.
    pub(crate) async fn revoke(self: &Arc<Self>, rule: Revocation) -> Result<(), StoreError> {
        self.apply(&rule);
        let Some(store) = &self.store else {
            return Ok(());
        };
        self.ensure_following();
        let ttl = self.time_left(&rule);
        store.publish(rule, ttl).await.inspect_err(|error| {
            tracing::warn!("{error}; the revocation holds in this process only");
            telemetry::revocation_store_error();
        })
    }

    /// How long `rule` stays live from now.
    pub(crate) fn time_left(&self, rule: &Revocation) -> Duration {
        let until = rule.at() + self.retention.as_secs_f64();
        Duration::try_from_secs_f64(until - seconds(SystemTime::now())).unwrap_or(Duration::ZERO)
    }

    /// How many rules are live.
    pub(crate) fn len(&self) -> usize {
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Every live rule.
    pub(crate) fn rules(&self) -> Vec<Revocation> {
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .rules()
    }

    fn set_reachable(&self, reachable: bool) {
        let was = self.reachable.swap(reachable, Ordering::AcqRel);
        if was != reachable {
            telemetry::revocation_store_reachable(reachable);
        }
        if reachable {
            self.reached.notify_waiters();
        }
    }

    /// Starts following the store and waits, at most `within`, until it has given the rules
    /// still live (it says so by becoming reachable); whether it did. `true` without a store.
    pub(crate) async fn loaded(self: &Arc<Self>, within: Duration) -> bool {
        if self.store.is_none() {
            return true;
        }
        self.ensure_following();
        let wait = async {
            loop {
                // Registered before the check, so a wake-up in between is not missed.
                let reached = self.reached.notified();
                if self.reachable.load(Ordering::Acquire) {
                    return;
                }
                reached.await;
            }
        };
        tokio::time::timeout(within, wait).await.is_ok()
    }

    /// Starts following the store, once, if a Tokio runtime is running.
    pub(crate) fn ensure_following(self: &Arc<Self>) {
        let Some(store) = &self.store else {
            return;
        };
        if self.following.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.following.swap(true, Ordering::AcqRel) {
            return;
        }
        let sink = RevocationSink::new(self);
        let follow = store.follow(sink);
        let weak = Arc::downgrade(self);
        handle.spawn(async move {
            follow.await;
            // Ended (the runtime, or the store gave up): the next use starts it again.
            if let Some(rules) = weak.upgrade() {
                rules.following.store(false, Ordering::Release);
            }
        });
    }
}
