//! What validation costs, measured side by side in one run (`cargo bench --features test-util --bench validate`):
//!
//! - `signature`: aws-lc-rs verifying the token's signature with a key parsed once (the floor
//!   of step 4), for ES384 (Logto's default) and RS256, and with the key parsed for each
//!   verification (what the crate would pay without binding a parsed key to each JWK);
//! - `first validate`: `LogtoState::validate` of a token not seen before (the verified-token
//!   cache turned off, so every iteration verifies the signature);
//! - `cache hit`: `LogtoState::validate` of a token verified before (the default);
//! - the same with a JWK set of 20 keys instead of 1, and a token of 50 scopes instead of 1;
//! - `router`: one request through an Axum router in process, with no auth, and with
//!   `RequireScopes` (cache hit, and first validation);
//! - `outbound`: `LogtoClient::token` of a token it holds (no round trip), as the application
//!   and on behalf of a caller.
//!
//! Wall time on a shared machine is noisy; `benches/instructions.sh` counts the instructions
//! of the same operations, which do not move between runs.

mod common;

use std::hint::black_box;

use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{LogtoClient, SubjectToken, TokenRequest};
use common::{raw_key, request, router, signed_parts, state, token, twenty_keys};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

/// Signature, first validation and cache hit for one key kind.
fn per_algorithm(c: &mut Criterion, rt: &Runtime, name: &str, kind: KeyAlgorithm) {
    let issuer = rt.block_on(TestIssuer::start_with(kind));
    let token = token(&issuer, 1);
    let raw = raw_key(&issuer);
    let key = raw.parse();
    let (input, signature) = signed_parts(&token);
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
    group.bench_function("signature, key parsed each time (aws-lc-rs)", |b| {
        b.iter(|| assert!(raw.verify_parsing_the_key(black_box(input.as_bytes()), &signature)));
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
    let twenty_keys = twenty_keys(rt);
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
fn routes(c: &mut Criterion, rt: &Runtime) {
    let issuer = rt.block_on(TestIssuer::start());
    let token = token(&issuer, 1);
    let cached = router(state(rt, &issuer, true));
    let uncached = router(state(rt, &issuer, false));
    let mut group = c.benchmark_group("router");
    group.bench_function("no auth", |b| {
        b.to_async(rt).iter(|| async {
            cached
                .clone()
                .oneshot(request("/open", &token))
                .await
                .unwrap()
        });
    });
    for (label, app) in [
        ("RequireScopes, cache hit", &cached),
        ("RequireScopes, first validate", &uncached),
    ] {
        group.bench_function(label, |b| {
            b.to_async(rt).iter(|| async {
                let response = app.clone().oneshot(request("/docs", &token)).await.unwrap();
                assert!(response.status().is_success());
                response
            });
        });
    }
    group.finish();
}

/// `LogtoClient` serving tokens it holds: the cost of every call after the first.
fn outbound(c: &mut Criterion, rt: &Runtime) {
    let issuer = rt.block_on(TestIssuer::start());
    issuer.register_client("bench-app", "bench-secret");
    let client = LogtoClient::builder(issuer.endpoint(), "bench-app", "bench-secret")
        .build()
        .unwrap();
    let request = TokenRequest::resource(common::API).scopes(["read:docs"]);
    let caller = token(&issuer, 1);
    let info = rt
        .block_on(state(rt, &issuer, true).validate(&caller))
        .unwrap();
    let subject = SubjectToken::new(caller, &info);
    rt.block_on(client.token(&request)).unwrap();
    rt.block_on(client.exchange(&subject, &request)).unwrap();
    let mut group = c.benchmark_group("outbound");
    group.bench_function("cached token", |b| {
        b.to_async(rt).iter(|| client.token(black_box(&request)));
    });
    group.bench_function("cached exchange", |b| {
        b.to_async(rt)
            .iter(|| client.exchange(black_box(&subject), black_box(&request)));
    });
    group.finish();
    assert_eq!(
        issuer.token_requests(),
        2,
        "every call after the first is cached"
    );
}

fn bench(c: &mut Criterion) {
    let rt = common::runtime();
    per_algorithm(c, &rt, "es384", KeyAlgorithm::Es384);
    per_algorithm(c, &rt, "rs256", KeyAlgorithm::Rs256);
    sizes(c, &rt);
    routes(c, &rt);
    outbound(c, &rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);
