//! (g) Tokens for other audiences: another API resource of the tenant, the Management API's
//! own token; (h) what is not an access token for this API: an opaque access token (a sign-in
//! that asks for no resource) and the ID token, each sent as the bearer token.

use axum_logto::{AuthError, InvalidTokenReason};
use serde_json::json;

use crate::api::{self, get_with};
use crate::management::MANAGEMENT_API;
use crate::oidc::{SignIn, decode};
use crate::state;
use crate::world::{API, OTHER, world};

#[tokio::test]
async fn m2m_token_for_another_resource_passes_only_that_resources_api() {
    let Some(w) = world() else { return };
    let token = w
        .client_credentials(&w.batch, Some(OTHER), "read:docs", None)
        .await
        .access_token();
    assert_eq!(w.other.indicator, OTHER);
    assert_eq!(decode(&token, 1)["aud"], OTHER);
    let api = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&api, "/docs", &token)
        .await
        .refused(401, "invalid_token");
    assert_eq!(
        state(&w.logto.endpoint, API)
            .validate(&token)
            .await
            .unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::WrongAudience)
    );
    let other = api::serve(state(&w.logto.endpoint, OTHER)).await;
    let docs = get_with(&other, "/docs", &token).await.ok();
    assert_eq!(docs["audience"], json!([OTHER]));
}

#[tokio::test]
async fn user_token_for_another_resource_from_the_refresh_grant() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let token = w
        .refresh(&tokens.refresh_token, Some(OTHER), None)
        .await
        .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["aud"], OTHER);
    // alice's admin role grants read:docs of OTHER.
    assert_eq!(claims["scope"], "read:docs");
    let other = api::serve(state(&w.logto.endpoint, OTHER)).await;
    get_with(&other, "/docs", &token).await.ok();
    let api = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&api, "/docs", &token)
        .await
        .refused(401, "invalid_token");
    // bob has no role for OTHER: a token without scopes.
    let tokens = w.sign_in(&w.bob).await;
    let token = w
        .refresh(&tokens.refresh_token, Some(OTHER), None)
        .await
        .access_token();
    get_with(&other, "/docs", &token)
        .await
        .refused(403, "insufficient_scope");
}

#[tokio::test]
async fn management_api_token_is_refused_by_the_api_and_accepted_for_its_own_audience() {
    let Some(w) = world() else { return };
    let token = w.logto.management.token().await;
    let claims = decode(&token, 1);
    assert_eq!(claims["aud"], MANAGEMENT_API);
    assert_eq!(claims["scope"], "all");
    let api = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&api, "/me", &token)
        .await
        .refused(401, "invalid_token");
    // A state whose audience is the Management API takes it, scope `all` and all.
    let management = api::serve(state(&w.logto.endpoint, MANAGEMENT_API)).await;
    let me = get_with(&management, "/management", &token).await.ok();
    assert_eq!(me["scopes"], json!(["all"]));
    assert_eq!(me["sub"], me["clientId"]);
}

#[tokio::test]
async fn opaque_access_token_is_refused_as_opaque() {
    let Some(w) = world() else { return };
    let tokens = w
        .sign_in_with(
            &w.alice,
            &SignIn {
                scopes: vec!["profile"],
                resources: vec![],
                token_resource: None,
            },
        )
        .await;
    let opaque = &tokens.access_token;
    assert!(
        !opaque.contains('.'),
        "an opaque token: {} characters",
        opaque.len()
    );
    // Logto's userinfo endpoint takes it: it is a real access token, for Logto itself.
    let userinfo = reqwest::Client::new()
        .get(format!("{}/oidc/me", w.logto.endpoint))
        .bearer_auth(opaque)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let userinfo: serde_json::Value = userinfo.json().await.unwrap();
    assert_eq!(userinfo["sub"], w.alice.id.as_str());

    let api = api::serve(state(&w.logto.endpoint, API)).await;
    let answer = get_with(&api, "/me", opaque).await;
    answer.refused(401, "invalid_token");
    assert_eq!(
        state(&w.logto.endpoint, API)
            .validate(opaque)
            .await
            .unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::Opaque)
    );
}

#[tokio::test]
async fn id_token_is_refused_as_an_id_token() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let header = decode(&tokens.id_token, 0);
    assert_eq!(header["typ"], "JWT", "{header}");
    assert_eq!(header["alg"], "ES384", "{header}");
    let claims = decode(&tokens.id_token, 1);
    assert_eq!(claims["sub"], w.alice.id.as_str());
    assert_eq!(claims["aud"], w.web.id.as_str());
    assert_eq!(claims["iss"], w.logto.issuer());
    for claim in ["iat", "exp", "at_hash"] {
        assert!(claims.get(claim).is_some(), "{claim} missing: {claims}");
    }
    // The profile and the organizations the user is in (scope urn:logto:scope:organizations).
    assert_eq!(claims["username"], "alice");
    assert_eq!(claims["organizations"], json!([w.acme]));
    assert!(claims.get("scope").is_none(), "{claims}");
    // Signed by the same key as access tokens: only its type tells them apart.
    assert_eq!(header["kid"], decode(&tokens.access_token, 0)["kid"]);

    let api = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&api, "/me", &tokens.id_token)
        .await
        .refused(401, "invalid_token");
    assert_eq!(
        state(&w.logto.endpoint, API)
            .validate(&tokens.id_token)
            .await
            .unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::IdToken)
    );
    // Even a state whose audience is the application's id (the ID token's `aud`).
    assert_eq!(
        state(&w.logto.endpoint, &w.web.id)
            .validate(&tokens.id_token)
            .await
            .unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::IdToken)
    );
}
