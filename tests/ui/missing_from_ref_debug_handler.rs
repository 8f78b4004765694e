use axum::extract::State;
use axum::routing::get;
use axum::Router;
use axum_logto::{Auth, LogtoState};

// As missing_from_ref_with_state.rs, with `#[axum::debug_handler]`: the compiler now names
// the extractor and the missing `FromRef`.
#[derive(Clone)]
struct AppState {
    logto: LogtoState,
}

#[axum::debug_handler]
async fn me(State(_state): State<AppState>, auth: Auth) -> String {
    auth.sub().to_owned()
}

fn main() {
    let logto = LogtoState::builder("https://t.logto.app")
        .audience("https://api.example.com")
        .build()
        .unwrap();
    let _: Router = Router::new()
        .route("/me", get(me))
        .with_state(AppState { logto });
}
