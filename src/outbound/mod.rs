//! Calling other APIs: [`LogtoClient`], the tenant's token endpoint as this API's application —
//! client credentials (the application itself) and RFC 8693 token exchange (on behalf of the
//! caller) — with a cache that renews ahead and asks once however many tasks wait.
//!
//! - `request`: [`TokenRequest`], what a token is asked for;
//! - `token`: [`AccessToken`], what comes back;
//! - `endpoint`: one request to the endpoint, retried when it may pass;
//! - `subject`: [`SubjectToken`], the caller's verified token, handed to the exchange only;
//! - `error`: [`TokenRequestError`].

mod endpoint;
mod error;
mod request;
mod subject;
mod token;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use equivalent::Equivalent;
use quick_cache::sync::Cache;

pub use error::{TokenRequestError, TokenRequestErrorKind};
pub use request::TokenRequest;
pub use subject::SubjectToken;
pub use token::AccessToken;

use endpoint::Endpoint;

use crate::keys::default_client;
use crate::settings::DEFAULT_FETCH_TIMEOUT;
use crate::state::{ConfigError, LogtoState, endpoint_url, parse_url};
use crate::telemetry;

/// Default of [`LogtoClientBuilder::expiry_skew`]: 30 seconds.
const DEFAULT_SKEW: Duration = Duration::from_secs(30);
/// Default of [`LogtoClientBuilder::renew_ahead`]: 5 minutes.
const DEFAULT_RENEW_AHEAD: Duration = Duration::from_secs(300);
/// Default of [`LogtoClientBuilder::max_cached_tokens`].
const DEFAULT_MAX_CACHED: usize = 1024;
/// The grant type of RFC 8693.
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The type of a subject token that is an access token (RFC 8693 §3).
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A token cached per grant and request: as the application, or for one subject token.
#[derive(Clone)]
enum Key {
    App(TokenRequest),
    /// The subject token's identity (its `sub`, `jti` and `exp`: two strings of one token,
    /// malleated, are one), never the token itself.
    OnBehalf {
        sub: String,
        jti: String,
        exp: i64,
        request: TokenRequest,
    },
}

/// A [`Key`] as a caller holds it: a cached token is found without copying the request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyRef<'a> {
    App(&'a TokenRequest),
    OnBehalf {
        sub: &'a str,
        jti: &'a str,
        exp: i64,
        request: &'a TokenRequest,
    },
}

impl Key {
    fn borrowed(&self) -> KeyRef<'_> {
        match self {
            Self::App(request) => KeyRef::App(request),
            Self::OnBehalf {
                sub,
                jti,
                exp,
                request,
            } => KeyRef::OnBehalf {
                sub,
                jti,
                exp: *exp,
                request,
            },
        }
    }
}

impl KeyRef<'_> {
    fn to_key(self) -> Key {
        match self {
            Self::App(request) => Key::App(request.clone()),
            Self::OnBehalf {
                sub,
                jti,
                exp,
                request,
            } => Key::OnBehalf {
                sub: sub.to_owned(),
                jti: jti.to_owned(),
                exp,
                request: request.clone(),
            },
        }
    }
}

// A key and its borrowed form hash alike: one definition for both.
impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::App(request) => {
                0u8.hash(state);
                request.hash(state);
            }
            Self::OnBehalf {
                sub,
                jti,
                exp,
                request,
            } => {
                1u8.hash(state);
                sub.hash(state);
                jti.hash(state);
                exp.hash(state);
                request.hash(state);
            }
        }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.borrowed().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.borrowed() == other.borrowed()
    }
}

impl Eq for Key {}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *self == key.borrowed()
    }
}

/// One cached token and the single flight that renews it.
#[derive(Default)]
struct Slot {
    cached: ArcSwapOption<Cached>,
    /// How many fetches ended, failed or not.
    fetches: AtomicU64,
    fetch: Arc<tokio::sync::Mutex<Flight>>,
}

/// What the single flight remembers of its last fetch when it failed: the tasks that waited
/// for it get its error instead of asking again, and a failed renewal is not retried at
/// once by the next cache hit.
#[derive(Default)]
struct Flight {
    failed: Option<Failure>,
}

struct Failure {
    /// The slot's `fetches` once this one had ended.
    fetch: u64,
    at: Instant,
    error: TokenRequestError,
}

/// How long after a failed background renewal the next may start.
const RENEWAL_RETRY: Duration = Duration::from_secs(5);

/// A token, until when it is served (its expiry less the skew, or earlier), and from when it
/// is renewed in the background.
struct Cached {
    token: AccessToken,
    until: Instant,
    renew_from: Instant,
}

/// What the cache holds, and how.
struct Shared {
    endpoint: Endpoint,
    /// The endpoint the client was built for (the Management API's indicator derives from it).
    tenant: String,
    skew: Duration,
    renew_ahead: Duration,
    slots: Cache<Key, Arc<Slot>>,
}

/// Tokens from the tenant's token endpoint, as this API's Logto application: to call the
/// Management API or another API of the tenant as itself ([`token`](Self::token): client
/// credentials), or on behalf of the caller ([`exchange`](Self::exchange): RFC 8693 token
/// exchange). Cheap to clone (one `Arc`).
///
/// Tokens are cached per request until their expiry less a skew (30 s), renewed in the
/// background once they have less than 5 minutes left (callers are served the current token
/// meanwhile), and asked for once however many tasks want one at the same time. A 5xx or a
/// timeout is retried (twice, with backoff), a refusal (4xx) is not. The application's
/// secret is never logged nor shown by `Debug`, nor are tokens. `build()` does no I/O.
///
/// ```no_run
/// use axum_logto::{LogtoClient, TokenRequest};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = LogtoClient::builder("https://my-tenant.logto.app", "app-id", "app-secret")
///     .build()?;
/// let token = client
///     .token(&TokenRequest::resource("https://reports.example.com").scopes(["read:reports"]))
///     .await?;
/// let reports = axum_logto::reqwest::Client::new()
///     .get("https://reports.example.com/reports")
///     .bearer_auth(token.secret())
///     .send()
///     .await?;
/// # let _ = reports; Ok(()) }
/// ```
#[derive(Clone)]
pub struct LogtoClient {
    shared: Arc<Shared>,
}

impl fmt::Debug for LogtoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogtoClient")
            .field("token_endpoint", &self.shared.endpoint.url)
            .field("app_id", &self.shared.endpoint.app_id)
            .field("cached_tokens", &self.shared.slots.len())
            .finish_non_exhaustive()
    }
}

/// Builds a [`LogtoClient`]; made by [`LogtoClient::builder`].
#[must_use = "a builder does nothing until `.build()` is called"]
pub struct LogtoClientBuilder {
    endpoint: String,
    app_id: String,
    app_secret: String,
    token_endpoint: Option<String>,
    client: Option<reqwest::Client>,
    timeout: Duration,
    skew: Duration,
    renew_ahead: Duration,
    max_cached: usize,
}

impl fmt::Debug for LogtoClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogtoClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("app_id", &self.app_id)
            .field("token_endpoint", &self.token_endpoint)
            .field("timeout", &self.timeout)
            .field("expiry_skew", &self.skew)
            .field("renew_ahead", &self.renew_ahead)
            .field("max_cached_tokens", &self.max_cached)
            .finish_non_exhaustive()
    }
}

impl LogtoClient {
    /// A client for the Logto `endpoint` (as for
    /// [`LogtoState::builder`](crate::LogtoState::builder)) as the application `app_id` with
    /// its secret `app_secret`: a machine-to-machine application for [`token`](Self::token),
    /// one allowed to exchange tokens for [`exchange`](Self::exchange).
    pub fn builder(
        endpoint: impl Into<String>,
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> LogtoClientBuilder {
        LogtoClientBuilder {
            endpoint: endpoint.into(),
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            token_endpoint: None,
            client: None,
            timeout: DEFAULT_FETCH_TIMEOUT,
            skew: DEFAULT_SKEW,
            renew_ahead: DEFAULT_RENEW_AHEAD,
            max_cached: DEFAULT_MAX_CACHED,
        }
    }

    /// A client for the tenant whose tokens `logto` validates: the token endpoint of its issuer
    /// (`<issuer>/token`, where Logto serves it, behind a custom domain too), as the
    /// application `app_id` with its secret `app_secret`. The same as [`builder`](Self::builder)
    /// with the state's endpoint otherwise.
    ///
    /// ```
    /// use axum_logto::{LogtoClient, LogtoState};
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .build()
    ///     .unwrap();
    /// let client = LogtoClient::builder_for(&logto, "app-id", "app-secret").build().unwrap();
    /// assert_eq!(client.token_endpoint(), "https://my-tenant.logto.app/oidc/token");
    /// ```
    pub fn builder_for(
        logto: &LogtoState,
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> LogtoClientBuilder {
        let issuer = logto.issuer();
        let endpoint = issuer.strip_suffix("/oidc").unwrap_or(issuer);
        Self::builder(endpoint, app_id, app_secret).token_endpoint(format!("{issuer}/token"))
    }

    /// The token endpoint asked.
    pub fn token_endpoint(&self) -> &str {
        &self.shared.endpoint.url
    }

    /// The application's id (`client_id`).
    pub fn app_id(&self) -> &str {
        &self.shared.endpoint.app_id
    }

    /// A token as the application itself (client credentials): for the Management API (see
    /// [`management_api`](Self::management_api)) or another API of the tenant. Cached per
    /// request.
    ///
    /// # Errors
    ///
    /// [`TokenRequestError`] naming the endpoint and what Logto answered.
    pub async fn token(&self, request: &TokenRequest) -> Result<AccessToken, TokenRequestError> {
        let form = || {
            let mut form = vec![("grant_type", "client_credentials".to_owned())];
            form.extend(request.form());
            form
        };
        self.cached(KeyRef::App(request), "client_credentials", form, || None)
            .await
    }

    /// A token for `request` on behalf of the caller whose verified token is `subject` (RFC
    /// 8693 token exchange): the new token keeps the caller as `sub`, and Logto names this
    /// application in its `client_id` (in Logto 1.37, `act` comes only with an actor token).
    /// Cached per subject token and request, never longer than the subject token lives.
    ///
    /// Logto takes access tokens as subject tokens only when token exchange is on for the
    /// application (and, self-hosted 1.37, `ACCESS_TOKEN_EXCHANGE_ENABLED=1` in core's
    /// environment); pass the caller's token on, never the token itself, to the next API
    /// (MCP's authorization spec forbids passing it through, and the next API's audience check
    /// refuses it).
    ///
    /// # Errors
    ///
    /// [`TokenRequestError`] naming the endpoint and what Logto answered (`invalid_grant` for
    /// a subject token it does not take).
    pub async fn exchange(
        &self,
        subject: &SubjectToken,
        request: &TokenRequest,
    ) -> Result<AccessToken, TokenRequestError> {
        let form = || {
            let mut form = vec![
                ("grant_type", TOKEN_EXCHANGE.to_owned()),
                ("subject_token", subject.secret().to_owned()),
                ("subject_token_type", ACCESS_TOKEN_TYPE.to_owned()),
            ];
            form.extend(request.form());
            form
        };
        let Some(jti) = subject.jti() else {
            // No `jti`: nothing to cache it by.
            return self.fetch("token_exchange", "uncached", &form()).await;
        };
        let key = KeyRef::OnBehalf {
            sub: subject.sub(),
            jti,
            exp: subject.exp(),
            request,
        };
        self.cached(key, "token_exchange", form, || Some(subject.expires()))
            .await
    }

    /// What to ask for a token of the Management API with (`all` scopes): its resource
    /// indicator is `https://<tenant-id>.logto.app/api` on Logto Cloud (taken from an endpoint
    /// at `<tenant-id>.logto.app`), `https://default.logto.app/api` for the default tenant of
    /// a self-hosted Logto (any other endpoint). Behind a custom domain on Logto Cloud, build
    /// it yourself: `TokenRequest::resource("https://<tenant-id>.logto.app/api")`. The
    /// application needs the role "Logto Management API access" (a machine-to-machine role).
    pub fn management_api(&self) -> TokenRequest {
        TokenRequest::resource(management_api_resource(&self.shared.tenant)).scopes(["all"])
    }

    /// The cached token for `key`, renewed ahead of its expiry; fetched once however many
    /// tasks ask at the same time. `form` (the request's body) and `cap` (the subject token's
    /// expiry) are worked out only when a token is fetched.
    async fn cached(
        &self,
        key: KeyRef<'_>,
        grant: &'static str,
        form: impl FnOnce() -> Vec<(&'static str, String)>,
        cap: impl FnOnce() -> Option<Instant>,
    ) -> Result<AccessToken, TokenRequestError> {
        // A hit copies nothing: the key is borrowed, the token an `Arc`.
        let slot = match self.shared.slots.get(&key) {
            Some(slot) => slot,
            // One slot per key, made atomically (the wait, if any, is for an `Arc::new`).
            None => match self.shared.slots.get_or_insert_with(&key.to_key(), || {
                Ok::<_, std::convert::Infallible>(Arc::new(Slot::default()))
            }) {
                Ok(slot) => slot,
                Err(never) => match never {},
            },
        };
        let now = Instant::now();
        if let Some((token, renew_from)) = fresh(&slot, now) {
            telemetry::outbound_cache_hit(grant);
            if now >= renew_from {
                self.renew_in_background(&slot, grant, form(), cap());
            }
            return Ok(token);
        }
        // Single flight: the first fetches, the others wait and then find its token, or its
        // error (they do not ask again for a token it could not get).
        let seen = slot.fetches.load(Ordering::Acquire);
        let mut flight = slot.fetch.lock().await;
        if let Some((token, _)) = fresh(&slot, Instant::now()) {
            telemetry::outbound_cache_hit(grant);
            return Ok(token);
        }
        if let Some(failure) = &flight.failed
            && failure.fetch > seen
        {
            return Err(failure.error.clone());
        }
        let result = self.fetch(grant, "miss", &form()).await;
        flight.failed = None;
        let fetch = slot.fetches.fetch_add(1, Ordering::AcqRel) + 1;
        match result {
            Ok(token) => {
                self.store(&slot, &token, cap());
                Ok(token)
            }
            Err(error) => {
                flight.failed = Some(Failure {
                    fetch,
                    at: Instant::now(),
                    error: error.clone(),
                });
                Err(error)
            }
        }
    }

    /// Keeps `token` in `slot` until its expiry less the skew (and `cap`, the subject
    /// token's expiry, less the skew), and renews it from `renew_ahead` before its expiry. For
    /// a token that lives less than four times the skew, the skew is a quarter of its
    /// lifetime, and renewal starts at half of it at the latest: a short-lived token is still
    /// served from the cache.
    fn store(&self, slot: &Slot, token: &AccessToken, cap: Option<Instant>) {
        let now = Instant::now();
        let expires = token.expires();
        let lifetime = expires.saturating_duration_since(now);
        let skew = self.shared.skew.min(lifetime / 4);
        let ahead = self.shared.renew_ahead.min(lifetime / 2);
        let before = |at: Instant, by: Duration| at.checked_sub(by).unwrap_or(now);
        let until = before(cap.map_or(expires, |cap| expires.min(cap)), skew);
        slot.cached.store(Some(Arc::new(Cached {
            token: token.clone(),
            until,
            renew_from: before(expires, ahead),
        })));
    }

    /// Renews the slot's token in a task of its own, unless a fetch is under way.
    fn renew_in_background(
        &self,
        slot: &Arc<Slot>,
        grant: &'static str,
        form: Vec<(&'static str, String)>,
        cap: Option<Instant>,
    ) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Ok(mut flight) = slot.fetch.clone().try_lock_owned() else {
            return;
        };
        if flight
            .failed
            .as_ref()
            .is_some_and(|failure| failure.at.elapsed() < RENEWAL_RETRY)
        {
            return;
        }
        let (client, slot) = (self.clone(), slot.clone());
        handle.spawn(async move {
            telemetry::outbound_renewal();
            let result = client.fetch(grant, "renewal", &form).await;
            let fetch = slot.fetches.fetch_add(1, Ordering::AcqRel) + 1;
            match result {
                Ok(token) => {
                    flight.failed = None;
                    client.store(&slot, &token, cap);
                }
                // The current token is still served; callers do not see this error.
                Err(error) => {
                    flight.failed = Some(Failure {
                        fetch,
                        at: Instant::now(),
                        error,
                    });
                }
            }
        });
    }

    /// One token request, counted by why it was made (`cause`: `miss`, `renewal`,
    /// `uncached`) and, when it fails, logged in one line.
    async fn fetch(
        &self,
        grant: &'static str,
        cause: &'static str,
        form: &[(&'static str, String)],
    ) -> Result<AccessToken, TokenRequestError> {
        let result = self.shared.endpoint.request(form).await;
        match &result {
            Ok(_) => telemetry::outbound_request(grant, cause, "ok"),
            Err(error) => {
                telemetry::outbound_request(grant, cause, error.name());
                tracing::warn!(grant, cause, "{error}");
            }
        }
        result
    }
}

impl LogtoClientBuilder {
    /// The token endpoint. Default: `<endpoint>/oidc/token`, Logto's.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// Uses your own `reqwest::Client` (see
    /// [`LogtoStateBuilder::http_client`](crate::LogtoStateBuilder::http_client) for the
    /// version to build it with). Default: the crate's rustls client, which follows no
    /// redirect. Build yours with `redirect(reqwest::redirect::Policy::none())` too: each
    /// request carries the application's secret, and an exchange the caller's token.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Time limit for one token request, its retries apart. Default: 5 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long before its expiry a cached token stops being served (a token sent just
    /// before it expires may expire on its way). At most a quarter of the token's lifetime,
    /// so that a short-lived token is still cached. Default: 30 seconds.
    pub fn expiry_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// When a cached token has less than this left, it is renewed in the background (callers
    /// get the current one meanwhile, and do not wait; a failed renewal is tried again 5
    /// seconds later at the soonest). At most half of the token's lifetime. Default: 5
    /// minutes.
    pub fn renew_ahead(mut self, ahead: Duration) -> Self {
        self.renew_ahead = ahead;
        self
    }

    /// How many tokens are cached at most (one per request, and per caller for exchanges);
    /// past it the least used are dropped, and asked for again when needed. Default: 1,024.
    pub fn max_cached_tokens(mut self, count: usize) -> Self {
        self.max_cached = count;
        self
    }

    /// Checks the configuration and builds the client. Does no network I/O.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the endpoint or the token endpoint is not an https (or loopback
    /// http) URL, the application id or secret is empty, a limit is zero, or the default
    /// HTTP client cannot be built.
    pub fn build(self) -> Result<LogtoClient, ConfigError> {
        let endpoint = endpoint_url(&self.endpoint)?;
        let tenant = endpoint.as_str().trim_end_matches('/').to_owned();
        let url = match &self.token_endpoint {
            Some(url) => parse_url(url, "token_endpoint")?.to_string(),
            None => format!("{tenant}/oidc/token"),
        };
        if self.app_id.is_empty() || self.app_secret.is_empty() {
            return Err(ConfigError::MissingApplication);
        }
        for (what, zero) in [
            ("timeout", self.timeout.is_zero()),
            ("max_cached_tokens", self.max_cached == 0),
        ] {
            if zero {
                return Err(ConfigError::InvalidLimit { what });
            }
        }
        let client = match self.client {
            Some(client) => client,
            None => default_client().map_err(|_| ConfigError::HttpClient)?,
        };
        Ok(LogtoClient {
            shared: Arc::new(Shared {
                endpoint: Endpoint {
                    url,
                    client,
                    app_id: self.app_id,
                    app_secret: self.app_secret,
                    timeout: self.timeout,
                },
                tenant,
                skew: self.skew,
                renew_ahead: self.renew_ahead,
                slots: Cache::new(self.max_cached),
            }),
        })
    }
}

/// The slot's token, while it may be served at `now`.
/// The slot's token if it is still served at `now`, and when its renewal is due.
fn fresh(slot: &Slot, now: Instant) -> Option<(AccessToken, Instant)> {
    let cached = slot.cached.load();
    cached
        .as_ref()
        .filter(|cached| now < cached.until)
        .map(|cached| (cached.token.clone(), cached.renew_from))
}

/// The Management API's resource indicator for the tenant at `endpoint`.
fn management_api_resource(endpoint: &str) -> String {
    let host = url::Url::parse(endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    match host.strip_suffix(".logto.app") {
        Some(tenant) if !tenant.is_empty() && !tenant.contains('.') => {
            format!("https://{tenant}.logto.app/api")
        }
        _ => "https://default.logto.app/api".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_management_api_of_each_kind_of_tenant() {
        assert_eq!(
            management_api_resource("https://abc123.logto.app"),
            "https://abc123.logto.app/api"
        );
        for self_hosted in [
            "http://localhost:3001",
            "https://auth.example.com",
            "https://logto.app",
        ] {
            assert_eq!(
                management_api_resource(self_hosted),
                "https://default.logto.app/api"
            );
        }
    }
}
