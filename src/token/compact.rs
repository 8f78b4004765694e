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

/// Decodes a base64url segment holding a JSON object whose members are named once each, in
/// the object and in every object nested in it.
///
/// JSON parsers disagree on duplicate members (the first wins, or the last): a header or
/// payload with `"alg"` or `"aud"` twice, or an `act` with two `sub`s, could mean one thing to
/// the issuer and another here, so it is malformed (RFC 7515 §4 and RFC 7519 §4: names must
/// be unique, or the JWS rejected).
pub(crate) fn decode_json_object(segment: &str) -> Result<Map<String, Value>, InvalidTokenReason> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| InvalidTokenReason::Malformed)?;
    match serde_json::from_slice::<Unique>(&bytes) {
        Ok(Unique(Value::Object(object))) => Ok(object),
        _ => Err(InvalidTokenReason::Malformed),
    }
}

/// A JSON value whose objects, at every depth, name each member once. (`serde_json` keeps the
/// last of two members silently; its recursion limit, 128 levels, still applies.)
struct Unique(Value);

impl<'de> serde::Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON whose objects name each member once")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Unique, E> {
        // JSON has no NaN or infinity: a finite number always converts.
        Ok(Unique(
            serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, value: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(value)))
    }

    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut access: A) -> Result<Unique, A::Error> {
        let mut items = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
        while let Some(Unique(item)) = access.next_element()? {
            items.push(item);
        }
        Ok(Unique(Value::Array(items)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Unique, A::Error> {
        let mut map = Map::new();
        while let Some((name, Unique(value))) = access.next_entry::<String, Unique>()? {
            if map.insert(name, value).is_some() {
                return Err(serde::de::Error::custom("a member is named twice"));
            }
        }
        Ok(Unique(Value::Object(map)))
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

/// Whether the payload of a token whose `typ` is not `at+jwt` looks like an ID token: a
/// `nonce` or an `at_hash`, or neither `scope` nor `client_id` (which Logto's access tokens
/// always carry). The payload is not verified: this only chooses the description of a refusal.
fn looks_like_an_id_token(payload_b64: &str) -> bool {
    decode_json_object(payload_b64).is_ok_and(|claims| {
        claims.contains_key("nonce")
            || claims.contains_key("at_hash")
            || !(claims.contains_key("scope") || claims.contains_key("client_id"))
    })
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
    // A JWS has dots; a b64token without any is an opaque token (Logto's, when the client
    // asked for no `resource`): say so, the client can fix it.
    if !token.contains('.') {
        return Err(InvalidTokenReason::Opaque);
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
    let header = match check_header(&decode_json_object(header_b64)?) {
        Err(InvalidTokenReason::UnsupportedType) if looks_like_an_id_token(payload_b64) => {
            return Err(InvalidTokenReason::IdToken);
        }
        other => other?,
    };
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
    fn members_named_twice_are_malformed_at_every_depth() {
        for twice in [
            r#"{"act":{"sub":"a","sub":"b"}}"#,
            r#"{"cnf":{"jkt":"x"},"n":[{"a":1,"a":2}]}"#,
            r#"{"x":[[{"k":{"k":1,"k":1}}]]}"#,
        ] {
            assert_eq!(
                decode_json_object(&b64(twice)),
                Err(InvalidTokenReason::Malformed),
                "{twice}"
            );
        }
        let nested = r#"{"act":{"sub":"a","act":{"sub":"b"}},"n":[1,2.5,-3,true,null,"s",{}]}"#;
        assert_eq!(
            Value::Object(decode_json_object(&b64(nested)).unwrap()),
            serde_json::from_str::<Value>(nested).unwrap()
        );
    }

    #[test]
    fn opaque_and_id_tokens_are_named() {
        let signature = b64(&"s".repeat(96));
        let token = |header: Value, payload: Value| {
            format!(
                "{}.{}.{signature}",
                b64(&header.to_string()),
                b64(&payload.to_string())
            )
        };
        // Logto's opaque access token: 43 characters of base64url, no dot.
        assert_eq!(
            parse("aVeryOpaqueToken_0123456789-abcdefghijklmnopq", 8192).err(),
            Some(InvalidTokenReason::Opaque)
        );
        let jwt = json!({"alg": "ES384", "typ": "JWT", "kid": "k"});
        for id_token in [
            json!({"sub": "u", "aud": "client", "nonce": "n"}),
            json!({"sub": "u", "aud": "client", "at_hash": "h", "scope": "x"}),
            json!({"sub": "u", "aud": "client", "auth_time": 1}),
        ] {
            assert_eq!(
                parse(&token(jwt.clone(), id_token.clone()), 8192).err(),
                Some(InvalidTokenReason::IdToken),
                "{id_token}"
            );
        }
        // A JWT access token of another kind is still an unsupported type.
        let other = json!({"sub": "u", "aud": "api", "scope": "a", "client_id": "c"});
        assert_eq!(
            parse(&token(jwt, other), 8192).err(),
            Some(InvalidTokenReason::UnsupportedType)
        );
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
