//! Logto's webhook signature: `logto-signature-sha-256`, the lowercase hex HMAC-SHA256 of the
//! raw body, keyed with the hook's signing key; checked in constant time.

use std::fmt;

/// A webhook's signing key (the hook's `signingKey` in Logto). Never shown: `Debug` prints
/// its length only.
#[derive(Clone)]
pub(crate) struct SigningKey(Box<[u8]>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(<{} bytes>)", self.0.len())
    }
}

impl SigningKey {
    pub(crate) fn new(key: &str) -> Self {
        Self(key.as_bytes().into())
    }

    /// Whether `signature` (the header's value: hex) is this key's HMAC-SHA256 of `body`.
    /// An empty key verifies nothing: anyone could sign with it.
    pub(crate) fn verifies(&self, body: &[u8], signature: &[u8]) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let Some(tag) = hex32(signature) else {
            return false;
        };
        hmac_sha256_verify(&self.0, body, &tag)
    }
}

/// 64 hex digits (either case) as 32 bytes.
fn hex32(hex: &[u8]) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut tag = [0; 32];
    for (byte, pair) in tag.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(tag)
}

/// HMAC-SHA256 of `body` under `key` (RFC 2104), with the crate's crypto backend.
fn hmac_sha256(key: &[u8], body: &[u8]) -> [u8; 32] {
    #[cfg(feature = "aws_lc_rs")]
    {
        use aws_lc_rs::hmac;
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), body);
        let mut out = [0; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
    #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
    {
        use sha2::{Digest as _, Sha256};
        // SHA-256's block is 64 bytes; a longer key is hashed first.
        let mut block = [0u8; 64];
        if key.len() > block.len() {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |with: u8| block.map(|b| b ^ with);
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(body)
            .finalize();
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }
}

/// Whether `tag` is the HMAC-SHA256 of `body` under `key`, compared in constant time (every
/// byte, whichever differs first).
fn hmac_sha256_verify(key: &[u8], body: &[u8], tag: &[u8; 32]) -> bool {
    let expected = hmac_sha256(key, body);
    expected
        .iter()
        .zip(tag)
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0
}

/// The signature Logto sends for `body` under `key` (lowercase hex): for tests and tools that
/// send webhooks.
#[cfg(any(test, feature = "test-util"))]
pub(crate) fn sign(key: &str, body: &[u8]) -> String {
    use std::fmt::Write as _;
    hmac_sha256(key.as_bytes(), body)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_case_2() {
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than a block is hashed first (RFC 4231 test case 6).
        let key = [0xaa_u8; 131];
        assert_eq!(
            hmac_sha256(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_signature_over_the_raw_body() {
        let body = br#"{"event":"PostSignIn"}"#;
        let key = SigningKey::new("key");
        let good = sign("key", body);
        assert!(key.verifies(body, good.as_bytes()));
        assert!(key.verifies(body, good.to_uppercase().as_bytes()));
        assert!(!key.verifies(br#"{"event":"PostSignIn" }"#, good.as_bytes()));
        assert!(!SigningKey::new("other").verifies(body, good.as_bytes()));
        for bad in ["", "zz", &good[..62], &format!("{good}00"), &"g".repeat(64)] {
            assert!(!key.verifies(body, bad.as_bytes()), "{bad}");
        }
        assert_eq!(format!("{key:?}"), "SigningKey(<3 bytes>)");
    }
}
