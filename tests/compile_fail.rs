//! `scopes!` rejects, at compile time, literals that are not RFC 6749 scope-tokens.
//!
//! Run with the default features (`cargo test`, as CI does): the compiler's "other types
//! implement `FromRequest`" lists depend on the crates linked, and with feature `aide` they
//! name aide's helpers, so the expected `.stderr` files hold for one feature set.

#[test]
fn scopes_rejects_bad_literals_at_compile_time() {
    if cfg!(feature = "aide") {
        eprintln!(
            "note: the compile-fail tests run without the `aide` feature (`cargo test`): its \
             impls change the compiler's messages"
        );
        return;
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
