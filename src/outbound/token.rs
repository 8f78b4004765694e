//! [`AccessToken`]: a token this API got from the tenant's token endpoint, to call another API
//! with.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::HeaderValue;

/// An access token from the tenant's token endpoint, for calling another API: as this API's
/// application ([`LogtoClient::token`](crate::LogtoClient::token)) or on behalf of its caller
/// ([`LogtoClient::exchange`](crate::LogtoClient::exchange)).
///
/// The token itself is a secret: `Debug` shows when it expires and what it grants, never the
/// token; [`secret`](Self::secret) and [`authorization`](Self::authorization) hand it out, to
/// the HTTP client that sends it.
///
/// With any `reqwest` (whatever its version, it takes a `&str`):
///
/// ```no_run
/// # async fn call(token: &axum_logto::AccessToken) -> Result<(), Box<dyn std::error::Error>> {
/// let users = axum_logto::reqwest::Client::new()
///     .get("https://my-tenant.logto.app/api/users")
///     .bearer_auth(token.secret())
///     .send()
///     .await?;
/// # let _ = users; Ok(()) }
/// ```
///
/// With any HTTP client built on `http` 1.x (hyper, reqwest 0.12 and 0.13, tonic metadata),
/// the header value itself, marked sensitive: `.header(AUTHORIZATION, token.authorization())`.
///
/// Cheap to clone (one `Arc`): a cached token is handed out without a copy.
#[derive(Clone)]
pub struct AccessToken(Arc<Inner>);

struct Inner {
    secret: Box<str>,
    authorization: HeaderValue,
    expires_at: SystemTime,
    /// When it expires on this process's monotonic clock.
    expires: Instant,
    scope: Option<Box<str>>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_at", &self.0.expires_at)
            .field("scope", &self.0.scope)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// A token `secret` that lives `expires_in` from now; `None` when it cannot be sent in a
    /// header (not visible ASCII).
    pub(crate) fn new(secret: String, expires_in: Duration, scope: Option<String>) -> Option<Self> {
        let mut authorization = HeaderValue::try_from(format!("Bearer {secret}")).ok()?;
        authorization.set_sensitive(true);
        Some(Self(Arc::new(Inner {
            secret: secret.into(),
            authorization,
            expires_at: SystemTime::now() + expires_in,
            expires: Instant::now() + expires_in,
            scope: scope.map(Into::into),
        })))
    }

    /// When it expires on this process's monotonic clock.
    pub(crate) fn expires(&self) -> Instant {
        self.0.expires
    }

    /// The token, to send as `Authorization: Bearer <token>`. Never log it.
    pub fn secret(&self) -> &str {
        &self.0.secret
    }

    /// `Bearer <token>` as a header value, marked sensitive (so that HTTP/2 never indexes it,
    /// and `http`'s own `Debug` hides it).
    pub fn authorization(&self) -> HeaderValue {
        self.0.authorization.clone()
    }

    /// When the token expires (the endpoint's `expires_in` from when it answered).
    pub fn expires_at(&self) -> SystemTime {
        self.0.expires_at
    }

    /// The scopes the endpoint says it granted (`scope`), if it said.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }
}
