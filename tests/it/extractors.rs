//! The Axum face: every extractor, every row of the response table (exact status,
//! `WWW-Authenticate` and body), `Option` semantics, both ways to customize rejections,
//! and one signature verification per request.

use std::time::Duration;

use crate::common::{API, answer, bearer, call};
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::WithRejection;
use axum_logto::testing::TestIssuer;
use axum_logto::{
    AnyOf, AnyOrg, Auth, AuthError, AuthRejection, LogtoState, OrgApiToken, OrgFromHeader,
    OrgFromPath, OrgToken, ParamName, RequireScopes, scopes,
};
use serde_json::json;
use tower::ServiceExt as _;

scopes! {
    ReadDocs = "read:docs";
    WriteDocs = "write:docs";
    DeleteDocs = "delete:docs";
    Admin = "admin";
    ReadMembers = "read:members";
    ReadReports = "read:reports";
}

const REALM: &str = r#"Bearer realm="https://api.example.com""#;

struct TenantParam;
impl ParamName for TenantParam {
    const NAME: &'static str = "tenant";
}

fn router(logto: LogtoState) -> Router {
    Router::new()
        .route("/me", get(|auth: Auth| async move { auth.sub().to_owned() }))
        .route(
            "/maybe",
            get(|auth: Option<Auth>| async move {
                auth.map_or("anonymous".to_owned(), |a| a.sub().to_owned())
            }),
        )
        .route("/read", get(|_: RequireScopes<ReadDocs>| async { "read" }))
        .route("/write", get(|_: RequireScopes<(ReadDocs, WriteDocs)>| async { "write" }))
        .route("/delete", get(|_: RequireScopes<AnyOf<(DeleteDocs, Admin)>>| async { "delete" }))
        .route(
            "/maybe-read",
            get(|auth: Option<RequireScopes<ReadDocs>>| async move {
                if auth.is_some() { "reader" } else { "anonymous" }
            }),
        )
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath, ReadMembers>| async move {
                org.org_id().to_owned()
            }),
        )
        .route(
            "/tenants/{tenant}/members",
            get(|org: OrgToken<OrgFromPath<TenantParam>>| async move {
                org.org_id().to_owned()
            }),
        )
        .route(
            "/header-org",
            get(|org: OrgToken<OrgFromHeader>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/any-org",
            get(|org: OrgToken<AnyOrg>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/maybe-org",
            get(|org: Option<OrgToken<AnyOrg>>| async move {
                org.map_or("none".to_owned(), |o| o.org_id().to_owned())
            }),
        )
        .route(
            "/no-param",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/orgs/{org_id}/reports",
            get(|t: OrgApiToken<OrgFromPath, ReadReports>| async move {
                t.org_id().to_owned()
            }),
        )
        .route(
            "/any-org-api",
            get(|t: OrgApiToken<AnyOrg>| async move { t.org_id().to_owned() }),
        )
        .route(
            "/twice",
            get(|a: Auth, b: RequireScopes<ReadDocs>| async move {
                format!("{} {}", a.sub(), b.sub())
            }),
        )
        .with_state(logto)
}

async fn setup() -> (TestIssuer, Router) {
    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    (issuer, router(logto))
}

fn invalid_token(description: &str) -> String {
    format!(r#"{REALM}, error="invalid_token", error_description="{description}""#)
}

#[tokio::test]
async fn no_token_is_401_without_error() {
    let (_issuer, app) = setup().await;
    for headers in [vec![], vec![("authorization", "Basic dXNlcjpwYXNz")]] {
        let a = call(&app, "/me", &headers).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.challenge.as_deref(), Some(REALM));
        assert_eq!(
            a.json(),
            json!({"error": "unauthorized", "error_description": "the request carries no bearer token"})
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let (issuer, app) = setup().await;
    let good = issuer.token().audience(API).sign();
    let (input, _) = good.rsplit_once('.').unwrap();
    let other = TestIssuer::start().await;
    let cases = [
        ("not.a-jwt".to_owned(), "the access token is malformed"),
        (
            "an0paqueL0gtoAccessToken".to_owned(),
            "the access token is opaque, not a JWT: request it with the resource parameter set to this API",
        ),
        (
            format!("{input}.AAAA"),
            "the access token signature is invalid",
        ),
        (
            other
                .token()
                .audience(API)
                .claim("iss", json!(issuer.issuer()))
                .kid(&issuer.signing_kid())
                .sign(),
            "the access token signature is invalid",
        ),
        (
            issuer.token().audience(API).expires_in(-3600).sign(),
            "the access token has expired",
        ),
        (
            issuer
                .token()
                .audience(API)
                .claim("iss", json!("https://evil.example/oidc"))
                .sign(),
            "the access token was issued by another issuer",
        ),
        (
            issuer.token().audience("https://other.example.com").sign(),
            "the access token is not intended for this resource",
        ),
        (
            issuer.token().audience(API).typ("JWT").sign(),
            "the access token type is not at+jwt",
        ),
        (
            issuer.token().audience(API).kid("unknown").sign(),
            "the access token is signed with an unknown key",
        ),
        (
            issuer
                .token()
                .audience(API)
                .header("alg", json!("none"))
                .sign(),
            "the access token algorithm does not fit the signing key",
        ),
    ];
    for (token, description) in &cases {
        let a = call(&app, "/me", &[("authorization", &bearer(token))]).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{description}");
        assert_eq!(
            a.challenge.as_deref(),
            Some(invalid_token(description).as_str())
        );
        assert_eq!(
            a.json(),
            json!({"error": "invalid_token", "error_description": description})
        );
    }
    // "Bearer" and nothing else.
    let a = call(&app, "/me", &[("authorization", "Bearer")]).await;
    assert_eq!(
        a.challenge.as_deref(),
        Some(invalid_token("the access token is malformed").as_str())
    );
}

#[tokio::test]
async fn missing_scope_is_403_naming_the_scopes() {
    let (issuer, app) = setup().await;
    let token = issuer.token().audience(API).scopes(["read:docs"]).sign();
    let auth = bearer(&token);
    assert_eq!(
        call(&app, "/read", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::OK
    );
    let a = call(&app, "/write", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="the access token lacks a scope this resource requires", scope="read:docs write:docs""#
        )
    );
    assert_eq!(
        a.json(),
        json!({"error": "insufficient_scope", "error_description": "the access token lacks a scope this resource requires"})
    );
    let a = call(&app, "/delete", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="the access token needs at least one of the scopes this resource accepts", scope="delete:docs admin""#
        )
    );
    for scopes in [["admin"], ["delete:docs"]] {
        let token = issuer.token().audience(API).scopes(scopes).sign();
        let a = call(&app, "/delete", &[("authorization", &bearer(&token))]).await;
        assert_eq!(a.status, StatusCode::OK, "{scopes:?}");
    }
    let token = issuer
        .token()
        .audience(API)
        .scopes(["write:docs", "read:docs"])
        .sign();
    assert_eq!(
        call(&app, "/write", &[("authorization", &bearer(&token))])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn credentials_twice_is_400_invalid_request() {
    let (issuer, app) = setup().await;
    let auth = bearer(&issuer.token().audience(API).sign());
    let expected = r#"Bearer realm="https://api.example.com", error="invalid_request", error_description="the request carries its credentials more than once or in a malformed way""#;
    let a = call(
        &app,
        "/me",
        &[("authorization", &auth), ("authorization", &auth)],
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.challenge.as_deref(), Some(expected));
    assert_eq!(a.json()["error"], "invalid_request");
    let token = issuer.token().audience(API).sign();
    let a = call(
        &app,
        &format!("/me?access_token={token}"),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.challenge.as_deref(), Some(expected));
}

#[tokio::test]
async fn keys_unavailable_is_503_with_retry_after() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().audience(API).sign();
    issuer.go_down().await;
    for (retry, expected) in [(None, "2"), (Some(Duration::from_millis(7500)), "8")] {
        let mut builder = issuer.state_builder(API);
        if let Some(retry) = retry {
            builder = builder.retry_interval(retry);
        }
        let app = router(builder.build().unwrap());
        let a = call(&app, "/me", &[("authorization", &bearer(&token))]).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(a.challenge, None);
        assert_eq!(a.retry_after.as_deref(), Some(expected));
        assert_eq!(
            a.json(),
            json!({"error": "temporarily_unavailable", "error_description": "the signing keys of the issuer are unavailable"})
        );
    }
}

#[tokio::test]
async fn option_is_none_only_without_credentials() {
    let (issuer, app) = setup().await;
    assert_eq!(call(&app, "/maybe", &[]).await.body, "anonymous");
    assert_eq!(
        call(&app, "/maybe", &[("authorization", "Basic Zm9vOmJhcg==")])
            .await
            .body,
        "anonymous"
    );
    let token = issuer.token().sub("u7").audience(API).sign();
    assert_eq!(
        call(&app, "/maybe", &[("authorization", &bearer(&token))])
            .await
            .body,
        "u7"
    );
    // A bad token is still rejected.
    let expired = issuer.token().audience(API).expires_in(-3600).sign();
    let a = call(&app, "/maybe", &[("authorization", &bearer(&expired))]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge.as_deref(),
        Some(invalid_token("the access token has expired").as_str())
    );
    // Option<RequireScopes>: a valid token without the scope is still 403.
    assert_eq!(call(&app, "/maybe-read", &[]).await.body, "anonymous");
    let a = call(&app, "/maybe-read", &[("authorization", &bearer(&token))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Option<OrgToken>.
    assert_eq!(call(&app, "/maybe-org", &[]).await.body, "none");
    let org = issuer.token().org_audience("o1").sign();
    assert_eq!(
        call(&app, "/maybe-org", &[("authorization", &bearer(&org))])
            .await
            .body,
        "o1"
    );
    assert_eq!(
        call(&app, "/maybe-org", &[("authorization", &bearer(&token))])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn organization_tokens_from_path_header_and_any() {
    let (issuer, app) = setup().await;
    let org_a = issuer
        .token()
        .org_audience("org-a")
        .scopes(["read:members"])
        .sign();
    let auth = bearer(&org_a);
    let ok = call(&app, "/orgs/org-a/members", &[("authorization", &auth)]).await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "org-a"));
    // Another organization: 403.
    let a = call(&app, "/orgs/org-b/members", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="the access token is for another organization", scope="read:members""#
        )
    );
    assert_eq!(
        a.json(),
        json!({"error": "insufficient_scope", "error_description": "the access token is for another organization"})
    );
    // The right organization without the scope: 403 naming it.
    let no_scope = issuer.token().org_audience("org-a").sign();
    let a = call(
        &app,
        "/orgs/org-a/members",
        &[("authorization", &bearer(&no_scope))],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.challenge.unwrap().ends_with(r#", scope="read:members""#));
    // An API token is not an organization token: 401.
    let api = issuer.token().audience(API).scopes(["read:members"]).sign();
    let a = call(
        &app,
        "/orgs/org-a/members",
        &[("authorization", &bearer(&api))],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // The 401 of a route that needs scopes names them (RFC 6750 §3), as its 403 does.
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            format!(
                r#"{}, scope="read:members""#,
                invalid_token("the access token is not intended for this resource")
            )
            .as_str()
        )
    );
    // A custom path parameter name.
    let a = call(
        &app,
        "/tenants/org-a/members",
        &[("authorization", &bearer(&no_scope))],
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
    // A header.
    let a = call(
        &app,
        "/header-org",
        &[("authorization", &auth), ("x-organization-id", "org-a")],
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
    let a = call(
        &app,
        "/header-org",
        &[("authorization", &auth), ("x-organization-id", "org-b")],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = call(&app, "/header-org", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="invalid_request", error_description="the request does not name an organization""#
        )
    );
    // Any organization.
    let a = call(&app, "/any-org", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
    // A route without {org_id}: the programming error is the server's, a 500 (not a panic).
    assert_eq!(
        call(&app, "/no-param", &[("authorization", &auth)])
            .await
            .status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // No token at all still answers 401 first.
    assert_eq!(
        call(&app, "/header-org", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn organization_level_api_tokens() {
    let (issuer, app) = setup().await;
    let token = issuer
        .token()
        .audience(API)
        .org_id("org-a")
        .scopes(["read:reports"])
        .sign();
    let auth = bearer(&token);
    let a = call(&app, "/orgs/org-a/reports", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
    let a = call(&app, "/orgs/org-b/reports", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.json()["error_description"],
        "the access token is for another organization"
    );
    // Without the organization_id claim: 403.
    let plain = issuer.token().audience(API).scopes(["read:reports"]).sign();
    let a = call(
        &app,
        "/orgs/org-a/reports",
        &[("authorization", &bearer(&plain))],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Without the scope: 403 naming it.
    let no_scope = issuer.token().audience(API).org_id("org-a").sign();
    let a = call(
        &app,
        "/orgs/org-a/reports",
        &[("authorization", &bearer(&no_scope))],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.challenge.unwrap().ends_with(r#", scope="read:reports""#));
    // An organization token (urn audience) is not for this API: 401.
    let org = issuer
        .token()
        .org_audience("org-a")
        .scopes(["read:reports"])
        .sign();
    let a = call(
        &app,
        "/orgs/org-a/reports",
        &[("authorization", &bearer(&org))],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = call(&app, "/any-org-api", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
}

// ---- customization -------------------------------------------------------------------------

#[derive(Debug)]
struct MyError(AuthRejection);

impl From<AuthRejection> for MyError {
    fn from(rejection: AuthRejection) -> Self {
        Self(rejection)
    }
}

impl IntoResponse for MyError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        (
            status,
            Json(json!({"problem": self.0.description(), "status": status.as_u16()})),
        )
            .into_response()
    }
}

#[tokio::test]
async fn with_rejection_customizes_one_extractor() {
    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    let app = Router::new()
        .route(
            "/read",
            get(|WithRejection(auth, _): WithRejection<RequireScopes<ReadDocs>, MyError>| async move {
                auth.sub().to_owned()
            }),
        )
        .with_state(logto);
    let a = call(&app, "/read", &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge, None);
    assert_eq!(
        a.json(),
        json!({"problem": "the request carries no bearer token", "status": 401})
    );
    let token = issuer.token().audience(API).sign();
    let a = call(&app, "/read", &[("authorization", &bearer(&token))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.json(),
        json!({"problem": "the access token lacks a scope this resource requires", "status": 403})
    );
    let token = issuer
        .token()
        .sub("ok")
        .audience(API)
        .scopes(["read:docs"])
        .sign();
    assert_eq!(
        call(&app, "/read", &[("authorization", &bearer(&token))])
            .await
            .body,
        "ok"
    );
}

/// An error type that keeps RFC 6750's status and challenge, with its own body.
#[derive(Debug)]
struct KeepsChallenge(AuthRejection);

impl From<AuthRejection> for KeepsChallenge {
    fn from(rejection: AuthRejection) -> Self {
        Self(rejection)
    }
}

impl IntoResponse for KeepsChallenge {
    fn into_response(self) -> Response {
        let body = Json(json!({"problem": self.0.body_code()}));
        self.0.with_body(body)
    }
}

#[tokio::test]
async fn with_rejection_can_keep_the_challenge() {
    let issuer = TestIssuer::start().await;
    let app =
        Router::new()
            .route(
                "/read",
                get(
                    |WithRejection(auth, _): WithRejection<
                        RequireScopes<ReadDocs>,
                        KeepsChallenge,
                    >| async move { auth.sub().to_owned() },
                ),
            )
            .with_state(issuer.state_builder(API).build().unwrap());
    let a = call(&app, "/read", &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge.as_deref(),
        Some(r#"Bearer realm="https://api.example.com", scope="read:docs""#)
    );
    assert_eq!(a.json(), json!({"problem": "unauthorized"}));
    let token = issuer.token().bearer();
    let a = call(&app, "/read", &[("authorization", &token)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="insufficient_scope""#)
    );
    assert_eq!(a.json(), json!({"problem": "insufficient_scope"}));
}

#[tokio::test]
async fn a_hook_customizes_every_extractor() {
    let issuer = TestIssuer::start().await;
    let logto = issuer
        .state_builder(API)
        .retry_interval(Duration::from_secs(5))
        .on_rejection(|rejection: &AuthRejection| {
            let mut response = rejection.default_response();
            *response.body_mut() = Body::from(format!(
                "custom {} {}",
                rejection.status().as_u16(),
                rejection.error_code().unwrap_or("-")
            ));
            response
                .headers_mut()
                .insert("x-custom", "yes".parse().unwrap());
            response
        })
        .build()
        .unwrap();
    let app = router(logto);
    let api = bearer(&issuer.token().audience(API).sign());
    let org = bearer(&issuer.token().org_audience("org-a").sign());
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 6] = [
        ("/me", vec![], "custom 401 -"),
        (
            "/read",
            vec![("authorization", api.as_str())],
            "custom 403 insufficient_scope",
        ),
        (
            "/orgs/org-b/members",
            vec![("authorization", org.as_str())],
            "custom 403 insufficient_scope",
        ),
        (
            "/orgs/org-a/reports",
            vec![("authorization", org.as_str())],
            "custom 401 invalid_token",
        ),
        (
            "/any-org",
            vec![("authorization", api.as_str())],
            "custom 401 invalid_token",
        ),
        (
            "/me",
            vec![
                ("authorization", api.as_str()),
                ("authorization", api.as_str()),
            ],
            "custom 400 invalid_request",
        ),
    ];
    for (path, headers, body) in cases {
        let response = app.clone().oneshot({
            let mut r = Request::get(path);
            for (n, v) in &headers {
                r = r.header(*n, *v);
            }
            r.body(Body::empty()).unwrap()
        });
        let response = response.await.unwrap();
        assert_eq!(response.headers()["x-custom"], "yes", "{path}");
        let a = answer(response).await;
        assert_eq!(a.body, body, "{path}");
        // The default challenge is kept, since the hook started from the default response.
        assert!(a.challenge.unwrap().starts_with(REALM));
    }
    // The 503 goes through the hook too.
    issuer.go_down().await;
    let down = issuer.state_builder(API).on_rejection(|r: &AuthRejection| {
        (
            StatusCode::IM_A_TEAPOT,
            format!("hook saw {}", r.status().as_u16()),
        )
            .into_response()
    });
    let app = router(down.build().unwrap());
    let a = call(&app, "/me", &[("authorization", &api)]).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::IM_A_TEAPOT, "hook saw 503")
    );
}

#[derive(Clone)]
struct AppState {
    logto: LogtoState,
    greeting: &'static str,
}

impl FromRef<AppState> for LogtoState {
    fn from_ref(state: &AppState) -> Self {
        state.logto.clone()
    }
}

#[tokio::test]
async fn works_with_any_app_state_through_from_ref() {
    let issuer = TestIssuer::start().await;
    let state = AppState {
        logto: issuer.state_builder(API).build().unwrap(),
        greeting: "hi",
    };
    let app = Router::new()
        .route(
            "/",
            get(
                |axum::extract::State(s): axum::extract::State<AppState>,
                 auth: RequireScopes<ReadDocs>| async move {
                    format!("{} {}", s.greeting, auth.sub())
                },
            ),
        )
        .with_state(state);
    let token = issuer
        .token()
        .sub("u1")
        .audience(API)
        .scopes(["read:docs"])
        .sign();
    assert_eq!(
        call(&app, "/", &[("authorization", &bearer(&token))])
            .await
            .body,
        "hi u1"
    );
}

#[test]
fn rejection_accessors() {
    let state = LogtoState::builder("https://t.logto.app")
        .audience(API)
        .realm("realm")
        .build()
        .unwrap();
    let rejection = state.reject(AuthError::InsufficientScope { any_of: false });
    assert_eq!(rejection.status(), StatusCode::FORBIDDEN);
    assert_eq!(rejection.error_code(), Some("insufficient_scope"));
    assert_eq!(rejection.realm(), "realm");
    assert_eq!(rejection.retry_after_secs(), None);
    assert!(matches!(
        rejection.error(),
        AuthError::InsufficientScope { .. }
    ));
    let unavailable = state.reject(AuthError::KeysUnavailable);
    assert_eq!(unavailable.www_authenticate(), None);
    assert_eq!(unavailable.retry_after_secs(), Some(2));
}

#[tokio::test]
async fn a_header_replaced_by_a_middleware_is_verified_afresh() {
    use axum::extract::{FromRequestParts, Request, State};
    use axum::middleware::{Next, from_fn_with_state};

    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    let second = issuer.token().sub("second").audience(API).sign();
    let second_header = bearer(&second);
    let swap = move |State(logto): State<LogtoState>, request: Request, next: Next| {
        let second_header = second_header.clone();
        async move {
            let (mut parts, body) = request.into_parts();
            let first = <Auth>::from_request_parts(&mut parts, &logto)
                .await
                .unwrap();
            assert_eq!(first.sub(), "first");
            parts
                .headers
                .insert("authorization", second_header.parse().unwrap());
            next.run(Request::from_parts(parts, body)).await
        }
    };
    let app = Router::new()
        .route(
            "/me",
            get(|auth: Auth| async move { auth.sub().to_owned() }),
        )
        .layer(from_fn_with_state(logto.clone(), swap))
        .with_state(logto);
    let first = issuer.token().sub("first").audience(API).sign();
    let a = call(&app, "/me", &[("authorization", &bearer(&first))]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "second"));
}
