//! [`TokenRequestError`]: why the token endpoint gave no token.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// What kind of failure a [`TokenRequestError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenRequestErrorKind {
    /// The endpoint refused the request with an OAuth 2.0 error (RFC 6749 §5.2), which
    /// [`TokenRequestError::error`] and [`TokenRequestError::error_description`] carry:
    /// `invalid_client` (a wrong application id or secret, or a disabled application),
    /// `invalid_target` (an unknown resource), `invalid_scope` (a scope the application was
    /// not granted), `invalid_grant` (a subject token Logto does not take)…
    Refused,
    /// The endpoint answered with another status and no OAuth 2.0 error.
    Status(u16),
    /// No answer in time (the client's timeout, after its retries).
    Timeout,
    /// The connection failed.
    Transport,
    /// The answer is not a token response (not JSON, no `access_token`, a token that cannot
    /// be sent in a header).
    InvalidResponse,
}

/// The token endpoint gave no token: which endpoint, why, and what Logto said (never the
/// application's secret, nor any token).
#[derive(Clone)]
pub struct TokenRequestError {
    kind: TokenRequestErrorKind,
    endpoint: String,
    error: Option<String>,
    description: Option<String>,
    cause: Option<Arc<dyn Error + Send + Sync>>,
}

impl TokenRequestError {
    pub(crate) fn new(kind: TokenRequestErrorKind, endpoint: &str) -> Self {
        Self {
            kind,
            endpoint: endpoint.to_owned(),
            error: None,
            description: None,
            cause: None,
        }
    }

    pub(crate) fn refused(endpoint: &str, error: String, description: Option<String>) -> Self {
        Self {
            error: Some(error),
            description,
            ..Self::new(TokenRequestErrorKind::Refused, endpoint)
        }
    }

    /// What the endpoint said besides its status: its `error` and `error_description`.
    pub(crate) fn saying(mut self, error: String, description: Option<String>) -> Self {
        self.error = Some(error);
        self.description = description;
        self
    }

    pub(crate) fn with_cause(mut self, cause: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        self.cause = Some(Arc::from(cause.into()));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &TokenRequestErrorKind {
        &self.kind
    }

    /// The token endpoint asked.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The OAuth 2.0 `error` Logto answered (`invalid_client`, `invalid_target`…), if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Logto's `error_description`, if any.
    pub fn error_description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether asking again later may help (a timeout, a connection failure, a 5xx): what the
    /// client retries by itself; a refusal (4xx) is final.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            TokenRequestErrorKind::Timeout | TokenRequestErrorKind::Transport => true,
            TokenRequestErrorKind::Status(status) => status >= 500,
            TokenRequestErrorKind::Refused | TokenRequestErrorKind::InvalidResponse => false,
        }
    }

    /// A short `snake_case` name of the kind, for logs and metrics labels.
    pub fn name(&self) -> &'static str {
        match self.kind {
            TokenRequestErrorKind::Refused => "refused",
            TokenRequestErrorKind::Status(_) => "status",
            TokenRequestErrorKind::Timeout => "timeout",
            TokenRequestErrorKind::Transport => "transport",
            TokenRequestErrorKind::InvalidResponse => "invalid_response",
        }
    }
}

impl fmt::Display for TokenRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "requesting a token from {}: ", self.endpoint)?;
        match &self.kind {
            TokenRequestErrorKind::Refused => {
                write!(
                    f,
                    "refused with {}",
                    self.error.as_deref().unwrap_or_default()
                )?;
                if let Some(description) = &self.description {
                    write!(f, " ({description})")?;
                }
            }
            TokenRequestErrorKind::Status(status) => {
                write!(f, "the endpoint answered {status}")?;
                if let Some(error) = &self.error {
                    write!(f, " with {error}")?;
                }
                if let Some(description) = &self.description {
                    write!(f, " ({description})")?;
                }
            }
            TokenRequestErrorKind::Timeout => f.write_str("no answer in time")?,
            TokenRequestErrorKind::Transport => f.write_str("the connection failed")?,
            TokenRequestErrorKind::InvalidResponse => {
                f.write_str("the answer is not a token response")?;
            }
        }
        let mut cause = self.cause.as_deref().map(|c| c as &(dyn Error + 'static));
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for TokenRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequestError")
            .field("kind", &self.kind)
            .field("message", &self.to_string())
            .finish()
    }
}

impl Error for TokenRequestError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn Error + 'static))
    }
}
