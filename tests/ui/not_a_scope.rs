use axum_logto::{LogtoState, RequireScopes};

// With `#[axum::debug_handler]`, a type that is not a scope set names `scopes!`.
#[axum::debug_handler(state = LogtoState)]
async fn docs(_: RequireScopes<String>) {}

fn main() {}
