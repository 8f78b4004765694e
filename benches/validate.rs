//! What validation costs, measured side by side in one run (`cargo bench --bench validate`):
//!
//! - `signature`: aws-lc-rs verifying the token's signature with a key parsed once (the floor
//!   of step 4), for ES384 (Logto's default) and RS256;
//! - `first validate`: `LogtoState::validate` of a token not seen before (the verified-token
//!   cache turned off, so every iteration verifies the signature);
//! - `cache hit`: `LogtoState::validate` of a token verified before (the default);
//! - the same with a JWK set of 20 keys instead of 1, and a token of 50 scopes instead of 1;
//! - `router`: one request through an Axum router in process, with no auth, and with
//!   `RequireScopes` (cache hit, and first validation).

use std::hint::black_box;

use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{LogtoState, RequireScopes, scopes};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

scopes! { ReadDocs = "read:docs"; }

const API: &str = "https://api.example.com";

fn b64(jwk: &Value, member: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(jwk[member].as_str().unwrap())
        .unwrap()
}

/// The signing key of `issuer`, parsed once with aws-lc-rs.
fn parsed_key(issuer: &TestIssuer) -> ParsedPublicKey {
    let kid = issuer.signing_kid();
    let jwks = issuer.jwks();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    if jwk["kty"] == "EC" {
        let point = [vec![4u8], b64(jwk, "x"), b64(jwk, "y")].concat();
        ParsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point).unwrap()
    } else {
        let (n, e) = (b64(jwk, "n"), b64(jwk, "e"));
        RsaPublicKeyComponents {
            n: &n[..],
            e: &e[..],
        }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .unwrap()
    }
}

fn state(rt: &Runtime, issuer: &TestIssuer, cache: bool) -> LogtoState {
    let mut builder = issuer.state_builder(API);
    if !cache {
        builder = builder.verified_token_cache_size(0);
    }
    let state = builder.build().unwrap();
    rt.block_on(state.preload()).unwrap();
    state
}

fn token(issuer: &TestIssuer, scopes: usize) -> String {
    let mut names = vec!["read:docs".to_owned()];
    names.extend((1..scopes).map(|i| format!("scope:{i:02}")));
    issuer
        .token()
        .audience(API)
        .scopes(names.iter().map(String::as_str))
        .sign()
}

/// Signature, first validation and cache hit for one key kind.
fn per_algorithm(c: &mut Criterion, rt: &Runtime, name: &str, kind: KeyAlgorithm) {
    let issuer = rt.block_on(TestIssuer::start_with(kind));
    let token = token(&issuer, 1);
    let key = parsed_key(&issuer);
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let uncached = state(rt, &issuer, false);
    let cached = state(rt, &issuer, true);
    rt.block_on(cached.validate(&token)).unwrap();

    let mut group = c.benchmark_group(name);
    group.bench_function("signature (aws-lc-rs)", |b| {
        b.iter(|| {
            key.verify_sig(black_box(input.as_bytes()), &signature)
                .unwrap();
        });
    });
    group.bench_function("first validate", |b| {
        b.to_async(rt)
            .iter(|| async { uncached.validate(black_box(&token)).await.unwrap() });
    });
    group.bench_function("cache hit", |b| {
        b.to_async(rt)
            .iter(|| async { cached.validate(black_box(&token)).await.unwrap() });
    });
    group.finish();
}

/// 1 against 20 published keys, and 1 against 50 scopes.
fn sizes(c: &mut Criterion, rt: &Runtime) {
    let one_key = rt.block_on(TestIssuer::start());
    let twenty_keys = rt.block_on(TestIssuer::start());
    for _ in 1..20 {
        // Sign with the last one published: a lookup that walks the whole set.
        twenty_keys.rotate(KeyAlgorithm::Es384);
    }
    assert_eq!(twenty_keys.jwks()["keys"].as_array().unwrap().len(), 20);
    let mut group = c.benchmark_group("sizes");
    for (label, issuer, scopes) in [
        ("1 key, 1 scope", &one_key, 1),
        ("20 keys, 1 scope", &twenty_keys, 1),
        ("1 key, 50 scopes", &one_key, 50),
    ] {
        let token = token(issuer, scopes);
        let (uncached, cached) = (state(rt, issuer, false), state(rt, issuer, true));
        rt.block_on(cached.validate(&token)).unwrap();
        group.bench_function(format!("first validate, {label}"), |b| {
            b.to_async(rt)
                .iter(|| async { uncached.validate(black_box(&token)).await.unwrap() });
        });
        group.bench_function(format!("cache hit, {label}"), |b| {
            b.to_async(rt)
                .iter(|| async { cached.validate(black_box(&token)).await.unwrap() });
        });
    }
    group.finish();
}

/// One request through a router, without and with `RequireScopes`.
fn router(c: &mut Criterion, rt: &Runtime) {
    let issuer = rt.block_on(TestIssuer::start());
    let token = token(&issuer, 1);
    let app = |state: LogtoState| {
        Router::new()
            .route("/open", get(|| async { "ok" }))
            .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "ok" }))
            .with_state(state)
    };
    let cached = app(state(rt, &issuer, true));
    let uncached = app(state(rt, &issuer, false));
    let request = |path: &str| {
        Request::get(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let mut group = c.benchmark_group("router");
    group.bench_function("no auth", |b| {
        b.to_async(rt)
            .iter(|| async { cached.clone().oneshot(request("/open")).await.unwrap() });
    });
    for (label, app) in [
        ("RequireScopes, cache hit", &cached),
        ("RequireScopes, first validate", &uncached),
    ] {
        group.bench_function(label, |b| {
            b.to_async(rt).iter(|| async {
                let response = app.clone().oneshot(request("/docs")).await.unwrap();
                assert!(response.status().is_success());
                response
            });
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    per_algorithm(c, &rt, "es384", KeyAlgorithm::Es384);
    per_algorithm(c, &rt, "rs256", KeyAlgorithm::Rs256);
    sizes(c, &rt);
    router(c, &rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);
