//! (f) Custom claims from Logto's JWT customizer (`world::USER_CLAIMS_SCRIPT`,
//! `M2M_CLAIMS_SCRIPT`): `roles` at the top level of access tokens, read through `Auth<C>` and
//! the README's `RequireCheck<IsAdmin>` recipe.

use serde_json::json;

use crate::api::{self, get_with};
use crate::oidc::decode;
use crate::state;
use crate::world::{API, M2M_CLAIMS_SCRIPT, USER_CLAIMS_SCRIPT, world};

#[tokio::test]
async fn the_customizer_scripts_are_what_logto_stores() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    let user = m.get("/configs/jwt-customizer/access-token").await;
    assert_eq!(user["script"], USER_CLAIMS_SCRIPT);
    let machine = m.get("/configs/jwt-customizer/client-credentials").await;
    assert_eq!(machine["script"], M2M_CLAIMS_SCRIPT);
}

#[tokio::test]
async fn user_roles_claim_comes_from_the_users_roles_and_makes_an_admin() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.alice).await;
    let claims = decode(&tokens.access_token, 1);
    assert_eq!(claims["roles"], json!(["admin", "editor"]), "{claims}");
    assert_eq!(claims["e2e_level"], 3);
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let roles = get_with(&base, "/roles", &tokens.access_token).await.ok();
    assert_eq!(roles["roles"], json!(["admin", "editor"]));
    assert_eq!(roles["level"], 3);
    let admin = get_with(&base, "/admin", &tokens.access_token).await.ok();
    assert_eq!(admin["sub"], w.alice.id.as_str());
    // Outside Axum: the same claims, typed.
    let info = state(&w.logto.endpoint, API)
        .validate(&tokens.access_token)
        .await
        .unwrap();
    let roles: Vec<String> = info.claim("roles").unwrap().unwrap();
    assert_eq!(roles, ["admin", "editor"]);
}

#[tokio::test]
async fn user_without_the_admin_role_gets_the_checks_403() {
    let Some(w) = world() else { return };
    let tokens = w.sign_in(&w.bob).await;
    assert_eq!(decode(&tokens.access_token, 1)["roles"], json!(["editor"]));
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let refused = get_with(&base, "/admin", &tokens.access_token).await;
    refused.refused(403, "insufficient_scope");
    assert_eq!(
        refused.body["error_description"],
        "the access token lacks the admin role"
    );
    assert!(
        refused
            .challenge
            .as_deref()
            .unwrap()
            .contains(r#"error_description="the access token lacks the admin role""#),
        "{refused:?}"
    );
    // carol has no role: an empty list, not a missing claim.
    let tokens = w.sign_in(&w.carol).await;
    assert_eq!(decode(&tokens.access_token, 1)["roles"], json!([]));
}

#[tokio::test]
async fn m2m_roles_claim_comes_from_the_applications_custom_data() {
    let Some(w) = world() else { return };
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let batch = w.m2m_token(&w.batch, "read:docs").await;
    assert_eq!(decode(&batch, 1)["roles"], json!(["admin"]));
    let admin = get_with(&base, "/admin", &batch).await.ok();
    assert_eq!(admin["sub"], w.batch.id.as_str());
    assert_eq!(admin["roles"], json!(["admin"]));

    let reader = w.m2m_token(&w.reader, "read:docs").await;
    let roles = get_with(&base, "/roles", &reader).await.ok();
    assert_eq!(roles["roles"], json!(["viewer"]));
    get_with(&base, "/admin", &reader)
        .await
        .refused(403, "insufficient_scope");
    // Organization tokens of an application are customized too.
    let organization = w
        .client_credentials(&w.batch, None, "read:members", Some(&w.acme))
        .await
        .access_token();
    assert_eq!(decode(&organization, 1)["roles"], json!(["admin"]));
}

#[tokio::test]
async fn a_custom_claim_of_the_wrong_type_is_401() {
    let Some(w) = world() else { return };
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let token = w.m2m_token(&w.reader, "read:docs").await;
    // `e2e_level` is a number; the route reads it as a string.
    get_with(&base, "/level-as-text", &token)
        .await
        .refused(401, "invalid_token");
    let tokens = w.sign_in(&w.bob).await;
    get_with(&base, "/level-as-text", &tokens.access_token)
        .await
        .refused(401, "invalid_token");
    // The same tokens pass where the claim is read as what it is.
    get_with(&base, "/roles", &token).await.ok();
}
