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
use crate::scope::{Scope, ScopeHierarchy, ScopeSet};
use crate::settings::{
    DEFAULT_FETCH_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_MAX_KEY_SET_AGE, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_TOKEN_SIZE, DEFAULT_REFRESH_INTERVAL, DEFAULT_RETRY_INTERVAL,
    DEFAULT_UNKNOWN_KID_COOLDOWN, DEFAULT_VERIFIED_CACHE_BYTES, FetchSettings, MAX_LEEWAY,
    ValidationSettings, is_secure_url,
};
use crate::token::Validator;

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
    /// The client is the `reqwest` of this crate (0.13). If your application depends on
    /// another `reqwest` version, build it through the re-export [`axum_logto::reqwest`](crate::reqwest)
    /// instead of your own, or the types will not match:
    ///
    /// ```
    /// use axum_logto::{reqwest, LogtoState};
    ///
    /// let client = reqwest::Client::builder()
    ///     .user_agent("my-api")
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

    /// Time limit for one discovery or JWKS fetch (connect, send, read the body). Default:
    /// 5 seconds.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Interval of the background refresh of the key set. The refresh never blocks requests;
    /// a failed refresh keeps the previous keys. Default: 10 minutes.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// After a fetch caused by an unknown `kid`, how long further unknown `kid`s are rejected
    /// without fetching the key set again. Bounds the load an attacker can cause with random
    /// `kid`s to one fetch per cooldown. The initial load and the timer refresh start no
    /// cooldown, so a key rotated in right after start-up is found at once. Must not be zero
    /// (that would let every random `kid` cause a fetch). Default: 30 seconds.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown;
        self
    }

    /// While no usable key set is loaded (never loaded, or older than the
    /// [maximum key set age](Self::max_key_set_age)), the minimum time between two fetch
    /// attempts; requests in between fail at once with
    /// [`KeysUnavailable`](crate::AuthError::KeysUnavailable) (503, and this value in
    /// `Retry-After`). Default: 2 seconds.
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
    /// so that a reachable issuer never lets the set age out. Must not be zero. Default:
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
    /// the key that verified it is still published. Each entry weighs an estimate of the
    /// heap memory it holds (the token, its parsed claims, the strings taken out of them),
    /// checked against a counting allocator by the test suite: about 2 KiB for a typical
    /// Logto token (1.9 KiB measured for a 512-byte token, 4.9 KiB for one with a few custom
    /// claims), so 16 MiB hold some 3,000 to 8,000 tokens. Past the capacity, the least
    /// useful entries are evicted; they are simply verified again when they come back.
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
    /// cookie, say, or the cookie twice) is 400 `invalid_request`; an empty cookie is no token.
    /// A cookie is sent by the browser on its own, so a
    /// state-changing route that reads it needs protection against cross-site requests
    /// (`SameSite`, a CSRF token) as any cookie-authenticated route does.
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
            scope_hierarchy: self.scope_hierarchy,
        };
        let validator = Validator::new(validation, KeyStore::new(fetch));
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
        ] {
            if zero {
                return Err(ConfigError::InvalidLimit { what });
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
fn endpoint_url(raw: &str) -> Result<Url, ConfigError> {
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

fn parse_url(raw: &str, what: &'static str) -> Result<Url, ConfigError> {
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
