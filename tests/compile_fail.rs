//! `scopes!` rejects, at compile time, literals that are not RFC 6749 scope-tokens.

#[test]
fn scopes_rejects_bad_literals_at_compile_time() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
