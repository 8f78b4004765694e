//! [`LogtoState`]: the shared, cheap-to-clone validator.

mod builder;
mod config_error;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use builder::LogtoStateBuilder;
pub use config_error::ConfigError;

use axum::Router;

use crate::claims::AuthInfo;
use crate::credentials::TokenSources;
use crate::error::AuthError;
use crate::keys::KeyFetchError;
use crate::metadata::Published;
use crate::rejection::{AuthRejection, RejectionContext};
use crate::telemetry;
use crate::token::{CacheStats, Model, Validator, organization};

/// Validates Logto access tokens; holds the configuration and the cached signing keys.
///
/// Cheap to clone (one `Arc`): every clone shares one key store, so build it once and put it
/// in your Axum state. Build it with [`LogtoState::builder`].
///
/// ```no_run
/// use axum_logto::LogtoState;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()?;
/// logto.preload().await?; // optional: fail at start-up if Logto is unreachable
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LogtoState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Unique per built state (never reused, unlike an address).
    id: u64,
    validator: Validator,
    rejection: Arc<RejectionContext>,
    sources: TokenSources,
    metadata: Option<Arc<Published>>,
}

/// Counts the outcome of a validation outside Axum (feature `metrics`).
fn counted(result: Result<AuthInfo, AuthError>) -> Result<AuthInfo, AuthError> {
    match &result {
        Ok(_) => telemetry::accepted(),
        Err(error) => telemetry::refused(error.reason()),
    }
    result
}

impl LogtoState {
    /// Starts a builder for the Logto `endpoint` (for instance `https://my-tenant.logto.app`,
    /// or `http://localhost:3001` for a local Logto). See [`LogtoStateBuilder`] for the
    /// options and their defaults.
    pub fn builder(endpoint: impl Into<String>) -> LogtoStateBuilder {
        LogtoStateBuilder::new(endpoint)
    }

    fn from_parts(
        validator: Validator,
        rejection: Arc<RejectionContext>,
        sources: TokenSources,
        metadata: Option<Arc<Published>>,
    ) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                validator,
                rejection,
                sources,
                metadata,
            }),
        }
    }

    /// The rejection for `error`, with this state's realm, `Retry-After` and hook.
    pub fn reject(&self, error: AuthError) -> AuthRejection {
        self.reject_for(error, Cow::Borrowed(""))
    }

    /// The rejection for `error` on a route that needs the scopes `scope`.
    pub(crate) fn reject_for(&self, error: AuthError, scope: Cow<'static, str>) -> AuthRejection {
        AuthRejection::with_context(error, scope, self.inner.rejection.clone())
    }

    /// Where requests may carry their token besides the `Authorization` header.
    pub(crate) fn token_sources(&self) -> &TokenSources {
        &self.inner.sources
    }

    /// Identifies this state (all clones agree; no other state ever has it).
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// Loads the discovery document (unless the JWKS URI was configured) and the JWK set now.
    ///
    /// Optional: without it keys load on the first request. Servers that prefer to fail at
    /// start-up when Logto is unreachable await it before serving.
    ///
    /// Needs a Tokio runtime (it spawns the fetch and the background refresh task): call it
    /// from `#[tokio::main]` or a task. The refresher runs in the runtime of the first call
    /// and, should that runtime end, restarts in the runtime of the next validation.
    ///
    /// # Errors
    ///
    /// [`KeyFetchError`] when discovery or the JWK set cannot be fetched or used.
    pub async fn preload(&self) -> Result<(), KeyFetchError> {
        self.inner.validator.preload().await
    }

    /// Validates an access token for this API (its `aud` must contain a configured audience)
    /// and returns what it says. Scopes are not checked here: see
    /// [`AuthInfo::scopes`].
    ///
    /// Usable outside Axum handlers: WebSocket upgrades, tonic interceptors, background jobs.
    /// Needs a Tokio runtime (a key fetch runs as a task of its own).
    /// A token with an `organization_id` claim is refused with
    /// [`AuthError::OrganizationScoped`] (403) unless
    /// [`allow_organization_level_tokens`](LogtoStateBuilder::allow_organization_level_tokens)
    /// is set. If you keep anything per token, key it by [`AuthInfo::jti`], never by the token's
    /// text (ECDSA signatures are malleable).
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] with the failed rule, or [`AuthError::KeysUnavailable`]
    /// when no key set could ever be loaded.
    pub async fn validate(&self, token: &str) -> Result<AuthInfo, AuthError> {
        let validator = self.validator();
        let result = async {
            let info = validator.verify(token).await?;
            validator.check(&info, Model::Global)?;
            Ok(info)
        };
        counted(result.await)
    }

    /// Validates an organization token (`aud` = `urn:logto:organization:<id>`) for the
    /// organization `organization_id`. An empty `organization_id` matches no token. Needs a
    /// Tokio runtime, as [`validate`](Self::validate) does.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate); a token that is not an organization token at all is
    /// [`InvalidTokenReason::WrongAudience`](crate::InvalidTokenReason::WrongAudience) (401),
    /// a valid organization token for another organization is
    /// [`AuthError::WrongOrganization`] (403).
    pub async fn validate_organization_token(
        &self,
        token: &str,
        organization_id: &str,
    ) -> Result<AuthInfo, AuthError> {
        let validator = self.validator();
        let result = async {
            let info = validator.verify(token).await?;
            validator.check(&info, Model::Organization)?;
            organization(&info, Model::Organization, Some(organization_id))?;
            Ok(info)
        };
        counted(result.await)
    }

    /// The tenant's issuer (`<endpoint>/oidc` unless configured), which discovery must name.
    pub fn issuer(&self) -> &str {
        // `build()` always puts the tenant's issuer first.
        &self.issuers()[0]
    }

    /// Every accepted `iss`: the tenant's issuer first, then the
    /// [additional issuers](LogtoStateBuilder::additional_issuer).
    pub fn issuers(&self) -> &[String] {
        &self.inner.validator.settings().issuers
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.inner.validator.settings().audiences
    }

    /// The realm of `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.inner.rejection.realm
    }

    /// The wait suggested in `Retry-After` while no key set could be loaded (the
    /// [retry interval](LogtoStateBuilder::retry_interval)).
    pub fn retry_interval(&self) -> Duration {
        self.inner.validator.keys().retry_interval()
    }

    /// What the cache of verified tokens holds and has done (`None` when it is turned off
    /// with [`verified_token_cache_size(0)`](LogtoStateBuilder::verified_token_cache_size)).
    pub fn verified_token_cache_stats(&self) -> Option<CacheStats> {
        self.inner.validator.cache_stats()
    }

    /// A router that serves the protected-resource metadata (RFC 9728) configured with
    /// [`LogtoStateBuilder::resource_metadata`]: `GET /.well-known/oauth-protected-resource`,
    /// and the path-inserted form when the resource has a path, as `application/json`. Merge
    /// it into your app, outside any authentication. Empty when no metadata is configured.
    ///
    /// ```
    /// use axum::Router;
    /// use axum_logto::{LogtoState, ResourceMetadata};
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .resource_metadata(ResourceMetadata::new("https://api.example.com"))
    ///     .build()
    ///     .unwrap();
    /// let app: Router = Router::new().merge(logto.resource_metadata_router());
    /// ```
    pub fn resource_metadata_router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        self.inner
            .metadata
            .as_ref()
            .map_or_else(Router::new, Published::router)
    }

    /// The absolute URL of the protected-resource metadata document, named in 401 and 403
    /// challenges as `resource_metadata="…"`; `None` when no metadata is configured.
    pub fn resource_metadata_url(&self) -> Option<&str> {
        self.inner.metadata.as_ref().map(|m| m.url.as_str())
    }

    /// The validation core behind this state.
    pub(crate) fn validator(&self) -> &Validator {
        &self.inner.validator
    }
}
