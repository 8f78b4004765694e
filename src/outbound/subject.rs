//! [`SubjectToken`]: the caller's verified token, for a token exchange only.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::claims::AuthInfo;

/// The caller's access token, verified, for [`LogtoClient::exchange`](crate::LogtoClient::exchange)
/// only: a token on the caller's behalf for another API. Made by the
/// [`CallerToken`](crate::CallerToken) extractor (or, outside Axum, from a token and what
/// [`LogtoState::validate`](crate::LogtoState::validate) made of it). The token is never
/// logged and never shown by `Debug`; nothing but the exchange reads it.
#[derive(Clone)]
pub struct SubjectToken {
    secret: Box<str>,
    sub: String,
    jti: Option<String>,
    exp: i64,
}

impl fmt::Debug for SubjectToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectToken")
            .field("sub", &self.sub)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

impl SubjectToken {
    /// `token`, which `info` is what validating it said (an exchange is cached by the
    /// token's `sub`, `jti` and `exp`, and never longer than it lives).
    pub fn new(token: impl Into<String>, info: &AuthInfo) -> Self {
        Self {
            secret: token.into().into(),
            sub: info.sub().to_owned(),
            jti: info.jti().map(str::to_owned),
            exp: info.expires_at(),
        }
    }

    /// The caller's subject.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// The token's `jti`: with `sub` and `exp`, what an exchange is cached by.
    pub(crate) fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// The token's `exp`.
    pub(crate) fn exp(&self) -> i64 {
        self.exp
    }

    /// When the token expires, on this process's monotonic clock.
    pub(crate) fn expires(&self) -> Instant {
        let exp = UNIX_EPOCH + Duration::from_secs(u64::try_from(self.exp).unwrap_or(0));
        let left = exp
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        Instant::now() + left
    }
}
