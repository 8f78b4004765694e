//! The OpenID discovery document on arbitrary bytes. Never panics; a JWKS URI it returns is
//! on the discovery URL's origin, and the document's `issuer` is exactly the expected one.
//!
//! Input: the first byte picks the discovery URL (modulo the list below), the rest is the body.
#![no_main]

use axum_logto::fuzz::jwks_uri_from_discovery;
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Endpoints as `LogtoStateBuilder` accepts them: HTTPS, or HTTP on loopback.
const ENDPOINTS: [&str; 5] = [
    "https://fuzz.logto.app",
    "https://auth.example.com:8443",
    "http://localhost:3001",
    "http://127.0.0.1:3001",
    "http://[::1]:3001",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let endpoint = ENDPOINTS[usize::from(pick) % ENDPOINTS.len()];
    let issuer = format!("{endpoint}/oidc");
    let discovery_url = Url::parse(&format!("{issuer}/.well-known/openid-configuration"))
        .expect("a valid discovery URL");
    let Ok(jwks_uri) = jwks_uri_from_discovery(body, &discovery_url, &issuer) else {
        return;
    };
    assert_eq!(
        jwks_uri.origin(),
        discovery_url.origin(),
        "{jwks_uri} is not on the origin of {discovery_url}"
    );
    assert!(jwks_uri.origin().is_tuple());
    // Read as the crate reads it: serde_json skips ignored members without validating them
    // (invalid UTF-8 inside an unknown member's string passes), so a `Value` may not parse.
    let doc: Issuer = serde_json::from_slice(body).expect("an accepted document has an issuer");
    assert_eq!(doc.issuer, issuer);
});

#[derive(serde::Deserialize)]
struct Issuer {
    issuer: String,
}
