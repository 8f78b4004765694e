//! Logto's organization models at the edges: organization-level tokens on global routes,
//! organization ids in paths, empty ids.

use crate::common::{API, bearer, call, setup};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{
    AnyOrg, Auth, AuthError, InvalidTokenReason as R, LogtoState, OrgApiToken, OrgFromPath,
    OrgToken, RequireScopes, scopes,
};
use serde_json::json;

scopes! {
    ReadDocs = "read:docs";
    Admin = "admin";
}

fn router(logto: LogtoState) -> Router {
    Router::new()
        .route(
            "/me",
            get(|auth: Auth| async move { auth.sub().to_owned() }),
        )
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "docs" }))
        .route("/admin", get(|_: RequireScopes<Admin>| async { "admin" }))
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/orgs/{org_id}/reports",
            get(|t: OrgApiToken<OrgFromPath, ReadDocs>| async move { t.org_id().to_owned() }),
        )
        .route(
            "/any-org",
            get(|org: OrgToken<AnyOrg>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/any-org-api",
            get(|t: OrgApiToken<AnyOrg>| async move { t.org_id().to_owned() }),
        )
        .route(
            "/no-param",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .with_state(logto)
}

async fn app() -> (TestIssuer, Router) {
    let (issuer, state) = setup().await;
    (issuer, router(state))
}

// ---- 1. organization permissions on global routes ----------------------------------------

#[tokio::test]
async fn organization_level_tokens_are_refused_on_global_routes() {
    let (issuer, app) = app().await;
    // The user is admin only in an organization they created.
    let org_admin = issuer
        .token()
        .audience(API)
        .org_id("own-org")
        .scopes(["admin", "read:docs"])
        .sign();
    let auth = bearer(&org_admin);
    let description = "the access token carries permissions granted within an organization";
    let a = call(&app, "/admin", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            format!(
                r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="{description}", scope="admin""#
            )
            .as_str()
        )
    );
    assert_eq!(
        a.json(),
        json!({"error": "insufficient_scope", "error_description": description})
    );
    for path in ["/me", "/docs"] {
        let a = call(&app, path, &[("authorization", &auth)]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(a.json()["error_description"], description, "{path}");
    }
    // The organization route still takes it.
    let a = call(&app, "/orgs/own-org/reports", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "own-org"));
    // And `validate()` refuses it too.
    let state = issuer.state_builder(API).build().unwrap();
    assert_eq!(
        state.validate(&org_admin).await.unwrap_err(),
        AuthError::OrgLevelToken
    );
    // An API that really wants both opts in.
    let opted_in = issuer
        .state_builder(API)
        .allow_org_level_tokens()
        .build()
        .unwrap();
    assert!(opted_in.validate(&org_admin).await.is_ok());
    let a = call(&router(opted_in), "/admin", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::OK);
}

// ---- 4 and 5. organization ids -------------------------------------------------------------

#[tokio::test]
async fn organization_ids_in_paths() {
    let (issuer, app) = app().await;
    let org = issuer.token().org_audience("org-a").sign();
    let auth = bearer(&org);
    // Percent-encoded: decoded, then compared.
    let a = call(&app, "/orgs/org%2Da/members", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
    // Another case is another organization.
    let a = call(&app, "/orgs/ORG-A/members", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Undecodable: the client's fault.
    let a = call(&app, "/orgs/%FF/members", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.json(),
        json!({"error": "invalid_request", "error_description": "the request does not name an organization"})
    );
    // A route without the parameter: the server's fault.
    let a = call(&app, "/no-param", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(a.challenge, None);
    assert_eq!(
        a.json(),
        json!({"error": "server_error", "error_description": "the server cannot tell which organization this route is for"})
    );
}

#[tokio::test]
async fn an_empty_organization_id_never_matches() {
    let (issuer, state) = setup().await;
    let app = router(state.clone());
    let empty = issuer.token().org_audience("").sign();
    assert_eq!(
        state.validate_org_token(&empty, "").await.unwrap_err(),
        AuthError::InvalidToken(R::WrongAudience)
    );
    let a = call(&app, "/any-org", &[("authorization", &bearer(&empty))]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // A real organization token is not for the organization "".
    let real = issuer.token().org_audience("org-a").sign();
    assert_eq!(
        state.validate_org_token(&real, "").await.unwrap_err(),
        AuthError::WrongOrg
    );
    // Beside a real organization audience, an empty one matches nothing either.
    let both = issuer
        .token()
        .audiences(["urn:logto:organization:org-a", "urn:logto:organization:"])
        .sign();
    let info = state.validate_org_token(&both, "org-a").await.unwrap();
    assert!(!info.has_org_audience(""));
    assert!(info.has_org_audience("org-a"));
    assert_eq!(
        state.validate_org_token(&both, "").await.unwrap_err(),
        AuthError::WrongOrg
    );
    // An organization-level token with an empty organization_id names no organization.
    let api = issuer.token().audience(API).org_id("").sign();
    let a = call(&app, "/any-org-api", &[("authorization", &bearer(&api))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
