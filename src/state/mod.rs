//! [`LogtoState`]: the shared, cheap-to-clone validator.

mod builder;
mod config_error;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use builder::LogtoStateBuilder;
pub(crate) use builder::{endpoint_url, parse_url};
pub use config_error::ConfigError;

use axum::Router;

use crate::claims::AuthInfo;
use crate::credentials::TokenSources;
use crate::error::AuthError;
use crate::keys::KeyFetchError;
use crate::metadata::Published;
use crate::rejection::{AuthRejection, RejectionContext};
use crate::revocation::{Revocation, StoreError};
use crate::scope::RequiredScopes;
use crate::telemetry;
use crate::token::{CacheStats, Policy, Validator};
use crate::webhook::LogtoWebhook;

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

impl LogtoState {
    /// Starts a builder for the Logto `endpoint` (for instance `https://my-tenant.logto.app`,
    /// or `http://localhost:3001` for a local Logto). See [`LogtoStateBuilder`] for the
    /// options and their defaults.
    pub fn builder(endpoint: impl Into<String>) -> LogtoStateBuilder {
        LogtoStateBuilder::new(endpoint)
    }

    pub(crate) fn from_parts(
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

    /// The rejection for `error`, with this state's realm, `Retry-After`,
    /// protected-resource metadata and hook: what the extractors answer with (see the table on
    /// [`AuthRejection`]), for an error of your own making or one from
    /// [`authorize`](Self::authorize).
    pub fn reject(&self, error: AuthError) -> AuthRejection {
        self.reject_required(error, RequiredScopes::NONE)
    }

    /// The rejection for `error` from [`authorize`](Self::authorize) with `policy`: what the
    /// extractor of that policy answers, its 403's challenge naming the scopes `policy`
    /// requires (`scope="…"`), which [`reject`](Self::reject) cannot know.
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use axum_logto::{LogtoState, Policy, scopes};
    ///
    /// scopes! {
    ///     /// Read the documents.
    ///     ReadDocs = "read:docs";
    /// }
    ///
    /// async fn check(logto: &LogtoState, token: &str) -> Result<String, Response> {
    ///     let policy = Policy::global().scopes::<ReadDocs>();
    ///     match logto.authorize(token, &policy).await {
    ///         Ok(auth) => Ok(auth.sub().to_owned()),
    ///         Err(error) => Err(logto.reject_for(error, &policy).into_response()),
    ///     }
    /// }
    /// ```
    pub fn reject_for(&self, error: AuthError, policy: &Policy<'_>) -> AuthRejection {
        self.reject_required(error, policy.required_scopes())
    }

    /// The rejection for `error` on a route that requires `required`.
    pub(crate) fn reject_required(
        &self,
        error: AuthError,
        required: RequiredScopes,
    ) -> AuthRejection {
        AuthRejection::with_context(error, required, self.inner.rejection.clone())
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
    /// With a [revocation store](crate::LogtoStateBuilder::revocation_store) it also waits
    /// (up to 2 seconds, while the keys load) for the store's live rules, so that a replica
    /// that starts later refuses the tokens revoked before it started from its first request.
    /// A store still unreachable then is no error: its rules arrive when it is (a `warn` says
    /// so), and until then the state fails open or closed as configured.
    ///
    /// Needs a Tokio runtime (it spawns the fetch and the background refresh task): call it
    /// from `#[tokio::main]` or a task. The refresher runs in the runtime of the first call
    /// and, should that runtime end, restarts in the runtime of the next validation.
    ///
    /// # Errors
    ///
    /// [`KeyFetchError`] when discovery or the JWK set cannot be fetched or used.
    pub async fn preload(&self) -> Result<(), KeyFetchError> {
        // With a revocation store, its rules load while the keys do.
        let revocations = self.validator().revocations();
        revocations.ensure_following();
        let keys = self.inner.validator.preload().await;
        // Waiting needs a timer, which a runtime without a time driver cannot give (the key
        // fetch said so).
        if keys
            .as_ref()
            .is_err_and(|error| matches!(error.kind(), crate::KeyFetchErrorKind::NoTimeDriver))
        {
            return keys;
        }
        if !revocations.loaded(crate::revocation::LOAD_WAIT).await {
            tracing::warn!(
                "the revocation store gave no rules within {:?}; serving with the rules known \
                 here until it does",
                crate::revocation::LOAD_WAIT
            );
        }
        keys
    }

    /// Decides whether `token` suffices for `policy`: the same decision, in the same order and
    /// with the same errors, as the extractors (see [`Policy`] for which policy each states).
    /// For code outside Axum handlers: WebSocket messages, tonic interceptors, background
    /// jobs. Needs a Tokio runtime (a key fetch runs as a task of its own). Each call is
    /// counted by the metrics (feature `metrics`).
    ///
    /// If you keep anything per token, key it by [`AuthInfo::jti`], never by the token's text
    /// (ECDSA signatures are malleable).
    ///
    /// # Errors
    ///
    /// What the extractor of the same policy would answer (see the table on
    /// [`AuthRejection`]): [`AuthError::InvalidToken`] with the failed rule,
    /// [`AuthError::KeysUnavailable`] when no key set could be loaded, or a 403 kind
    /// ([`AuthError::InsufficientScope`], [`AuthError::WrongOrg`],
    /// [`AuthError::OrgLevelToken`], [`AuthError::ClaimCheckFailed`]).
    pub async fn authorize(&self, token: &str, policy: &Policy<'_>) -> Result<AuthInfo, AuthError> {
        let result = self.validator().authorize(token, policy).await;
        match &result {
            Ok(_) => telemetry::accepted(),
            Err(error) => telemetry::refused(AuthError::from(*error).name()),
        }
        result.map_err(AuthError::from)
    }

    /// Validates an access token for this API (its `aud` must contain a configured audience)
    /// and returns what it says: [`authorize`](Self::authorize) with [`Policy::global`].
    /// Scopes are not checked here (see [`AuthInfo::scopes`], or [`Policy::scopes`]).
    ///
    /// A token with an `organization_id` claim is refused with [`AuthError::OrgLevelToken`]
    /// (403) unless [`allow_org_level_tokens`](LogtoStateBuilder::allow_org_level_tokens) is
    /// set.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] with the failed rule, [`AuthError::OrgLevelToken`], or
    /// [`AuthError::KeysUnavailable`] when no key set could ever be loaded.
    pub async fn validate(&self, token: &str) -> Result<AuthInfo, AuthError> {
        self.authorize(token, &Policy::global()).await
    }

    /// Validates an organization token (`aud` = `urn:logto:organization:<id>`) for the
    /// organization `org_id`: [`authorize`](Self::authorize) with [`Policy::org`]. An empty
    /// `org_id` matches no token.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate); a token that is not an organization token at all is
    /// [`InvalidTokenReason::WrongAudience`](crate::InvalidTokenReason::WrongAudience) (401),
    /// a valid organization token for another organization is [`AuthError::WrongOrg`] (403).
    pub async fn validate_org_token(
        &self,
        token: &str,
        org_id: &str,
    ) -> Result<AuthInfo, AuthError> {
        self.authorize(token, &Policy::org(Some(org_id))).await
    }

    /// Validates a token for an organization-level API resource (`aud` holds a configured
    /// audience, the `organization_id` claim is `org_id`): [`authorize`](Self::authorize) with
    /// [`Policy::org_api`].
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate); a token for this API without `organization_id` is
    /// [`AuthError::NotForOrg`] (403), one for another organization [`AuthError::WrongOrg`]
    /// (403).
    pub async fn validate_org_api_token(
        &self,
        token: &str,
        org_id: &str,
    ) -> Result<AuthInfo, AuthError> {
        self.authorize(token, &Policy::org_api(Some(org_id))).await
    }

    /// The former name of [`validate_org_token`](Self::validate_org_token).
    #[doc(hidden)]
    #[deprecated(note = "renamed `validate_org_token`")]
    pub async fn validate_organization_token(
        &self,
        token: &str,
        organization_id: &str,
    ) -> Result<AuthInfo, AuthError> {
        self.validate_org_token(token, organization_id).await
    }

    /// Revokes the tokens `rule` names: from now on they are refused with 401 `invalid_token`
    /// ("the access token was revoked",
    /// [`InvalidTokenReason::Revoked`](crate::InvalidTokenReason::Revoked)) by every extractor,
    /// the layer and `authorize`, here at once and on every replica that shares the
    /// [revocation store](LogtoStateBuilder::revocation_store). For admin tools and tests;
    /// Logto's own events arrive through [`webhook`](Self::webhook). A rule
    /// lives until no token it names can still be valid (its moment, plus the longest token
    /// lifetime — a day, or [`max_token_lifetime`](LogtoStateBuilder::max_token_lifetime) —
    /// plus the leeway); applying it twice changes nothing.
    ///
    /// ```
    /// # async fn run(logto: axum_logto::LogtoState) -> Result<(), axum_logto::StoreError> {
    /// use std::time::SystemTime;
    /// use axum_logto::Revocation;
    ///
    /// logto.revoke(Revocation::subject("user-1", SystemTime::now())).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError`](crate::StoreError) when the store could not share the rule: it holds in
    /// this process all the same.
    pub async fn revoke(&self, rule: Revocation) -> Result<(), StoreError> {
        self.validator().revocations().revoke(rule).await
    }

    /// The endpoint for Logto's webhooks, signed with `signing_key` (the hook's signing key in
    /// Logto): deliveries that take something away become revocations (see
    /// [`LogtoWebhook`] for the table of events and what each revokes). Serve it with
    /// [`LogtoWebhook::router`]; `signing_key` is never logged nor shown by `Debug`. An
    /// empty `signing_key` refuses every delivery (401): anyone could sign with it.
    pub fn webhook(&self, signing_key: impl AsRef<str>) -> LogtoWebhook {
        LogtoWebhook::new(self.validator().revocations().clone(), signing_key.as_ref())
    }

    /// A router that takes Logto's webhooks at `POST path`, with the default options:
    /// `self.webhook(signing_key).router(path)` (see [`LogtoWebhook`] for what each event
    /// revokes). Merge it outside any authentication: Logto signs its deliveries and sends no
    /// token.
    ///
    /// ```
    /// use axum::Router;
    /// use axum_logto::LogtoState;
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .build()
    ///     .unwrap();
    /// let app: Router = Router::new().merge(logto.webhook_router("/webhooks/logto", "signing key"));
    /// ```
    pub fn webhook_router<S: Clone + Send + Sync + 'static>(
        &self,
        path: &str,
        signing_key: impl AsRef<str>,
    ) -> Router<S> {
        self.webhook(signing_key).router(path)
    }

    /// The revocation rules live in this process (those of every replica, with a store).
    pub fn revocation_rules(&self) -> Vec<Revocation> {
        self.validator().revocations().rules()
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
