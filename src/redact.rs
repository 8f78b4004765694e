//! Untrusted text (a token's `kid`, a JWK's `kid`) as it may appear in a log line.
//!
//! A value from a client or from the network is logged as it is only when it is short and
//! plain (visible ASCII without quotes or backslashes); anything else is shown as its length
//! and a short hash, so that nothing it contains can break a log line in any formatter, and
//! repeated values can still be told apart.

use std::fmt;

/// The longest value logged as it is.
const MAX_SHOWN: usize = 64;

/// Displays untrusted text safely; see the module docs.
#[derive(Clone, Copy)]
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = !self.0.is_empty()
            && self.0.len() <= MAX_SHOWN
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if plain {
            f.write_str(self.0)
        } else {
            // FNV-1a (32 bit): deterministic across runs, enough to tell values apart.
            let hash = self.0.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
                (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
            });
            write!(f, "<{} bytes, fnv {hash:08x}>", self.0.len())
        }
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A list of untrusted values, each [`Redacted`], as `[a, b]`.
pub(crate) struct RedactedList<'a>(pub(crate) Vec<&'a str>);

impl fmt::Display for RedactedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| Redacted(s)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_show_as_they_are() {
        assert_eq!(Redacted("fJ3v-_k.1").to_string(), "fJ3v-_k.1");
        assert_eq!(
            RedactedList(vec!["a", "b\n"]).to_string(),
            "[a, <2 bytes, fnv a72c4f3d>]"
        );
    }

    #[test]
    fn anything_else_shows_as_length_and_hash() {
        for hostile in [
            "a\nlevel=error msg=forged",
            "\u{1b}[31mred",
            "quote\"d",
            "back\\slash",
            "spa ce",
            "é",
            "",
        ] {
            let shown = Redacted(hostile).to_string();
            assert!(shown.starts_with('<') && shown.ends_with('>'), "{shown}");
            assert!(shown.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
        }
        let long = "k".repeat(257);
        assert_eq!(
            Redacted(&long).to_string(),
            Redacted(&long).to_string(),
            "deterministic"
        );
        assert!(Redacted(&long).to_string().starts_with("<257 bytes, fnv "));
    }
}
