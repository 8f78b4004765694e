use axum::routing::get;
use axum::Router;
use axum_logto::{Auth, LogtoState};

// An app state without `FromRef<AppState> for LogtoState`: the extractors cannot find the
// LogtoState (derive `FromRef` on the state to fix it).
#[derive(Clone)]
struct AppState {
    logto: LogtoState,
}

async fn me(auth: Auth) -> String {
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
