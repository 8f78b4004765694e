//! [`ConfigError`]: why a configuration was refused, naming the option and the value.

use std::fmt;
use std::time::Duration;

/// Why [`LogtoStateBuilder::build`](crate::LogtoStateBuilder::build) refused the configuration. Each variant names the option
/// and, where there is one, the value that was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A URL (`what` says which option) could not be parsed, is not absolute, uses a scheme
    /// other than `http`/`https`, or carries a query or fragment.
    InvalidUrl {
        /// The option: `"endpoint"`, `"issuer"`, `"additional_issuer"`, `"jwks_uri"`,
        /// `"resource_metadata public_url"` or `"resource_metadata resource"`.
        what: &'static str,
        /// The value refused.
        value: String,
    },
    /// A URL uses plain `http` to a host that is not loopback (`localhost`, `127.0.0.0/8`,
    /// `::1`). Keys fetched over plain HTTP could be replaced by anyone on the path.
    InsecureUrl {
        /// The option: `"endpoint"`, `"issuer"`, `"additional_issuer"`, `"jwks_uri"`,
        /// `"resource_metadata public_url"` or `"resource_metadata resource"`.
        what: &'static str,
        /// The value refused.
        value: String,
    },
    /// No audience was configured, and [`LogtoStateBuilder::org_tokens_only`](crate::LogtoStateBuilder::org_tokens_only) was not
    /// called either.
    MissingAudience,
    /// An audience is empty or contains whitespace.
    InvalidAudience {
        /// The value refused.
        value: String,
    },
    /// The realm is empty or contains `"`, `\` or a control character.
    InvalidRealm {
        /// The value refused.
        value: String,
    },
    /// A duration or size option is zero where it must not be (`what` says which).
    InvalidLimit {
        /// The option: `"fetch_timeout"`, `"refresh_interval"`, `"retry_interval"`,
        /// `"unknown_kid_cooldown"`, `"max_key_set_age"`, `"max_token_size"`,
        /// `"max_response_size"` or `"max_token_lifetime"`.
        what: &'static str,
    },
    /// A timing option is shorter than this crate allows (100 ms): a refresh interval of a
    /// microsecond, say, would make the key store fetch without pause.
    TooShort {
        /// The option: `"fetch_timeout"`, `"refresh_interval"`, `"retry_interval"`,
        /// `"unknown_kid_cooldown"` or `"max_key_set_age"`.
        what: &'static str,
        /// The value refused.
        value: Duration,
        /// The shortest value allowed.
        min: Duration,
    },
    /// A cookie or query parameter name is empty or holds a character it cannot hold (space,
    /// `=`, `;`, `,`, `"`, a control or non-ASCII character).
    InvalidName {
        /// The option: `"token_from_cookie"` or `"token_from_query"`.
        what: &'static str,
        /// The value refused.
        value: String,
    },
    /// The leeway is longer than 5 minutes: it tolerates clock skew, not expired tokens.
    LeewayTooLarge {
        /// The value refused.
        leeway: Duration,
    },
    /// Protected-resource metadata is configured, but there is no audience to take its
    /// `resource` from: set [`ResourceMetadata::resource`](crate::ResourceMetadata::resource).
    MissingResource,
    /// An entry of the protected-resource metadata's
    /// [`scopes_supported`](crate::ResourceMetadata::scopes_supported) that is not an RFC 6749
    /// scope-token (empty, a space, a quote…), or is `offline_access`, which asks for a
    /// refresh token and is no permission on the resource (MCP servers should not list it).
    ScopeNotSupported {
        /// The value refused.
        value: String,
    },
    /// The default HTTP client could not be built (TLS backend initialisation failed).
    HttpClient,
    /// A [`LogtoClient`](crate::LogtoClient)'s application id or secret is empty.
    MissingApplication,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { what, value } => write!(
                f,
                "the {what} {value:?} is not an absolute http(s) URL without query or fragment"
            ),
            Self::InsecureUrl { what, value } => write!(
                f,
                "the {what} {value:?} uses plain http to a host that is not loopback; use https"
            ),
            Self::MissingAudience => f.write_str(
                "no audience is configured: call .audience(\"<API resource indicator>\"), \
                 or .org_tokens_only() for an API that takes only organization tokens",
            ),
            Self::InvalidAudience { value } => {
                write!(f, "the audience {value:?} is empty or contains whitespace")
            }
            Self::InvalidRealm { value } => write!(
                f,
                "the realm {value:?} is empty or contains a double quote, a backslash or a \
                 control character"
            ),
            Self::InvalidLimit { what } => write!(f, "the {what} must be greater than zero"),
            Self::TooShort { what, value, min } => {
                write!(
                    f,
                    "the {what} {value:?} is shorter than the {min:?} allowed"
                )
            }
            Self::InvalidName { what, value } => {
                write!(
                    f,
                    "the {what} name {value:?} is empty or holds a character it cannot hold"
                )
            }
            Self::LeewayTooLarge { leeway } => write!(
                f,
                "the leeway {leeway:?} is longer than the 5 minutes allowed: it tolerates clock \
                 skew, not expired tokens"
            ),
            Self::MissingResource => f.write_str(
                "the protected-resource metadata needs a resource: configure an audience, or \
                 set ResourceMetadata::resource",
            ),
            Self::ScopeNotSupported { value } if value == "offline_access" => f.write_str(
                "scopes_supported lists offline_access, which asks for a refresh token and is \
                 no permission on this resource: leave it out (a client that wants a refresh \
                 token asks for it itself)",
            ),
            Self::ScopeNotSupported { value } => write!(
                f,
                "the scopes_supported entry {value:?} is not an RFC 6749 scope-token"
            ),
            Self::HttpClient => f.write_str("the default HTTP client could not be built"),
            Self::MissingApplication => f.write_str(
                "the application id or secret is empty: give the id and secret of a Logto \
                 application (machine-to-machine, or one allowed to exchange tokens)",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}
