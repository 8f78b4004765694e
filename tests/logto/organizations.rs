//! (c)–(e) Organization tokens (`aud` `urn:logto:organization:<id>`) and organization-level API
//! tokens (`aud` the API, plus `organization_id`), for a user (the `refresh_token` grant with
//! `organization_id`) and for a machine-to-machine application in an organization.

use axum_logto::{AuthError, Policy};
use reqwest::Method;
use serde_json::json;

use crate::api::{self, get_with, send};
use crate::oidc::{self, SignIn, decode};
use crate::world::{API, world};
use crate::{state, state_builder};

#[tokio::test]
async fn user_organization_token_passes_its_organizations_routes_only() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let token = w
        .refresh(&tokens.refresh_token, None, Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["aud"], format!("urn:logto:organization:{}", w.acme));
    assert_eq!(claims["scope"], "read:members", "{claims}");
    assert!(claims.get("organization_id").is_none(), "{claims}");

    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let members = get_with(&base, &format!("/orgs/{}/members", w.acme), &token)
        .await
        .ok();
    assert_eq!(members["org"], w.acme.as_str());
    assert_eq!(members["sub"], w.alice.id.as_str());
    assert_eq!(members["scopes"], json!(["read:members"]));
    let any = get_with(&base, "/any-org", &token).await.ok();
    assert_eq!(any["org"], w.acme.as_str());
    // alice is a member, not an inviter.
    send(
        &base,
        Method::POST,
        &format!("/orgs/{}/invitations", w.acme),
        Some(&token),
        &[],
    )
    .await
    .refused(403, "insufficient_scope");
    // Another organization in the path: 403.
    get_with(&base, &format!("/orgs/{}/members", w.globex), &token)
        .await
        .refused(403, "insufficient_scope");
    // A global route: not this API's audience, 401.
    get_with(&base, "/me", &token)
        .await
        .refused(401, "invalid_token");
    // Outside Axum.
    let logto = state(&w.logto.endpoint, API);
    let info = logto.validate_org_token(&token, &w.acme).await.unwrap();
    assert!(info.has_org_audience(&w.acme));
    assert!(matches!(
        logto.validate_org_token(&token, &w.globex).await,
        Err(AuthError::WrongOrg)
    ));
    assert!(matches!(
        logto.validate(&token).await,
        Err(AuthError::InvalidToken(_))
    ));
}

#[tokio::test]
async fn organization_inviter_may_invite() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.bob).await;
    let token = w
        .refresh(&tokens.refresh_token, None, Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    let mut scopes: Vec<&str> = claims["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["invite:members", "read:members"]);
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let invited = send(
        &base,
        Method::POST,
        &format!("/orgs/{}/invitations", w.acme),
        Some(&token),
        &[],
    )
    .await
    .ok();
    assert_eq!(invited["org"], w.acme.as_str());
    // In globex bob is a member: a token for it reads members there, invites nobody.
    let globex = w
        .refresh(&tokens.refresh_token, None, Some(&w.globex))
        .await
        .access_token();
    get_with(&base, &format!("/orgs/{}/members", w.globex), &globex)
        .await
        .ok();
    send(
        &base,
        Method::POST,
        &format!("/orgs/{}/invitations", w.globex),
        Some(&globex),
        &[],
    )
    .await
    .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn user_organization_level_api_token_passes_organization_api_routes_only() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let token = w
        .refresh(&tokens.refresh_token, Some(API), Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["organization_id"], w.acme.as_str());

    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let reports = get_with(&base, &format!("/orgs/{}/reports", w.acme), &token)
        .await
        .ok();
    assert_eq!(reports["organizationId"], w.acme.as_str());
    assert_eq!(reports["sub"], w.alice.id.as_str());
    let by_header = send(
        &base,
        Method::GET,
        "/org-by-header/reports",
        Some(&token),
        &[("x-organization-id", &w.acme)],
    )
    .await;
    // The header's name is the crate's default (OrgIdHeader).
    assert_eq!(by_header.status, 200, "{by_header:?}");
    get_with(&base, &format!("/orgs/{}/reports", w.globex), &token)
        .await
        .refused(403, "insufficient_scope");
    // Global routes refuse it although it carries global scopes too (see below): 403.
    let docs = get_with(&base, "/docs", &token).await;
    docs.refused(403, "insufficient_scope");
    get_with(&base, "/me", &token)
        .await
        .refused(403, "insufficient_scope");
    let logto = state(&w.logto.endpoint, API);
    assert!(matches!(
        logto.validate(&token).await,
        Err(AuthError::OrgLevelToken)
    ));
    // Outside Axum: the organization-level API model, and `authorize` with the routes' policy,
    // decide as the route did.
    let info = logto.validate_org_api_token(&token, &w.acme).await.unwrap();
    assert_eq!(
        (info.sub(), info.org_id()),
        (w.alice.id.as_str(), Some(w.acme.as_str()))
    );
    assert!(matches!(
        logto.validate_org_api_token(&token, &w.globex).await,
        Err(AuthError::WrongOrg)
    ));
    let policy = Policy::org_api(Some(&w.acme)).scopes::<api::ReadReports>();
    assert!(logto.authorize(&token, &policy).await.is_ok());
    let elsewhere = Policy::org_api(Some(&w.globex)).scopes::<api::ReadReports>();
    let refused = logto.authorize(&token, &elsewhere).await.unwrap_err();
    assert_eq!(refused.status(), 403);
    // The opt-in takes it on global routes.
    let opted = state_builder(&w.logto.endpoint, API)
        .allow_org_level_tokens()
        .build()
        .unwrap();
    let info = opted.validate(&token).await.unwrap();
    assert_eq!(info.org_id(), Some(w.acme.as_str()));
}

/// What NOTES.md saw: a user's organization-level API token also carries the user's *global*
/// role scopes for that resource (Logto 1.37 merges them).
#[tokio::test]
async fn user_organization_level_api_token_carries_the_users_global_scopes_too() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let token = w
        .refresh(&tokens.refresh_token, Some(API), Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    let scopes: Vec<&str> = claims["scope"].as_str().unwrap().split(' ').collect();
    assert!(scopes.contains(&"read:reports"), "{claims}");
    assert!(scopes.contains(&"admin"), "{claims}");
}

#[tokio::test]
async fn logto_refuses_organization_tokens_for_non_members_and_without_the_organizations_resource()
{
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    // alice is not in globex.
    let refused = w
        .refresh(&tokens.refresh_token, None, Some(&w.globex))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error(), "access_denied", "{:?}", refused.body);

    // A sign-in with the organizations scope but without the organizations resource: the
    // organization token comes back without scopes, and the organization's routes refuse it.
    let tokens = w
        .sign_in_with(
            &w.alice,
            &SignIn {
                scopes: vec![oidc::ORGANIZATIONS_SCOPE, "read:members", "read:docs"],
                resources: vec![API],
                token_resource: Some(API),
            },
        )
        .await;
    let token = w
        .refresh(&tokens.refresh_token, None, Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    assert!(
        claims.get("scope").is_none_or(|s| s == ""),
        "no organization scopes: {claims}"
    );
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&base, &format!("/orgs/{}/members", w.acme), &token)
        .await
        .refused(403, "insufficient_scope");
    // But it is a valid token of acme.
    get_with(&base, "/any-org", &token).await.ok();
}

#[tokio::test]
async fn m2m_organization_token_passes_its_organizations_routes() {
    let Some(w) = world() else { return };
    let token = w
        .client_credentials(&w.batch, None, "read:members", Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["aud"], format!("urn:logto:organization:{}", w.acme));
    assert_eq!(claims["sub"], w.batch.id.as_str());
    assert_eq!(claims["scope"], "read:members");
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let members = get_with(&base, &format!("/orgs/{}/members", w.acme), &token)
        .await
        .ok();
    assert_eq!(members["clientId"], w.batch.id.as_str());
    get_with(&base, &format!("/orgs/{}/members", w.globex), &token)
        .await
        .refused(403, "insufficient_scope");
    get_with(&base, "/machine", &token)
        .await
        .refused(401, "invalid_token");
    let info = state(&w.logto.endpoint, API)
        .validate_org_token(&token, &w.acme)
        .await
        .unwrap();
    assert!(info.is_machine_to_machine());
}

#[tokio::test]
async fn m2m_organization_level_api_token_passes_organization_api_routes_only() {
    let Some(w) = world() else { return };
    let token = w
        .client_credentials(&w.batch, Some(API), "read:reports", Some(&w.acme))
        .await
        .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["organization_id"], w.acme.as_str());
    assert_eq!(claims["scope"], "read:reports", "{claims}");
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let reports = get_with(&base, &format!("/orgs/{}/reports", w.acme), &token)
        .await
        .ok();
    assert_eq!(reports["sub"], w.batch.id.as_str());
    assert_eq!(reports["organizationId"], w.acme.as_str());
    get_with(&base, "/docs", &token)
        .await
        .refused(403, "insufficient_scope");
    get_with(&base, "/machine", &token)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn logto_refuses_organization_tokens_for_applications_outside_the_organization() {
    let Some(w) = world() else { return };
    let answer = w
        .client_credentials(&w.batch, None, "read:members", Some(&w.globex))
        .await;
    assert_eq!(answer.error(), "access_denied", "{:?}", answer.body);
    let answer = w
        .client_credentials(&w.reader, Some(API), "read:reports", Some(&w.acme))
        .await;
    assert_eq!(answer.error(), "access_denied", "{:?}", answer.body);
}

#[tokio::test]
async fn organization_tokens_and_organization_level_api_tokens_do_not_cross_over() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let organization = w
        .refresh(&tokens.refresh_token, None, Some(&w.acme))
        .await
        .access_token();
    let organization_api = w
        .refresh(&tokens.refresh_token, Some(API), Some(&w.acme))
        .await
        .access_token();
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    // An organization token is not for this API's audience: 401 on an organization-level API
    // route and behind the layer.
    get_with(&base, &format!("/orgs/{}/reports", w.acme), &organization)
        .await
        .refused(401, "invalid_token");
    get_with(&base, "/v1/status", &organization)
        .await
        .refused(401, "invalid_token");
    // An organization-level API token is not an organization token: 401 on organization
    // routes; the layer (a global check) answers 403, its permissions are the organization's.
    get_with(
        &base,
        &format!("/orgs/{}/members", w.acme),
        &organization_api,
    )
    .await
    .refused(401, "invalid_token");
    get_with(&base, "/any-org", &organization_api)
        .await
        .refused(401, "invalid_token");
    get_with(&base, "/v1/status", &organization_api)
        .await
        .refused(403, "insufficient_scope");
    // A header route without the header: 400.
    send(
        &base,
        Method::GET,
        "/org-by-header/reports",
        Some(&organization_api),
        &[],
    )
    .await
    .refused(400, "invalid_request");
    let logto = state(&w.logto.endpoint, API);
    assert!(matches!(
        logto.validate_org_token(&organization, &w.globex).await,
        Err(AuthError::WrongOrg)
    ));
    assert!(matches!(
        logto.validate_org_token(&organization_api, &w.acme).await,
        Err(AuthError::InvalidToken(_))
    ));
}
