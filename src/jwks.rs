//! The key store: fetches the issuer's JWK set, caches it, refreshes it.
//!
//! Policy (see DESIGN.md, "Keys"):
//! - reads on the hot path are lock-free (`ArcSwapOption` snapshot);
//! - a background task refreshes the set every `refresh_interval` without blocking requests;
//! - an unknown `kid` causes one single-flight refetch, then a cooldown during which unknown
//!   `kid`s are rejected without fetching (the initial load and the timer start no cooldown);
//! - a failed or garbage fetch keeps the last good set (and logs a `warn`);
//! - while no set was ever loaded, fetch attempts are spaced by `retry_interval` and requests
//!   fail with [`AuthError::KeysUnavailable`].
//!
//! Nothing here knows about Axum.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use url::Url;

use crate::config::{FetchConfig, is_secure_url};
use crate::discovery::jwks_uri_from_discovery;
use crate::error::{AuthError, InvalidTokenReason};

/// Why the discovery document or the JWK set could not be loaded.
///
/// Returned by [`LogtoState::preload`](crate::LogtoState::preload) and logged at `warn` when a
/// background or on-demand fetch fails. Requests never see it: they get
/// [`AuthError::KeysUnavailable`] when no key set was ever loaded, and keep using the last good
/// set otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFetchError {
    /// The fetch took longer than the configured fetch timeout (default 5 s).
    Timeout,
    /// The connection failed, or the server closed it, or a redirect was refused (redirects
    /// to another host are never followed by the default client).
    Transport,
    /// The server answered with a status other than 2xx.
    Status(u16),
    /// The body is larger than the configured maximum response size (default 256 KiB).
    TooLarge,
    /// The body is not a discovery document / JWK set (not JSON, or fields missing).
    InvalidDocument,
    /// The discovery document's `issuer` is not exactly the configured issuer.
    IssuerMismatch,
    /// The discovery document's `jwks_uri` is plain http to a host that is not loopback.
    InsecureJwksUri,
    /// The JWK set holds no key this crate can use (EC P-256/P-384 or RSA, for signing).
    NoUsableKeys,
}

impl fmt::Display for KeyFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("the fetch timed out"),
            Self::Transport => f.write_str("the connection failed or a redirect was refused"),
            Self::Status(code) => write!(f, "the server answered with status {code}"),
            Self::TooLarge => f.write_str("the response is larger than the configured maximum"),
            Self::InvalidDocument => f.write_str("the response is not a valid document"),
            Self::IssuerMismatch => {
                f.write_str("the discovery document names another issuer than the configured one")
            }
            Self::InsecureJwksUri => f.write_str(
                "the discovered jwks_uri uses plain http to a host that is not loopback",
            ),
            Self::NoUsableKeys => f.write_str("the JWK set holds no usable signing key"),
        }
    }
}

impl std::error::Error for KeyFetchError {}

impl KeyFetchError {
    /// A timeout, or any other transport failure.
    fn from_reqwest(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else {
            Self::Transport
        }
    }
}

/// One verification key, with the one algorithm it is used with.
pub(crate) struct VerifyingKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A loaded JWK set.
#[derive(Debug)]
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

/// The outcome of looking a key up in one snapshot.
enum Lookup {
    Found(Arc<VerifyingKey>),
    /// A key with that `kid` exists but its algorithm is not the header's.
    AlgorithmMismatch,
    /// No key with that `kid` (or, without `kid`, not exactly one key fits).
    NotFound,
}

impl KeySet {
    fn lookup(&self, kid: Option<&str>, alg: &str) -> Lookup {
        match kid {
            Some(kid) => {
                let mut seen = false;
                for key in self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid)) {
                    seen = true;
                    if alg_name(key.alg) == alg {
                        return Lookup::Found(key.clone());
                    }
                }
                if seen {
                    Lookup::AlgorithmMismatch
                } else {
                    Lookup::NotFound
                }
            }
            None => {
                // Without a kid, only an unambiguous choice is safe.
                let mut fitting = self.keys.iter().filter(|k| alg_name(k.alg) == alg);
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => Lookup::Found(only.clone()),
                    _ => Lookup::NotFound,
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether both sets hold the same keys by kid and algorithm, in the same order.
    fn same_kids(&self, other: &KeySet) -> bool {
        self.keys.len() == other.keys.len()
            && self
                .keys
                .iter()
                .zip(&other.keys)
                .all(|(a, b)| a.kid == b.kid && a.alg == b.alg)
    }
}

/// The JOSE name of the algorithms this crate verifies.
pub(crate) fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        // Never bound to a key by `parse_jwk`.
        _ => "",
    }
}

/// Parses a JWK set. Keys this crate cannot or must not use are skipped with a `debug` log;
/// a set with no usable key at all is an error (so that a refresh that returns one keeps the
/// previous set).
pub(crate) fn parse_jwks(body: &[u8]) -> Result<KeySet, KeyFetchError> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<Value>,
    }
    let doc: Document = serde_json::from_slice(body).map_err(|_| KeyFetchError::InvalidDocument)?;
    let keys: Vec<Arc<VerifyingKey>> = doc
        .keys
        .iter()
        .enumerate()
        .filter_map(|(index, jwk)| match parse_jwk(jwk) {
            Ok(key) => Some(Arc::new(key)),
            Err(reason) => {
                let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or("");
                tracing::debug!(index, kid, reason, "skipping a JWK this crate cannot use");
                None
            }
        })
        .collect();
    if keys.is_empty() {
        return Err(KeyFetchError::NoUsableKeys);
    }
    Ok(KeySet { keys })
}

/// Smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

fn parse_jwk(jwk: &Value) -> Result<VerifyingKey, &'static str> {
    let obj = jwk.as_object().ok_or("not a JSON object")?;
    let text = |name: &str| -> Result<Option<&str>, &'static str> {
        match obj.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err("a member has the wrong JSON type"),
        }
    };
    let kid = text("kid")?.map(str::to_owned);
    if let Some(usage) = text("use")?
        && usage != "sig"
    {
        return Err("use is not sig");
    }
    if let Some(ops) = obj.get("key_ops") {
        let ops = ops.as_array().ok_or("key_ops is not an array")?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err("key_ops does not allow verify");
        }
    }
    let declared_alg = text("alg")?;
    let b64 = |name: &str| -> Result<Vec<u8>, &'static str> {
        let s = text(name)?.ok_or("a key parameter is missing")?;
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "a key parameter is not base64url")
    };
    match text("kty")?.ok_or("kty is missing")? {
        "EC" => {
            let (alg, size) = match text("crv")?.ok_or("crv is missing")? {
                "P-256" => (Algorithm::ES256, 32),
                "P-384" => (Algorithm::ES384, 48),
                _ => return Err("unsupported curve"),
            };
            if declared_alg.is_some_and(|a| a != alg_name(alg)) {
                return Err("alg does not fit the curve");
            }
            let (x, y) = (b64("x")?, b64("y")?);
            if x.len() != size || y.len() != size {
                return Err("a coordinate has the wrong length for the curve");
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            Ok(VerifyingKey {
                kid,
                alg,
                key: DecodingKey::from_ec_der(&point),
            })
        }
        "RSA" => {
            // Logto publishes RSA keys without `alg`; RS256 is what it signs with.
            let alg = match declared_alg.unwrap_or("RS256") {
                "RS256" => Algorithm::RS256,
                "RS384" => Algorithm::RS384,
                "RS512" => Algorithm::RS512,
                "PS256" => Algorithm::PS256,
                "PS384" => Algorithm::PS384,
                "PS512" => Algorithm::PS512,
                _ => return Err("alg does not fit an RSA key"),
            };
            let (n, e) = (b64("n")?, b64("e")?);
            let n_len = n.iter().skip_while(|b| **b == 0).count();
            let e_len = e.iter().skip_while(|b| **b == 0).count();
            if n_len < MIN_RSA_MODULUS_BYTES {
                return Err("the RSA modulus is shorter than 2048 bits");
            }
            if e_len == 0 || e_len > 8 {
                return Err("the RSA exponent is out of range");
            }
            Ok(VerifyingKey {
                kid,
                alg,
                key: DecodingKey::from_rsa_raw_components(&n, &e),
            })
        }
        _ => Err("unsupported kty"),
    }
}

/// When the last fetches completed.
#[derive(Debug, Default, Clone, Copy)]
struct FetchTimes {
    /// The last fetch of any kind (spaces attempts while no key set is loaded).
    any: Option<Instant>,
    /// The last fetch caused by an unknown `kid` (starts the cooldown). The initial load and
    /// the timer do not start a cooldown, so a key rotated in right after start-up is still
    /// found at once.
    unknown_kid: Option<Instant>,
}

/// Cheap to clone: the store is shared.
#[derive(Clone, Debug)]
pub(crate) struct KeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: FetchConfig,
    keys: ArcSwapOption<KeySet>,
    /// The JWKS URI found by discovery (or configured), once known.
    jwks_uri: OnceLock<Url>,
    /// Single flight: held for the whole of a fetch, by the task that runs it.
    fetch_lock: Arc<tokio::sync::Mutex<()>>,
    /// When fetches completed; locked only for a moment, never across an await.
    times: Mutex<FetchTimes>,
    /// Completed fetch attempts; a waiter that sees it change knows a fetch happened meanwhile.
    attempts: AtomicU64,
    refresher_started: AtomicBool,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("jwks_uri", &self.jwks_uri.get())
            .field(
                "loaded_keys",
                &self.keys.load().as_ref().map(|set| set.len()),
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
    pub(crate) fn new(cfg: FetchConfig) -> Self {
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
                times: Mutex::new(FetchTimes::default()),
                attempts: AtomicU64::new(0),
                refresher_started: AtomicBool::new(false),
            }),
        }
    }

    pub(crate) fn retry_interval(&self) -> std::time::Duration {
        self.inner.cfg.retry_interval
    }

    /// Fetches discovery (if needed) and the JWK set now. When a fetch is already in flight
    /// and loads a key set, that one counts instead of starting a second.
    pub(crate) async fn preload(&self) -> Result<(), KeyFetchError> {
        self.ensure_refresher();
        let seen = self.inner.attempts.load(Ordering::Acquire);
        let guard = self.inner.fetch_lock.clone().lock_owned().await;
        if self.inner.attempts.load(Ordering::Acquire) != seen && self.inner.keys.load().is_some() {
            return Ok(());
        }
        Inner::fetch_in_task(&self.inner, guard, false).await
    }

    /// Finds the key for a token header. `alg` is the header's `alg`, compared with the
    /// algorithm bound to the key.
    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
        alg: &str,
    ) -> Result<Arc<VerifyingKey>, AuthError> {
        // Read the attempt counter before the snapshot: if a fetch completes in between, the
        // refetch below sees a changed counter and does not fetch again.
        let seen = self.inner.attempts.load(Ordering::Acquire);
        if let Some(set) = self.inner.keys.load().as_ref() {
            match set.lookup(kid, alg) {
                Lookup::Found(key) => return Ok(key),
                Lookup::AlgorithmMismatch => {
                    return Err(InvalidTokenReason::AlgorithmMismatch.into());
                }
                // A token without `kid` names no new key: fetching cannot help.
                Lookup::NotFound if kid.is_none() => {
                    return Err(InvalidTokenReason::UnknownKey.into());
                }
                Lookup::NotFound => {}
            }
        }
        self.ensure_refresher();
        self.refetch_if_allowed(seen).await;
        match self.inner.keys.load().as_ref() {
            None => Err(AuthError::KeysUnavailable),
            Some(set) => match set.lookup(kid, alg) {
                Lookup::Found(key) => Ok(key),
                Lookup::AlgorithmMismatch => Err(InvalidTokenReason::AlgorithmMismatch.into()),
                Lookup::NotFound => {
                    tracing::debug!(kid, "no key with this kid in the issuer's JWK set");
                    Err(InvalidTokenReason::UnknownKey.into())
                }
            },
        }
    }

    /// Whether the cooldown (keys loaded) or the retry interval (no keys yet) since the last
    /// completed fetch forbids a new one.
    fn must_wait(&self, loaded: bool) -> bool {
        let times = *lock(&self.inner.times);
        let (last, wait) = if loaded {
            (times.unknown_kid, self.inner.cfg.unknown_kid_cooldown)
        } else {
            (times.any, self.inner.cfg.retry_interval)
        };
        last.is_some_and(|at| at.elapsed() < wait)
    }

    /// Single flight: the first caller fetches; callers queued behind it see that a fetch
    /// happened and only re-read the snapshot. Then a cooldown (keys loaded) or the retry
    /// interval (no keys yet) spaces further fetches.
    async fn refetch_if_allowed(&self, seen: u64) {
        // Checked before waiting for the lock too, so that requests inside the cooldown or the
        // retry interval answer at once instead of queueing behind a fetch in flight.
        if self.must_wait(self.inner.keys.load().is_some()) {
            tracing::debug!("key fetch skipped: inside the cooldown");
            return;
        }
        let guard = self.inner.fetch_lock.clone().lock_owned().await;
        if self.inner.attempts.load(Ordering::Acquire) != seen {
            return;
        }
        let loaded = self.inner.keys.load().is_some();
        if self.must_wait(loaded) {
            return;
        }
        let _ = Inner::fetch_in_task(&self.inner, guard, loaded).await;
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
        if self.inner.refresher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let interval = self.inner.cfg.refresh_interval;
        handle.spawn(async move {
            let _running = RefresherRunning(weak.clone());
            loop {
                tokio::time::sleep(interval).await;
                let Some(inner) = weak.upgrade() else { break };
                let _guard = inner.fetch_lock.lock().await;
                tracing::debug!("refreshing the JWK set on the timer");
                let _ = inner.fetch_and_record(false).await;
            }
        });
    }
}

/// Locks a std mutex, ignoring poisoning: used only for plain data that every writer leaves
/// consistent (fetch times here, the test issuer's keys and faults).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Inner {
    /// Runs one fetch in a task of its own that owns the single-flight guard: a caller that is
    /// cancelled (a timeout layer, a client that goes away) does not cancel the fetch, and the
    /// fetch's outcome and times are always recorded.
    async fn fetch_in_task(
        inner: &Arc<Inner>,
        guard: tokio::sync::OwnedMutexGuard<()>,
        unknown_kid: bool,
    ) -> Result<(), KeyFetchError> {
        let inner = inner.clone();
        let task = tokio::spawn(async move {
            let outcome = inner.fetch_and_record(unknown_kid).await;
            drop(guard);
            outcome
        });
        // The task only ends early if the runtime shuts down.
        task.await.unwrap_or(Err(KeyFetchError::Transport))
    }

    /// Fetches and stores a new key set, then records when the fetch completed. The caller
    /// holds `fetch_lock`.
    async fn fetch_and_record(&self, unknown_kid: bool) -> Result<(), KeyFetchError> {
        let result = self.fetch_key_set().await;
        let outcome = match result {
            Ok(set) => {
                let previous = self.keys.load();
                let unchanged = previous.as_ref().is_some_and(|old| old.same_kids(&set));
                if unchanged {
                    tracing::debug!(keys = set.len(), "JWK set refreshed, unchanged");
                } else {
                    let kids: Vec<&str> =
                        set.keys.iter().filter_map(|k| k.kid.as_deref()).collect();
                    tracing::info!(keys = set.len(), ?kids, "loaded the issuer's JWK set");
                }
                self.keys.store(Some(Arc::new(set)));
                Ok(())
            }
            Err(error) => {
                if self.keys.load().is_some() {
                    tracing::warn!(%error, "JWK set fetch failed; keeping the previous key set");
                } else {
                    tracing::warn!(%error, "JWK set fetch failed; no key set is loaded yet");
                }
                Err(error)
            }
        };
        let now = Instant::now();
        {
            let mut times = lock(&self.times);
            times.any = Some(now);
            if unknown_kid {
                times.unknown_kid = Some(now);
            }
        }
        self.attempts.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    async fn fetch_key_set(&self) -> Result<KeySet, KeyFetchError> {
        let jwks_uri = match self.jwks_uri.get() {
            Some(uri) => uri.clone(),
            None => {
                // `discovery_url` is `None` only when `jwks_uri` was configured, and then the
                // OnceLock was filled in `KeyStore::new`.
                let Some(discovery_url) = &self.cfg.discovery_url else {
                    return Err(KeyFetchError::InvalidDocument);
                };
                let body = self.get(discovery_url).await?;
                let uri = jwks_uri_from_discovery(&body, &self.cfg.issuer)?;
                tracing::debug!(%uri, "discovered the JWKS URI");
                self.jwks_uri.get_or_init(|| uri).clone()
            }
        };
        let body = self.get(&jwks_uri).await?;
        parse_jwks(&body)
    }

    /// GET with the fetch timeout over the whole exchange and a cap on the body size.
    async fn get(&self, url: &Url) -> Result<Vec<u8>, KeyFetchError> {
        let max = self.cfg.max_response_size;
        let exchange = async {
            let mut response = self
                .cfg
                .client
                .get(url.clone())
                .header(http::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|error| {
                    tracing::debug!(%url, %error, "key fetch request failed");
                    KeyFetchError::from_reqwest(&error)
                })?;
            // A client supplied by the user follows its own redirect policy: whatever it
            // followed, the answer must come from the host asked, over https or loopback.
            let landed = response.url();
            if landed.host() != url.host()
                || landed.port_or_known_default() != url.port_or_known_default()
                || !is_secure_url(landed)
            {
                tracing::debug!(%url, %landed, "key fetch was redirected elsewhere");
                return Err(KeyFetchError::Transport);
            }
            let status = response.status();
            if !status.is_success() {
                return Err(KeyFetchError::Status(status.as_u16()));
            }
            if response
                .content_length()
                .is_some_and(|len| len > max as u64)
            {
                return Err(KeyFetchError::TooLarge);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|error| {
                tracing::debug!(%url, %error, "key fetch body failed");
                KeyFetchError::from_reqwest(&error)
            })? {
                if body.len() + chunk.len() > max {
                    return Err(KeyFetchError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        tokio::time::timeout(self.cfg.timeout, exchange)
            .await
            .unwrap_or(Err(KeyFetchError::Timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC384_X: &str = "ibZSQ1wNjjG5qhw3MNSjCvVqmfCLYHYkSdyU8Gm-dsDhuxVEl-DA-7tQpyiAlIB3";
    const EC384_Y: &str = "pxSgNzyeO5kEs6J2Itg45d_JRsiM4ypjK2vIQcxNBfcJ9TdnEXaXOj4BVAXkcZyt";

    fn ec384(extra: &str) -> String {
        format!(r#"{{"kty":"EC","crv":"P-384","x":"{EC384_X}","y":"{EC384_Y}"{extra}}}"#)
    }

    fn rsa(bits: usize, extra: &str) -> String {
        let n = URL_SAFE_NO_PAD.encode(vec![0xc5u8; bits / 8]);
        format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"{extra}}}"#)
    }

    fn jwks_doc(keys: &[String]) -> Vec<u8> {
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
    }

    #[test]
    fn binds_one_algorithm_per_key() {
        let set = parse_jwks(&jwks_doc(&[
            ec384(r#","kid":"ec""#),
            rsa(2048, r#","kid":"rsa""#),
            rsa(2048, r#","kid":"ps","alg":"PS256""#),
        ]))
        .unwrap();
        assert_eq!(set.len(), 3);
        let algs: Vec<_> = set
            .keys
            .iter()
            .map(|k| (k.kid.clone().unwrap(), k.alg))
            .collect();
        assert_eq!(
            algs,
            [
                ("ec".to_owned(), Algorithm::ES384),
                ("rsa".to_owned(), Algorithm::RS256),
                ("ps".to_owned(), Algorithm::PS256)
            ]
        );
    }

    #[test]
    fn skips_keys_it_must_not_use() {
        let skipped = [
            ec384(r#","use":"enc""#),
            ec384(r#","key_ops":["encrypt"]"#),
            ec384(r#","alg":"ES256""#),
            ec384(r#","kid":7"#),
            r#"{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}"#.to_owned(),
            r#"{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}"#.to_owned(),
            r#"{"kty":"EC","crv":"P-384","x":"!!!","y":"AAAA"}"#.to_owned(),
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
                .to_owned(),
            r#"{"kty":"oct","k":"c2VjcmV0"}"#.to_owned(),
            rsa(1024, ""),
            rsa(2048, r#","alg":"HS256""#),
            r#""not an object""#.to_owned(),
        ];
        for bad in &skipped {
            assert_eq!(
                parse_jwks(&jwks_doc(std::slice::from_ref(bad))).unwrap_err(),
                KeyFetchError::NoUsableKeys,
                "{bad}"
            );
        }
        // One bad key does not spoil the set.
        let mut mixed = skipped.to_vec();
        mixed.push(ec384(r#","kid":"good","use":"sig","key_ops":["verify"]"#));
        let set = parse_jwks(&jwks_doc(&mixed)).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys[0].kid.as_deref(), Some("good"));
    }

    #[test]
    fn garbage_is_an_invalid_document() {
        for body in [&b"<html>"[..], b"{}", br#"{"keys":{}}"#, b""] {
            assert_eq!(
                parse_jwks(body).unwrap_err(),
                KeyFetchError::InvalidDocument
            );
        }
    }

    #[test]
    fn lookup_by_kid_and_without() {
        let set = parse_jwks(&jwks_doc(&[
            ec384(r#","kid":"a""#),
            rsa(2048, r#","kid":"b""#),
        ]))
        .unwrap();
        assert!(
            matches!(set.lookup(Some("a"), "ES384"), Lookup::Found(k) if k.kid.as_deref() == Some("a"))
        );
        assert!(matches!(
            set.lookup(Some("a"), "ES256"),
            Lookup::AlgorithmMismatch
        ));
        assert!(matches!(
            set.lookup(Some("a"), "none"),
            Lookup::AlgorithmMismatch
        ));
        assert!(matches!(
            set.lookup(Some("a"), "HS256"),
            Lookup::AlgorithmMismatch
        ));
        assert!(matches!(set.lookup(Some("c"), "ES384"), Lookup::NotFound));
        // Without kid: exactly one key fits the algorithm.
        assert!(
            matches!(set.lookup(None, "RS256"), Lookup::Found(k) if k.kid.as_deref() == Some("b"))
        );
        assert!(matches!(set.lookup(None, "PS256"), Lookup::NotFound));
        let two = parse_jwks(&jwks_doc(&[ec384(r#","kid":"a""#), ec384(r#","kid":"b""#)])).unwrap();
        assert!(matches!(two.lookup(None, "ES384"), Lookup::NotFound));
    }
}
