//! The one decision: `LogtoState::authorize` with a `Policy` answers as the extractor of the
//! same policy, for each of Logto's three models, and the layer takes claim checks too.

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json};
use axum_logto::{
    AnyOf, AuthError, AuthInfo, InvalidTokenReason as R, LogtoLayer, MachineOnly, OrgApiToken,
    OrgFromPath, OrgToken, Policy, RequireCheck, RequireScopes, UserOnly, scopes,
};

use crate::common::{API, bearer, call, setup};

scopes! {
    ReadDocs = "read:docs";
    WriteDocs = "write:docs";
    Admin = "admin";
}

#[tokio::test]
async fn authorize_decides_as_the_extractor_of_the_same_policy() {
    let (issuer, state) = setup().await;
    let app = Router::new()
        .route(
            "/docs",
            get(|_: RequireScopes<(ReadDocs, WriteDocs)>| async {}),
        )
        .route(
            "/any",
            get(|_: RequireScopes<AnyOf<(WriteDocs, Admin)>>| async {}),
        )
        .route("/machine", get(|_: RequireCheck<MachineOnly>| async {}))
        .route(
            "/orgs/{org_id}",
            get(|_: OrgToken<OrgFromPath, ReadDocs>| async {}),
        )
        .route(
            "/api/{org_id}",
            get(|_: OrgApiToken<OrgFromPath, ReadDocs>| async {}),
        )
        .with_state(state.clone());
    let user = issuer.token().sub("u1").client_id("app");
    let tokens = [
        user.clone().scopes(["read:docs"]).sign(),
        user.clone().scopes(["read:docs", "write:docs"]).sign(),
        user.clone().scopes(["admin"]).sign(),
        issuer.token().machine_to_machine("job").sign(),
        issuer
            .token()
            .org_audience("o1")
            .scopes(["read:docs"])
            .sign(),
        issuer
            .token()
            .org_audience("o2")
            .scopes(["read:docs"])
            .sign(),
        issuer
            .token()
            .audience(API)
            .org_id("o1")
            .scopes(["read:docs"])
            .sign(),
        issuer.token().audience("https://other.example.com").sign(),
    ];
    let routes: [(&str, Policy<'static>); 6] = [
        ("/docs", Policy::global().scopes::<(ReadDocs, WriteDocs)>()),
        (
            "/any",
            Policy::global().scopes::<AnyOf<(WriteDocs, Admin)>>(),
        ),
        ("/machine", Policy::global().check::<MachineOnly>()),
        ("/orgs/o1", Policy::org(Some("o1")).scopes::<ReadDocs>()),
        ("/api/o1", Policy::org_api(Some("o1")).scopes::<ReadDocs>()),
        ("/api/o2", Policy::org_api(Some("o2")).scopes::<ReadDocs>()),
    ];
    for (path, policy) in routes {
        for token in &tokens {
            let through_router = call(&app, path, &[("authorization", &bearer(token))]).await;
            let outside = state.authorize(token, &policy).await;
            match outside {
                Ok(_) => assert_eq!(through_router.status, StatusCode::OK, "{path}"),
                Err(error) => {
                    assert_eq!(through_router.status, error.status(), "{path} {error:?}");
                    assert_eq!(
                        through_router.json()["error_description"],
                        error.description(),
                        "{path}"
                    );
                    // The same answer, challenge included (a 403 names the policy's scopes).
                    let outside = state.reject_for(error, &policy).into_response();
                    assert_eq!(
                        outside
                            .headers()
                            .get("www-authenticate")
                            .and_then(|v| v.to_str().ok()),
                        through_router.challenge.as_deref(),
                        "{path}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn each_model_outside_axum() {
    let (issuer, state) = setup().await;
    let org_token = issuer.token().org_audience("o1").sign();
    let org_api_token = issuer.token().audience(API).org_id("o1").sign();
    let plain = issuer.token().audience(API).sign();

    assert_eq!(
        state
            .validate_org_token(&org_token, "o1")
            .await
            .unwrap()
            .org_id(),
        Some("o1")
    );
    let info = state
        .validate_org_api_token(&org_api_token, "o1")
        .await
        .unwrap();
    assert_eq!(info.org_id(), Some("o1"));
    // Another organization, or none: 403; not for this API: 401.
    assert_eq!(
        state
            .validate_org_api_token(&org_api_token, "o2")
            .await
            .unwrap_err(),
        AuthError::WrongOrg
    );
    assert_eq!(
        state
            .validate_org_api_token(&plain, "o1")
            .await
            .unwrap_err(),
        AuthError::NotForOrg
    );
    assert_eq!(
        state
            .validate_org_api_token(&org_token, "o1")
            .await
            .unwrap_err(),
        AuthError::InvalidToken(R::WrongAudience)
    );
    // The global model refuses the organization-level token.
    assert_eq!(
        state.validate(&org_api_token).await.unwrap_err(),
        AuthError::OrgLevelToken
    );
    // Scopes and checks outside Axum, with the extractors' errors.
    assert_eq!(
        state
            .authorize(&plain, &Policy::global().scopes::<ReadDocs>())
            .await
            .unwrap_err(),
        AuthError::InsufficientScope { any_of: false }
    );
    assert_eq!(
        state
            .authorize(&plain, &Policy::global().check::<MachineOnly>())
            .await
            .unwrap_err(),
        AuthError::ClaimCheckFailed {
            description: "the access token is not a machine-to-machine token"
        }
    );
}

#[tokio::test]
async fn the_layer_takes_a_claim_check() {
    let (issuer, state) = setup().await;
    let app = Router::new()
        .route(
            "/jobs",
            get(|Extension(auth): Extension<AuthInfo>| async move { Json(auth) }),
        )
        .layer(LogtoLayer::new(state.clone()).require_check::<MachineOnly>());
    let machine = issuer.token().machine_to_machine("job").sign();
    let user = issuer.token().sub("u1").client_id("app").sign();
    let a = call(&app, "/jobs", &[("authorization", &bearer(&machine))]).await;
    assert_eq!(
        (a.status, a.json()["sub"].as_str()),
        (StatusCode::OK, Some("job"))
    );
    let a = call(&app, "/jobs", &[("authorization", &bearer(&user))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="the access token is not a machine-to-machine token""#
        )
    );
    // Scopes and a check together, through the layer as through the extractor.
    let both = Router::new().route("/", get(|| async { "ok" })).layer(
        LogtoLayer::new(state)
            .require_scopes::<Admin>()
            .require_check::<UserOnly>(),
    );
    let admin = issuer
        .token()
        .sub("u1")
        .client_id("app")
        .scopes(["admin"])
        .sign();
    let a = call(&both, "/", &[("authorization", &bearer(&admin))]).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = call(&both, "/", &[("authorization", &bearer(&machine))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.challenge.unwrap().ends_with(r#"scope="admin""#));
}
