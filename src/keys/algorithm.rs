//! The one table of the JWS algorithms this crate verifies (RFC 7518 §3).
//!
//! A header's `alg` is parsed once into an [`Algorithm`]; key binding, key lookup and the
//! signature-length check compare values of this type, never strings. A name that is not in
//! the table (`none` in any case, `HS256`, `EdDSA`, `es384`…) has no value, so it can never be
//! bound to a key, looked up, or verified.

/// A signature algorithm a key can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Algorithm {
    Es256,
    Es384,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
}

/// The key family of an algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// ECDSA on the named curve; signatures are `r || s`, two coordinates long (RFC 7518 §3.4).
    Ec {
        curve: &'static str,
        coordinate_len: usize,
    },
    /// RSA (PKCS#1 v1.5 or PSS); signatures are as long as the modulus.
    Rsa,
}

struct Row {
    alg: Algorithm,
    name: &'static str,
    family: Family,
}

const fn ec(curve: &'static str, coordinate_len: usize) -> Family {
    Family::Ec {
        curve,
        coordinate_len,
    }
}

/// In the order of the enum: `TABLE[alg as usize].alg == alg` (checked by a test).
#[rustfmt::skip]
const TABLE: [Row; 8] = [
    Row { alg: Algorithm::Es256, name: "ES256", family: ec("P-256", 32) },
    Row { alg: Algorithm::Es384, name: "ES384", family: ec("P-384", 48) },
    Row { alg: Algorithm::Rs256, name: "RS256", family: Family::Rsa },
    Row { alg: Algorithm::Rs384, name: "RS384", family: Family::Rsa },
    Row { alg: Algorithm::Rs512, name: "RS512", family: Family::Rsa },
    Row { alg: Algorithm::Ps256, name: "PS256", family: Family::Rsa },
    Row { alg: Algorithm::Ps384, name: "PS384", family: Family::Rsa },
    Row { alg: Algorithm::Ps512, name: "PS512", family: Family::Rsa },
];

/// RSA keys from 2048 to 8192 bits: the range of signature lengths accepted, in bytes.
pub(crate) const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 256..=1024;

impl Algorithm {
    fn row(self) -> &'static Row {
        &TABLE[self as usize]
    }

    /// The algorithm a JOSE `alg` names, compared exactly (names are case-sensitive).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        TABLE.iter().find(|row| row.name == name).map(|row| row.alg)
    }

    /// The ECDSA algorithm of a JWK curve (`crv`), which fixes it: P-256 is ES256 only.
    pub(crate) fn for_curve(curve: &str) -> Option<Self> {
        TABLE
            .iter()
            .find(|row| matches!(row.family, Family::Ec { curve: c, .. } if c == curve))
            .map(|row| row.alg)
    }

    /// The JOSE name.
    pub(crate) fn name(self) -> &'static str {
        self.row().name
    }

    /// The key family.
    pub(crate) fn family(self) -> Family {
        self.row().family
    }

    /// Whether a signature of `len` bytes can be one of this algorithm: ECDSA signatures have
    /// a fixed size, RSA ones are as long as a 2048- to 8192-bit modulus.
    pub(crate) fn signature_len_fits(self, len: usize) -> bool {
        match self.family() {
            Family::Ec { coordinate_len, .. } => len == 2 * coordinate_len,
            Family::Rsa => RSA_MODULUS_BYTES.contains(&len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order() {
        for (index, row) in TABLE.iter().enumerate() {
            assert_eq!(row.alg as usize, index, "{}", row.name);
            assert_eq!(Algorithm::from_name(row.name), Some(row.alg));
            assert_eq!(row.alg.name(), row.name);
        }
    }

    #[test]
    fn names_outside_the_table_have_no_value() {
        for name in [
            "none", "None", "NONE", "HS256", "HS384", "HS512", "EdDSA", "es384", "", "ES384 ",
        ] {
            assert_eq!(Algorithm::from_name(name), None, "{name}");
        }
    }

    #[test]
    fn curves_fix_the_algorithm() {
        assert_eq!(Algorithm::for_curve("P-256"), Some(Algorithm::Es256));
        assert_eq!(Algorithm::for_curve("P-384"), Some(Algorithm::Es384));
        assert_eq!(Algorithm::for_curve("P-521"), None);
        assert_eq!(Algorithm::for_curve("Ed25519"), None);
    }

    #[test]
    fn signature_lengths() {
        assert!(Algorithm::Es256.signature_len_fits(64));
        assert!(!Algorithm::Es256.signature_len_fits(96));
        assert!(Algorithm::Es384.signature_len_fits(96));
        assert!(!Algorithm::Es384.signature_len_fits(64));
        assert!(Algorithm::Rs256.signature_len_fits(256));
        assert!(Algorithm::Ps512.signature_len_fits(1024));
        assert!(!Algorithm::Rs256.signature_len_fits(128));
        assert!(!Algorithm::Rs256.signature_len_fits(1025));
    }
}
