use axum_logto::{Scope, ScopeSet};

// A `Scope` written by hand, past `scopes!`: its name is still checked, wherever the set is
// compiled into a program (here in a constant, so that `cargo check` evaluates it too).
struct Spaced;

impl Scope for Spaced {
    const NAME: &'static str = "read docs";
}

const USED: &[&str] = <(Spaced,) as ScopeSet>::SCOPES;

fn main() {
    let _ = USED;
}
