//! The OpenID discovery document: only `issuer` and `jwks_uri` are read.

use serde::Deserialize;
use url::Url;

use crate::config::is_secure_url;
use crate::jwks::KeyFetchError;

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

/// Parses a discovery document, checks that its `issuer` is exactly `expected_issuer`, and
/// returns its `jwks_uri` (which must be https, or http to loopback).
pub(crate) fn jwks_uri_from_discovery(
    body: &[u8],
    expected_issuer: &str,
) -> Result<Url, KeyFetchError> {
    let doc: DiscoveryDocument =
        serde_json::from_slice(body).map_err(|_| KeyFetchError::InvalidDocument)?;
    if doc.issuer != expected_issuer {
        return Err(KeyFetchError::IssuerMismatch);
    }
    let uri = Url::parse(&doc.jwks_uri).map_err(|_| KeyFetchError::InvalidDocument)?;
    if !is_secure_url(&uri) {
        return Err(KeyFetchError::InsecureJwksUri);
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://t.logto.app/oidc";

    #[test]
    fn reads_the_jwks_uri() {
        let body = br#"{"issuer":"https://t.logto.app/oidc","jwks_uri":"https://t.logto.app/oidc/jwks","token_endpoint":"x"}"#;
        assert_eq!(
            jwks_uri_from_discovery(body, ISS).unwrap().as_str(),
            "https://t.logto.app/oidc/jwks"
        );
    }

    #[test]
    fn issuer_must_match_exactly() {
        let body =
            br#"{"issuer":"https://t.logto.app/oidc/","jwks_uri":"https://t.logto.app/oidc/jwks"}"#;
        assert_eq!(
            jwks_uri_from_discovery(body, ISS).unwrap_err(),
            KeyFetchError::IssuerMismatch
        );
    }

    #[test]
    fn rejects_garbage_and_insecure_uris() {
        assert_eq!(
            jwks_uri_from_discovery(b"<html>", ISS).unwrap_err(),
            KeyFetchError::InvalidDocument
        );
        assert_eq!(
            jwks_uri_from_discovery(br#"{"issuer":"https://t.logto.app/oidc"}"#, ISS).unwrap_err(),
            KeyFetchError::InvalidDocument
        );
        let body =
            br#"{"issuer":"https://t.logto.app/oidc","jwks_uri":"http://evil.example/jwks"}"#;
        assert_eq!(
            jwks_uri_from_discovery(body, ISS).unwrap_err(),
            KeyFetchError::InsecureJwksUri
        );
    }
}
