//! Two ways to answer rejections your own way:
//!
//! 1. `WithRejection<E, MyError>` (axum-extra) for one extractor in one handler;
//! 2. `LogtoStateBuilder::on_rejection` for every extractor of the state.
//!
//! Runs against an embedded `TestIssuer`, prints a few requests and their answers, and exits.
//!
//! ```text
//! cargo run --example custom_rejection --all-features
//! ```

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::WithRejection;
use axum_logto::testing::TestIssuer;
use axum_logto::{Auth, AuthRejection, RequireScopes, scopes};
use serde_json::json;
use tower::ServiceExt as _;

scopes! {
    /// Read documents.
    pub ReadDocs = "read:docs";
}

/// The API's own error type: every error of the API answers in this shape.
#[derive(Debug)]
enum ApiError {
    /// Refused by axum-logto: the body is ours, the status and `WWW-Authenticate` stay
    /// RFC 6750's (clients and MCP hosts read the challenge).
    Auth(AuthRejection),
    /// Any other failure of the API.
    #[allow(dead_code)]
    Other(StatusCode, String),
}

impl From<AuthRejection> for ApiError {
    fn from(rejection: AuthRejection) -> Self {
        Self::Auth(rejection)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Auth(rejection) => rejection.with_body(Json(json!({
                "ok": false,
                "code": rejection.body_code(),
                "message": rejection.description(),
            }))),
            Self::Other(status, message) => {
                (status, Json(json!({ "ok": false, "message": message }))).into_response()
            }
        }
    }
}

/// Way 1: this handler's rejection becomes an `ApiError`.
async fn docs(
    WithRejection(auth, _): WithRejection<RequireScopes<ReadDocs>, ApiError>,
) -> Json<serde_json::Value> {
    Json(json!({ "ok": true, "sub": auth.sub() }))
}

async fn me(auth: Auth) -> String {
    auth.sub().to_owned()
}

async fn show(app: &Router, label: &str, token: Option<&str>, path: &str) {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("a valid request"))
        .await
        .expect("the router is infallible");
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap_or_default();
    println!("{label:<40} {path:<6} -> {status}");
    println!("    WWW-Authenticate: {challenge}");
    println!("    body: {}", String::from_utf8_lossy(&body));
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = TestIssuer::start().await;

    // Way 2: a hook for every extractor of this state. It starts from the default response
    // (status and WWW-Authenticate stay RFC 6750) and replaces the body.
    let logto = issuer
        .state_builder("https://api.example.com")
        .on_rejection(|rejection: &AuthRejection| {
            let mut response = rejection.default_response();
            let body = json!({ "ok": false, "code": rejection.body_code(), "why": rejection.description() });
            *response.body_mut() = Body::from(body.to_string());
            response
        })
        .build()?;

    let app = Router::new()
        .route("/docs", get(docs))
        .route("/me", get(me))
        .with_state(logto);

    let no_scope = issuer.token().audience("https://api.example.com").sign();
    let reader = issuer
        .token()
        .audience("https://api.example.com")
        .scopes(["read:docs"])
        .sign();

    println!("WithRejection on /docs:");
    show(&app, "no token", None, "/docs").await;
    show(&app, "token without read:docs", Some(&no_scope), "/docs").await;
    show(&app, "token with read:docs", Some(&reader), "/docs").await;
    println!("\non_rejection hook on /me:");
    show(&app, "no token", None, "/me").await;
    show(
        &app,
        "expired token",
        Some(
            &issuer
                .token()
                .audience("https://api.example.com")
                .expires_in(-3600)
                .sign(),
        ),
        "/me",
    )
    .await;
    Ok(())
}
