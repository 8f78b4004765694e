//! The key store: a lock-free snapshot of the issuer's JWK set, single-flight fetches, the
//! unknown-`kid` cooldown and the background refresher.
//!
//! Policy (the README's "Security" section, "Keys"):
//! - reads on the hot path are lock-free (`ArcSwapOption` snapshot);
//! - a background task refreshes the set every `refresh_interval` without blocking requests;
//! - an unknown `kid` causes one single-flight refetch, within a budget of three at once and one
//!   per cooldown after that (`budget`); unknown `kid`s refused for want of budget make the
//!   store fetch by itself as soon as the budget allows (the initial load and the timer spend
//!   none of it);
//! - a failed or garbage fetch keeps the last good set (and logs a `warn`), but only up to
//!   `max_key_set_age` after the last successful fetch;
//! - while no usable set is loaded (never, or too old), fetch attempts are spaced by
//!   `retry_interval` and lookups answer [`KeyError::Unavailable`];
//! - every lookup makes sure the refresher runs (one atomic load), so that a server whose
//!   requests all hit the snapshot still sees removed keys disappear.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use tracing::Instrument as _;
use url::Url;

use super::algorithm::Algorithm;
use super::budget::KidBudget;
use super::discovery::jwks_uri_from_discovery;
use super::error::{Document, KeyFetchError, KeyFetchErrorKind};
use super::fetch::get;
use super::jwk::{KeySet, Lookup, VerifyingKey, parse_jwks};
use crate::redact::Redacted;
use crate::settings::{FetchSettings, display_url};
use crate::telemetry::{self, FetchCause};

/// Why no key was found for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// A key with the token's `kid` exists, bound to another algorithm.
    AlgorithmMismatch,
    /// No key with the token's `kid` (or, without `kid`, not exactly one fitting key).
    UnknownKey,
    /// No key set could be loaded.
    Unavailable,
}

/// When the last fetches completed, and what unknown `kid`s may still cause.
#[derive(Debug, Clone, Copy)]
struct FetchTimes {
    /// The last fetch of any kind (spaces attempts while no key set is loaded).
    any: Option<Instant>,
    /// The fetches unknown `kid`s may still cause (see `budget`). The initial load and the
    /// timer spend none, so a key rotated in right after start-up is still found at once.
    kids: KidBudget,
}

/// Cheap to clone: the store is shared.
#[derive(Clone, Debug)]
pub(crate) struct KeyStore {
    inner: Arc<Inner>,
}

/// A key set and when it was fetched.
#[derive(Debug)]
struct Snapshot {
    set: KeySet,
    fetched_at: Instant,
}

struct Inner {
    cfg: FetchSettings,
    keys: ArcSwapOption<Snapshot>,
    /// The JWKS URI found by discovery (or configured), once known.
    jwks_uri: OnceLock<Url>,
    /// Single flight: held for the whole of a fetch, by the task that runs it.
    fetch_lock: Arc<tokio::sync::Mutex<()>>,
    /// When fetches completed; locked only for a moment, never across an await.
    times: Mutex<FetchTimes>,
    /// Completed fetch attempts; a waiter that sees it change knows a fetch happened meanwhile.
    attempts: AtomicU64,
    refresher_started: AtomicBool,
    /// A fetch is scheduled for when the unknown-`kid` budget refills.
    refetch_scheduled: AtomicBool,
    /// The runtime the refresher was last started in, and whether it has a time driver:
    /// checked once per runtime (see [`has_time_driver`]).
    timers: Mutex<Option<(tokio::runtime::Id, bool)>>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("jwks_uri", &self.jwks_uri.get())
            .field(
                "loaded_keys",
                &self.keys.load().as_ref().map(|snapshot| snapshot.set.len()),
            )
            .field("attempts", &self.attempts.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Resets `refresher_started` when the refresh task ends for any reason (the state was
/// dropped, or the runtime that ran the task shut down), so that the next use of the state
/// in a live runtime starts a new one.
struct RefresherRunning(Weak<Inner>);

impl Drop for RefresherRunning {
    fn drop(&mut self) {
        if let Some(inner) = self.0.upgrade() {
            inner.refresher_started.store(false, Ordering::Release);
        }
    }
}

impl KeyStore {
    pub(crate) fn new(cfg: FetchSettings) -> Self {
        let jwks_uri = OnceLock::new();
        if let Some(uri) = &cfg.jwks_uri {
            let _ = jwks_uri.set(uri.clone());
        }
        Self {
            inner: Arc::new(Inner {
                cfg,
                keys: ArcSwapOption::empty(),
                jwks_uri,
                fetch_lock: Arc::new(tokio::sync::Mutex::new(())),
                times: Mutex::new(FetchTimes {
                    any: None,
                    kids: KidBudget::full(Instant::now()),
                }),
                attempts: AtomicU64::new(0),
                refresher_started: AtomicBool::new(false),
                refetch_scheduled: AtomicBool::new(false),
                timers: Mutex::new(None),
            }),
        }
    }

    /// While no key set was ever loaded, the wait between fetch attempts.
    pub(crate) fn retry_interval(&self) -> Duration {
        self.inner.cfg.retry_interval
    }

    /// Fetches discovery (if needed) and the JWK set now. When a fetch is already in flight
    /// and loads a key set, that one counts instead of starting a second.
    pub(crate) async fn preload(&self) -> Result<(), KeyFetchError> {
        self.ensure_refresher();
        let seen = self.inner.attempts.load(Ordering::Acquire);
        let guard = self.inner.fetch_lock.clone().lock_owned().await;
        if self.inner.attempts.load(Ordering::Acquire) != seen && self.usable().is_some() {
            return Ok(());
        }
        // Before any key set is loaded, a preload is the first load, and counted as one.
        let cause = if self.usable().is_some() {
            FetchCause::Preload
        } else {
            FetchCause::FirstLoad
        };
        Inner::fetch_in_task(&self.inner, guard, cause).await
    }

    /// The current key set, unless none was loaded or it is older than `max_key_set_age`.
    fn usable(&self) -> Option<Arc<Snapshot>> {
        self.inner
            .keys
            .load_full()
            .filter(|snapshot| snapshot.fetched_at.elapsed() <= self.inner.cfg.max_key_set_age)
    }

    /// Whether `key` (which verified a token earlier) is still in the current, usable key set.
    /// `false` when it was dropped by a refresh, or when no usable key set is loaded.
    pub(crate) fn still_holds(&self, key: &Arc<VerifyingKey>) -> bool {
        self.ensure_refresher();
        // A guard, not a clone of the snapshot: this is the cache's hot path.
        self.inner.keys.load().as_ref().is_some_and(|snapshot| {
            snapshot.fetched_at.elapsed() <= self.inner.cfg.max_key_set_age
                && snapshot.set.holds(key)
        })
    }

    /// Finds the key for a token header's `kid` and `alg`.
    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        self.ensure_refresher();
        // Read the attempt counter before the snapshot: if a fetch completes in between, the
        // refetch below sees a changed counter and does not fetch again.
        let seen = self.inner.attempts.load(Ordering::Acquire);
        if let Some(snapshot) = self.usable() {
            match snapshot.set.lookup(kid, alg) {
                Lookup::Found(key) => return Ok(key),
                Lookup::AlgorithmMismatch => return Err(KeyError::AlgorithmMismatch),
                // A token without `kid` names no new key: fetching cannot help.
                Lookup::NotFound if kid.is_none() => return Err(KeyError::UnknownKey),
                Lookup::NotFound => {}
            }
        }
        self.refetch_if_allowed(seen).await;
        match self.usable() {
            None => Err(KeyError::Unavailable),
            Some(snapshot) => match snapshot.set.lookup(kid, alg) {
                Lookup::Found(key) => Ok(key),
                Lookup::AlgorithmMismatch => Err(KeyError::AlgorithmMismatch),
                Lookup::NotFound => {
                    let kid = kid.map(Redacted);
                    tracing::debug!(kid = ?kid, "no key with this kid in the issuer's JWK set");
                    Err(KeyError::UnknownKey)
                }
            },
        }
    }

    /// Whether the unknown-`kid` budget (usable keys loaded) or the retry interval (none)
    /// forbids a fetch now.
    fn must_wait(&self, loaded: bool) -> bool {
        self.inner.must_wait(loaded)
    }

    /// Single flight: the first caller fetches; callers queued behind it see that a fetch
    /// happened and only re-read the snapshot. The unknown-`kid` budget (keys loaded) or the
    /// retry interval (no keys yet) spaces further fetches; a lookup refused for want of budget
    /// schedules one fetch for when the budget refills.
    async fn refetch_if_allowed(&self, seen: u64) {
        // Checked before waiting for the lock too, so that requests beyond the budget or
        // inside the retry interval answer at once instead of queueing behind a fetch in
        // flight.
        let loaded = self.usable().is_some();
        if self.must_wait(loaded) {
            tracing::debug!("key fetch skipped: the unknown-kid budget is spent");
            if loaded {
                self.schedule_refetch();
            }
            return;
        }
        let guard = self.inner.fetch_lock.clone().lock_owned().await;
        if self.inner.attempts.load(Ordering::Acquire) != seen {
            return;
        }
        let loaded = self.usable().is_some();
        if self.must_wait(loaded) {
            if loaded {
                self.schedule_refetch();
            }
            return;
        }
        let cause = if loaded {
            FetchCause::UnknownKid
        } else {
            FetchCause::FirstLoad
        };
        let _ = Inner::fetch_in_task(&self.inner, guard, cause).await;
    }

    /// Fetches once, by itself, as soon as the unknown-`kid` budget refills: an unknown `kid`
    /// refused now may be a key the issuer just rotated in, and its next token should not have
    /// to wait for one more request. One such fetch is scheduled at a time; it spends the
    /// budget like any unknown-`kid` fetch, so an attacker still causes one fetch per cooldown.
    fn schedule_refetch(&self) {
        if self.inner.refetch_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let wait = lock(&self.inner.times)
            .kids
            .next_in(Instant::now(), self.inner.cfg.unknown_kid_cooldown);
        let (Some(wait), Ok(handle)) = (wait, tokio::runtime::Handle::try_current()) else {
            // The budget never refills (a fixed key set), or no runtime to wait in.
            self.inner.refetch_scheduled.store(false, Ordering::Release);
            return;
        };
        let weak = Arc::downgrade(&self.inner);
        handle.spawn(async move {
            tokio::time::sleep(wait).await;
            let Some(inner) = weak.upgrade() else { return };
            let guard = inner.fetch_lock.clone().lock_owned().await;
            // From here on, a refusal schedules the next one.
            inner.refetch_scheduled.store(false, Ordering::Release);
            // A request may have spent the budget meanwhile, and fetched.
            if inner.must_wait(true) {
                return;
            }
            tracing::debug!("fetching the JWK set for the unknown kids refused meanwhile");
            let _ = Inner::fetch_in_task(&inner, guard, FetchCause::UnknownKid).await;
        });
    }

    /// Starts the background refresh task once, if a Tokio runtime is running. The task holds
    /// only a weak reference and ends when the last `LogtoState` clone is dropped.
    fn ensure_refresher(&self) {
        if self.inner.refresher_started.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !self.inner.timers_work(&handle) {
            return;
        }
        if self.inner.refresher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        // A maximum age shorter than twice the refresh interval would let the set age out
        // between two refreshes of a reachable issuer.
        let interval = (self.inner.cfg.refresh_interval).min(self.inner.cfg.max_key_set_age / 2);
        #[cfg(feature = "metrics")]
        handle.spawn(report_age(weak.clone()));
        handle.spawn(async move {
            let _running = RefresherRunning(weak.clone());
            loop {
                tokio::time::sleep(interval).await;
                let Some(inner) = weak.upgrade() else { break };
                let _guard = inner.fetch_lock.lock().await;
                tracing::debug!("refreshing the JWK set on the timer");
                let _ = inner.fetch_and_record(FetchCause::Timer).await;
            }
        });
    }
}

/// With the `metrics` feature: sets the key set's age gauge every second, so that it grows
/// between fetches (a fetch resets it). Ends with the last `LogtoState` clone.
#[cfg(feature = "metrics")]
async fn report_age(weak: Weak<Inner>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(inner) = weak.upgrade() else { break };
        if let Some(snapshot) = inner.keys.load().as_ref() {
            telemetry::key_set(snapshot.set.len(), snapshot.fetched_at.elapsed());
        }
    }
}

/// Whether the runtime of `handle` has a time driver. Tokio offers no way to ask but to make a
/// timer, which panics without one (the default panic hook then prints one line, once per
/// runtime).
fn has_time_driver(handle: &tokio::runtime::Handle) -> bool {
    let _entered = handle.enter();
    std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::ZERO))).is_ok()
}

/// Locks a std mutex, ignoring poisoning: used only for plain data that every writer leaves
/// consistent (fetch times here, the test issuer's keys and faults).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Inner {
    /// Whether the runtime of `handle` has a time driver, checked once per runtime; without
    /// one, logs an `error` once (no fetch can run, and every request gets 503).
    fn timers_work(&self, handle: &tokio::runtime::Handle) -> bool {
        let id = handle.id();
        let mut timers = lock(&self.timers);
        if let Some((known, works)) = *timers
            && known == id
        {
            return works;
        }
        let works = has_time_driver(handle);
        if !works {
            tracing::error!(
                "{}; no key can be fetched and every request gets 503",
                KeyFetchErrorKind::NoTimeDriver
            );
        }
        *timers = Some((id, works));
        works
    }

    /// Whether the unknown-`kid` budget (usable keys loaded) or the retry interval (none)
    /// forbids a fetch now.
    fn must_wait(&self, loaded: bool) -> bool {
        let mut times = lock(&self.times);
        if loaded {
            !times
                .kids
                .allows(Instant::now(), self.cfg.unknown_kid_cooldown)
        } else {
            times
                .any
                .is_some_and(|at| at.elapsed() < self.cfg.retry_interval)
        }
    }

    /// Runs one fetch in a task of its own that owns the single-flight guard: a caller that is
    /// cancelled (a timeout layer, a client that goes away) does not cancel the fetch, and the
    /// fetch's outcome and times are always recorded.
    async fn fetch_in_task(
        inner: &Arc<Inner>,
        guard: tokio::sync::OwnedMutexGuard<()>,
        cause: FetchCause,
    ) -> Result<(), KeyFetchError> {
        // A fetch needs the time driver (its timeout); without it, it would panic in its task.
        let handle = tokio::runtime::Handle::current();
        if !inner.timers_work(&handle) {
            return Err(KeyFetchError::new(KeyFetchErrorKind::NoTimeDriver));
        }
        let inner = inner.clone();
        let task = tokio::spawn(async move {
            let outcome = inner.fetch_and_record(cause).await;
            drop(guard);
            outcome
        });
        // The task only ends early if the runtime shuts down.
        task.await.unwrap_or_else(|error| {
            Err(KeyFetchError::new(KeyFetchErrorKind::Transport).with_cause(error))
        })
    }

    /// Fetches and stores a new key set, then records when the fetch completed. The caller
    /// holds `fetch_lock`.
    async fn fetch_and_record(&self, cause: FetchCause) -> Result<(), KeyFetchError> {
        let outcome = match self.fetch_key_set(cause).await {
            Ok(mut set) => {
                let previous = self.keys.load();
                if let Some(old) = previous.as_ref() {
                    set.carry_over(&old.set);
                }
                if previous.as_ref().is_some_and(|old| old.set.same_keys(&set)) {
                    tracing::debug!(keys = set.len(), "JWK set refreshed, unchanged");
                } else {
                    tracing::info!(keys = set.len(), kids = %set.kids(), "loaded the issuer's JWK set");
                }
                let fetched_at = Instant::now();
                telemetry::key_set_fetched(set.len());
                self.keys
                    .store(Some(Arc::new(Snapshot { set, fetched_at })));
                Ok(())
            }
            Err(error) => {
                // (The age gauge keeps growing on its own: see `report_age`.)
                match self.keys.load().as_ref() {
                    Some(old) if old.fetched_at.elapsed() <= self.cfg.max_key_set_age => {
                        tracing::warn!(
                            cause = cause.name(),
                            "{error}; keeping the previous key set"
                        );
                    }
                    Some(_) => tracing::warn!(
                        cause = cause.name(),
                        "{error}; the previous key set is older than the maximum key set age \
                         and no longer used"
                    ),
                    None => {
                        tracing::warn!(cause = cause.name(), "{error}; no key set is loaded yet");
                    }
                }
                Err(error)
            }
        };
        let now = Instant::now();
        {
            let mut times = lock(&self.times);
            times.any = Some(now);
            if cause == FetchCause::UnknownKid {
                times.kids.spend(now, self.cfg.unknown_kid_cooldown);
            }
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    async fn fetch_key_set(&self, cause: FetchCause) -> Result<KeySet, KeyFetchError> {
        let cfg = &self.cfg;
        let jwks_uri = match self.jwks_uri.get() {
            Some(uri) => uri.clone(),
            None => {
                // `discovery_url` is `None` only when `jwks_uri` was configured, and then the
                // OnceLock was filled in `KeyStore::new`.
                let Some(discovery_url) = &cfg.discovery_url else {
                    return Err(KeyFetchError::new(KeyFetchErrorKind::InvalidDocument));
                };
                let uri = self
                    .fetch_document(Document::Discovery, discovery_url, cause, |body| {
                        jwks_uri_from_discovery(body, discovery_url, &cfg.issuer)
                    })
                    .await?;
                tracing::debug!(uri = %display_url(&uri), "discovered the JWKS URI");
                self.jwks_uri.get_or_init(|| uri).clone()
            }
        };
        self.fetch_document(Document::Jwks, &jwks_uri, cause, parse_jwks)
            .await
    }

    /// One GET and what `parse` makes of its body, in a span (`key_fetch`, with the document,
    /// URL, cause and outcome), counted and timed by the metrics.
    async fn fetch_document<T>(
        &self,
        document: Document,
        url: &Url,
        cause: FetchCause,
        parse: impl FnOnce(&[u8]) -> Result<T, KeyFetchError>,
    ) -> Result<T, KeyFetchError> {
        let cfg = &self.cfg;
        let span = tracing::info_span!(
            "key_fetch",
            document = document.name(),
            url = %display_url(url),
            cause = cause.name(),
            outcome = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = async {
            let body = get(
                &cfg.client,
                document,
                url,
                cfg.timeout,
                cfg.max_response_size,
            )
            .await?;
            parse(&body).map_err(|error| error.at(document, url))
        }
        .instrument(span.clone())
        .await;
        let elapsed = started.elapsed();
        let outcome = result.as_ref().map_or_else(|e| e.kind().name(), |_| "ok");
        span.record("outcome", outcome);
        span.in_scope(|| tracing::debug!(?elapsed, "key fetch done"));
        telemetry::fetch(document.name(), cause, outcome, elapsed);
        result
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzzing and unit tests only: a store with a fixed key set that never fetches.

#[cfg(any(test, fuzzing))]
impl KeyStore {
    /// A store that already holds `keys` and never fetches: the unknown-`kid` budget is spent
    /// and never refills, and no refresher is ever started. Lookups therefore never
    /// wait, so the validation future completes on its first poll, with or without a runtime.
    /// With neither a discovery URL nor a JWKS URI, even [`preload`](Self::preload) fails
    /// before any I/O.
    pub(crate) fn with_fixed_keys(keys: KeySet, client: reqwest::Client) -> Self {
        let now = Instant::now();
        let store = Self::new(FetchSettings {
            client,
            discovery_url: None,
            jwks_uri: None,
            issuer: String::new(),
            timeout: Duration::MAX,
            refresh_interval: Duration::MAX,
            unknown_kid_cooldown: Duration::MAX,
            retry_interval: Duration::MAX,
            max_key_set_age: Duration::MAX,
            max_response_size: 0,
        });
        let snapshot = Snapshot {
            set: keys,
            fetched_at: now,
        };
        store.inner.keys.store(Some(Arc::new(snapshot)));
        *lock(&store.inner.times) = FetchTimes {
            any: Some(now),
            kids: KidBudget::empty(now),
        };
        store.inner.refresher_started.store(true, Ordering::Release);
        store
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"a",
        "x":"FOXz4FJXE5650IrRVDU85hpGb54BlqgQGV9jpfOtkbSpMCFaaqqQzOC4Vo8w6VJ6",
        "y":"TN8SmqS3YzE_SBW3u3yAndMdWkXHp1M_pVidxifXP4LGO6z6yjzsDGNVaWtQzIox"}]}"#;

    fn first_poll<F: Future>(future: F) -> Poll<F::Output> {
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Outside any runtime (a fetch would panic in `tokio::spawn`), every lookup answers at
    /// once: the fixed store never fetches.
    #[test]
    fn a_fixed_store_never_fetches() {
        let keys = super::super::jwk::parse_jwks(JWKS.as_bytes()).unwrap();
        let store = KeyStore::with_fixed_keys(keys, reqwest::Client::new());
        let found = first_poll(store.key_for(Some("a"), Algorithm::Es384));
        assert!(matches!(found, Poll::Ready(Ok(key)) if key.kid.as_deref() == Some("a")));
        for (kid, alg, expected) in [
            (Some("b"), Algorithm::Es384, KeyError::UnknownKey),
            (Some("a"), Algorithm::Rs256, KeyError::AlgorithmMismatch),
            (None, Algorithm::Rs256, KeyError::UnknownKey),
        ] {
            let outcome = first_poll(store.key_for(kid, alg));
            assert!(
                matches!(outcome, Poll::Ready(Err(e)) if e == expected),
                "{kid:?}"
            );
        }
        assert_eq!(store.inner.attempts.load(Ordering::Relaxed), 0);
    }
}
