//! (b) A user signed in without a browser: authorization code with PKCE and `resource`, the
//! sign-in page's Experience API in between.

use reqwest::Method;
use serde_json::json;

use crate::api::{self, get_with, send};
use crate::oidc::decode;
use crate::state;
use crate::world::{API, world};

#[tokio::test]
async fn user_token_passes_the_routes_its_roles_allow() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let me = get_with(&base, "/me", &tokens.access_token).await.ok();
    assert_eq!(me["sub"], w.alice.id.as_str());
    assert_eq!(me["clientId"], w.web.id.as_str());
    assert_eq!(me["issuer"], w.logto.issuer());
    assert_eq!(me["audience"], json!([API]));
    // alice's roles grant admin, delete, read and write; read:reports comes from her
    // organization role in acme (see the next test).
    let mut scopes: Vec<String> = serde_json::from_value(me["scopes"].clone()).unwrap();
    scopes.sort();
    assert_eq!(
        scopes,
        [
            "admin",
            "delete:docs",
            "read:docs",
            "read:reports",
            "write:docs"
        ],
        "{me}"
    );
    get_with(&base, "/docs", &tokens.access_token).await.ok();
    send(
        &base,
        Method::POST,
        "/docs",
        Some(&tokens.access_token),
        &[],
    )
    .await
    .ok();
    send(
        &base,
        Method::DELETE,
        "/docs/3",
        Some(&tokens.access_token),
        &[],
    )
    .await
    .ok();
    get_with(&base, "/v1/status", &tokens.access_token)
        .await
        .ok();
    let user = get_with(&base, "/user", &tokens.access_token).await.ok();
    assert_eq!(user["sub"], w.alice.id.as_str());
    get_with(&base, "/machine", &tokens.access_token)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn user_token_is_an_at_jwt_with_the_client_of_the_sign_in() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.bob).await;
    let header = decode(&tokens.access_token, 0);
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(header["alg"], "ES384", "{header}");
    let claims = decode(&tokens.access_token, 1);
    for claim in [
        "jti",
        "sub",
        "iat",
        "exp",
        "scope",
        "client_id",
        "iss",
        "aud",
    ] {
        assert!(claims.get(claim).is_some(), "{claim} missing: {claims}");
    }
    assert_eq!(claims["sub"], w.bob.id.as_str());
    assert_eq!(claims["client_id"], w.web.id.as_str());
    assert_ne!(claims["sub"], claims["client_id"]);
    assert!(claims.get("nbf").is_none(), "{claims}");
    // The token response's `scope` is the access token's: the API's scopes, no OIDC scopes.
    assert_eq!(tokens.body["scope"], claims["scope"]);
    let info = state(&w.logto.endpoint, API)
        .validate(&tokens.access_token)
        .await
        .unwrap();
    assert!(!info.is_machine_to_machine());
    assert_eq!(info.client_id(), Some(w.web.id.as_str()));
}

#[tokio::test]
async fn user_without_the_scope_is_refused_with_the_scopes_named() {
    let Some(w) = world() else { return };
    // bob is an editor: read and write, no delete, no admin.
    let tokens = w.sign_in(&w.bob).await;
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    send(
        &base,
        Method::POST,
        "/docs",
        Some(&tokens.access_token),
        &[],
    )
    .await
    .ok();
    let delete = send(
        &base,
        Method::DELETE,
        "/docs/3",
        Some(&tokens.access_token),
        &[],
    )
    .await;
    delete.refused(403, "insufficient_scope");
    assert!(
        delete
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error="insufficient_scope", error_description="#),
        "{delete:?}"
    );
    // carol has no role at all: a valid token without scopes.
    let tokens = w.sign_in(&w.carol).await;
    let me = get_with(&base, "/me", &tokens.access_token).await.ok();
    assert_eq!(me["scopes"], json!([]), "{me}");
    get_with(&base, "/docs", &tokens.access_token)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn refresh_token_grant_gives_a_new_access_token_that_passes() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.bob).await;
    let refreshed = w.refresh(&tokens.refresh_token, Some(API), None).await;
    let access_token = refreshed.access_token();
    assert_ne!(access_token, tokens.access_token);
    let (before, after) = (decode(&tokens.access_token, 1), decode(&access_token, 1));
    assert_ne!(before["jti"], after["jti"]);
    assert_eq!(before["scope"], after["scope"]);
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let me = get_with(&base, "/me", &access_token).await.ok();
    assert_eq!(me["sub"], w.bob.id.as_str());
}

#[tokio::test]
async fn code_exchange_without_resource_gives_an_opaque_token_even_after_asking_for_one() {
    let Some(w) = world() else { return };
    let tokens = w
        .sign_in_with(
            &w.bob,
            &crate::oidc::SignIn {
                scopes: vec!["read:docs"],
                resources: vec![API],
                token_resource: None,
            },
        )
        .await;
    assert_eq!(
        tokens.access_token.split('.').count(),
        1,
        "opaque, not a JWT"
    );
    // The refresh token still gets the API's JWT.
    let refreshed = w.refresh(&tokens.refresh_token, Some(API), None).await;
    let claims = decode(&refreshed.access_token(), 1);
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "read:docs");
}

/// Logto 1.37 grants a user's *global* API token (no `organization_id`) the API scopes of every
/// organization role the user holds, in any organization (`oidc/resource.ts`: "in consent or
/// code exchange flow … all the scopes inherited from all organization roles should be
/// granted"). So `read:reports`, granted only by the organization role `member`, passes a
/// global route: an API must not rely on "organization-level scopes only in organization
/// tokens".
#[tokio::test]
async fn global_user_token_carries_the_api_scopes_of_the_users_organization_roles() {
    let Some(w) = world() else { return };
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    // bob has no global role with read:reports; his role `member` in globex has it.
    let tokens = w.sign_in(&w.bob).await;
    let claims = decode(&tokens.access_token, 1);
    assert!(claims.get("organization_id").is_none(), "{claims}");
    let scopes = claims["scope"].as_str().unwrap();
    assert!(scopes.split(' ').any(|s| s == "read:reports"), "{claims}");
    let me = get_with(&base, "/me", &tokens.access_token).await.ok();
    assert_eq!(me["organizationId"], serde_json::Value::Null);
    assert!(
        me["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("read:reports"))
    );
    // The same through the refresh grant without an organization.
    let refreshed = w.refresh(&tokens.refresh_token, Some(API), None).await;
    let claims = decode(&refreshed.access_token(), 1);
    assert!(
        claims["scope"].as_str().unwrap().contains("read:reports"),
        "{claims}"
    );
}
