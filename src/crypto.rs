//! The one place that picks jsonwebtoken's crypto backend.
//!
//! jsonwebtoken's process-wide default provider panics at run time when both of its backends
//! are compiled in (which happens when two crates in one build enable different ones), so this
//! crate never uses the process default: it names the provider explicitly.

use jsonwebtoken::crypto::CryptoProvider;

/// The provider chosen by this crate's features; `aws_lc_rs` wins when both are enabled.
pub(crate) fn provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws_lc_rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}
