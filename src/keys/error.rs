//! [`KeyFetchError`]: why the discovery document or the JWK set could not be loaded.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::settings::display_url;

/// Why the discovery document or the JWK set could not be loaded.
///
/// Returned by [`LogtoState::preload`](crate::LogtoState::preload), and logged at `warn` (one
/// line with the URL and the whole cause) when a background or on-demand fetch fails.
/// Requests never see it: they get [`AuthError::KeysUnavailable`](crate::AuthError) when no
/// key set was ever loaded, and keep using the last good set otherwise.
///
/// Its `Display` names what was fetched, the URL (without query) and the cause; the
/// underlying error (DNS, TLS, connection refused…) is also its [`source`](Error::source).
///
/// ```
/// # async fn run() {
/// use axum_logto::{KeyFetchErrorKind, LogtoState};
///
/// let logto = LogtoState::builder("http://127.0.0.1:9") // nothing listens there
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let error = logto.preload().await.unwrap_err();
/// assert_eq!(error.kind(), &KeyFetchErrorKind::Transport);
/// assert_eq!(
///     error.url(),
///     Some("http://127.0.0.1:9/oidc/.well-known/openid-configuration")
/// );
/// // "fetching the discovery document from http://127.0.0.1:9/oidc/...: the connection
/// //  failed: ... Connection refused ..."
/// println!("{error}");
/// # }
/// ```
#[derive(Clone)]
pub struct KeyFetchError {
    kind: KeyFetchErrorKind,
    document: Option<Document>,
    url: Option<String>,
    cause: Option<Arc<dyn Error + Send + Sync>>,
}

/// What kind of failure a [`KeyFetchError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFetchErrorKind {
    /// The fetch took longer than the configured fetch timeout (default 5 s).
    Timeout,
    /// The connection failed (DNS, TCP, TLS), the server closed it, a redirect was refused
    /// (the default client follows at most 3, and only on the same origin), or the answer
    /// came from another origin than the one asked. The cause says which.
    Transport,
    /// The server answered with a status other than 2xx.
    Status(u16),
    /// The body is larger than the configured maximum response size (default 256 KiB).
    TooLarge,
    /// The body is not a discovery document / JWK set (not JSON, or members missing or of
    /// the wrong type).
    InvalidDocument,
    /// The discovery document's `issuer` is not exactly the configured issuer; the cause
    /// names both.
    IssuerMismatch,
    /// The discovery document's `jwks_uri` is not on the endpoint's origin (scheme, host and
    /// port). A JWKS URI elsewhere can be configured explicitly with
    /// [`LogtoStateBuilder::jwks_uri`](crate::LogtoStateBuilder::jwks_uri).
    ForeignJwksUri,
    /// The JWK set holds no key this crate can use (EC P-256/P-384 or RSA of at least 2048
    /// bits, for signing).
    NoUsableKeys,
    /// The Tokio runtime has no time driver, which every fetch needs (its timeout, the
    /// refresh timer): build the runtime with `enable_all()` (as `#[tokio::main]` does) or
    /// `enable_time()`. Nothing was fetched.
    NoTimeDriver,
}

/// Which document a fetch was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    Discovery,
    Jwks,
}

impl Document {
    /// The `document` label and span field: `discovery` or `jwks`.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Discovery => "discovery",
            Self::Jwks => "jwks",
        }
    }
}

impl KeyFetchError {
    pub(crate) fn new(kind: KeyFetchErrorKind) -> Self {
        Self {
            kind,
            document: None,
            url: None,
            cause: None,
        }
    }

    /// Adds the underlying error.
    pub(crate) fn with_cause(mut self, cause: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        self.cause = Some(Arc::from(cause.into()));
        self
    }

    /// Adds what was fetched, unless already known.
    pub(crate) fn at(mut self, document: Document, url: &Url) -> Self {
        if self.url.is_none() {
            self.document = Some(document);
            self.url = Some(display_url(url));
        }
        self
    }

    /// A timeout of the whole exchange.
    pub(crate) fn timeout(after: Duration) -> Self {
        Self::new(KeyFetchErrorKind::Timeout).with_cause(format!("no answer within {after:?}"))
    }

    /// A transport failure reported by reqwest, without the URL it may repeat (with query).
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            KeyFetchErrorKind::Timeout
        } else {
            KeyFetchErrorKind::Transport
        };
        Self::new(kind).with_cause(error.without_url())
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &KeyFetchErrorKind {
        &self.kind
    }

    /// The URL fetched, without query, when the failure happened during a fetch.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

impl KeyFetchErrorKind {
    /// A short `snake_case` name, stable for logs and metrics labels (`timeout`, `status`…).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Status(_) => "status",
            Self::TooLarge => "too_large",
            Self::InvalidDocument => "invalid_document",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::ForeignJwksUri => "foreign_jwks_uri",
            Self::NoUsableKeys => "no_usable_keys",
            Self::NoTimeDriver => "no_time_driver",
        }
    }

    fn description(&self) -> String {
        match self {
            Self::Timeout => "the fetch timed out".to_owned(),
            Self::Transport => "the connection failed".to_owned(),
            Self::Status(code) => format!("the server answered with status {code}"),
            Self::TooLarge => "the response is larger than the configured maximum".to_owned(),
            Self::InvalidDocument => "the response is not a valid document".to_owned(),
            Self::IssuerMismatch => {
                "the discovery document names another issuer than the configured one".to_owned()
            }
            Self::ForeignJwksUri => {
                "the discovered jwks_uri is not on the endpoint's origin".to_owned()
            }
            Self::NoUsableKeys => "the JWK set holds no usable signing key".to_owned(),
            Self::NoTimeDriver => "the Tokio runtime has no time driver, which key fetches \
                                   need: build it with enable_all() or enable_time()"
                .to_owned(),
        }
    }
}

impl fmt::Display for KeyFetchErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl fmt::Display for KeyFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(url) = &self.url {
            let what = match self.document {
                Some(Document::Discovery) => "the discovery document",
                _ => "the JWK set",
            };
            write!(f, "fetching {what} from {url}: ")?;
        }
        write!(f, "{}", self.kind)?;
        // The whole chain in one line: the one `warn` an operator sees says why.
        let mut cause = self.cause.as_deref().map(|c| c as &(dyn Error + 'static));
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for KeyFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `main` returning this error prints its Debug form: keep it as readable as Display.
        f.debug_struct("KeyFetchError")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("message", &self.to_string())
            .finish()
    }
}

impl Error for KeyFetchError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn Error + 'static))
    }
}

/// The discovered and the configured issuer differ: the cause of
/// [`KeyFetchErrorKind::IssuerMismatch`].
#[derive(Debug)]
pub(crate) struct IssuerMismatch {
    pub(crate) discovered: String,
    pub(crate) configured: String,
}

impl fmt::Display for IssuerMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug-quoted: the discovered value comes from the network.
        write!(
            f,
            "discovered issuer {:?}, configured issuer {:?}",
            self.discovered, self.configured
        )
    }
}

impl Error for IssuerMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_url_and_the_whole_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let error = KeyFetchError::new(KeyFetchErrorKind::Transport)
            .with_cause(io)
            .at(
                Document::Jwks,
                &Url::parse("https://t.logto.app/oidc/jwks?x=secret").unwrap(),
            );
        assert_eq!(
            error.to_string(),
            "fetching the JWK set from https://t.logto.app/oidc/jwks: the connection failed: refused"
        );
        assert_eq!(error.source().unwrap().to_string(), "refused");
        assert_eq!(error.url(), Some("https://t.logto.app/oidc/jwks"));
    }

    #[test]
    fn issuer_mismatch_names_both_issuers() {
        let error =
            KeyFetchError::new(KeyFetchErrorKind::IssuerMismatch).with_cause(IssuerMismatch {
                discovered: "https://a/oidc".into(),
                configured: "https://b/oidc".into(),
            });
        assert_eq!(
            error.to_string(),
            r#"the discovery document names another issuer than the configured one: discovered issuer "https://a/oidc", configured issuer "https://b/oidc""#
        );
    }
}
