//! Shared set-up for the integration tests: a real `TestIssuer` on loopback and a
//! `LogtoState` pointed at it.
#![allow(dead_code)]

use axum_logto::testing::TestIssuer;
use axum_logto::{AuthError, InvalidTokenReason, LogtoState};

pub const API: &str = "https://api.example.com";

/// An issuer and a state for the API resource `API`, keys not loaded yet.
pub async fn setup() -> (TestIssuer, LogtoState) {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .build()
        .expect("valid configuration");
    (issuer, state)
}

pub fn invalid(reason: InvalidTokenReason) -> AuthError {
    AuthError::InvalidToken(reason)
}

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:<port>`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A child process that is killed when the test ends, also when it fails.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo example's binary: `cargo test` builds examples into `target/<profile>/examples`,
/// beside the `deps` folder that holds the test binary.
pub fn demo_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("demo");
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test`",
        path.display()
    );
    path
}
