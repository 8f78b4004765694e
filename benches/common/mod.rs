//! What both benches measure on: a test issuer's tokens and keys, states with and without the
//! verified-token cache, a router with an open and a protected route, and an MCP endpoint
//! behind the layer, with and without a per-operation policy.

#![allow(dead_code)] // each bench uses its own part

use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use axum::routing::get;
use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{LogtoLayer, LogtoState, McpPolicy, RequireScopes, scopes};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tokio::runtime::Runtime;

scopes! { pub(crate) ReadDocs = "read:docs"; }

pub(crate) const API: &str = "https://api.example.com";

/// A current-thread runtime, as the benches drive one future at a time.
pub(crate) fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn b64(jwk: &Value, member: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(jwk[member].as_str().unwrap())
        .unwrap()
}

/// The signing key of `issuer` as published: an EC point or RSA's `n` and `e`.
pub(crate) enum RawKey {
    Ec(Vec<u8>),
    Rsa(Vec<u8>, Vec<u8>),
}

impl RawKey {
    /// Verifies with a key parsed for this one verification (what a verifier that keeps
    /// the JWK's bytes, not a parsed key, pays on every token).
    pub(crate) fn verify_parsing_the_key(&self, input: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Ec(point) => UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point)
                .verify(input, signature)
                .is_ok(),
            Self::Rsa(n, e) => RsaPublicKeyComponents { n, e }
                .verify(&RSA_PKCS1_2048_8192_SHA256, input, signature)
                .is_ok(),
        }
    }

    /// The key parsed once with aws-lc-rs.
    pub(crate) fn parse(&self) -> ParsedPublicKey {
        match self {
            Self::Ec(point) => ParsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point).unwrap(),
            Self::Rsa(n, e) => RsaPublicKeyComponents { n, e }
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                .unwrap(),
        }
    }
}

/// The signing key of `issuer`, from its JWK set.
pub(crate) fn raw_key(issuer: &TestIssuer) -> RawKey {
    let kid = issuer.signing_kid();
    let jwks = issuer.jwks();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    if jwk["kty"] == "EC" {
        RawKey::Ec([vec![4u8], b64(jwk, "x"), b64(jwk, "y")].concat())
    } else {
        RawKey::Rsa(b64(jwk, "n"), b64(jwk, "e"))
    }
}

/// The signing input and the decoded signature of `token`.
pub(crate) fn signed_parts(token: &str) -> (&str, Vec<u8>) {
    let (input, signature) = token.rsplit_once('.').unwrap();
    (input, URL_SAFE_NO_PAD.decode(signature).unwrap())
}

/// A state for `issuer`, keys loaded; `cache: false` turns the verified-token cache off, so
/// that every validation verifies the signature.
pub(crate) fn state(rt: &Runtime, issuer: &TestIssuer, cache: bool) -> LogtoState {
    let mut builder = issuer.state_builder(API);
    if !cache {
        builder = builder.verified_token_cache_size(0);
    }
    let state = builder.build().unwrap();
    rt.block_on(state.preload()).unwrap();
    state
}

/// A token for [`API`] with `read:docs` and `scopes - 1` more scopes.
pub(crate) fn token(issuer: &TestIssuer, scopes: usize) -> String {
    let mut names = vec!["read:docs".to_owned()];
    names.extend((1..scopes).map(|i| format!("scope:{i:02}")));
    issuer
        .token()
        .audience(API)
        .scopes(names.iter().map(String::as_str))
        .sign()
}

/// An issuer that publishes 20 ES384 keys and signs with the last one published (a lookup
/// that walks the whole set).
pub(crate) fn twenty_keys(rt: &Runtime) -> TestIssuer {
    let issuer = rt.block_on(TestIssuer::start());
    for _ in 1..20 {
        issuer.rotate(KeyAlgorithm::Es384);
    }
    assert_eq!(issuer.jwks()["keys"].as_array().unwrap().len(), 20);
    issuer
}

/// `/open` (no auth) and `/docs` (`RequireScopes<ReadDocs>`).
pub(crate) fn router(state: LogtoState) -> Router {
    Router::new()
        .route("/open", get(|| async { "ok" }))
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "ok" }))
        .with_state(state)
}

/// `GET path` with `token` as its bearer token. The header's value is a slice of a shared
/// buffer, as hyper makes them (a slice of the connection's read buffer): cloning one is a
/// reference count, not a copy.
pub(crate) fn request(path: &str, token: &str) -> Request<Body> {
    let read = bytes::Bytes::from(format!("Bearer {token}"));
    let value = http::HeaderValue::from_maybe_shared(read.slice(..)).unwrap();
    Request::get(path)
        .header("authorization", value)
        .body(Body::empty())
        .unwrap()
}

/// `POST /mcp` to a service that answers at once, behind `LogtoLayer` with `policy` as its
/// MCP policy (`add_note` needs `read:docs`), or without one.
pub(crate) fn mcp_router(state: LogtoState, policy: bool) -> Router {
    let endpoint = tower::service_fn(|_: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Body::empty()))
    });
    let layer = LogtoLayer::new(state);
    let router = Router::new().nest_service("/mcp", endpoint);
    match policy {
        true => router.route_layer(layer.mcp(McpPolicy::new().tool::<ReadDocs>("add_note"))),
        false => router.route_layer(layer),
    }
}

/// A `tools/call` of `add_note` with `token`, as an MCP client sends it: at the revision
/// 2026-07-28 with `Mcp-Method` and `Mcp-Name` (`headers`), or at 2025-11-25 without them.
pub(crate) fn mcp_request(token: &str, headers: bool) -> Request<Body> {
    let version = if headers { "2026-07-28" } else { "2025-11-25" };
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"add_note","arguments":{{"text":"hello"}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"{version}"}}}}}}"#
    );
    let mut request = Request::post("/mcp")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", version);
    if headers {
        request = request
            .header("mcp-method", "tools/call")
            .header("mcp-name", "add_note");
    }
    request.body(Body::from(body)).unwrap()
}
