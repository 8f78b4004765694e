//! The OpenID discovery document: only `issuer` and `jwks_uri` are read.

use serde::Deserialize;
use url::Url;

use super::error::{IssuerMismatch, KeyFetchError, KeyFetchErrorKind};
use crate::settings::same_origin;

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

/// Parses the discovery document fetched from `discovery_url`, checks that its `issuer` is
/// exactly `expected_issuer`, and returns its `jwks_uri`, which must be on the origin of
/// `discovery_url` (the endpoint's).
pub(crate) fn jwks_uri_from_discovery(
    body: &[u8],
    discovery_url: &Url,
    expected_issuer: &str,
) -> Result<Url, KeyFetchError> {
    let invalid = || KeyFetchError::new(KeyFetchErrorKind::InvalidDocument);
    let doc: DiscoveryDocument =
        serde_json::from_slice(body).map_err(|error| invalid().with_cause(error))?;
    if doc.issuer != expected_issuer {
        return Err(
            KeyFetchError::new(KeyFetchErrorKind::IssuerMismatch).with_cause(IssuerMismatch {
                discovered: doc.issuer,
                configured: expected_issuer.to_owned(),
            }),
        );
    }
    let uri = Url::parse(&doc.jwks_uri).map_err(|error| invalid().with_cause(error))?;
    if !same_origin(&uri, discovery_url) {
        return Err(KeyFetchError::new(KeyFetchErrorKind::ForeignJwksUri));
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://t.logto.app/oidc";

    fn at() -> Url {
        Url::parse("https://t.logto.app/oidc/.well-known/openid-configuration").unwrap()
    }

    fn kind(body: &[u8]) -> KeyFetchErrorKind {
        jwks_uri_from_discovery(body, &at(), ISS)
            .unwrap_err()
            .kind()
            .clone()
    }

    #[test]
    fn reads_the_jwks_uri() {
        let body = br#"{"issuer":"https://t.logto.app/oidc","jwks_uri":"https://t.logto.app/oidc/jwks","token_endpoint":"x"}"#;
        assert_eq!(
            jwks_uri_from_discovery(body, &at(), ISS).unwrap().as_str(),
            "https://t.logto.app/oidc/jwks"
        );
    }

    #[test]
    fn issuer_must_match_exactly() {
        let body =
            br#"{"issuer":"https://t.logto.app/oidc/","jwks_uri":"https://t.logto.app/oidc/jwks"}"#;
        assert_eq!(kind(body), KeyFetchErrorKind::IssuerMismatch);
    }

    #[test]
    fn rejects_garbage_and_foreign_uris() {
        assert_eq!(kind(b"<html>"), KeyFetchErrorKind::InvalidDocument);
        assert_eq!(
            kind(br#"{"issuer":"https://t.logto.app/oidc"}"#),
            KeyFetchErrorKind::InvalidDocument
        );
        for foreign in [
            "http://evil.example/jwks",
            "https://evil.example/oidc/jwks",
            "http://t.logto.app/oidc/jwks",
            "https://t.logto.app:8443/oidc/jwks",
            "http://127.0.0.1/oidc/jwks",
        ] {
            let body = format!(r#"{{"issuer":"https://t.logto.app/oidc","jwks_uri":"{foreign}"}}"#);
            assert_eq!(
                kind(body.as_bytes()),
                KeyFetchErrorKind::ForeignJwksUri,
                "{foreign}"
            );
        }
    }
}
