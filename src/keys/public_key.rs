//! A public key parsed once per JWK and bound to its algorithm, and its signature check: the
//! one place that names a crypto backend.
//!
//! Parsing once (instead of on every verification) checks the key when the JWK set loads (an
//! EC point off its curve, an RSA exponent that is even or 1, a modulus out of range: the key
//! is skipped) and saves the per-token parse.
//!
//! With the `aws_lc_rs` feature (the default) aws-lc-rs verifies; with only `rust_crypto`,
//! the RustCrypto crates (`p256`, `p384`, `rsa`, `sha2`) do. When both are enabled, aws-lc-rs
//! is used.

use std::fmt;

use super::algorithm::{Algorithm, Family, RSA_MODULUS_BYTES};

/// A verification key of one algorithm.
pub(crate) struct PublicKey {
    alg: Algorithm,
    inner: backend::Key,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PublicKey {
    /// An ECDSA key from its uncompressed point `0x04 || x || y`, which must lie on the curve
    /// of `alg`.
    pub(crate) fn ec(alg: Algorithm, point: &[u8]) -> Result<Self, &'static str> {
        let Family::Ec { coordinate_len, .. } = alg.family() else {
            return Err("the algorithm is not ECDSA");
        };
        if point.len() != 1 + 2 * coordinate_len || point[0] != 0x04 {
            return Err("a coordinate has the wrong length for the curve");
        }
        let inner = backend::ec(alg, point).ok_or("the point is not on the curve")?;
        Ok(Self { alg, inner })
    }

    /// An RSA key from its modulus `n` and exponent `e` (big-endian): a modulus of 2048 to
    /// 8192 bits, an odd exponent of at least 3 and at most 64 bits.
    pub(crate) fn rsa(alg: Algorithm, n: &[u8], e: &[u8]) -> Result<Self, &'static str> {
        if alg.family() != Family::Rsa {
            return Err("the algorithm is not RSA");
        }
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        if n.len() < *RSA_MODULUS_BYTES.start() {
            return Err("the RSA modulus is shorter than 2048 bits");
        }
        if n.len() > *RSA_MODULUS_BYTES.end() {
            return Err("the RSA modulus is longer than 8192 bits");
        }
        // Public exponents are odd and at least 3 (e = 1 makes every "signature" the message
        // itself); more than 64 bits is not a real key.
        let odd = e.last().is_some_and(|last| last & 1 == 1);
        if e.is_empty() || e.len() > 8 || !odd || e == [1] {
            return Err("the RSA exponent is out of range");
        }
        let inner = backend::rsa(alg, n, e).ok_or("the RSA key is not valid")?;
        Ok(Self { alg, inner })
    }

    /// The algorithm the key is bound to.
    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }

    /// Whether `signature` is this key's signature of `input` with the key's algorithm (for
    /// ECDSA, `r || s` as JWS encodes it).
    pub(crate) fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        self.alg.signature_len_fits(signature.len())
            && backend::verify(&self.inner, input, signature)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

#[cfg(feature = "aws_lc_rs")]
mod backend {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ParsedPublicKey,
        RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
        RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
        RsaParameters, RsaPublicKeyComponents,
    };

    use super::Algorithm;

    pub(super) type Key = ParsedPublicKey;

    pub(super) fn ec(alg: Algorithm, point: &[u8]) -> Option<Key> {
        let algorithm = match alg {
            Algorithm::Es256 => &ECDSA_P256_SHA256_FIXED,
            Algorithm::Es384 => &ECDSA_P384_SHA384_FIXED,
            _ => return None,
        };
        ParsedPublicKey::new(algorithm, point).ok()
    }

    pub(super) fn rsa(alg: Algorithm, n: &[u8], e: &[u8]) -> Option<Key> {
        let params: &'static RsaParameters = match alg {
            Algorithm::Rs256 => &RSA_PKCS1_2048_8192_SHA256,
            Algorithm::Rs384 => &RSA_PKCS1_2048_8192_SHA384,
            Algorithm::Rs512 => &RSA_PKCS1_2048_8192_SHA512,
            Algorithm::Ps256 => &RSA_PSS_2048_8192_SHA256,
            Algorithm::Ps384 => &RSA_PSS_2048_8192_SHA384,
            Algorithm::Ps512 => &RSA_PSS_2048_8192_SHA512,
            _ => return None,
        };
        RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(params)
            .ok()
    }

    pub(super) fn verify(key: &Key, input: &[u8], signature: &[u8]) -> bool {
        key.verify_sig(input, signature).is_ok()
    }
}

#[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
mod backend {
    use rsa::signature::Verifier as _;
    use rsa::{BigUint, RsaPublicKey, pkcs1v15, pss};
    use sha2::{Sha256, Sha384, Sha512};

    use super::Algorithm;

    /// One verifier per algorithm, built once.
    pub(super) enum Key {
        Es256(p256::ecdsa::VerifyingKey),
        Es384(p384::ecdsa::VerifyingKey),
        Rs256(pkcs1v15::VerifyingKey<Sha256>),
        Rs384(pkcs1v15::VerifyingKey<Sha384>),
        Rs512(pkcs1v15::VerifyingKey<Sha512>),
        // RFC 7518 §3.5: MGF1 with the same hash, a salt as long as the hash (the default of
        // `pss::VerifyingKey::new`).
        Ps256(pss::VerifyingKey<Sha256>),
        Ps384(pss::VerifyingKey<Sha384>),
        Ps512(pss::VerifyingKey<Sha512>),
    }

    pub(super) fn ec(alg: Algorithm, point: &[u8]) -> Option<Key> {
        match alg {
            Algorithm::Es256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .ok()
                .map(Key::Es256),
            Algorithm::Es384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .ok()
                .map(Key::Es384),
            _ => None,
        }
    }

    pub(super) fn rsa(alg: Algorithm, n: &[u8], e: &[u8]) -> Option<Key> {
        let key = RsaPublicKey::new_with_max_size(
            BigUint::from_bytes_be(n),
            BigUint::from_bytes_be(e),
            8 * super::RSA_MODULUS_BYTES.end(),
        )
        .ok()?;
        Some(match alg {
            Algorithm::Rs256 => Key::Rs256(pkcs1v15::VerifyingKey::new(key)),
            Algorithm::Rs384 => Key::Rs384(pkcs1v15::VerifyingKey::new(key)),
            Algorithm::Rs512 => Key::Rs512(pkcs1v15::VerifyingKey::new(key)),
            Algorithm::Ps256 => Key::Ps256(pss::VerifyingKey::new(key)),
            Algorithm::Ps384 => Key::Ps384(pss::VerifyingKey::new(key)),
            Algorithm::Ps512 => Key::Ps512(pss::VerifyingKey::new(key)),
            Algorithm::Es256 | Algorithm::Es384 => return None,
        })
    }

    pub(super) fn verify(key: &Key, input: &[u8], signature: &[u8]) -> bool {
        let pkcs1 = || pkcs1v15::Signature::try_from(signature);
        let pss = || pss::Signature::try_from(signature);
        match key {
            Key::Es256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Es384(key) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Rs256(key) => pkcs1().is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Rs384(key) => pkcs1().is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Rs512(key) => pkcs1().is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Ps256(key) => pss().is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Ps384(key) => pss().is_ok_and(|s| key.verify(input, &s).is_ok()),
            Key::Ps512(key) => pss().is_ok_and(|s| key.verify(input, &s).is_ok()),
        }
    }
}
