use axum::extract::State;
use axum::routing::get;
use axum::Router;
use axum_logto::{Auth, LogtoState};

// As missing_from_ref.rs, with a handler that also takes the state: the router's state type
// is then `AppState`, and axum can only say that the handler is not a `Handler`.
#[derive(Clone)]
struct AppState {
    logto: LogtoState,
}

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
