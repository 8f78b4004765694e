//! What validation costs, measured side by side in one run:
//!
//! - `signature only`: aws-lc-rs's ES384 verification of a key parsed once (the floor: step 4);
//! - `LogtoState::validate`: every rule, the key looked up in the cached set;
//! - `router, no auth` and `router, RequireScopes`: one request through an Axum router, in
//!   process, without and with the extractor.
//!
//! `cargo bench --bench validate`

use std::hint::black_box;

use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED, ParsedPublicKey};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{LogtoState, RequireScopes, scopes};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt as _;

scopes! { ReadDocs = "read:docs"; }

const API: &str = "https://api.example.com";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (issuer, state, token) = rt.block_on(async {
        let issuer = TestIssuer::start().await;
        let state: LogtoState = issuer.state_builder(API).build().unwrap();
        state.preload().await.unwrap();
        let token = issuer.token().audience(API).scopes(["read:docs"]).sign();
        (issuer, state, token)
    });

    // The raw ES384 verification of the same token with the same key.
    let jwk = issuer.jwks()["keys"][0].clone();
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(jwk[coordinate].as_str().unwrap())
                .unwrap(),
        );
    }
    let key = ParsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &point).unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();

    let app = Router::new()
        .route("/open", get(|| async { "ok" }))
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "ok" }))
        .with_state(state.clone());
    let request = |path: &str| {
        Request::get(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };

    let mut group = c.benchmark_group("es384");
    group.bench_function("signature only (aws-lc-rs)", |b| {
        b.iter(|| {
            key.verify_sig(black_box(input.as_bytes()), &signature)
                .unwrap();
        });
    });
    group.bench_function("LogtoState::validate", |b| {
        b.to_async(&rt)
            .iter(|| async { state.validate(black_box(&token)).await.unwrap() });
    });
    group.bench_function("router, no auth", |b| {
        b.to_async(&rt)
            .iter(|| async { app.clone().oneshot(request("/open")).await.unwrap() });
    });
    group.bench_function("router, RequireScopes", |b| {
        b.to_async(&rt).iter(|| async {
            let response = app.clone().oneshot(request("/docs")).await.unwrap();
            assert!(response.status().is_success());
            response
        });
    });
    group.finish();
    drop(issuer);
}

criterion_group!(benches, bench);
criterion_main!(benches);
