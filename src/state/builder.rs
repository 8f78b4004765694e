//! [`LogtoStateBuilder`]: every option with its default, and the checks `build()` makes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::{ConfigError, LogtoState};
use crate::credentials::TokenSources;
use crate::keys::{KeyStore, default_client};
use crate::metadata::{Published, ResourceMetadata};
use crate::rejection::{AuthRejection, RejectionContext, RejectionHook, is_quotable_realm};
use crate::revocation::{RevocationStore, Revocations};
use crate::scope::{Scope, ScopeHierarchy, ScopeSet};
use crate::settings::{
    DEFAULT_FETCH_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_MAX_KEY_SET_AGE, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_TOKEN_SIZE, DEFAULT_REFRESH_INTERVAL, DEFAULT_RETRY_INTERVAL,
    DEFAULT_UNKNOWN_KID_COOLDOWN, DEFAULT_VERIFIED_CACHE_BYTES, FetchSettings, MAX_LEEWAY,
    MIN_TIMING, ValidationSettings, is_secure_url,
};
use crate::token::Validator;

/// The longest lifetime Logto gives an access token (an API resource's "token expiration
/// time" is at most a day): how long a revocation rule lives past its moment, unless
/// [`LogtoStateBuilder::max_token_lifetime`] bounds tokens more tightly.
const MAX_LOGTO_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Builds a [`LogtoState`]; made by [`LogtoState::builder`].
///
/// Every option has a default; only the endpoint and (for API resources) one audience are
/// needed. [`build`](Self::build) checks the configuration and does no network I/O.
///
/// ```
/// use std::time::Duration;
/// use axum_logto::LogtoState;
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .leeway(Duration::from_secs(30))
///     .refresh_interval(Duration::from_secs(300))
///     .build()
///     .expect("valid configuration");
/// # let _ = logto;
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until `.build()` is called"]
pub struct LogtoStateBuilder {
    endpoint: String,
    audiences: Vec<String>,
    org_tokens_only: bool,
    leeway: Duration,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    client: Option<reqwest::Client>,
    additional_issuers: Vec<String>,
    allow_org_level_tokens: bool,
    fetch_timeout: Duration,
    refresh_interval: Duration,
    unknown_kid_cooldown: Duration,
    retry_interval: Duration,
    max_key_set_age: Duration,
    verified_cache_bytes: usize,
    allowed_clients: Option<Vec<String>>,
    sources: TokenSources,
    metadata: Option<ResourceMetadata>,
    max_token_size: usize,
    max_response_size: usize,
    realm: Option<String>,
    hook: Option<RejectionHook>,
    max_token_lifetime: Option<Duration>,
    revocation_store: Option<Arc<dyn RevocationStore>>,
    revocations_fail_closed: bool,
    scope_hierarchy: ScopeHierarchy,
}

impl fmt::Debug for LogtoStateBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogtoStateBuilder")
            .field("endpoint", &self.endpoint)
            .field("audiences", &self.audiences)
            .field("org_tokens_only", &self.org_tokens_only)
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("additional_issuers", &self.additional_issuers)
            .field("allow_org_level_tokens", &self.allow_org_level_tokens)
            .field("jwks_uri", &self.jwks_uri)
            .field("custom_client", &self.client.is_some())
            .field("fetch_timeout", &self.fetch_timeout)
            .field("refresh_interval", &self.refresh_interval)
            .field("unknown_kid_cooldown", &self.unknown_kid_cooldown)
            .field("retry_interval", &self.retry_interval)
            .field("max_key_set_age", &self.max_key_set_age)
            .field("verified_token_cache_size", &self.verified_cache_bytes)
            .field("allowed_clients", &self.allowed_clients)
            .field("token_from_cookie", &self.sources.cookie)
            .field("token_from_query", &self.sources.query)
            .field("resource_metadata", &self.metadata)
            .field("max_token_size", &self.max_token_size)
            .field("max_response_size", &self.max_response_size)
            .field("realm", &self.realm)
            .field("on_rejection", &self.hook.is_some())
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field("revocation_store", &self.revocation_store)
            .field("revocations_fail_closed", &self.revocations_fail_closed)
            .field("scope_implies", &self.scope_hierarchy)
            .finish()
    }
}

impl LogtoStateBuilder {
    /// A builder for `endpoint` with every option at its default; see [`LogtoState::builder`].
    pub(crate) fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            audiences: Vec::new(),
            org_tokens_only: false,
            leeway: DEFAULT_LEEWAY,
            issuer: None,
            additional_issuers: Vec::new(),
            allow_org_level_tokens: false,
            jwks_uri: None,
            client: None,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            unknown_kid_cooldown: DEFAULT_UNKNOWN_KID_COOLDOWN,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            max_key_set_age: DEFAULT_MAX_KEY_SET_AGE,
            verified_cache_bytes: DEFAULT_VERIFIED_CACHE_BYTES,
            allowed_clients: None,
            sources: TokenSources::default(),
            metadata: None,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            realm: None,
            hook: None,
            max_token_lifetime: None,
            revocation_store: None,
            revocations_fail_closed: false,
            scope_hierarchy: ScopeHierarchy::default(),
        }
    }

    /// Adds an accepted audience: the API resource indicator configured in Logto (for instance
    /// `https://api.example.com`). Call it once per resource; a token is accepted when its
    /// `aud` contains any of them. Default: none, and `build()` fails without one unless
    /// [`org_tokens_only`](Self::org_tokens_only) is set.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Declares an API that takes only organization tokens (`aud` =
    /// `urn:logto:organization:<id>`), so it needs no resource indicator. With no audience
    /// configured, [`LogtoState::validate`] and the API-resource extractors reject every token
    /// as [`WrongAudience`](crate::InvalidTokenReason::WrongAudience); organization-token
    /// validation works as usual. Default: off.
    pub fn org_tokens_only(mut self) -> Self {
        self.org_tokens_only = true;
        self
    }

    /// Lets global routes ([`Auth`](crate::Auth), [`RequireScopes`](crate::RequireScopes),
    /// [`LogtoState::validate`]) accept tokens that carry an `organization_id` claim. Default:
    /// off, and such tokens get 403
    /// [`OrgLevelToken`](crate::AuthError::OrgLevelToken).
    ///
    /// **Risk**: in Logto an API resource's permissions can be granted by global roles *and*
    /// by organization roles. A token requested with `organization_id` carries the
    /// permissions of the user's role in that organization, and any user who creates an
    /// organization is its admin there. With this option on, such a user passes
    /// `RequireScopes<Admin>` on a global route. Turn it on only when every permission of the
    /// API means the same in an organization as globally.
    pub fn allow_org_level_tokens(mut self) -> Self {
        self.allow_org_level_tokens = true;
        self
    }

    /// Accepts only tokens issued to the application `client_id` (and to the others named by
    /// further calls): compared exactly as an opaque string (Logto's client ids may be URLs,
    /// for client ID metadata documents). A token for any other application, or without
    /// `client_id`, is 401 `invalid_token`
    /// ([`ClientNotAllowed`](crate::InvalidTokenReason::ClientNotAllowed)). Repeatable.
    /// Default: every application of the tenant.
    ///
    /// ```
    /// use axum_logto::LogtoState;
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .allowed_client("web-app-id")
    ///     .allowed_client("https://agent.example.com/client.json")
    ///     .build()
    ///     .unwrap();
    /// # let _ = logto;
    /// ```
    pub fn allowed_client(mut self, client_id: impl Into<String>) -> Self {
        self.allowed_clients
            .get_or_insert_with(Vec::new)
            .push(client_id.into());
        self
    }

    /// [`allowed_client`](Self::allowed_client) for each of `clients`.
    #[doc(hidden)]
    #[deprecated(note = "call `allowed_client` once per application")]
    pub fn allowed_clients<I, T>(self, clients: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        clients.into_iter().fold(self, Self::allowed_client)
    }

    /// The former name of [`org_tokens_only`](Self::org_tokens_only).
    #[doc(hidden)]
    #[deprecated(note = "renamed `org_tokens_only`")]
    pub fn organization_tokens_only(self) -> Self {
        self.org_tokens_only()
    }

    /// The former name of [`allow_org_level_tokens`](Self::allow_org_level_tokens).
    #[doc(hidden)]
    #[deprecated(note = "renamed `allow_org_level_tokens`")]
    pub fn allow_organization_level_tokens(self) -> Self {
        self.allow_org_level_tokens()
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`, at most 5 minutes (`build()` refuses
    /// more with [`ConfigError::LeewayTooLarge`]). Default: 60 seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The longest lifetime a token may have: `exp` at most this long after `iat`, and after
    /// now (which also bounds tokens without `iat`); a longer-lived token is 401
    /// [`LifetimeTooLong`](crate::InvalidTokenReason::LifetimeTooLong). Logto's access tokens
    /// live for the API resource's "token expiration time" (an hour by default, a day at
    /// most), so a token valid for longer was not issued as this API expects; a leaked signing
    /// key could mint one that never expires. Each check allows the leeway on top. Default:
    /// off, any lifetime.
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum_logto::LogtoState;
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .max_token_lifetime(Duration::from_secs(24 * 3600))
    ///     .build()
    ///     .unwrap();
    /// # let _ = logto;
    /// ```
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_token_lifetime = Some(lifetime);
        self
    }

    /// The exact `iss` expected in tokens. Default: `<endpoint>/oidc`, which is what Logto
    /// uses. When discovery runs, its `issuer` must equal this value.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Accepts one more `iss` value, signed by the same keys: a tenant with a custom domain
    /// issues tokens as `https://auth.example.com/oidc` to clients on that domain and as
    /// `https://<tenant>.logto.app/oidc` to clients still on the default one. Repeatable.
    /// Discovery still runs at the endpoint and checks the endpoint's own issuer. Each value
    /// must be an https (or loopback http) URL; it is compared byte for byte. Default: none.
    ///
    /// ```
    /// use axum_logto::LogtoState;
    ///
    /// let logto = LogtoState::builder("https://auth.example.com")
    ///     .additional_issuer("https://my-tenant.logto.app/oidc")
    ///     .audience("https://api.example.com")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(
    ///     logto.issuers(),
    ///     ["https://auth.example.com/oidc", "https://my-tenant.logto.app/oidc"]
    /// );
    /// ```
    pub fn additional_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.additional_issuers.push(issuer.into());
        self
    }

    /// The JWKS URI to fetch keys from. Setting it skips OpenID discovery. Default: taken from
    /// the discovery document at `<endpoint>/oidc/.well-known/openid-configuration`.
    pub fn jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(jwks_uri.into());
        self
    }

    /// Uses your own `reqwest::Client` for discovery and JWKS fetches (to share a connection
    /// pool, set a proxy or extra root certificates). The per-fetch timeout and size cap still
    /// apply, and an answer from another origin than the one asked is refused whatever the
    /// client's redirect policy. Default: a rustls client that follows at most 3 redirects,
    /// all on the origin asked.
    ///
    /// Build yours with `.redirect(reqwest::redirect::Policy::none())` (or a policy of your own
    /// that stays on the origin): reqwest's default follows up to 10 redirects anywhere, so a
    /// key server that redirects would make your client contact the other host before this
    /// crate sees the answer and refuses it.
    ///
    /// The client is the `reqwest` of this crate (0.13). If your application depends on
    /// another `reqwest` version, build it through the re-export [`axum_logto::reqwest`](crate::reqwest)
    /// instead of your own, or the types will not match:
    ///
    /// ```
    /// use axum_logto::{reqwest, LogtoState};
    ///
    /// let client = reqwest::Client::builder()
    ///     .user_agent("my-api")
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()
    ///     .unwrap();
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .http_client(client)
    ///     .build()
    ///     .unwrap();
    /// # let _ = logto;
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Time limit for one discovery or JWKS fetch (connect, send, read the body). At least
    /// 100 ms. Default: 5 seconds.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Interval of the background refresh of the key set. The refresh never blocks requests;
    /// a failed refresh keeps the previous keys. At least 100 ms. Default: 10 minutes.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// How often a token with an unknown `kid` may make the store fetch the key set again.
    /// Unknown `kid`s may cause three fetches back to back, then one per cooldown: this bounds
    /// the load an attacker can cause with random `kid`s (no key is needed to forge one) to
    /// three fetches, then one per cooldown. When an unknown `kid` is refused for want of
    /// budget, the store fetches by itself as soon as the budget refills: a key the issuer
    /// rotated in during such a probe is found one cooldown after the probe began at worst,
    /// and a rotation without one at once. The initial load and the timer refresh spend none
    /// of the budget. At least 100 ms. Default: 30 seconds.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown;
        self
    }

    /// While no usable key set is loaded (never loaded, or older than the
    /// [maximum key set age](Self::max_key_set_age)), the minimum time between two fetch
    /// attempts; requests in between fail at once with
    /// [`KeysUnavailable`](crate::AuthError::KeysUnavailable) (503, and this value in
    /// `Retry-After`). At least 100 ms. Default: 2 seconds.
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// How long the last good key set keeps serving while every refresh fails. Stale keys are
    /// better than none during a short outage, but not forever: a key the issuer removed (say
    /// after a leak) must stop working. Past this age, requests get 503
    /// [`KeysUnavailable`](crate::AuthError::KeysUnavailable) while fetching goes on, spaced by
    /// the [retry interval](Self::retry_interval). When it is shorter than twice the
    /// [refresh interval](Self::refresh_interval), the timer refreshes every half of it instead,
    /// so that a reachable issuer never lets the set age out. At least 100 ms. Default:
    /// 24 hours.
    pub fn max_key_set_age(mut self, age: Duration) -> Self {
        self.max_key_set_age = age;
        self
    }

    /// The capacity, in bytes, of the cache of verified tokens; `0` turns the cache off.
    /// Default: 16 MiB.
    ///
    /// Clients send one access token again and again until it expires (an hour, by Logto's
    /// default), and its signature is the one expensive check (an ES384 verification takes
    /// about 200 µs). The cache keeps tokens whose signature verified, keyed by the whole
    /// token, and skips *only* the signature when one comes back: expiry, issuer, audience,
    /// organization and scopes are checked on every request, and a token counts only while
    /// the key that verified it is still published. Each entry weighs the heap memory it
    /// holds as the allocator counts it (each allocation's chunk, header and rounding
    /// included): the token, its parsed claims, the strings taken out of them, and custom
    /// claims read later as a type (`Auth<C>`), checked against the allocator's usable sizes by
    /// the test suite: 2.7 KiB for a typical 512-byte Logto token (2.6 KiB measured), 12 KiB
    /// for one with a few custom claims read as a type (6.5 KiB measured: the typed copy is
    /// weighed at what its JSON holds, an upper bound), so 16 MiB hold some 1,400 to 6,000
    /// tokens. Past the capacity, the least useful entries are evicted; they are simply
    /// verified again when they come back.
    ///
    /// ```
    /// use axum_logto::LogtoState;
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .verified_token_cache_size(64 * 1024 * 1024) // a busy API with many clients
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(logto.verified_token_cache_stats().unwrap().capacity_bytes, 64 << 20);
    ///
    /// let uncached = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .verified_token_cache_size(0)
    ///     .build()
    ///     .unwrap();
    /// assert!(uncached.verified_token_cache_stats().is_none());
    /// ```
    pub fn verified_token_cache_size(mut self, bytes: usize) -> Self {
        self.verified_cache_bytes = bytes;
        self
    }

    /// Also takes the token from the cookie `name` (for browser apps that keep it there).
    /// Default: off, only the `Authorization` header.
    ///
    /// The header keeps working; a request that carries the token in two places (header and
    /// cookie, say, or the cookie twice) is 400 `invalid_request`; an empty cookie, or one
    /// whose value is not a token (not an RFC 6750 `b64token`), is no token, and other cookies
    /// that are not UTF-8 are skipped alone.
    ///
    /// A cookie is sent by the browser on its own, so a state-changing route that reads it
    /// needs protection against cross-site requests (`SameSite`, a CSRF token) as any
    /// cookie-authenticated route does. A sibling subdomain can set a cookie of the same name
    /// for your domain ("cookie tossing"): a garbage one changes nothing here, but a real token
    /// of another user would be a second credential (400) or, without a header, that user's
    /// session. Name the cookie with the `__Host-` prefix (`__Host-access_token`, set `Secure`,
    /// `Path=/`, no `Domain`): browsers then refuse it from any other host. Behind
    /// [`LogtoLayer`](crate::LogtoLayer), answers to requests authenticated by the cookie get
    /// `Cache-Control: private` (unless they set their own): shared caches keep answers to
    /// `Authorization` requests private by themselves (RFC 9111 §3.5), not those to cookies.
    pub fn token_from_cookie(mut self, name: impl Into<String>) -> Self {
        self.sources.cookie = Some(name.into());
        self
    }

    /// Also takes the token from the query parameter `name` (usually `access_token`), for
    /// requests a browser cannot add a header to: WebSocket upgrades and `EventSource`.
    /// Default: off, only the `Authorization` header.
    ///
    /// RFC 6750 §2.3 discourages it: URLs end up in server and proxy logs, browser history and
    /// `Referer` headers. This crate never logs a URL or a query; make sure your access logs
    /// and proxies do not either, and keep such tokens short-lived. A request with the token
    /// in two places (header and query) is 400 `invalid_request`. Behind [`LogtoLayer`], the
    /// answer to a request with the token in its query gets `Cache-Control: private` (unless
    /// it sets its own), as RFC 6750 §2.3 asks; a handler that takes such a request through an
    /// extractor sets it itself.
    ///
    /// [`LogtoLayer`]: crate::LogtoLayer
    ///
    /// ```
    /// use axum_logto::LogtoState;
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .token_from_query("access_token") // GET /live?access_token=…
    ///     .build()
    ///     .unwrap();
    /// # let _ = logto;
    /// ```
    pub fn token_from_query(mut self, name: impl Into<String>) -> Self {
        self.sources.query = Some(name.into());
        self
    }

    /// Publishes OAuth 2.0 Protected Resource Metadata (RFC 9728), which MCP clients read to
    /// find the authorization server: serve it with
    /// [`LogtoState::resource_metadata_router`], and every 401 and 403 challenge names it in
    /// `resource_metadata="…"`. See [`ResourceMetadata`] for its members. Default: none.
    pub fn resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Tokens longer than this are rejected before any decoding. Default: 8 KiB (8192 bytes).
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
        self
    }

    /// Cap on the body of a discovery or JWKS response; a larger one fails the fetch.
    /// Default: 256 KiB.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The `realm` of `WWW-Authenticate` challenges. Default: the first audience, or the
    /// issuer when there is none.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Turns every rejection of every extractor of this state into your own response.
    /// Default: none, and rejections answer as described on [`AuthRejection`].
    ///
    /// The hook receives the [`AuthRejection`] (status, error, description, realm) and may
    /// start from [`AuthRejection::default_response`].
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use axum_logto::{AuthRejection, LogtoState};
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .on_rejection(|rejection: &AuthRejection| -> Response {
    ///         (rejection.status(), format!("denied: {}", rejection.description())).into_response()
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let _ = logto;
    /// ```
    pub fn on_rejection<F>(mut self, hook: F) -> Self
    where
        F: Fn(&AuthRejection) -> axum::response::Response + Send + Sync + 'static,
    {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Shares revocation rules ([`Revocation`](crate::Revocation): from Logto's webhooks, or
    /// [`LogtoState::revoke`]) with every replica of the API through `store`, for instance
    /// `RedisRevocations` (feature `redis`): a webhook reaches one replica, and the others
    /// refuse the revoked tokens as soon as the store tells them (within a second, with
    /// Redis). A replica that starts later loads the rules still live. Default: none, rules
    /// live in the process that received them.
    ///
    /// While the store is unreachable, the rules known keep being enforced, new ones hold in
    /// the process that received them, and the trouble is logged (`warn`) and counted; with
    /// [`revocations_fail_closed`](Self::revocations_fail_closed) every token is refused
    /// instead.
    pub fn revocation_store(mut self, store: impl RevocationStore) -> Self {
        self.revocation_store = Some(Arc::new(store));
        self
    }

    /// While the [revocation store](Self::revocation_store) is unreachable (and before it was
    /// first reached), refuses every token with 503
    /// [`RevocationsUnavailable`](crate::AuthError::RevocationsUnavailable), since a token
    /// revoked on another replica meanwhile could not be told apart. For APIs where a
    /// revoked token must never pass, at the price of an outage when the store is down.
    /// Default: off (the rules known keep being enforced).
    pub fn revocations_fail_closed(mut self) -> Self {
        self.revocations_fail_closed = true;
        self
    }

    /// Declares that the scope `B` implies every scope of `N` (a marker or a tuple of them):
    /// a token granted `B` counts as granted them too, in every check of this state — the
    /// extractors, [`LogtoLayer`](crate::LogtoLayer) and its per-operation policies,
    /// [`LogtoState::authorize`] — and in [`AuthInfo::scopes`](crate::AuthInfo::scopes).
    /// Implications chain (`admin` → `write:notes` → `read:notes`); call it once per broad
    /// scope, or again to add to one. Default: no scope implies another.
    ///
    /// The implied scopes are added once per verified token, when its claims are read (the
    /// verified-token cache keeps the expanded set), after the token's own. Challenges
    /// still name the scopes a route or an operation requires (`scope="read:notes"`), not
    /// the broader ones that would imply them. MCP servers must honour such hierarchies
    /// (MCP authorization, "Step-Up Authorization Flow").
    ///
    /// ```
    /// use axum_logto::{scopes, LogtoState, Policy};
    ///
    /// scopes! {
    ///     pub ReadNotes = "read:notes";
    ///     pub WriteNotes = "write:notes";
    ///     pub NotesAdmin = "notes:admin";
    /// }
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .scope_implies::<NotesAdmin, WriteNotes>()
    ///     .scope_implies::<WriteNotes, ReadNotes>()
    ///     .build()
    ///     .unwrap();
    /// // A token with `notes:admin` passes `RequireScopes<ReadNotes>`, and
    /// // `logto.authorize(token, &Policy::global().scopes::<ReadNotes>())`.
    /// # let _ = (logto, Policy::global());
    /// ```
    ///
    /// `N` lists scopes that are all implied: `AnyOf` is refused when the program is built
    /// (a constant evaluated with the call; `cargo check` does not evaluate it):
    ///
    /// ```compile_fail
    /// # use axum_logto::{scopes, AnyOf, LogtoState};
    /// # scopes! { pub Admin = "admin"; pub Read = "read"; pub Write = "write"; }
    /// let builder = LogtoState::builder("https://my-tenant.logto.app")
    ///     .scope_implies::<Admin, AnyOf<(Read, Write)>>(); // one of them? refused
    /// ```
    pub fn scope_implies<B: Scope, N: ScopeSet>(mut self) -> Self {
        const {
            assert!(
                !N::ANY_OF,
                "scope_implies: a scope implies all of a set, not one of an AnyOf"
            );
        };
        self.scope_hierarchy
            .declare(<B as ScopeSet>::SCOPES[0], N::SCOPES);
        self
    }

    /// Checks the configuration and builds the state. Does no network I/O (and needs no
    /// runtime): keys load on first use, or when [`LogtoState::preload`] is awaited.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when a URL is invalid or insecure, no audience is configured (see
    /// [`org_tokens_only`](Self::org_tokens_only)), the realm or an audience is unusable, a
    /// limit is zero, the metadata's `scopes_supported` lists `offline_access` or a malformed
    /// scope, or the default HTTP client cannot be built.
    pub fn build(self) -> Result<LogtoState, ConfigError> {
        let urls = self.urls()?;
        self.check_limits()?;
        let realm = self.checked_realm(&urls.issuers[0])?;
        let client = match self.client.clone() {
            Some(client) => client,
            None => default_client().map_err(|_| ConfigError::HttpClient)?,
        };
        let metadata = self
            .metadata
            .as_ref()
            .map(|metadata| self.publish(metadata, &urls.issuers))
            .transpose()?
            .map(Arc::new);
        let rejection = Arc::new(RejectionContext {
            realm,
            retry_after: self.retry_interval,
            hook: self.hook.clone(),
            resource_metadata: metadata.as_ref().map(|m| m.url.clone()),
        });
        let fetch = FetchSettings {
            client,
            discovery_url: urls.discovery,
            jwks_uri: urls.jwks_uri,
            issuer: urls.issuers[0].clone(),
            timeout: self.fetch_timeout,
            refresh_interval: self.refresh_interval,
            unknown_kid_cooldown: self.unknown_kid_cooldown,
            retry_interval: self.retry_interval,
            max_key_set_age: self.max_key_set_age,
            max_response_size: self.max_response_size,
        };
        let validation = ValidationSettings {
            issuers: urls.issuers,
            audiences: self.audiences,
            leeway: self.leeway,
            max_token_size: self.max_token_size,
            allow_org_level_tokens: self.allow_org_level_tokens,
            verified_cache_bytes: self.verified_cache_bytes,
            allowed_clients: self.allowed_clients,
            max_token_lifetime: self.max_token_lifetime,
            scope_hierarchy: self.scope_hierarchy,
        };
        // A rule lives until no token it could match is still valid: its moment, plus the
        // longest lifetime a token may have (Logto's maximum, a day, unless bounded), plus the
        // leeway.
        let retention = self.max_token_lifetime.unwrap_or(MAX_LOGTO_TOKEN_LIFETIME) + self.leeway;
        let revocations = Revocations::new(
            retention,
            self.revocation_store.clone(),
            self.revocations_fail_closed,
        );
        let validator = Validator::new(validation, KeyStore::new(fetch), revocations);
        Ok(LogtoState::from_parts(
            validator,
            rejection,
            self.sources,
            metadata,
        ))
    }

    /// Step 1 of `build()`: the endpoint, the accepted issuers (the tenant's first), and where
    /// the keys come from (discovery, unless the JWKS URI is given).
    fn urls(&self) -> Result<Urls, ConfigError> {
        let endpoint = endpoint_url(&self.endpoint)?;
        let endpoint = endpoint.as_str().trim_end_matches('/');
        let issuer = match &self.issuer {
            Some(issuer) => {
                // The issuer is compared byte for byte with `iss`; only check it is a URL.
                parse_url(issuer, "issuer")?;
                issuer.clone()
            }
            None => format!("{endpoint}/oidc"),
        };
        let mut issuers = vec![issuer];
        for extra in &self.additional_issuers {
            parse_url(extra, "additional_issuer")?;
            if !issuers.contains(extra) {
                issuers.push(extra.clone());
            }
        }
        let jwks_uri = self
            .jwks_uri
            .as_deref()
            .map(|uri| parse_url(uri, "jwks_uri"))
            .transpose()?;
        let discovery = match jwks_uri {
            Some(_) => None,
            None => Some(parse_url(
                &format!("{endpoint}/oidc/.well-known/openid-configuration"),
                "endpoint",
            )?),
        };
        Ok(Urls {
            issuers,
            jwks_uri,
            discovery,
        })
    }

    /// Step 2: the audiences, the limits and the token source names.
    fn check_limits(&self) -> Result<(), ConfigError> {
        if self.audiences.is_empty() && !self.org_tokens_only {
            return Err(ConfigError::MissingAudience);
        }
        if let Some(bad) = self
            .audiences
            .iter()
            .find(|a| a.is_empty() || a.chars().any(char::is_whitespace))
        {
            return Err(ConfigError::InvalidAudience { value: bad.clone() });
        }
        for (what, zero) in [
            ("fetch_timeout", self.fetch_timeout.is_zero()),
            ("refresh_interval", self.refresh_interval.is_zero()),
            ("retry_interval", self.retry_interval.is_zero()),
            ("unknown_kid_cooldown", self.unknown_kid_cooldown.is_zero()),
            ("max_key_set_age", self.max_key_set_age.is_zero()),
            ("max_token_size", self.max_token_size == 0),
            ("max_response_size", self.max_response_size == 0),
            (
                "max_token_lifetime",
                self.max_token_lifetime.is_some_and(|d| d.is_zero()),
            ),
        ] {
            if zero {
                return Err(ConfigError::InvalidLimit { what });
            }
        }
        for (what, value) in [
            ("fetch_timeout", self.fetch_timeout),
            ("refresh_interval", self.refresh_interval),
            ("retry_interval", self.retry_interval),
            ("unknown_kid_cooldown", self.unknown_kid_cooldown),
            ("max_key_set_age", self.max_key_set_age),
        ] {
            if value < MIN_TIMING {
                return Err(ConfigError::TooShort {
                    what,
                    value,
                    min: MIN_TIMING,
                });
            }
        }
        for (what, name) in [
            ("token_from_cookie", &self.sources.cookie),
            ("token_from_query", &self.sources.query),
        ] {
            if let Some(name) = name
                && (name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && !b"=;,\"".contains(&b)))
            {
                return Err(ConfigError::InvalidName {
                    what,
                    value: name.clone(),
                });
            }
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge {
                leeway: self.leeway,
            });
        }
        Ok(())
    }

    /// Step 3: the realm of challenges (the configured one, else the first audience, else the
    /// tenant's issuer), which must be quotable as it is.
    fn checked_realm(&self, issuer: &str) -> Result<String, ConfigError> {
        let realm = self
            .realm
            .clone()
            .or_else(|| self.audiences.first().cloned())
            .unwrap_or_else(|| issuer.to_owned());
        if realm.is_empty() || !is_quotable_realm(&realm) {
            return Err(ConfigError::InvalidRealm { value: realm });
        }
        Ok(realm)
    }

    /// The protected-resource metadata document and where it is published, its URLs checked.
    fn publish(
        &self,
        metadata: &ResourceMetadata,
        issuers: &[String],
    ) -> Result<Published, ConfigError> {
        let public_url = parse_url(&metadata.public_url, "resource_metadata public_url")?;
        if let Some(value) = metadata.unsupported_scope().map(str::to_owned) {
            return Err(ConfigError::ScopeNotSupported { value });
        }
        let resource = metadata
            .resource
            .clone()
            .or_else(|| self.audiences.first().cloned())
            .ok_or(ConfigError::MissingResource)?;
        parse_url(&resource, "resource_metadata resource")?;
        Ok(metadata.publish(&public_url, resource, issuers, self.sources.query.is_some()))
    }
}

/// Where `build()` found the tenant: what it accepts as `iss`, and where its keys come from.
struct Urls {
    issuers: Vec<String>,
    jwks_uri: Option<Url>,
    /// `None` when the JWKS URI is configured.
    discovery: Option<Url>,
}

/// The Logto endpoint as a URL. Logto's console also shows the "Issuer endpoint"
/// (`<endpoint>/oidc`) and the discovery URL; both name the same tenant, so they are taken
/// for the endpoint they end with (Logto's issuer is always `<endpoint>/oidc`).
pub(crate) fn endpoint_url(raw: &str) -> Result<Url, ConfigError> {
    let trimmed = raw.trim_end_matches('/');
    let endpoint = trimmed
        .strip_suffix("/oidc/.well-known/openid-configuration")
        .or_else(|| trimmed.strip_suffix("/oidc"))
        .unwrap_or(trimmed);
    if endpoint.len() != trimmed.len() {
        tracing::debug!(
            given = raw,
            endpoint,
            "taking the Logto endpoint out of an issuer or discovery URL"
        );
    }
    parse_url(endpoint, "endpoint").map_err(|error| match error {
        // Name what the user passed, not the trimmed form.
        ConfigError::InvalidUrl { what, .. } => ConfigError::InvalidUrl {
            what,
            value: raw.to_owned(),
        },
        ConfigError::InsecureUrl { what, .. } => ConfigError::InsecureUrl {
            what,
            value: raw.to_owned(),
        },
        other => other,
    })
}

pub(crate) fn parse_url(raw: &str, what: &'static str) -> Result<Url, ConfigError> {
    let invalid = || ConfigError::InvalidUrl {
        what,
        value: raw.to_owned(),
    };
    let url = Url::parse(raw).map_err(|_| invalid())?;
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(invalid());
    }
    if !is_secure_url(&url) {
        return Err(if url.scheme() == "http" {
            ConfigError::InsecureUrl {
                what,
                value: raw.to_owned(),
            }
        } else {
            invalid()
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(endpoint: &str) -> LogtoStateBuilder {
        LogtoStateBuilder::new(endpoint).audience("https://api.example.com")
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://tenant.logto.app",
            "https://tenant.logto.app/",
            "http://127.0.0.1:3001",
            "http://localhost:3001",
            "http://[::1]:3001",
            "http://127.8.9.10",
        ] {
            assert!(builder(ok).build().is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_and_insecure_urls() {
        let invalid = |what, value: &str| ConfigError::InvalidUrl {
            what,
            value: value.to_owned(),
        };
        let insecure = |what, value: &str| ConfigError::InsecureUrl {
            what,
            value: value.to_owned(),
        };
        for bad in [
            "tenant.logto.app",
            "ftp://tenant.logto.app",
            "https://tenant.logto.app?x=1",
        ] {
            assert_eq!(builder(bad).build().unwrap_err(), invalid("endpoint", bad));
        }
        for plain in ["http://tenant.logto.app", "http://10.0.0.1"] {
            assert_eq!(
                builder(plain).build().unwrap_err(),
                insecure("endpoint", plain)
            );
        }
        assert_eq!(
            builder("https://t.logto.app")
                .jwks_uri("http://evil.example/jwks")
                .build()
                .unwrap_err(),
            insecure("jwks_uri", "http://evil.example/jwks")
        );
        assert_eq!(
            builder("https://t.logto.app")
                .issuer("not a url")
                .build()
                .unwrap_err(),
            invalid("issuer", "not a url")
        );
        assert_eq!(
            builder("https://t.logto.app")
                .additional_issuer("http://auth.example.com/oidc")
                .build()
                .unwrap_err(),
            insecure("additional_issuer", "http://auth.example.com/oidc")
        );
    }

    #[test]
    fn errors_name_the_value() {
        let error = builder("http://tenant.logto.app").build().unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"the endpoint "http://tenant.logto.app" uses plain http to a host that is not loopback; use https"#
        );
        let error = LogtoStateBuilder::new("https://t.logto.app")
            .audience("read docs")
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"the audience "read docs" is empty or contains whitespace"#
        );
    }

    #[test]
    fn the_issuer_endpoint_and_the_discovery_url_name_the_tenant() {
        for given in [
            "https://t.logto.app",
            "https://t.logto.app/",
            "https://t.logto.app/oidc",
            "https://t.logto.app/oidc/",
            "https://t.logto.app/oidc/.well-known/openid-configuration",
        ] {
            let state = builder(given).build().unwrap();
            assert_eq!(state.issuer(), "https://t.logto.app/oidc", "{given}");
        }
        // A self-hosted Logto under a path keeps it.
        let state = builder("https://example.com/auth/oidc").build().unwrap();
        assert_eq!(state.issuer(), "https://example.com/auth/oidc");
    }

    #[test]
    fn leeway_and_key_set_age_are_bounded() {
        assert!(
            builder("https://t.logto.app")
                .leeway(MAX_LEEWAY)
                .build()
                .is_ok()
        );
        for leeway in [Duration::from_secs(301), Duration::from_secs(u64::MAX)] {
            assert_eq!(
                builder("https://t.logto.app")
                    .leeway(leeway)
                    .build()
                    .unwrap_err(),
                ConfigError::LeewayTooLarge { leeway }
            );
        }
        // An age shorter than the refresh interval is allowed: the timer then refreshes
        // every half of it.
        builder("https://t.logto.app")
            .max_key_set_age(Duration::from_secs(1))
            .build()
            .unwrap();
        assert_eq!(
            builder("https://t.logto.app")
                .max_key_set_age(Duration::ZERO)
                .build()
                .unwrap_err(),
            ConfigError::InvalidLimit {
                what: "max_key_set_age"
            }
        );
    }

    #[test]
    fn timing_options_have_a_floor() {
        let us = Duration::from_micros(1);
        let short = |error: ConfigError| match error {
            ConfigError::TooShort { what, value, min } => {
                assert_eq!((value, min), (us, MIN_TIMING));
                what
            }
            other => panic!("{other:?}"),
        };
        let b = || builder("https://t.logto.app");
        assert_eq!(
            short(b().max_key_set_age(us).build().unwrap_err()),
            "max_key_set_age"
        );
        assert_eq!(
            short(b().refresh_interval(us).build().unwrap_err()),
            "refresh_interval"
        );
        assert_eq!(
            short(b().retry_interval(us).build().unwrap_err()),
            "retry_interval"
        );
        assert_eq!(
            short(b().unknown_kid_cooldown(us).build().unwrap_err()),
            "unknown_kid_cooldown"
        );
        assert_eq!(
            short(b().fetch_timeout(us).build().unwrap_err()),
            "fetch_timeout"
        );
        assert!(
            b().refresh_interval(MIN_TIMING)
                .max_key_set_age(MIN_TIMING)
                .build()
                .is_ok()
        );
        assert_eq!(
            b().max_token_lifetime(Duration::ZERO).build().unwrap_err(),
            ConfigError::InvalidLimit {
                what: "max_token_lifetime"
            }
        );
    }

    #[test]
    fn audience_is_required_unless_organization_only() {
        assert_eq!(
            LogtoStateBuilder::new("https://t.logto.app")
                .build()
                .unwrap_err(),
            ConfigError::MissingAudience
        );
        assert!(
            LogtoStateBuilder::new("https://t.logto.app")
                .org_tokens_only()
                .build()
                .is_ok()
        );
        assert_eq!(
            LogtoStateBuilder::new("https://t.logto.app")
                .audience("a b")
                .build()
                .unwrap_err(),
            ConfigError::InvalidAudience {
                value: "a b".to_owned()
            }
        );
    }

    #[test]
    fn realm_and_limits_are_checked() {
        assert_eq!(
            builder("https://t.logto.app")
                .realm("a\"b")
                .build()
                .unwrap_err(),
            ConfigError::InvalidRealm {
                value: "a\"b".to_owned()
            }
        );
        assert_eq!(
            builder("https://t.logto.app")
                .max_token_size(0)
                .build()
                .unwrap_err(),
            ConfigError::InvalidLimit {
                what: "max_token_size"
            }
        );
        assert_eq!(
            builder("https://t.logto.app")
                .fetch_timeout(Duration::ZERO)
                .build()
                .unwrap_err(),
            ConfigError::InvalidLimit {
                what: "fetch_timeout"
            }
        );
    }

    #[test]
    fn defaults_follow_logto() {
        let state = builder("https://t.logto.app/").build().unwrap();
        assert_eq!(state.retry_interval(), DEFAULT_RETRY_INTERVAL);
        assert_eq!(state.issuer(), "https://t.logto.app/oidc");
        assert_eq!(state.realm(), "https://api.example.com");
        let org_only = LogtoStateBuilder::new("https://t.logto.app")
            .org_tokens_only()
            .build()
            .unwrap();
        assert_eq!(org_only.realm(), "https://t.logto.app/oidc");
    }
}
