//! Token -> [`AuthInfo`]: every rule of DESIGN.md "Validation rules", cheapest first.
//!
//! The steps stay separate so that a cache of verified tokens can sit in front of the
//! signature: [`verify`] does steps 1-4 (format, JOSE header, key, signature) and parses the
//! claims; [`check_claims`] does step 5 (issuer, time, audience) and must run on every use.
//! Scopes (step 6) are checked by the caller that knows what a route needs.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::claims::AuthInfo;
use crate::config::ValidationConfig;
use crate::crypto::provider;
use crate::error::{AuthError, InvalidTokenReason};
use crate::jwks::KeyStore;

/// The longest `kid` looked up; a longer one is malformed (and causes no fetch).
const MAX_KID_LEN: usize = 256;

/// The algorithms a key can be bound to. Anything else (`none` in any case, `HS*`, `EdDSA`,
/// unknown names) is rejected before a key is looked up, so it can never cause a fetch.
const VERIFIABLE_ALGS: [&str; 8] = [
    "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

/// Which audience a token must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudienceRule {
    /// One of the configured API resource indicators.
    Resource,
    /// Some `urn:logto:organization:<id>`; the caller compares the id.
    Organization,
}

/// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

fn decode_json_object(segment: &str) -> Result<Map<String, Value>, InvalidTokenReason> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| InvalidTokenReason::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| InvalidTokenReason::Malformed)
}

/// The parts of a JOSE header that validation reads.
struct JoseHeader {
    alg: String,
    kid: Option<String>,
}

/// Step 2: `typ` must be `at+jwt` (RFC 9068), `crit` is refused, `alg` and `kid` are read.
/// `jku`, `x5u`, `jwk` and `x5c` are never read.
fn check_header(header: &Map<String, Value>) -> Result<JoseHeader, InvalidTokenReason> {
    match header.get("typ") {
        Some(Value::String(typ))
            if typ.eq_ignore_ascii_case("at+jwt")
                || typ.eq_ignore_ascii_case("application/at+jwt") => {}
        _ => return Err(InvalidTokenReason::UnsupportedType),
    }
    if header.contains_key("crit") {
        return Err(InvalidTokenReason::CriticalHeader);
    }
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg,
        _ => return Err(InvalidTokenReason::Malformed),
    };
    if !VERIFIABLE_ALGS.contains(&alg.as_str()) {
        return Err(InvalidTokenReason::AlgorithmMismatch);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) if kid.len() <= MAX_KID_LEN => Some(kid.clone()),
        Some(_) => return Err(InvalidTokenReason::Malformed),
    };
    Ok(JoseHeader {
        alg: alg.clone(),
        kid,
    })
}

/// Steps 1-4, then the claims are parsed (types checked) but not yet judged.
pub(crate) async fn verify(
    config: &ValidationConfig,
    keys: &KeyStore,
    token: &str,
) -> Result<AuthInfo, AuthError> {
    // Step 1: size, alphabet, shape, before any decoding.
    if token.len() > config.max_token_size {
        return Err(InvalidTokenReason::TooLarge.into());
    }
    if !is_b64token(token) {
        return Err(InvalidTokenReason::Malformed.into());
    }
    let mut segments = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(InvalidTokenReason::Malformed.into());
    };
    // An empty signature (`alg: none` style) or part is malformed before anything is decoded.
    if header_b64.is_empty() || payload_b64.is_empty() || signature_b64.is_empty() {
        return Err(InvalidTokenReason::Malformed.into());
    }

    // Step 2: the JOSE header.
    let header = check_header(&decode_json_object(header_b64)?)?;

    // The signature's encoding and length, before a key lookup that may fetch: a token with
    // a garbage signature never causes a JWKS request.
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| InvalidTokenReason::Malformed)?;
    if !signature_length_fits(&header.alg, signature.len()) {
        return Err(InvalidTokenReason::BadSignature.into());
    }

    // Step 3: the key, which fixes the algorithm.
    let key = keys.key_for(header.kid.as_deref(), &header.alg).await?;

    // Step 4: the signature.
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    let verifier = (provider().verifier_factory)(&key.alg, &key.key)
        .map_err(|_| InvalidTokenReason::BadSignature)?;
    if verifier
        .verify(signing_input.as_bytes(), &signature)
        .is_err()
    {
        tracing::trace!(kid = header.kid.as_deref(), "signature does not verify");
        return Err(InvalidTokenReason::BadSignature.into());
    }

    tracing::trace!(kid = header.kid.as_deref(), alg = %header.alg, "token signature verified");

    // The claims, typed: a registered claim of the wrong JSON type is a rejection.
    let claims = decode_json_object(payload_b64)?;
    Ok(AuthInfo::from_claims(claims)?)
}

/// Whether a signature of `len` bytes can be one of `alg` (ECDSA signatures have a fixed size;
/// RSA ones are as long as the modulus, 2048 to 8192 bits).
fn signature_length_fits(alg: &str, len: usize) -> bool {
    match alg {
        "ES256" => len == 64,
        "ES384" => len == 96,
        _ => (256..=1024).contains(&len),
    }
}

/// Step 5: issuer, time, audience. Runs on every use of a token, cached or not.
pub(crate) fn check_claims(
    config: &ValidationConfig,
    info: &AuthInfo,
    audience: AudienceRule,
) -> Result<(), InvalidTokenReason> {
    if info.issuer() != config.issuer {
        return Err(InvalidTokenReason::WrongIssuer);
    }
    // A clock set before 1970 fails closed.
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return Err(InvalidTokenReason::Expired);
    };
    let now = now.as_secs_f64();
    let leeway = config.leeway_secs;
    // RFC 7519 §4.1.4: the token must not be accepted on or after `exp`.
    if now >= info.expires_at() as f64 + leeway {
        return Err(InvalidTokenReason::Expired);
    }
    if info.not_before.is_some_and(|nbf| nbf as f64 > now + leeway) {
        return Err(InvalidTokenReason::NotYetValid);
    }
    if info
        .issued_at()
        .is_some_and(|iat| iat as f64 > now + leeway)
    {
        return Err(InvalidTokenReason::IssuedInFuture);
    }
    let addressed = match audience {
        AudienceRule::Resource => info
            .audience()
            .iter()
            .any(|aud| config.audiences.iter().any(|ours| ours == aud)),
        AudienceRule::Organization => info.audience_organization_id().is_some(),
    };
    if !addressed {
        return Err(InvalidTokenReason::WrongAudience);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn b64token_grammar() {
        assert!(is_b64token("abc.DEF-_~+/=="));
        assert!(is_b64token("a.b.c"));
        assert!(!is_b64token(""));
        assert!(!is_b64token("==="));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token("a=b"));
        assert!(!is_b64token("a,b"));
        assert!(!is_b64token("é"));
    }

    fn header(value: Value) -> Result<JoseHeader, InvalidTokenReason> {
        match value {
            Value::Object(map) => check_header(&map),
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn header_rules() {
        for typ in [
            "at+jwt",
            "application/at+jwt",
            "AT+JWT",
            "Application/At+Jwt",
        ] {
            assert!(
                header(json!({"typ": typ, "alg": "ES384", "kid": "k"})).is_ok(),
                "{typ}"
            );
        }
        for typ in [json!("JWT"), json!("jwt"), json!(null), json!(["at+jwt"])] {
            assert_eq!(
                header(json!({"typ": typ, "alg": "ES384"})).err(),
                Some(InvalidTokenReason::UnsupportedType)
            );
        }
        assert_eq!(
            header(json!({"alg": "ES384"})).err(),
            Some(InvalidTokenReason::UnsupportedType)
        );
        assert_eq!(
            header(json!({"typ": "at+jwt", "alg": "ES384", "crit": ["exp"]})).err(),
            Some(InvalidTokenReason::CriticalHeader)
        );
        for alg in ["none", "None", "NONE", "HS256", "EdDSA", "es384", ""] {
            assert_eq!(
                header(json!({"typ": "at+jwt", "alg": alg})).err(),
                Some(InvalidTokenReason::AlgorithmMismatch),
                "{alg}"
            );
        }
        assert_eq!(
            header(json!({"typ": "at+jwt"})).err(),
            Some(InvalidTokenReason::Malformed)
        );
        assert_eq!(
            header(json!({"typ": "at+jwt", "alg": "ES384", "kid": 5})).err(),
            Some(InvalidTokenReason::Malformed)
        );
        assert_eq!(
            header(json!({"typ": "at+jwt", "alg": "ES384", "kid": "k".repeat(257)})).err(),
            Some(InvalidTokenReason::Malformed)
        );
    }
}
