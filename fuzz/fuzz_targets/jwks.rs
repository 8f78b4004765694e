//! JWK set parsing on arbitrary bytes, then every key it yields verifies a signature (which
//! builds the crypto backend's key from the JWK's parameters). Never panics, and never yields
//! a key that the document does not describe as a usable signing key for that algorithm.
#![no_main]

use axum_logto::fuzz::{FoundKey, parse_jwks};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The signature lengths of ES256, ES384 and RSA-2048 (what the length check lets through).
const SIGNATURE_LENGTHS: [usize; 3] = [64, 96, 256];

fuzz_target!(|data: &[u8]| {
    for len in SIGNATURE_LENGTHS {
        let signature: Vec<u8> = data.iter().copied().cycle().take(len).collect();
        let Ok(found) = parse_jwks(data, b"eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ1In0", &signature)
        else {
            continue;
        };
        let doc: Value = serde_json::from_slice(data).expect("a parsed JWK set is JSON");
        let jwks = doc["keys"]
            .as_array()
            .expect("a parsed JWK set has a keys array");
        for key in &found {
            assert!(
                jwks.iter().any(|jwk| describes(jwk, key)),
                "{key:?} is not a usable key of {doc}"
            );
        }
    }
});

/// Whether `jwk` is a usable signing key for `key.alg` with `key.kid` (RFC 7517, RFC 7518).
fn describes(jwk: &Value, key: &FoundKey) -> bool {
    let Some(jwk) = jwk.as_object() else {
        return false;
    };
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let kid_matches = match &key.kid {
        Some(kid) => text("kid") == Some(kid.as_str()),
        None => !jwk.contains_key("kid"),
    };
    let usage_ok = jwk.get("use").is_none_or(|u| u == "sig");
    let ops_ok = jwk.get("key_ops").is_none_or(|ops| {
        ops.as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"))
    });
    let alg_ok = match (text("kty"), key.alg) {
        (Some("EC"), "ES256") => text("crv") == Some("P-256"),
        (Some("EC"), "ES384") => text("crv") == Some("P-384"),
        (Some("RSA"), "RS256") => jwk.get("alg").is_none() || text("alg") == Some("RS256"),
        (Some("RSA"), alg @ ("RS384" | "RS512" | "PS256" | "PS384" | "PS512")) => {
            text("alg") == Some(alg)
        }
        _ => false,
    };
    let declared_ok = jwk.get("alg").is_none_or(|alg| alg == key.alg);
    kid_matches && usage_ok && ops_ok && alg_ok && declared_ok
}
