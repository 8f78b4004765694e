//! Steps 1 and 2: the compact JWS, its JOSE header and its signature bytes, before any key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::error::InvalidTokenReason;
use crate::keys::Algorithm;

/// The longest `kid` looked up; a longer one is malformed (and causes no fetch).
const MAX_KID_LEN: usize = 256;

/// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Decodes a base64url segment holding a JSON object whose members are named once each.
///
/// JSON parsers disagree on duplicate members (the first wins, or the last): a header or
/// payload with `"alg"` or `"aud"` twice could mean one thing to the issuer and another here,
/// so it is malformed (RFC 7515 §4: names must be unique, or the JWS rejected).
pub(crate) fn decode_json_object(segment: &str) -> Result<Map<String, Value>, InvalidTokenReason> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| InvalidTokenReason::Malformed)?;
    serde_json::from_slice::<UniqueObject>(&bytes)
        .map(|object| object.0)
        .map_err(|_| InvalidTokenReason::Malformed)
}

/// A JSON object that refuses a member named twice at its top level.
struct UniqueObject(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueObject;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object with unique member names")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<UniqueObject, A::Error> {
                let mut map = Map::new();
                while let Some((name, value)) = access.next_entry::<String, Value>()? {
                    if map.insert(name, value).is_some() {
                        return Err(serde::de::Error::custom("a member is named twice"));
                    }
                }
                Ok(UniqueObject(map))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The parts of a JOSE header that validation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoseHeader {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
}

/// Step 2: `typ` must be `at+jwt` (RFC 9068), `crit` is refused, `alg` must be one this crate
/// verifies, `kid` is read. `jku`, `x5u`, `jwk` and `x5c` are never read.
pub(crate) fn check_header(header: &Map<String, Value>) -> Result<JoseHeader, InvalidTokenReason> {
    match header.get("typ") {
        Some(Value::String(typ))
            if typ.eq_ignore_ascii_case("at+jwt")
                || typ.eq_ignore_ascii_case("application/at+jwt") => {}
        _ => return Err(InvalidTokenReason::UnsupportedType),
    }
    if header.contains_key("crit") {
        return Err(InvalidTokenReason::CriticalHeader);
    }
    let Some(Value::String(alg)) = header.get("alg") else {
        return Err(InvalidTokenReason::Malformed);
    };
    // Anything outside the table (`none` in any case, `HS*`, `EdDSA`) is refused before a key
    // is looked up, so it can never cause a fetch.
    let alg = Algorithm::from_name(alg).ok_or(InvalidTokenReason::AlgorithmMismatch)?;
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) if kid.len() <= MAX_KID_LEN => Some(kid.clone()),
        Some(_) => return Err(InvalidTokenReason::Malformed),
    };
    Ok(JoseHeader { alg, kid })
}

/// A token that passed steps 1 and 2.
#[derive(Debug)]
pub(crate) struct Compact<'a> {
    pub(crate) header: JoseHeader,
    /// `<header>.<payload>`, the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    pub(crate) payload_b64: &'a str,
    pub(crate) signature: Vec<u8>,
}

/// Steps 1 and 2: size, alphabet and shape before any decoding; then the header; then the
/// signature's encoding and length, so that a token with a garbage signature never causes a
/// key lookup (which may fetch).
pub(crate) fn parse(token: &str, max_size: usize) -> Result<Compact<'_>, InvalidTokenReason> {
    if token.len() > max_size {
        return Err(InvalidTokenReason::TooLarge);
    }
    if !is_b64token(token) {
        return Err(InvalidTokenReason::Malformed);
    }
    let mut segments = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(InvalidTokenReason::Malformed);
    };
    // An empty signature (`alg: none` style) or part is malformed before anything is decoded.
    if header_b64.is_empty() || payload_b64.is_empty() || signature_b64.is_empty() {
        return Err(InvalidTokenReason::Malformed);
    }
    let header = check_header(&decode_json_object(header_b64)?)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| InvalidTokenReason::Malformed)?;
    if !header.alg.signature_len_fits(signature.len()) {
        return Err(InvalidTokenReason::BadSignature);
    }
    Ok(Compact {
        header,
        signing_input: &token[..header_b64.len() + 1 + payload_b64.len()],
        payload_b64,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn members_named_twice_are_malformed() {
        assert!(decode_json_object(&b64(r#"{"a":1,"b":2}"#)).is_ok());
        for twice in [
            r#"{"alg":"ES384","alg":"none"}"#,
            r#"{"aud":"x","sub":"s","aud":"y"}"#,
        ] {
            assert_eq!(
                decode_json_object(&b64(twice)),
                Err(InvalidTokenReason::Malformed),
                "{twice}"
            );
        }
        for not_an_object in ["[1]", "1", "\"s\"", "null", ""] {
            assert_eq!(
                decode_json_object(&b64(not_an_object)),
                Err(InvalidTokenReason::Malformed)
            );
        }
    }

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
