//! Scopes through routes: RFC 6749 §3.3 separators.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{RequireScopes, Scopes, scopes};
use serde_json::json;

use crate::common::{API, bearer, call, setup};

scopes! {
    ReadDocs = "read:docs";
    Admin = "admin";
}

/// `GET /docs` needs `read:docs`, `GET /admin` needs `admin`.
async fn app() -> (TestIssuer, Router) {
    let (issuer, state) = setup().await;
    let app = Router::new()
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "docs" }))
        .route("/admin", get(|_: RequireScopes<Admin>| async { "admin" }))
        .with_state(state);
    (issuer, app)
}

#[tokio::test]
async fn scope_is_split_on_spaces_only() {
    let (issuer, app) = app().await;
    for separator in ['\t', '\n', '\u{a0}', '\u{2028}', '\u{3000}'] {
        let scope = format!("read:docs{separator}admin");
        let token = issuer
            .token()
            .audience(API)
            .claim("scope", json!(scope))
            .sign();
        for path in ["/docs", "/admin"] {
            let a = call(&app, path, &[("authorization", &bearer(&token))]).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{separator:?} {path}");
        }
        assert_eq!(Scopes::parse(&scope).len(), 1, "{separator:?}");
    }
    // Several spaces still separate.
    let token = issuer
        .token()
        .audience(API)
        .claim("scope", json!("  read:docs   admin "))
        .sign();
    for path in ["/docs", "/admin"] {
        let a = call(&app, path, &[("authorization", &bearer(&token))]).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
    }
}
