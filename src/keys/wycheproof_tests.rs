//! Google's Wycheproof vectors through the crate's own production path: each test group's
//! public key becomes a JWK (`kty`, `crv`, `x`, `y` for EC; `kty`, `n`, `e`, `alg` for RSA),
//! which [`parse_jwks`] parses as it parses the issuer's set; the key is then looked up as a
//! token without `kid` finds it, and a signature counts as accepted only when it passes both
//! checks a token's signature passes: its length fits the algorithm
//! ([`Algorithm::signature_len_fits`], run by `compact::parse` before any key lookup) and
//! [`VerifyingKey::verify`] accepts it. A public key the parser refuses refuses all its vectors.
//!
//! Every `valid` vector must be accepted and every `invalid` one refused, with either crypto
//! backend (`cargo test --lib`, and `cargo test --lib --no-default-features --features
//! rust_crypto,test-util`; `--nocapture` prints the counts per file), RSA keys of up to 8192
//! bits included.
//!
//! `acceptable` vectors are listed but not asserted. What the crate does with them, with both
//! backends alike:
//!
//! - RSA PKCS#1 v1.5, tcId 8 of every SHA-256/384/512 file, flag `MissingNull` (a
//!   `DigestInfo` without the NULL parameters of the hash's `AlgorithmIdentifier`, as some
//!   legacy signers wrote it): refused.
//!
//! The ECDSA P1363 and RSA-PSS files have no `acceptable` vectors.
//!
//! Skipped, and counted: groups whose parameters are not one of the JWS algorithms the crate
//! verifies (RSA PKCS#1 v1.5 with a hash other than SHA-256/384/512; RSA-PSS other than MGF1
//! with the message's hash and a salt as long as the hash, RFC 7518 §3.5), and groups whose
//! RSA modulus is shorter than 2048 bits (the crate refuses such keys by design; no file of
//! the current vector set has one).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use wycheproof::{HashFunction, Mgf, TestResult};

use super::algorithm::Algorithm;
use super::jwk::{Lookup, VerifyingKey, parse_jwks};

/// One vector, whatever its file.
struct Vector<'a> {
    tc_id: usize,
    comment: &'a str,
    flags: String,
    result: TestResult,
    msg: &'a [u8],
    sig: &'a [u8],
}

/// The outcome of one vector file.
#[derive(Debug, Default)]
struct Tally {
    valid_accepted: usize,
    invalid_refused: usize,
    /// Of the invalid ones, refused already by the signature-length check.
    invalid_refused_by_length: usize,
    /// `(tcId, flags, accepted)`.
    acceptable: Vec<(usize, String, bool)>,
    /// Skipped groups, counted by reason.
    skipped_groups: BTreeMap<&'static str, usize>,
    /// Valid vectors refused and invalid ones accepted: must stay empty.
    failures: Vec<String>,
}

impl Tally {
    fn skip(&mut self, reason: &'static str) {
        *self.skipped_groups.entry(reason).or_default() += 1;
    }

    /// Runs one group's vectors with `key` (`None`: the parser refused the public key).
    fn run_group(&mut self, key: Option<&VerifyingKey>, vectors: Vec<Vector<'_>>) {
        for v in vectors {
            let outcome = match key {
                None => Outcome::KeyRefused,
                Some(key) => check(key, v.msg, v.sig),
            };
            let accepted = outcome == Outcome::Accepted;
            match v.result {
                TestResult::Valid if accepted => self.valid_accepted += 1,
                TestResult::Invalid if !accepted => {
                    self.invalid_refused += 1;
                    if outcome == Outcome::BadLength {
                        self.invalid_refused_by_length += 1;
                    }
                }
                TestResult::Acceptable => self.acceptable.push((v.tc_id, v.flags, accepted)),
                _ => self.failures.push(format!(
                    "tcId {} ({}; {}): expected {:?}, {outcome:?}",
                    v.tc_id, v.comment, v.flags, v.result,
                )),
            }
        }
    }

    fn report(&self, file: &str) -> String {
        let mut line = format!(
            "{file}: valid accepted {}, invalid refused {} ({} by length)",
            self.valid_accepted, self.invalid_refused, self.invalid_refused_by_length
        );
        for (tc_id, flags, accepted) in &self.acceptable {
            let what = if *accepted { "accepted" } else { "refused" };
            let _ = write!(line, ", acceptable tcId {tc_id} [{flags}] {what}");
        }
        for (reason, count) in &self.skipped_groups {
            let _ = write!(line, ", skipped {count} group(s): {reason}");
        }
        line
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Accepted,
    /// The JWK parser refused the key (or it could not be found for the algorithm).
    KeyRefused,
    /// Refused by the signature-length check before verification.
    BadLength,
    /// Refused by [`VerifyingKey::verify`].
    BadSignature,
}

/// The key the crate would use for `jwk`, through the production parser and lookup.
fn key_for(jwk: Value, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
    let body = serde_json::to_vec(&json!({ "keys": [jwk] })).unwrap();
    match parse_jwks(&body).ok()?.lookup(None, alg) {
        Lookup::Found(key) => Some(key),
        Lookup::AlgorithmMismatch | Lookup::NotFound => None,
    }
}

/// What a token's signature goes through: the length check, then the verifier.
fn check(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> Outcome {
    if !key.alg.signature_len_fits(sig.len()) {
        Outcome::BadLength
    } else if key.verify(msg, sig) {
        Outcome::Accepted
    } else {
        Outcome::BadSignature
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A big-endian unsigned integer with the minimum number of octets (RFC 7518 §2).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}

fn rsa_key(n: &[u8], e: &[u8], alg: Algorithm) -> Option<Arc<VerifyingKey>> {
    let jwk =
        json!({"kty": "RSA", "n": b64(unsigned(n)), "e": b64(unsigned(e)), "alg": alg.name()});
    key_for(jwk, alg)
}

/// The vectors of a group, as [`Vector`]s (every file's tests have the same fields).
macro_rules! vectors {
    ($group:expr) => {
        $group
            .tests
            .iter()
            .map(|t| Vector {
                tc_id: t.tc_id,
                comment: &t.comment,
                flags: t
                    .flags
                    .iter()
                    .map(|f| format!("{f:?}"))
                    .collect::<Vec<_>>()
                    .join(","),
                result: t.result,
                msg: &t.msg,
                sig: &t.sig,
            })
            .collect::<Vec<_>>()
    };
}

/// Prints one line per file and fails on any valid vector refused or invalid vector accepted.
/// Returns how many vectors ran.
fn finish(results: Vec<(String, Tally)>) -> usize {
    let mut failures = Vec::new();
    let mut ran = 0;
    for (file, tally) in &results {
        println!("{}", tally.report(file));
        ran += tally.valid_accepted + tally.invalid_refused + tally.acceptable.len();
        failures.extend(tally.failures.iter().map(|f| format!("{file}: {f}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ran
}

#[test]
fn ecdsa_p1363() {
    use wycheproof::ecdsa::{TestName, TestSet};
    let mut results = Vec::new();
    for (name, alg, crv, len) in [
        (
            TestName::EcdsaSecp256r1Sha256P1363,
            Algorithm::Es256,
            "P-256",
            32,
        ),
        (
            TestName::EcdsaSecp384r1Sha384P1363,
            Algorithm::Es384,
            "P-384",
            48,
        ),
    ] {
        let set = TestSet::load(name).unwrap();
        let mut tally = Tally::default();
        for group in &set.test_groups {
            // The uncompressed point 0x04 || x || y.
            let point = &group.key.key;
            assert_eq!(point.len(), 1 + 2 * len, "{name:?}: an uncompressed point");
            let (x, y) = point[1..].split_at(len);
            let key = key_for(
                json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)}),
                alg,
            );
            tally.run_group(key.as_deref(), vectors!(group));
        }
        results.push((format!("{name:?}"), tally));
    }
    assert!(finish(results) > 500);
}

/// The JWS algorithm of an RSA PKCS#1 v1.5 hash, if it is one.
fn pkcs1_alg(hash: HashFunction) -> Option<Algorithm> {
    match hash {
        HashFunction::Sha2_256 => Some(Algorithm::Rs256),
        HashFunction::Sha2_384 => Some(Algorithm::Rs384),
        HashFunction::Sha2_512 => Some(Algorithm::Rs512),
        _ => None,
    }
}

#[test]
fn rsa_pkcs1_v1_5() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let mut results = Vec::new();
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        let mut tally = Tally::default();
        for group in &set.test_groups {
            let Some(alg) = pkcs1_alg(group.hash) else {
                tally.skip("a hash other than SHA-256/384/512");
                continue;
            };
            if group.key_size < 2048 {
                tally.skip("an RSA modulus below 2048 bits");
                continue;
            }
            let key = rsa_key(&group.key.n, &group.key.e, alg);
            tally.run_group(key.as_deref(), vectors!(group));
        }
        results.push((format!("{name:?}"), tally));
    }
    assert!(finish(results) > 3000);
}

/// The JWS algorithm of RSA-PSS parameters (RFC 7518 §3.5: MGF1 with the message's hash, a
/// salt as long as the hash), if they are one.
fn pss_alg(
    hash: HashFunction,
    mgf: Mgf,
    mgf_hash: Option<HashFunction>,
    salt: usize,
) -> Option<Algorithm> {
    let (alg, len) = match hash {
        HashFunction::Sha2_256 => (Algorithm::Ps256, 32),
        HashFunction::Sha2_384 => (Algorithm::Ps384, 48),
        HashFunction::Sha2_512 => (Algorithm::Ps512, 64),
        _ => return None,
    };
    (mgf == Mgf::Mgf1 && mgf_hash == Some(hash) && salt == len).then_some(alg)
}

#[test]
fn rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut results = Vec::new();
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        let mut tally = Tally::default();
        for group in &set.test_groups {
            let Some(alg) = pss_alg(group.hash, group.mgf, group.mgf_hash, group.salt_size) else {
                tally.skip("PSS parameters other than PS256/PS384/PS512");
                continue;
            };
            if group.key_size < 2048 {
                tally.skip("an RSA modulus below 2048 bits");
                continue;
            }
            let key = rsa_key(&group.key.n, &group.key.e, alg);
            tally.run_group(key.as_deref(), vectors!(group));
        }
        results.push((format!("{name:?}"), tally));
    }
    assert!(finish(results) > 1000);
}
