//! Where a request carries its token: odd `Authorization` headers.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::Auth;
use axum_logto::testing::TestIssuer;

use crate::common::{API, bearer, call, setup};

/// `GET /me` answers the caller's `sub`.
async fn app() -> (TestIssuer, Router) {
    let (issuer, state) = setup().await;
    let app = Router::new()
        .route(
            "/me",
            get(|auth: Auth| async move { auth.sub().to_owned() }),
        )
        .with_state(state);
    (issuer, app)
}

// ---- Authorization headers ---------------------------------------------------------------------

#[tokio::test]
async fn authorization_headers_with_a_tab_or_joined_values() {
    let (issuer, app) = app().await;
    let token = issuer.token().audience(API).sign();
    let other = issuer.token().audience(API).sign();
    let realm = r#"Bearer realm="https://api.example.com""#;
    // RFC 7235: one space (SP) after the scheme; a tab makes it another scheme.
    let a = call(
        &app,
        "/me",
        &[("authorization", &format!("Bearer\t{token}"))],
    )
    .await;
    assert_eq!(
        (a.status, a.challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some(realm))
    );
    let malformed = format!(
        r#"{realm}, error="invalid_token", error_description="the access token is malformed""#
    );
    for joined in [
        format!("Bearer {token}, Bearer {other}"),
        format!("Bearer {token},{other}"),
        format!("Bearer {token} {other}"),
        format!("Bearer {token}\t"),
    ] {
        let a = call(&app, "/me", &[("authorization", &joined)]).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{joined}");
        assert_eq!(a.challenge.as_deref(), Some(malformed.as_str()), "{joined}");
    }
    let a = call(&app, "/me", &[("authorization", &bearer(&token))]).await;
    assert_eq!(a.status, StatusCode::OK);
}
