//! The verified-token cache: it skips the signature and nothing else, forgets tokens whose key
//! is gone, never stores a failure (of the signature or of the rules), never lets another token use an entry, and stays within
//! its bound.

use std::time::Duration;

use crate::common::{API, bearer, call, now, setup};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{
    AuthError, CacheStats, InvalidTokenReason as R, OrgApiToken, OrgFromPath, RequireScopes, scopes,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

scopes! { ReadDocs = "read:docs"; }

fn stats(state: &axum_logto::LogtoState) -> CacheStats {
    state.verified_token_cache_stats().expect("on by default")
}

#[tokio::test]
async fn a_repeated_token_is_verified_once() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).sign();
    for _ in 0..10 {
        state.validate(&token).await.unwrap();
    }
    let s = stats(&state);
    assert_eq!((s.entries, s.hits, s.misses), (1, 9, 1));
    assert_eq!(s.capacity_bytes, 16 << 20);
}

#[tokio::test]
async fn failures_are_never_stored() {
    let (issuer, state) = setup().await;
    let good = issuer.token().audience(API).sign();
    let (input, _) = good.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode([7u8; 96]));
    let other_issuer = TestIssuer::start().await;
    let foreign = other_issuer
        .token()
        .audience(API)
        .kid(&issuer.signing_kid())
        .sign();
    // Signed by the tenant's key, but refused by the rules: not cached either.
    let expired = issuer
        .token()
        .audience(API)
        .issued_at(now() - 120)
        .expires_at(now() - 60)
        .sign();
    let elsewhere = issuer.token().audience("https://other.example.com").sign();
    let wrong_issuer = issuer
        .token()
        .audience(API)
        .claim("iss", json!("https://evil.example.com/oidc"))
        .sign();
    for _ in 0..3 {
        assert_refused!(state, forged, R::BadSignature);
        assert_refused!(state, foreign, R::BadSignature);
        assert_refused!(state, "not.a.token", R::Malformed);
        assert_refused!(state, expired, R::Expired);
        assert_refused!(state, elsewhere, R::WrongAudience);
        assert_refused!(state, wrong_issuer, R::WrongIssuer);
    }
    let s = stats(&state);
    assert_eq!((s.entries, s.hits), (0, 0), "{s:?}");
}

#[tokio::test]
async fn a_tampered_copy_of_a_cached_token_is_verified_and_refused() {
    let (issuer, state) = setup().await;
    let token = issuer.token().sub("u1").audience(API).sign();
    state.validate(&token).await.unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    // Another payload under the cached signature.
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = json!("admin");
    let tampered = [
        parts[0].clone(),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2].clone(),
    ]
    .join(".");
    assert_refused!(state, tampered, R::BadSignature);
    // One bit of the signature.
    let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    signature[10] ^= 1;
    parts[2] = URL_SAFE_NO_PAD.encode(signature);
    assert_refused!(state, parts.join("."), R::BadSignature);
    assert_eq!(stats(&state).entries, 1);
}

/// `(r, n - s)`: the other valid ECDSA signature of the same P-384 input.
fn malleate_es384(token: &str) -> String {
    const N: [u8; 48] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37,
        0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc,
        0xc5, 0x29, 0x73,
    ];
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let (r, s) = signature.split_at(48);
    let mut negated = [0u8; 48];
    let mut borrow = 0i16;
    for i in (0..48).rev() {
        let digit = i16::from(N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(digit < 0);
        negated[i] = (digit + 256 * borrow) as u8;
    }
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode([r, &negated[..]].concat())
    )
}

#[tokio::test]
async fn a_second_valid_signature_gets_no_free_pass() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).sign();
    state.validate(&token).await.unwrap();
    // The malleated token is another string: it is verified on its own (a miss), not vouched
    // for by the cached one. (It is valid: the issuer signed these claims. See README,
    // "Security", on keying anything by `jti` rather than by the token's text.)
    let twin = malleate_es384(&token);
    assert_ne!(twin, token);
    let before = stats(&state);
    let info = state.validate(&twin).await.unwrap();
    let after = stats(&state);
    assert_eq!(after.misses, before.misses + 1);
    assert_eq!(after.entries, 2);
    assert_eq!(info.jti(), state.validate(&token).await.unwrap().jti());
}

#[tokio::test]
async fn a_dropped_key_takes_its_cached_tokens_with_it() {
    let (issuer, state) = setup().await;
    let old_kid = issuer.signing_kid();
    let old = issuer.token().audience(API).sign();
    state.validate(&old).await.unwrap();
    // A refresh that brings the same keys keeps the entry usable.
    state.preload().await.unwrap();
    state.validate(&old).await.unwrap();
    assert_eq!(stats(&state).hits, 1);
    // The key is dropped; the next refresh removes it.
    issuer.rotate(KeyAlgorithm::Es384);
    issuer.drop_key(&old_kid);
    state.preload().await.unwrap();
    assert_refused!(state, old, R::UnknownKey);
    let s = stats(&state);
    assert_eq!((s.hits, s.entries), (1, 0));
    assert_refused!(state, old, R::UnknownKey);
}

#[tokio::test]
async fn expiry_is_checked_on_every_hit() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let token = issuer
        .token()
        .audience(API)
        .claim("exp", json!(now() as f64 + 1.5))
        .sign();
    state.validate(&token).await.unwrap();
    state.validate(&token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_refused!(state, token, R::Expired);
    assert!(stats(&state).hits >= 2);
}

#[tokio::test]
async fn audience_issuer_and_organization_rules_run_on_a_hit() {
    let issuer = TestIssuer::start().await;
    let state = issuer.state_builder(API).build().unwrap();
    let app = Router::new()
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "docs" }))
        .route(
            "/orgs/{org_id}/docs",
            get(|t: OrgApiToken<OrgFromPath, ReadDocs>| async move { t.org_id().to_owned() }),
        )
        .with_state(state.clone());
    let org_level = issuer
        .token()
        .audience(API)
        .org_id("org-a")
        .scopes(["read:docs"])
        .sign();
    let auth = bearer(&org_level);
    for _ in 0..2 {
        let a = call(&app, "/orgs/org-a/docs", &[("authorization", &auth)]).await;
        assert_eq!(a.status, StatusCode::OK);
        // Cached, yet still refused where its organization does not fit.
        let a = call(&app, "/orgs/org-b/docs", &[("authorization", &auth)]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = call(&app, "/docs", &[("authorization", &auth)]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    // Another state of the same tenant, for another API, gets its own answer.
    let other_api = issuer
        .state_builder("https://other.example.com")
        .build()
        .unwrap();
    assert_refused!(other_api, org_level, R::WrongAudience);
    assert!(stats(&state).hits >= 5);
    assert_eq!(
        state.validate(&org_level).await.unwrap_err(),
        AuthError::OrgLevelToken
    );
}

#[tokio::test]
async fn a_flood_of_distinct_tokens_stays_within_the_bound() {
    let issuer = TestIssuer::start().await;
    let capacity = 64 * 1024;
    let state = issuer
        .state_builder(API)
        .verified_token_cache_size(capacity)
        .build()
        .unwrap();
    let tokens: Vec<String> = (0..300)
        .map(|i| {
            issuer
                .token()
                .sub(&format!("user-{i}"))
                .audience(API)
                .sign()
        })
        .collect();
    for token in &tokens {
        state.validate(token).await.unwrap();
        let s = stats(&state);
        assert!(s.weight_bytes <= capacity as u64, "{s:?}");
    }
    let s = stats(&state);
    assert!(s.entries < 300 && s.entries > 10, "{s:?}");
    assert!(s.evictions >= 300 - s.entries, "{s:?}");
    // Evicted tokens are simply verified again.
    for token in &tokens {
        state.validate(token).await.unwrap();
    }
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .verified_token_cache_size(0)
        .build()
        .unwrap();
    let token = issuer.token().audience(API).sign();
    state.validate(&token).await.unwrap();
    state.validate(&token).await.unwrap();
    assert_eq!(state.verified_token_cache_stats(), None);
}
