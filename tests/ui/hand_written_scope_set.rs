use axum_logto::{Scopes, ScopeSet};

// `ScopeSet` is the crate's own: a set of scopes written by hand does not compile.
struct Mine;

impl ScopeSet for Mine {
    const SCOPES: &'static [&'static str] = &["read docs"];
}

fn main() {
    let _ = Mine::is_satisfied_by(&Scopes::default());
}
