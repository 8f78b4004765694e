//! The resolved settings the validation core reads, their defaults, and the URL rules.
//!
//! The builder ([`LogtoStateBuilder`](crate::LogtoStateBuilder)) checks the user's options and
//! turns them into these plain values; the core (`keys`, `token`) reads only this module, so
//! it never reaches the builder, the state or anything of Axum.

use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use crate::scope::ScopeHierarchy;

/// Default leeway for `exp`, `nbf` and `iat`: 60 seconds.
pub(crate) const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Default time limit for one discovery or JWKS fetch: 5 seconds.
pub(crate) const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default interval of the background key refresh: 10 minutes.
pub(crate) const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(600);
/// Default cooldown after a fetch caused by an unknown `kid`: 30 seconds.
pub(crate) const DEFAULT_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);
/// Default wait between fetch attempts while no key set was ever loaded: 2 seconds.
pub(crate) const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(2);
/// The largest leeway `build()` accepts: 5 minutes. More would keep expired tokens alive for
/// longer than any real clock skew explains.
pub(crate) const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// Default time the last good key set is used without one successful fetch: 24 hours.
pub(crate) const DEFAULT_MAX_KEY_SET_AGE: Duration = Duration::from_secs(24 * 3600);
/// Default capacity of the verified-token cache: 16 MiB (about 6,000 Logto tokens).
pub(crate) const DEFAULT_VERIFIED_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// The shortest timing option (`fetch_timeout`, `refresh_interval`, `retry_interval`,
/// `unknown_kid_cooldown`, `max_key_set_age`) `build()` accepts: 100 ms. Shorter ones would
/// make the key store fetch without pause (a key set age of 1 µs made 577 fetches a second).
pub(crate) const MIN_TIMING: Duration = Duration::from_millis(100);
/// Default cap on the size of an access token: 8 KiB.
pub(crate) const DEFAULT_MAX_TOKEN_SIZE: usize = 8 * 1024;
/// Default cap on the size of a discovery or JWKS response body: 256 KiB.
pub(crate) const DEFAULT_MAX_RESPONSE_SIZE: usize = 256 * 1024;

/// What token validation reads (steps 1-3 and 5 of the README's "Security" section).
#[derive(Debug, Clone)]
pub(crate) struct ValidationSettings {
    /// The accepted `iss` values; the first is the tenant's own (`<endpoint>/oidc`).
    pub(crate) issuers: Vec<String>,
    /// The accepted API resource indicators, compared byte for byte.
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: Duration,
    pub(crate) max_token_size: usize,
    /// Whether global routes accept tokens with an `organization_id` claim.
    pub(crate) allow_org_level_tokens: bool,
    /// The applications (`client_id`) whose tokens are accepted; `None`: any.
    pub(crate) allowed_clients: Option<Vec<String>>,
    /// The verified-token cache's capacity in bytes; 0 turns it off.
    pub(crate) verified_cache_bytes: usize,
    /// The longest lifetime (`exp` after `iat`, and after now) a token may have; `None`: any.
    pub(crate) max_token_lifetime: Option<Duration>,
    /// Which scopes imply which, applied where a token's `scope` claim is read.
    pub(crate) scope_hierarchy: ScopeHierarchy,
}

/// What the key store reads.
#[derive(Debug, Clone)]
pub(crate) struct FetchSettings {
    pub(crate) client: reqwest::Client,
    /// `None` when the JWKS URI was configured explicitly (no discovery).
    pub(crate) discovery_url: Option<Url>,
    /// The configured JWKS URI, if any.
    pub(crate) jwks_uri: Option<Url>,
    /// The issuer discovery must name.
    pub(crate) issuer: String,
    pub(crate) timeout: Duration,
    pub(crate) refresh_interval: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) retry_interval: Duration,
    /// How long the last good key set serves without one successful fetch.
    pub(crate) max_key_set_age: Duration,
    pub(crate) max_response_size: usize,
}

/// `https` with a host, or `http` to a loopback host (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Whether two URLs share an origin: scheme, host and port (RFC 6454).
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A URL as it may appear in a log line or an error: without query, fragment or credentials.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Both only fail for URLs that cannot carry credentials, which then have none.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn secure_urls() {
        for ok in [
            "https://t.logto.app",
            "http://localhost:3001",
            "http://LOCALHOST",
            "http://127.8.9.10",
            "http://[::1]:1",
        ] {
            assert!(is_secure_url(&url(ok)), "{ok}");
        }
        for bad in ["http://t.logto.app", "http://10.0.0.1", "ftp://localhost/x"] {
            assert!(!is_secure_url(&url(bad)), "{bad}");
        }
    }

    #[test]
    fn origins() {
        let a = url("https://t.logto.app/oidc/jwks");
        assert!(same_origin(&a, &url("https://t.logto.app:443/x")));
        assert!(!same_origin(&a, &url("http://t.logto.app/oidc/jwks")));
        assert!(!same_origin(&a, &url("https://t.logto.app:8443/oidc/jwks")));
        assert!(!same_origin(&a, &url("https://evil.example/oidc/jwks")));
    }

    #[test]
    fn urls_are_shown_without_secrets() {
        assert_eq!(
            display_url(&url("https://u:p@t.logto.app/oidc/jwks?sig=secret#f")),
            "https://t.logto.app/oidc/jwks"
        );
    }
}
