//! [`LogtoStateBuilder`]: every option with its default, and the checks `build()` makes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::LogtoState;
use crate::keys::{KeyStore, default_client};
use crate::rejection::{AuthRejection, RejectionContext, RejectionHook, is_quotable_realm};
use crate::settings::{
    DEFAULT_FETCH_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_MAX_TOKEN_SIZE,
    DEFAULT_REFRESH_INTERVAL, DEFAULT_RETRY_INTERVAL, DEFAULT_UNKNOWN_KID_COOLDOWN, FetchSettings,
    ValidationSettings, is_secure_url,
};
use crate::token::Validator;

/// Why [`LogtoStateBuilder::build`] refused the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A URL (`what` says which option) could not be parsed, is not absolute, uses a scheme
    /// other than `http`/`https`, or carries a query or fragment.
    InvalidUrl {
        /// The option: `"endpoint"`, `"issuer"` or `"jwks_uri"`.
        what: &'static str,
    },
    /// A URL uses plain `http` to a host that is not loopback (`localhost`, `127.0.0.0/8`,
    /// `::1`). Keys fetched over plain HTTP could be replaced by anyone on the path.
    InsecureUrl {
        /// The option: `"endpoint"`, `"issuer"` or `"jwks_uri"`.
        what: &'static str,
    },
    /// No audience was configured, and [`LogtoStateBuilder::organization_tokens_only`] was not
    /// called either.
    MissingAudience,
    /// An audience is empty or contains whitespace.
    InvalidAudience,
    /// The realm is empty or contains `"`, `\` or a control character.
    InvalidRealm,
    /// A duration or size option is zero where it must not be (`what` says which).
    InvalidLimit {
        /// The option: `"fetch_timeout"`, `"refresh_interval"`, `"retry_interval"`,
        /// `"unknown_kid_cooldown"`, `"max_token_size"` or `"max_response_size"`.
        what: &'static str,
    },
    /// The default HTTP client could not be built (TLS backend initialisation failed).
    HttpClient,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { what } => write!(
                f,
                "the {what} is not an absolute http(s) URL without query or fragment"
            ),
            Self::InsecureUrl { what } => write!(
                f,
                "the {what} uses plain http to a host that is not loopback; use https"
            ),
            Self::MissingAudience => f.write_str(
                "no audience is configured: call .audience(\"<API resource indicator>\"), \
                 or .organization_tokens_only() for an API that takes only organization tokens",
            ),
            Self::InvalidAudience => f.write_str("an audience is empty or contains whitespace"),
            Self::InvalidRealm => f.write_str(
                "the realm is empty or contains a double quote, a backslash or a control character",
            ),
            Self::InvalidLimit { what } => write!(f, "the {what} must be greater than zero"),
            Self::HttpClient => f.write_str("the default HTTP client could not be built"),
        }
    }
}

impl std::error::Error for ConfigError {}

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
    pub(crate) endpoint: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) organization_tokens_only: bool,
    pub(crate) leeway: Duration,
    pub(crate) issuer: Option<String>,
    pub(crate) jwks_uri: Option<String>,
    pub(crate) client: Option<reqwest::Client>,
    pub(crate) fetch_timeout: Duration,
    pub(crate) refresh_interval: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) retry_interval: Duration,
    pub(crate) max_token_size: usize,
    pub(crate) max_response_size: usize,
    pub(crate) realm: Option<String>,
    pub(crate) hook: Option<RejectionHook>,
}

impl fmt::Debug for LogtoStateBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogtoStateBuilder")
            .field("endpoint", &self.endpoint)
            .field("audiences", &self.audiences)
            .field("organization_tokens_only", &self.organization_tokens_only)
            .field("leeway", &self.leeway)
            .field("issuer", &self.issuer)
            .field("jwks_uri", &self.jwks_uri)
            .field("custom_client", &self.client.is_some())
            .field("fetch_timeout", &self.fetch_timeout)
            .field("refresh_interval", &self.refresh_interval)
            .field("unknown_kid_cooldown", &self.unknown_kid_cooldown)
            .field("retry_interval", &self.retry_interval)
            .field("max_token_size", &self.max_token_size)
            .field("max_response_size", &self.max_response_size)
            .field("realm", &self.realm)
            .field("on_rejection", &self.hook.is_some())
            .finish()
    }
}

impl LogtoStateBuilder {
    /// A builder for `endpoint` with every option at its default; see [`LogtoState::builder`].
    pub(crate) fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            audiences: Vec::new(),
            organization_tokens_only: false,
            leeway: DEFAULT_LEEWAY,
            issuer: None,
            jwks_uri: None,
            client: None,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            unknown_kid_cooldown: DEFAULT_UNKNOWN_KID_COOLDOWN,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            realm: None,
            hook: None,
        }
    }

    /// Adds an accepted audience: the API resource indicator configured in Logto (for instance
    /// `https://api.example.com`). Call it once per resource; a token is accepted when its
    /// `aud` contains any of them. Default: none, and `build()` fails without one unless
    /// [`organization_tokens_only`](Self::organization_tokens_only) is set.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Declares an API that takes only organization tokens (`aud` =
    /// `urn:logto:organization:<id>`), so it needs no resource indicator. With no audience
    /// configured, [`LogtoState::validate`] and the API-resource extractors reject every token
    /// as [`WrongAudience`](crate::InvalidTokenReason::WrongAudience); organization-token
    /// validation works as usual. Default: off.
    pub fn organization_tokens_only(mut self) -> Self {
        self.organization_tokens_only = true;
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default: 60 seconds.
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

    /// The JWKS URI to fetch keys from. Setting it skips OpenID discovery. Default: taken from
    /// the discovery document at `<endpoint>/oidc/.well-known/openid-configuration`.
    pub fn jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(jwks_uri.into());
        self
    }

    /// Uses your own `reqwest::Client` for discovery and JWKS fetches (to share a connection
    /// pool, set a proxy or extra root certificates). The per-fetch timeout and size cap still
    /// apply; the redirect policy is the client's own. Default: a rustls client that follows
    /// at most 3 redirects, and only to the same host.
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

    /// While no key set has ever been loaded, the minimum time between two fetch attempts;
    /// requests in between fail at once with [`KeysUnavailable`](crate::AuthError::KeysUnavailable)
    /// (503, and this value in `Retry-After`). Default: 2 seconds.
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
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

    /// Checks the configuration and builds the state. Does no network I/O: keys load on first
    /// use, or when [`LogtoState::preload`] is awaited.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when a URL is invalid or insecure, no audience is configured (see
    /// [`organization_tokens_only`](Self::organization_tokens_only)), the realm or an audience
    /// is unusable, a limit is zero, or the default HTTP client cannot be built.
    pub fn build(self) -> Result<LogtoState, ConfigError> {
        let endpoint = parse_url(self.endpoint.trim_end_matches('/'), "endpoint")?;
        let endpoint_str = endpoint.as_str().trim_end_matches('/').to_owned();
        let issuer = match &self.issuer {
            Some(issuer) => {
                // The issuer is compared byte for byte with `iss`; only check it is a URL.
                parse_url(issuer, "issuer")?;
                issuer.clone()
            }
            None => format!("{endpoint_str}/oidc"),
        };
        let jwks_uri = self
            .jwks_uri
            .as_deref()
            .map(|uri| parse_url(uri, "jwks_uri"))
            .transpose()?;
        let discovery_url = match jwks_uri {
            Some(_) => None,
            None => Some(
                Url::parse(&format!(
                    "{endpoint_str}/oidc/.well-known/openid-configuration"
                ))
                .map_err(|_| ConfigError::InvalidUrl { what: "endpoint" })?,
            ),
        };

        if self.audiences.is_empty() && !self.organization_tokens_only {
            return Err(ConfigError::MissingAudience);
        }
        if self
            .audiences
            .iter()
            .any(|a| a.is_empty() || a.chars().any(char::is_whitespace))
        {
            return Err(ConfigError::InvalidAudience);
        }
        let realm = self
            .realm
            .clone()
            .or_else(|| self.audiences.first().cloned())
            .unwrap_or_else(|| issuer.clone());
        if realm.is_empty() || !is_quotable_realm(&realm) {
            return Err(ConfigError::InvalidRealm);
        }
        for (what, zero) in [
            ("fetch_timeout", self.fetch_timeout.is_zero()),
            ("refresh_interval", self.refresh_interval.is_zero()),
            ("retry_interval", self.retry_interval.is_zero()),
            ("unknown_kid_cooldown", self.unknown_kid_cooldown.is_zero()),
            ("max_token_size", self.max_token_size == 0),
            ("max_response_size", self.max_response_size == 0),
        ] {
            if zero {
                return Err(ConfigError::InvalidLimit { what });
            }
        }

        let client = match self.client.clone() {
            Some(client) => client,
            None => default_client().map_err(|_| ConfigError::HttpClient)?,
        };

        let rejection = Arc::new(RejectionContext {
            realm,
            retry_after: self.retry_interval,
            hook: self.hook.clone(),
        });
        let validation = ValidationSettings {
            issuers: vec![issuer.clone()],
            audiences: self.audiences.clone(),
            leeway: self.leeway,
            max_token_size: self.max_token_size,
        };
        let fetch = FetchSettings {
            client,
            discovery_url,
            jwks_uri,
            issuer,
            timeout: self.fetch_timeout,
            refresh_interval: self.refresh_interval,
            unknown_kid_cooldown: self.unknown_kid_cooldown,
            retry_interval: self.retry_interval,
            max_response_size: self.max_response_size,
        };
        let validator = Validator::new(validation, KeyStore::new(fetch));
        Ok(LogtoState::from_parts(validator, rejection))
    }
}

fn parse_url(raw: &str, what: &'static str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|_| ConfigError::InvalidUrl { what })?;
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(ConfigError::InvalidUrl { what });
    }
    if !is_secure_url(&url) {
        return Err(if url.scheme() == "http" {
            ConfigError::InsecureUrl { what }
        } else {
            ConfigError::InvalidUrl { what }
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
        assert_eq!(
            builder("tenant.logto.app").build().unwrap_err(),
            ConfigError::InvalidUrl { what: "endpoint" }
        );
        assert_eq!(
            builder("ftp://tenant.logto.app").build().unwrap_err(),
            ConfigError::InvalidUrl { what: "endpoint" }
        );
        assert_eq!(
            builder("https://tenant.logto.app?x=1").build().unwrap_err(),
            ConfigError::InvalidUrl { what: "endpoint" }
        );
        assert_eq!(
            builder("http://tenant.logto.app").build().unwrap_err(),
            ConfigError::InsecureUrl { what: "endpoint" }
        );
        assert_eq!(
            builder("http://10.0.0.1").build().unwrap_err(),
            ConfigError::InsecureUrl { what: "endpoint" }
        );
        assert_eq!(
            builder("https://t.logto.app")
                .jwks_uri("http://evil.example/jwks")
                .build()
                .unwrap_err(),
            ConfigError::InsecureUrl { what: "jwks_uri" }
        );
        assert_eq!(
            builder("https://t.logto.app")
                .issuer("not a url")
                .build()
                .unwrap_err(),
            ConfigError::InvalidUrl { what: "issuer" }
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
                .organization_tokens_only()
                .build()
                .is_ok()
        );
        assert_eq!(
            LogtoStateBuilder::new("https://t.logto.app")
                .audience("a b")
                .build()
                .unwrap_err(),
            ConfigError::InvalidAudience
        );
    }

    #[test]
    fn realm_and_limits_are_checked() {
        assert_eq!(
            builder("https://t.logto.app")
                .realm("a\"b")
                .build()
                .unwrap_err(),
            ConfigError::InvalidRealm
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
            .organization_tokens_only()
            .build()
            .unwrap();
        assert_eq!(org_only.realm(), "https://t.logto.app/oidc");
    }
}
