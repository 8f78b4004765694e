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
