//! The test issuer's key pairs: generated with aws-lc-rs, published as JWKs, signing tokens.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED,
    ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::keys::Algorithm;

/// The kind of signing key a [`TestIssuer`](super::TestIssuer) generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// EC P-384 with ES384: Logto's default.
    #[default]
    Es384,
    /// EC P-256 with ES256.
    Es256,
    /// RSA 2048 with RS256: Logto's alternative. Published without `alg`, as Logto does.
    Rs256,
}

/// A key pair of the issuer's, signing with aws-lc-rs.
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

pub(super) struct IssuerKey {
    pub(super) kid: String,
    pub(super) alg: Algorithm,
    signer: Signer,
    pub(super) jwk: Value,
}

impl IssuerKey {
    pub(super) fn generate(kind: KeyAlgorithm) -> Self {
        let kid = random_id();
        // Key generation only fails if the system RNG fails; a test harness may panic then.
        match kind {
            KeyAlgorithm::Es384 | KeyAlgorithm::Es256 => {
                let (signing, alg, crv, size) = if kind == KeyAlgorithm::Es384 {
                    (
                        &ECDSA_P384_SHA384_FIXED_SIGNING,
                        Algorithm::Es384,
                        "P-384",
                        48,
                    )
                } else {
                    (
                        &ECDSA_P256_SHA256_FIXED_SIGNING,
                        Algorithm::Es256,
                        "P-256",
                        32,
                    )
                };
                let pair = EcdsaKeyPair::generate(signing).expect("EC key generation");
                // The public key is the uncompressed point 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let (x, y) = point[1..].split_at(size);
                Self {
                    jwk: json!({
                        "kty": "EC", "crv": crv, "alg": alg.name(), "use": "sig", "kid": kid,
                        "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
                    }),
                    kid,
                    alg,
                    signer: Signer::Ec(pair),
                }
            }
            KeyAlgorithm::Rs256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                Self {
                    jwk: json!({
                        "kty": "RSA", "use": "sig", "kid": kid,
                        "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
                    }),
                    kid,
                    alg: Algorithm::Rs256,
                    signer: Signer::Rsa(pair),
                }
            }
        }
    }

    /// The base64url signature of `signing_input`: `r || s` for ECDSA, PKCS#1 v1.5 with
    /// SHA-256 for RSA.
    pub(super) fn sign(&self, signing_input: &str) -> String {
        let rng = SystemRandom::new();
        let input = signing_input.as_bytes();
        let signature = match &self.signer {
            Signer::Ec(pair) => pair
                .sign(&rng, input)
                .expect("signing with a valid key")
                .as_ref()
                .to_vec(),
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input, &mut signature)
                    .expect("signing with a valid key");
                signature
            }
        };
        URL_SAFE_NO_PAD.encode(signature)
    }
}

impl IssuerKey {
    /// Whether `signature` (raw bytes) is this key's over `signing_input`: how the test
    /// issuer's token endpoint takes a subject token.
    pub(super) fn verifies(&self, signing_input: &str, signature: &[u8]) -> bool {
        let input = signing_input.as_bytes();
        match &self.signer {
            Signer::Ec(pair) => {
                let algorithm = if self.alg == Algorithm::Es384 {
                    &ECDSA_P384_SHA384_FIXED
                } else {
                    &ECDSA_P256_SHA256_FIXED
                };
                UnparsedPublicKey::new(algorithm, pair.public_key().as_ref())
                    .verify(input, signature)
                    .is_ok()
            }
            Signer::Rsa(pair) => RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key())
                .verify(&RSA_PKCS1_2048_8192_SHA256, input, signature)
                .is_ok(),
        }
    }
}

pub(super) fn random_id() -> String {
    let mut bytes = [0u8; 12];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random generator");
    URL_SAFE_NO_PAD.encode(bytes)
}
