//! [`AuthRejection`]: the response an extractor answers with, per RFC 6750 and RFC 9068.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

use crate::error::AuthError;
use crate::scope::RequiredScopes;

/// Whether `realm` can be quoted in a challenge as it is: no `"`, `\` or control character.
pub(crate) fn is_quotable_realm(realm: &str) -> bool {
    !realm
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
}

/// A function that turns every rejection into your own response; set with
/// [`LogtoStateBuilder::on_rejection`](crate::LogtoStateBuilder::on_rejection).
pub(crate) type RejectionHook = Arc<dyn Fn(&AuthRejection) -> Response + Send + Sync>;

/// What a rejection needs from the state: fixed at `build()`.
pub(crate) struct RejectionContext {
    pub(crate) realm: String,
    pub(crate) retry_after: Duration,
    pub(crate) hook: Option<RejectionHook>,
    /// The absolute URL of the protected-resource metadata (RFC 9728), named in 401s and 403s.
    pub(crate) resource_metadata: Option<String>,
}

impl fmt::Debug for RejectionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RejectionContext")
            .field("realm", &self.realm)
            .field("retry_after", &self.retry_after)
            .field("hook", &self.hook.is_some())
            .field("resource_metadata", &self.resource_metadata)
            .finish()
    }
}

/// The rejection of every extractor of this crate, of [`LogtoLayer`](crate::LogtoLayer), and
/// of [`LogtoState::reject`](crate::LogtoState::reject).
///
/// As a response ([`IntoResponse`]) it follows RFC 6750 and RFC 9068. This is the crate's one
/// response table:
///
/// | case | [`AuthError`] | status | `WWW-Authenticate` | body `error` |
/// |---|---|---|---|---|
/// | no bearer token | `MissingToken` | 401 | `Bearer realm="…"` | `unauthorized` |
/// | bad token: malformed, signature, expired, issuer, audience, `typ`, application, revoked | `InvalidToken(reason)` | 401 | `Bearer realm="…", error="invalid_token", error_description="…"` | `invalid_token` |
/// | valid token without the route's scopes | `InsufficientScope` | 403 | `Bearer realm="…", error="insufficient_scope", error_description="…"` | `insufficient_scope` |
/// | valid token for another organization | `WrongOrg` | 403 | as above | `insufficient_scope` |
/// | valid token for no organization on an organization-level API route | `NotForOrg` | 403 | as above | `insufficient_scope` |
/// | organization-level token on a global route | `OrgLevelToken` | 403 | as above | `insufficient_scope` |
/// | valid token that fails the route's claim check | `ClaimCheckFailed` | 403 | as above, the check's description | `insufficient_scope` |
/// | credentials sent twice or malformed | `InvalidRequest` | 400 | `Bearer realm="…", error="invalid_request", error_description="…"` | `invalid_request` |
/// | an organization route the request names no organization for | `MissingOrg` | 400 | as above | `invalid_request` |
/// | a route set up wrongly (server bug), e.g. `OrgFromPath` on a route without its organization parameter | `MisconfiguredRoute` | 500 | none | `server_error` |
/// | keys unavailable | `KeysUnavailable` | 503 | none; `Retry-After: <seconds>` | `temporarily_unavailable` |
/// | revocations unavailable (a state that fails closed, its store unreachable) | `RevocationsUnavailable` | 503 | none; `Retry-After: <seconds>` | `temporarily_unavailable` |
///
/// Every 401 and 403 challenge of a route that requires scopes also names them,
/// `scope="…"` (space-separated), so that a client asks for the right ones the first time;
/// with [protected-resource metadata](crate::ResourceMetadata) configured, every 401 and 403
/// also names its URL, `resource_metadata="…"` (RFC 9728). The body is JSON:
/// `{"error": "<code>", "error_description": "<fixed text>"}`.
///
/// To answer differently, either wrap the extractor in
/// `axum_extra::extract::WithRejection<E, YourError>` with `impl From<AuthRejection> for
/// YourError` (and [`with_body`](Self::with_body) to keep the challenge), or set a hook for
/// every extractor and the layer with
/// [`LogtoStateBuilder::on_rejection`](crate::LogtoStateBuilder::on_rejection).
///
/// ```
/// use axum::response::IntoResponse;
/// use axum_logto::{AuthError, InvalidTokenReason, LogtoState};
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let rejection = logto.reject(AuthError::InvalidToken(InvalidTokenReason::Expired));
/// assert_eq!(rejection.status(), 401);
/// assert_eq!(
///     rejection.www_authenticate().unwrap(),
///     r#"Bearer realm="https://api.example.com", error="invalid_token", error_description="the access token has expired""#
/// );
/// let response = rejection.into_response();
/// assert_eq!(response.status(), 401);
/// ```
#[derive(Clone)]
pub struct AuthRejection {
    error: AuthError,
    /// What the route required of the token's scopes, named in 401 and 403 challenges.
    required: RequiredScopes,
    context: Arc<RejectionContext>,
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.error)
            .field("required_scopes", &self.required.names)
            .field("realm", &self.context.realm)
            .finish_non_exhaustive()
    }
}

impl AuthRejection {
    /// A rejection for a route that requires `required`, with the state's context.
    pub(crate) fn with_context(
        error: AuthError,
        required: RequiredScopes,
        context: Arc<RejectionContext>,
    ) -> Self {
        log_rejection(&error);
        Self {
            error,
            required,
            context,
        }
    }

    /// What went wrong.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// Consumes the rejection, returning what went wrong.
    pub fn into_error(self) -> AuthError {
        self.error
    }

    /// The HTTP status: 400, 401, 403, 500 or 503.
    pub fn status(&self) -> StatusCode {
        self.error.status()
    }

    /// The RFC 6750 error code, if any (`invalid_request`, `invalid_token`,
    /// `insufficient_scope`).
    pub fn error_code(&self) -> Option<&'static str> {
        self.error.error_code()
    }

    /// The `error` member of the default JSON body: the RFC 6750 code, or `unauthorized`,
    /// `server_error` or `temporarily_unavailable` (see [`AuthError::body_code`]).
    pub fn body_code(&self) -> &'static str {
        self.error.body_code()
    }

    /// The fixed description.
    pub fn description(&self) -> &'static str {
        self.error.description()
    }

    /// The scopes the route requires (all of them, or one of them for
    /// [`AnyOf`](crate::AnyOf)), as its challenges name them; empty when it requires none.
    pub fn required_scopes(&self) -> &'static [&'static str] {
        self.required.names
    }

    /// The realm of the challenge.
    pub fn realm(&self) -> &str {
        &self.context.realm
    }

    /// The `WWW-Authenticate` challenge, or `None` for the 500 and the 503 (which have none).
    pub fn www_authenticate(&self) -> Option<String> {
        // Server-side trouble (500, 503) is no matter of credentials: no challenge.
        if self.error.status().is_server_error() {
            return None;
        }
        let mut challenge = format!("Bearer realm=\"{}\"", self.context.realm);
        if let Some(code) = self.error.error_code() {
            challenge.push_str(&format!(
                ", error=\"{code}\", error_description=\"{}\"",
                self.error.description()
            ));
        }
        // A 400 is a malformed request, not a matter of authorization: no scope, no metadata.
        if self.error.status() == StatusCode::BAD_REQUEST {
            return Some(challenge);
        }
        // The scopes the route needs, in 401s too (RFC 6750 §3), so that a client asks for
        // the right ones the first time.
        if let [first, rest @ ..] = self.required.names {
            challenge.push_str(", scope=\"");
            challenge.push_str(first);
            for scope in rest {
                challenge.push(' ');
                challenge.push_str(scope);
            }
            challenge.push('"');
        }
        // RFC 9728 §5.1: where a client finds which authorization server to ask; in 403s
        // too, where an MCP client steps up to more scopes (MCP authorization, "Scope
        // Challenge Handling").
        if let Some(url) = &self.context.resource_metadata {
            challenge.push_str(&format!(", resource_metadata=\"{url}\""));
        }
        Some(challenge)
    }

    /// The `Retry-After` value in seconds for the 503s (the retry interval, at least 1).
    pub fn retry_after_secs(&self) -> Option<u64> {
        (self.error.status() == StatusCode::SERVICE_UNAVAILABLE)
            .then(|| self.context.retry_after.as_secs_f64().ceil().max(1.0) as u64)
    }

    /// The response this crate sends when no hook is set, also for use inside a hook that
    /// only wants to adjust it.
    pub fn default_response(&self) -> Response {
        // Codes and descriptions are fixed ASCII without `"` or `\`: no escaping needed,
        // but serde_json keeps that true even if one ever changes.
        let body = serde_json::json!({
            "error": self.error.body_code(),
            "error_description": self.error.description(),
        })
        .to_string();
        let mut response = (
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response();
        self.keep_rfc_6750(&mut response);
        response
    }

    /// This rejection's answer with your own body (and its content type): the status,
    /// `WWW-Authenticate` and `Retry-After` stay as RFC 6750 wants them. For a
    /// `WithRejection` error type or a hook that only changes the body.
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use axum::Json;
    /// use axum_logto::AuthRejection;
    /// use serde_json::json;
    ///
    /// /// The API's own error shape, keeping the challenge a client needs.
    /// struct ApiError(AuthRejection);
    ///
    /// impl From<AuthRejection> for ApiError {
    ///     fn from(rejection: AuthRejection) -> Self {
    ///         Self(rejection)
    ///     }
    /// }
    ///
    /// impl IntoResponse for ApiError {
    ///     fn into_response(self) -> Response {
    ///         let body = Json(json!({ "ok": false, "code": self.0.body_code() }));
    ///         self.0.with_body(body)
    ///     }
    /// }
    /// ```
    pub fn with_body(&self, body: impl IntoResponse) -> Response {
        let mut response = body.into_response();
        self.keep_rfc_6750(&mut response);
        response
    }

    /// Sets this rejection's status, `WWW-Authenticate` and `Retry-After` on `response`.
    fn keep_rfc_6750(&self, response: &mut Response) {
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        // Visible ASCII by construction: the realm is checked by `build()`, scope names at
        // compile time, descriptions are fixed, and a URL serializes percent-encoded.
        if let Some(value) = self
            .www_authenticate()
            .and_then(|challenge| HeaderValue::try_from(challenge).ok())
        {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        if let Some(secs) = self.retry_after_secs() {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

fn log_rejection(error: &AuthError) {
    // Never the token itself: only the kind of failure.
    tracing::debug!(
        status = error.status().as_u16(),
        reason = error.name(),
        "request refused: {}",
        error.description()
    );
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self.context.hook {
            Some(hook) => hook(&self),
            None => self.default_response(),
        }
    }
}
