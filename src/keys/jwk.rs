//! JWK parsing (pure): one [`VerifyingKey`] per usable JWK, each bound to one algorithm.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::algorithm::{Algorithm, Family};
use super::error::{KeyFetchError, KeyFetchErrorKind};
use super::public_key::PublicKey;
use crate::redact::{Redacted, RedactedList};

/// One verification key, with the one algorithm it is used with.
pub(crate) struct VerifyingKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    key: PublicKey,
    /// The public key's bytes as published (`x || y`, or `n || e`), to recognize the same key
    /// in a later fetch.
    material: Box<[u8]>,
}

impl VerifyingKey {
    /// Whether `other` is the same key: same kid, algorithm and public key.
    fn same_as(&self, other: &VerifyingKey) -> bool {
        self.kid == other.kid && self.alg == other.alg && self.material == other.material
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Whether `signature` is this key's signature of `input` with the key's algorithm.
    pub(crate) fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        self.key.verify(input, signature)
    }
}

/// A loaded JWK set.
#[derive(Debug)]
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

/// The outcome of looking a key up in one key set.
pub(crate) enum Lookup {
    Found(Arc<VerifyingKey>),
    /// A key with that `kid` exists but its algorithm is not the header's.
    AlgorithmMismatch,
    /// No key with that `kid` (or, without `kid`, not exactly one key fits).
    NotFound,
}

impl KeySet {
    pub(crate) fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        match kid {
            Some(kid) => {
                let mut seen = false;
                for key in self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid)) {
                    seen = true;
                    if key.alg == alg {
                        return Lookup::Found(key.clone());
                    }
                }
                if seen {
                    Lookup::AlgorithmMismatch
                } else {
                    Lookup::NotFound
                }
            }
            None => {
                // Without a kid, only an unambiguous choice is safe.
                let mut fitting = self.keys.iter().filter(|k| k.alg == alg);
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => Lookup::Found(only.clone()),
                    _ => Lookup::NotFound,
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The kids, for logs.
    pub(crate) fn kids(&self) -> RedactedList<'_> {
        RedactedList(self.keys.iter().filter_map(|k| k.kid.as_deref()).collect())
    }

    /// Whether both sets hold the same keys, in the same order.
    pub(crate) fn same_keys(&self, other: &KeySet) -> bool {
        self.keys.len() == other.keys.len()
            && self.keys.iter().zip(&other.keys).all(|(a, b)| a.same_as(b))
    }

    /// Takes over the keys of `previous` that this set holds unchanged, so that a key keeps
    /// its identity across refreshes (what verified tokens remember).
    pub(crate) fn carry_over(&mut self, previous: &KeySet) {
        for key in &mut self.keys {
            if let Some(old) = previous.keys.iter().find(|old| old.same_as(key)) {
                *key = old.clone();
            }
        }
    }

    /// Whether `key` (this very key, not an equal one) is in this set.
    pub(crate) fn holds(&self, key: &Arc<VerifyingKey>) -> bool {
        self.keys.iter().any(|k| Arc::ptr_eq(k, key))
    }
}

/// Parses a JWK set. Keys this crate cannot or must not use are skipped with a `debug` log;
/// a set with no usable key at all is an error (so that a refresh that returns one keeps the
/// previous set).
pub(crate) fn parse_jwks(body: &[u8]) -> Result<KeySet, KeyFetchError> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<Value>,
    }
    let doc: Document = serde_json::from_slice(body).map_err(|error| {
        KeyFetchError::new(KeyFetchErrorKind::InvalidDocument).with_cause(error)
    })?;
    let mut keys: Vec<Arc<VerifyingKey>> = Vec::with_capacity(doc.keys.len());
    for (index, jwk) in doc.keys.iter().enumerate() {
        let skip = match parse_jwk(jwk) {
            // Two keys with one kid and one algorithm would make a lookup depend on order:
            // the first published is the one used.
            Ok(key)
                if key.kid.is_some()
                    && keys.iter().any(|k| k.kid == key.kid && k.alg == key.alg) =>
            {
                "an earlier key has the same kid and algorithm"
            }
            Ok(key) => {
                keys.push(Arc::new(key));
                continue;
            }
            Err(reason) => reason,
        };
        let kid = Redacted(jwk.get("kid").and_then(Value::as_str).unwrap_or(""));
        tracing::debug!(index, %kid, reason = skip, "skipping a JWK this crate cannot use");
    }
    if keys.is_empty() {
        return Err(KeyFetchError::new(KeyFetchErrorKind::NoUsableKeys));
    }
    Ok(KeySet { keys })
}

/// A string member: `Ok(None)` when absent, an error when of another JSON type.
fn text<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, &'static str> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err("a member has the wrong JSON type"),
    }
}

/// A required base64url member, decoded.
fn bytes(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, &'static str> {
    let s = text(obj, name)?.ok_or("a key parameter is missing")?;
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| "a key parameter is not base64url")
}

fn parse_jwk(jwk: &Value) -> Result<VerifyingKey, &'static str> {
    let obj = jwk.as_object().ok_or("not a JSON object")?;
    let kid = text(obj, "kid")?.map(str::to_owned);
    if let Some(usage) = text(obj, "use")?
        && usage != "sig"
    {
        return Err("use is not sig");
    }
    if let Some(ops) = obj.get("key_ops") {
        let ops = ops.as_array().ok_or("key_ops is not an array")?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err("key_ops does not allow verify");
        }
    }
    let declared = match text(obj, "alg")? {
        None => None,
        Some(name) => Some(Algorithm::from_name(name).ok_or("unsupported alg")?),
    };
    let (key, material) = match text(obj, "kty")?.ok_or("kty is missing")? {
        "EC" => {
            let alg = Algorithm::for_curve(text(obj, "crv")?.ok_or("crv is missing")?)
                .ok_or("unsupported curve")?;
            if declared.is_some_and(|declared| declared != alg) {
                return Err("alg does not fit the curve");
            }
            // The uncompressed point 0x04 || x || y; the key checks lengths and the curve.
            let point = [&[0x04][..], &bytes(obj, "x")?, &bytes(obj, "y")?].concat();
            (PublicKey::ec(alg, &point)?, point)
        }
        "RSA" => {
            // Logto publishes RSA keys without `alg`; RS256 is what it signs with.
            let alg = declared.unwrap_or(Algorithm::Rs256);
            if alg.family() != Family::Rsa {
                return Err("alg does not fit an RSA key");
            }
            let (n, e) = (bytes(obj, "n")?, bytes(obj, "e")?);
            // The length of `n` first, so that no two (n, e) pairs give the same bytes.
            let material = [&n.len().to_be_bytes()[..], &n, &e].concat();
            (PublicKey::rsa(alg, &n, &e)?, material)
        }
        _ => return Err("unsupported kty"),
    };
    Ok(VerifyingKey {
        kid,
        alg: key.alg(),
        key,
        material: material.into_boxed_slice(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC384_X: &str = "FOXz4FJXE5650IrRVDU85hpGb54BlqgQGV9jpfOtkbSpMCFaaqqQzOC4Vo8w6VJ6";
    const EC384_Y: &str = "TN8SmqS3YzE_SBW3u3yAndMdWkXHp1M_pVidxifXP4LGO6z6yjzsDGNVaWtQzIox";

    fn ec384(extra: &str) -> String {
        format!(r#"{{"kty":"EC","crv":"P-384","x":"{EC384_X}","y":"{EC384_Y}"{extra}}}"#)
    }

    fn rsa(bits: usize, extra: &str) -> String {
        let n = URL_SAFE_NO_PAD.encode(vec![0xc5u8; bits / 8]);
        format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"{extra}}}"#)
    }

    fn jwks_doc(keys: &[String]) -> Vec<u8> {
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")).into_bytes()
    }

    fn kind(body: &[u8]) -> KeyFetchErrorKind {
        parse_jwks(body).unwrap_err().kind().clone()
    }

    #[test]
    fn binds_one_algorithm_per_key() {
        let set = parse_jwks(&jwks_doc(&[
            ec384(r#","kid":"ec""#),
            rsa(2048, r#","kid":"rsa""#),
            rsa(2048, r#","kid":"ps","alg":"PS256""#),
        ]))
        .unwrap();
        assert_eq!(set.len(), 3);
        let algs: Vec<_> = set
            .keys
            .iter()
            .map(|k| (k.kid.clone().unwrap(), k.alg))
            .collect();
        assert_eq!(
            algs,
            [
                ("ec".to_owned(), Algorithm::Es384),
                ("rsa".to_owned(), Algorithm::Rs256),
                ("ps".to_owned(), Algorithm::Ps256)
            ]
        );
    }

    #[test]
    fn skips_keys_it_must_not_use() {
        let skipped = [
            ec384(r#","use":"enc""#),
            ec384(r#","key_ops":["encrypt"]"#),
            ec384(r#","alg":"ES256""#),
            ec384(r#","kid":7"#),
            r#"{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}"#.to_owned(),
            r#"{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}"#.to_owned(),
            r#"{"kty":"EC","crv":"P-384","x":"!!!","y":"AAAA"}"#.to_owned(),
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
                .to_owned(),
            r#"{"kty":"oct","k":"c2VjcmV0"}"#.to_owned(),
            rsa(1024, ""),
            rsa(2048, r#","alg":"HS256""#),
            r#""not an object""#.to_owned(),
        ];
        for bad in &skipped {
            assert_eq!(
                kind(&jwks_doc(std::slice::from_ref(bad))),
                KeyFetchErrorKind::NoUsableKeys,
                "{bad}"
            );
        }
        // One bad key does not spoil the set.
        let mut mixed = skipped.to_vec();
        mixed.push(ec384(r#","kid":"good","use":"sig","key_ops":["verify"]"#));
        let set = parse_jwks(&jwks_doc(&mixed)).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys[0].kid.as_deref(), Some("good"));
    }

    #[test]
    fn the_first_of_two_keys_with_one_kid_and_algorithm_is_used() {
        let other = rsa(2048, r#","kid":"a""#);
        let set = parse_jwks(&jwks_doc(&[
            ec384(r#","kid":"a""#),
            ec384(r#","kid":"a""#),
            other,
        ]))
        .unwrap();
        let kinds: Vec<_> = set.keys.iter().map(|k| k.alg).collect();
        assert_eq!(kinds, [Algorithm::Es384, Algorithm::Rs256]);
    }

    #[test]
    fn rsa_exponents_and_ec_points_are_checked_at_load() {
        let n = URL_SAFE_NO_PAD.encode(vec![0xc5u8; 256]);
        for e in ["AQ", "Ag", "AAE", "AQAA", "", "AQAAAAAAAAAB"] {
            let jwk = format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#);
            assert_eq!(
                kind(&jwks_doc(&[jwk])),
                KeyFetchErrorKind::NoUsableKeys,
                "e={e}"
            );
        }
        let n9000 = URL_SAFE_NO_PAD.encode(vec![0xc5u8; 1025]);
        let jwk = format!(r#"{{"kty":"RSA","n":"{n9000}","e":"AQAB"}}"#);
        assert_eq!(kind(&jwks_doc(&[jwk])), KeyFetchErrorKind::NoUsableKeys);
        // (x, y + 1) is not on P-384.
        let mut y = URL_SAFE_NO_PAD.decode(EC384_Y).unwrap();
        *y.last_mut().unwrap() ^= 1;
        let off = format!(
            r#"{{"kty":"EC","crv":"P-384","x":"{EC384_X}","y":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(y)
        );
        assert_eq!(kind(&jwks_doc(&[off])), KeyFetchErrorKind::NoUsableKeys);
    }

    #[test]
    fn unchanged_keys_keep_their_identity_across_fetches() {
        let doc = jwks_doc(&[ec384(r#","kid":"a""#), rsa(2048, r#","kid":"b""#)]);
        let first = parse_jwks(&doc).unwrap();
        let mut second = parse_jwks(&doc).unwrap();
        assert!(!second.holds(&first.keys[0]));
        assert!(second.same_keys(&first));
        second.carry_over(&first);
        assert!(second.holds(&first.keys[0]) && second.holds(&first.keys[1]));
        // A key published again under the same kid with other material is another key.
        let n = URL_SAFE_NO_PAD.encode(vec![0xc7u8; 256]);
        let changed = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB","kid":"b"}}"#);
        let mut third = parse_jwks(&jwks_doc(&[ec384(r#","kid":"a""#), changed])).unwrap();
        assert!(!third.same_keys(&first));
        third.carry_over(&first);
        assert!(third.holds(&first.keys[0]));
        assert!(!third.holds(&first.keys[1]));
    }

    #[test]
    fn garbage_is_an_invalid_document() {
        for body in [&b"<html>"[..], b"{}", br#"{"keys":{}}"#, b""] {
            assert_eq!(kind(body), KeyFetchErrorKind::InvalidDocument);
        }
    }

    #[test]
    fn lookup_by_kid_and_without() {
        let set = parse_jwks(&jwks_doc(&[
            ec384(r#","kid":"a""#),
            rsa(2048, r#","kid":"b""#),
        ]))
        .unwrap();
        assert!(
            matches!(set.lookup(Some("a"), Algorithm::Es384), Lookup::Found(k) if k.kid.as_deref() == Some("a"))
        );
        assert!(matches!(
            set.lookup(Some("a"), Algorithm::Es256),
            Lookup::AlgorithmMismatch
        ));
        assert!(matches!(
            set.lookup(Some("a"), Algorithm::Rs256),
            Lookup::AlgorithmMismatch
        ));
        assert!(matches!(
            set.lookup(Some("c"), Algorithm::Es384),
            Lookup::NotFound
        ));
        // Without kid: exactly one key fits the algorithm.
        assert!(
            matches!(set.lookup(None, Algorithm::Rs256), Lookup::Found(k) if k.kid.as_deref() == Some("b"))
        );
        assert!(matches!(
            set.lookup(None, Algorithm::Ps256),
            Lookup::NotFound
        ));
        let two = parse_jwks(&jwks_doc(&[ec384(r#","kid":"a""#), ec384(r#","kid":"b""#)])).unwrap();
        assert!(matches!(
            two.lookup(None, Algorithm::Es384),
            Lookup::NotFound
        ));
    }
}
