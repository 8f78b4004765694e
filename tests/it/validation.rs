//! Every validation rule, accepted and rejected, and the known attacks on JWT validation.
//! Real keys, real signatures, keys fetched over real HTTP from a loopback issuer.

use std::time::Duration;

use aws_lc_rs::hmac;
use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{AuthError, InvalidTokenReason as R, LogtoState};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::common::{API, invalid, now, setup};

#[tokio::test]
async fn a_logto_shaped_token_validates() {
    let (issuer, state) = setup().await;
    let token = issuer
        .token()
        .sub("user-1")
        .client_id("app-1")
        .audience(API)
        .scopes(["read:docs", "write:docs"])
        .claim("roles", json!(["editor"]))
        .sign();
    let info = state.validate(&token).await.unwrap();
    assert_eq!(info.sub(), "user-1");
    assert_eq!(info.client_id(), Some("app-1"));
    assert_eq!(info.audiences(), [API]);
    assert_eq!(info.issuer(), issuer.issuer());
    assert!(info.scopes().contains_all(["read:docs", "write:docs"]));
    assert_eq!(info.org_id(), None);
    assert!(info.jti().is_some_and(|j| !j.is_empty()));
    assert!(info.expires_at() > now());
    assert_eq!(
        info.claim::<Vec<String>>("roles").unwrap(),
        Some(vec!["editor".to_owned()])
    );
}

#[tokio::test]
async fn typ_must_be_at_jwt() {
    let (issuer, state) = setup().await;
    for typ in [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "Application/AT+JWT",
    ] {
        let token = issuer.token().audience(API).typ(typ).sign();
        assert!(state.validate(&token).await.is_ok(), "{typ}");
    }
    for typ in ["JWT", "jwt", "at+jwt; x=1", ""] {
        let token = issuer.token().audience(API).typ(typ).sign();
        assert_refused!(state, token, R::UnsupportedType, "{typ}");
    }
    let token = issuer.token().audience(API).without_header("typ").sign();
    assert_refused!(state, token, R::UnsupportedType);
    let token = issuer
        .token()
        .audience(API)
        .header("typ", json!(["at+jwt"]))
        .sign();
    assert_refused!(state, token, R::UnsupportedType);
}

#[tokio::test]
async fn crit_is_rejected() {
    let (issuer, state) = setup().await;
    let token = issuer
        .token()
        .audience(API)
        .header("crit", json!(["exp"]))
        .sign();
    assert_refused!(state, token, R::CriticalHeader);
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let (issuer, state) = setup().await;
    let slash = format!("{}/", issuer.issuer());
    let other = issuer.issuer().replace("/oidc", "/other");
    for iss in [slash.as_str(), other.as_str(), "https://evil.example/oidc"] {
        let token = issuer.token().audience(API).claim("iss", json!(iss)).sign();
        assert_refused!(state, token, R::WrongIssuer, "{iss}");
    }
    let token = issuer.token().audience(API).without_claim("iss").sign();
    assert_refused!(state, token, R::InvalidClaims);
}

#[tokio::test]
async fn audience_string_array_absent_empty() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).sign();
    assert!(state.validate(&token).await.is_ok());
    let token = issuer
        .token()
        .audiences(["https://other.example.com", API])
        .sign();
    assert!(state.validate(&token).await.is_ok());

    let token = issuer.token().without_claim("aud").sign(); // no aud at all
    assert_refused!(state, token, R::InvalidClaims);
    let token = issuer.token().audiences([]).sign();
    assert_refused!(state, token, R::WrongAudience);
    let token = issuer.token().audience("https://other.example.com").sign();
    assert_refused!(state, token, R::WrongAudience);
    // The resource indicator is compared exactly.
    let token = issuer.token().audience("https://api.example.com/").sign();
    assert_refused!(state, token, R::WrongAudience);
    // An organization token is not a token for the API.
    let token = issuer.token().org_audience("org-a").sign();
    assert_refused!(state, token, R::WrongAudience);
}

#[tokio::test]
async fn any_of_several_configured_audiences() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .audience("https://second.example.com")
        .build()
        .unwrap();
    let token = issuer.token().audience("https://second.example.com").sign();
    assert!(state.validate(&token).await.is_ok());
}

#[tokio::test]
async fn exp_is_required_and_checked_with_leeway() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).without_claim("exp").sign();
    assert_refused!(state, token, R::InvalidClaims);
    let token = issuer.token().audience(API).expires_in(-3600).sign();
    assert_refused!(state, token, R::Expired);
    let token = issuer.token().audience(API).expires_in(-70).sign();
    assert_refused!(state, token, R::Expired);
    // Within the default 60 s leeway.
    let token = issuer.token().audience(API).expires_in(-30).sign();
    assert!(state.validate(&token).await.is_ok());
    // With no leeway the same token is expired.
    let strict = issuer
        .state_builder(API)
        .leeway(std::time::Duration::ZERO)
        .build()
        .unwrap();
    assert_refused!(strict, token, R::Expired);
}

#[tokio::test]
async fn nbf_and_iat_in_the_future() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).not_before(now() + 600).sign();
    assert_refused!(state, token, R::NotYetValid);
    let token = issuer.token().audience(API).not_before(now() + 30).sign();
    assert!(state.validate(&token).await.is_ok());
    let token = issuer.token().audience(API).not_before(now() - 30).sign();
    assert!(state.validate(&token).await.is_ok());
    let token = issuer
        .token()
        .audience(API)
        .issued_at(now() + 86_400)
        .sign();
    assert_refused!(state, token, R::IssuedInFuture);
    // iat is optional.
    let token = issuer.token().audience(API).without_claim("iat").sign();
    assert!(state.validate(&token).await.is_ok());
}

#[tokio::test]
async fn claims_of_the_wrong_json_type_are_rejected() {
    let (issuer, state) = setup().await;
    for (name, value) in [
        ("exp", json!((now() + 600).to_string())),
        ("scope", json!(["read:docs"])),
        ("aud", json!([API, 1])),
        ("aud", json!({"a": API})),
        ("iss", json!([issuer.issuer()])),
        ("sub", json!(42)),
        ("nbf", json!("0")),
        ("iat", json!(null)),
        ("organization_id", json!(7)),
        ("client_id", json!(false)),
    ] {
        let token = issuer
            .token()
            .audience(API)
            .claim(name, value.clone())
            .sign();
        assert_refused!(state, token, R::InvalidClaims, "{name}: {value}");
    }
    // An empty or missing scope is no scope, not an error.
    let token = issuer
        .token()
        .audience(API)
        .claim("scope", json!(""))
        .sign();
    assert!(state.validate(&token).await.unwrap().scopes().is_empty());
    let token = issuer.token().audience(API).sign();
    assert!(state.validate(&token).await.unwrap().scopes().is_empty());
}

#[tokio::test]
async fn size_cap_before_decoding() {
    let (issuer, state) = setup().await;
    let token = issuer
        .token()
        .audience(API)
        .claim("pad", json!("x".repeat(9000)))
        .sign();
    assert!(token.len() > 8 * 1024);
    assert_refused!(state, token, R::TooLarge);
    let roomy = issuer
        .state_builder(API)
        .max_token_size(64 * 1024)
        .build()
        .unwrap();
    assert!(roomy.validate(&token).await.is_ok());
    let small = issuer
        .state_builder(API)
        .max_token_size(100)
        .build()
        .unwrap();
    let normal = issuer.token().audience(API).sign();
    assert_refused!(small, normal, R::TooLarge);
    // Nothing was fetched for a token refused by size.
    let fresh = issuer.state_builder(API).build().unwrap();
    let before = issuer.jwks_requests();
    assert_eq!(
        fresh.validate(&"a".repeat(9000)).await.unwrap_err(),
        invalid(R::TooLarge)
    );
    assert_eq!(issuer.jwks_requests(), before);
}

#[tokio::test]
async fn malformed_tokens() {
    let (issuer, state) = setup().await;
    let good = issuer.token().audience(API).sign();
    let parts: Vec<&str> = good.split('.').collect();
    let cases = [
        String::new(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.{}", parts[2]),
        format!("{}..{}", parts[0], parts[2]),
        format!("{}.{}.{}", "!!!", parts[1], parts[2]),
        format!("{}.{}.{}", parts[0], parts[1], "a b"),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}", parts[0].replace('e', "+"), parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode("not json"),
            parts[1],
            parts[2]
        ),
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode("[1,2]"),
            parts[1],
            parts[2]
        ),
        format!("{good}~"),
    ];
    for token in &cases {
        assert_refused!(state, *token, R::Malformed, "{token}");
    }
    // A correctly signed token whose payload is not JSON: rejected after the signature.
    let header = json!({"alg": "ES384", "typ": "at+jwt", "kid": issuer.signing_kid()}).to_string();
    let token = issuer.sign_raw(header.as_bytes(), b"not json");
    assert_refused!(state, token, R::Malformed);
    let token = issuer.sign_raw(header.as_bytes(), b"[\"a\"]");
    assert_refused!(state, token, R::Malformed);
    // A header without alg.
    let token = issuer.token().audience(API).without_header("alg").sign();
    assert_refused!(state, token, R::Malformed);
    // Without a dot it is no JWT at all: an opaque token, named as such.
    assert_refused!(state, "abc", R::Opaque);
}

#[tokio::test]
async fn tampered_payload_fails_the_signature() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).scopes(["read:docs"]).sign();
    let parts: Vec<&str> = token.split('.').collect();
    let (_, claims) = issuer.token().audience(API).scopes(["admin"]).parts();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_refused!(state, forged, R::BadSignature);
}

fn unsigned(header: serde_json::Value, claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn alg_none_in_any_case_never_verifies() {
    let (issuer, state) = setup().await;
    let fetches = issuer.jwks_requests();
    let (_, claims) = issuer.token().audience(API).parts();
    let kid = issuer.signing_kid();
    for alg in ["none", "None", "NONE", "nOnE"] {
        for header in [
            json!({"alg": alg, "typ": "at+jwt", "kid": kid}),
            json!({"alg": alg, "typ": "at+jwt"}),
        ] {
            // The classic form, with an empty signature: refused before decoding.
            let token = unsigned(header, &claims);
            assert_refused!(state, token, R::Malformed, "{alg}");
            let no_sig = token.trim_end_matches('.').to_owned();
            assert_refused!(state, no_sig, R::Malformed);
            // With some signature bytes: the algorithm is refused before any key lookup.
            let with_sig = format!("{token}AAAA");
            assert_refused!(state, with_sig, R::AlgorithmMismatch, "{alg}");
        }
    }
    // Not even the key set was fetched for these.
    assert_eq!(issuer.jwks_requests(), fetches);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_never_verifies() {
    let (issuer, state) = setup().await;
    let jwks = issuer.jwks();
    let jwk = &jwks["keys"][0];
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let secrets: [Vec<u8>; 3] = [
        jwk.to_string().into_bytes(),
        jwks.to_string().into_bytes(),
        point,
    ];
    let (_, claims) = issuer.token().audience(API).parts();
    for secret in &secrets {
        for kid in [Some(issuer.signing_kid()), None] {
            let mut header = json!({"alg": "HS256", "typ": "at+jwt"});
            if let Some(kid) = &kid {
                header["kid"] = json!(kid);
            }
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            let tag = hmac::sign(&key, input.as_bytes());
            let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
            assert_refused!(state, token, R::AlgorithmMismatch);
        }
    }
}

#[tokio::test]
async fn the_key_fixes_the_algorithm() {
    // ES256 header on an ES384 signature: 96 bytes cannot be an ES256 signature, which is
    // seen before any key lookup.
    let (issuer, state) = setup().await;
    let token = issuer
        .token()
        .audience(API)
        .header("alg", json!("ES256"))
        .sign();
    assert_refused!(state, token, R::BadSignature);
    // A real ES256 signature under the kid of the ES384 key.
    let p256 = issuer.publish_key(KeyAlgorithm::Es256);
    let es384_kid = issuer.signing_kid();
    let token = issuer
        .token()
        .audience(API)
        .signed_by(&p256)
        .kid(&es384_kid)
        .sign();
    assert_refused!(state, token, R::AlgorithmMismatch);
    // RS / PS swap on an RSA key (published without alg, so RS256).
    let rsa = TestIssuer::start_with(KeyAlgorithm::Rs256).await;
    let rsa_state = rsa.state_builder(API).build().unwrap();
    assert!(
        rsa_state
            .validate(&rsa.token().audience(API).sign())
            .await
            .is_ok()
    );
    // An RSA signature under an ES384 header has the wrong length for ES384.
    let token = rsa
        .token()
        .audience(API)
        .header("alg", json!("ES384"))
        .sign();
    assert_refused!(rsa_state, token, R::BadSignature);
    for alg in ["PS256", "RS384", "RS512", "PS512"] {
        let token = rsa.token().audience(API).header("alg", json!(alg)).sign();
        assert_refused!(rsa_state, token, R::AlgorithmMismatch, "{alg}");
    }
}

#[tokio::test]
async fn all_zero_ecdsa_signature() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).sign();
    let (input, _) = token.rsplit_once('.').unwrap();
    for len in [96, 64, 0, 1] {
        let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode(vec![0u8; len]));
        let err = state.validate(&forged).await.unwrap_err();
        let expected = if len == 0 {
            R::Malformed
        } else {
            R::BadSignature
        };
        assert_eq!(err, invalid(expected), "{len} zero bytes");
    }
}

#[tokio::test]
async fn jku_x5u_jwk_headers_are_ignored() {
    let (issuer, state) = setup().await;
    let attacker = TestIssuer::start().await;
    let attacker_jwk = attacker.jwks()["keys"][0].clone();
    // The attacker's key, announced in every way a header can announce a key.
    let forged = attacker
        .token()
        .audience(API)
        .claim("iss", json!(issuer.issuer()))
        .header("jku", json!(attacker.jwks_uri()))
        .header("x5u", json!(attacker.jwks_uri()))
        .header("jwk", attacker_jwk.clone())
        .header("x5c", json!(["MIIB"]))
        .sign();
    assert_refused!(state, forged, R::UnknownKey);
    // Same, reusing the legitimate kid: the legitimate key is used, so the signature fails.
    let forged = attacker
        .token()
        .audience(API)
        .claim("iss", json!(issuer.issuer()))
        .kid(&issuer.signing_kid())
        .header("jku", json!(attacker.jwks_uri()))
        .header("jwk", attacker_jwk)
        .sign();
    assert_refused!(state, forged, R::BadSignature);
    assert_eq!(attacker.jwks_requests(), 0);
    assert_eq!(attacker.discovery_requests(), 0);
    // And the legitimate issuer's headers with jku are fine (jku is simply not read).
    let token = issuer
        .token()
        .audience(API)
        .header("jku", json!(attacker.jwks_uri()))
        .sign();
    assert!(state.validate(&token).await.is_ok());
}

#[tokio::test]
async fn a_ten_kilobyte_kid() {
    let (issuer, state) = setup().await;
    let kid = "k".repeat(10 * 1024);
    let token = issuer.token().audience(API).kid(&kid).sign();
    assert_refused!(state, token, R::TooLarge);
    // With a cap large enough to let it through, the kid itself is refused, and never fetched.
    let roomy = issuer
        .state_builder(API)
        .max_token_size(64 * 1024)
        .build()
        .unwrap();
    roomy.preload().await.unwrap();
    let before = issuer.jwks_requests();
    assert_refused!(roomy, token, R::Malformed);
    assert_eq!(issuer.jwks_requests(), before);
}

#[tokio::test]
async fn organization_tokens() {
    let issuer = TestIssuer::start().await;
    let state = LogtoState::builder(issuer.endpoint())
        .org_tokens_only()
        .build()
        .unwrap();
    let token = issuer
        .token()
        .org_audience("org-a")
        .scopes(["read:members"])
        .sign();
    let info = state.validate_org_token(&token, "org-a").await.unwrap();
    assert_eq!(info.org_id(), Some("org-a"));
    assert_eq!(
        state.validate_org_token(&token, "org-b").await.unwrap_err(),
        AuthError::WrongOrg
    );
    // Not an organization token at all: 401, not 403.
    let api_token = issuer.token().audience(API).sign();
    assert_eq!(
        state
            .validate_org_token(&api_token, "org-a")
            .await
            .unwrap_err(),
        invalid(R::WrongAudience)
    );
    // An organization-only API accepts no API-resource token through `validate`.
    assert_refused!(state, api_token, R::WrongAudience);
    // organization_id claim for organization-level API resources: refused by `validate()`
    // (its permissions are the user's within the organization), read when opted in.
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).org_id("org-a").sign();
    assert_eq!(
        state.validate(&token).await.unwrap_err(),
        AuthError::OrgLevelToken
    );
    let opted_in = issuer
        .state_builder(API)
        .allow_org_level_tokens()
        .build()
        .unwrap();
    assert_eq!(
        opted_in.validate(&token).await.unwrap().org_id(),
        Some("org-a")
    );
}

#[tokio::test]
async fn every_key_kind_validates() {
    for kind in [
        KeyAlgorithm::Es384,
        KeyAlgorithm::Es256,
        KeyAlgorithm::Rs256,
    ] {
        let issuer = TestIssuer::start_with(kind).await;
        let state = issuer.state_builder(API).build().unwrap();
        let token = issuer.token().audience(API).sign();
        assert!(state.validate(&token).await.is_ok(), "{kind:?}");
    }
}

#[tokio::test]
async fn a_token_without_kid_needs_exactly_one_fitting_key() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).without_header("kid").sign();
    assert!(state.validate(&token).await.is_ok());
    // An RSA key beside it does not make an ES384 token ambiguous.
    issuer.publish_key(KeyAlgorithm::Rs256);
    let state = issuer.state_builder(API).build().unwrap();
    assert!(state.validate(&token).await.is_ok());
    // A second EC P-384 key does.
    issuer.publish_key(KeyAlgorithm::Es384);
    let state = issuer.state_builder(API).build().unwrap();
    assert_refused!(state, token, R::UnknownKey);
}

// ---- time claims ----------------------------------------------------------------------------

#[tokio::test]
async fn time_claims_are_exact_and_any_number_is_handled() {
    let issuer = TestIssuer::start().await;
    let exact = issuer
        .state_builder(API)
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let now = now() as f64;
    let with = |name: &str, value: Value| issuer.token().audience(API).claim(name, value).sign();
    // A fraction of a second in the future is in the future (no rounding in the sender's
    // favour).
    assert_refused!(exact, with("nbf", json!(now + 1.5)), R::NotYetValid);
    assert_refused!(exact, with("iat", json!(now + 1.5)), R::IssuedInFuture);
    assert_refused!(exact, with("exp", json!(now - 0.5)), R::Expired);
    assert!(
        exact
            .validate(&with("exp", json!(now + 60.5)))
            .await
            .is_ok()
    );
    // Any JSON number: far future, beyond i64, negative, fractional.
    for exp in [json!(1e300), json!(1e19), json!(u64::MAX), json!(9.3e18)] {
        let info = exact.validate(&with("exp", exp.clone())).await.unwrap();
        assert_eq!(info.expires_at(), i64::MAX, "{exp}");
    }
    for exp in [json!(-1), json!(-1e300), json!(0.5), json!(i64::MIN)] {
        assert_refused!(exact, with("exp", exp.clone()), R::Expired, "{exp}");
    }
    assert_refused!(exact, with("nbf", json!(1e300)), R::NotYetValid);
    assert!(exact.validate(&with("nbf", json!(-1e300))).await.is_ok());
    // A number too large for a double is no valid JSON for this crate.
    let payload = format!(
        r#"{{"iss":"{}","sub":"s","aud":"{API}","exp":1e400}}"#,
        issuer.issuer()
    );
    let header = format!(
        r#"{{"typ":"at+jwt","alg":"ES384","kid":"{}"}}"#,
        issuer.signing_kid()
    );
    let raw = issuer.sign_raw(header.as_bytes(), payload.as_bytes());
    assert_refused!(exact, raw, R::Malformed);
}

// ---- duplicate JSON members ---------------------------------------------------------------------

#[tokio::test]
async fn members_named_twice_are_malformed() {
    let (issuer, state) = setup().await;
    let kid = issuer.signing_kid();
    let iss = issuer.issuer();
    let exp = now() + 600;
    let header = format!(r#"{{"typ":"at+jwt","alg":"ES384","kid":"{kid}"}}"#);
    let payload = format!(r#"{{"iss":"{iss}","sub":"s","aud":"{API}","exp":{exp}}}"#);
    let good = issuer.sign_raw(header.as_bytes(), payload.as_bytes());
    assert!(state.validate(&good).await.is_ok());
    let twice_in_header = format!(r#"{{"typ":"at+jwt","alg":"none","alg":"ES384","kid":"{kid}"}}"#);
    let token = issuer.sign_raw(twice_in_header.as_bytes(), payload.as_bytes());
    assert_refused!(state, token, R::Malformed);
    let twice_in_payload = format!(
        r#"{{"iss":"{iss}","sub":"s","aud":"https://other.example.com","aud":"{API}","exp":{exp}}}"#
    );
    let token = issuer.sign_raw(header.as_bytes(), twice_in_payload.as_bytes());
    assert_refused!(state, token, R::Malformed);
}
