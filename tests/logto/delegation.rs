//! (i) Delegated tokens: Logto's impersonation (a subject token from the Management API,
//! exchanged by an application allowed to exchange tokens, with an actor token) and RFC 8693
//! exchange of an access token (`ACCESS_TOKEN_EXCHANGE_ENABLED=1`, which the harness sets).

use serde_json::{Value, json};

use crate::api::{self, get_with};
use crate::management::App;
use crate::oidc::{REDIRECT_URI, SignIn, decode, token_exchange};
use crate::state;
use crate::world::{API, User, World, world};

pub(crate) const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub(crate) const IMPERSONATION_TOKEN_TYPE: &str = "urn:logto:token-type:impersonation_token";

/// An opaque access token of `user` with the `openid` scope: what Logto takes as an actor token.
pub(crate) async fn actor_token(w: &World, user: &User) -> String {
    w.sign_in_with(
        user,
        &SignIn {
            scopes: vec![],
            resources: vec![],
            token_resource: None,
        },
    )
    .await
    .access_token
}

/// A subject token to impersonate `user`, from the Management API.
pub(crate) async fn subject_token(w: &World, user: &User) -> String {
    let answer = w
        .logto
        .management
        .post(
            "/subject-tokens",
            json!({ "userId": user.id, "context": { "ticket": "T-1" } }),
        )
        .await;
    assert!(
        answer["expiresIn"].as_u64().is_some(),
        "{}",
        redact(&answer)
    );
    answer["subjectToken"].as_str().unwrap().to_owned()
}

/// Another traditional application, allowed to exchange tokens or not.
async fn application(w: &World, name: &str, allow_exchange: bool) -> App {
    w.logto
        .management
        .create_app(
            name,
            "Traditional",
            json!({
                "oidcClientMetadata": { "redirectUris": [REDIRECT_URI], "postLogoutRedirectUris": [] },
                "customClientMetadata": { "allowTokenExchange": allow_exchange },
            }),
        )
        .await
}

#[tokio::test]
async fn impersonation_token_names_the_actor_in_act() {
    let Some(w) = world() else { return };
    let subject = subject_token(w, &w.bob).await;
    let actor = actor_token(w, &w.alice).await;
    let answer = token_exchange(
        w.logto,
        &w.web,
        &[
            ("subject_token", &subject),
            ("subject_token_type", IMPERSONATION_TOKEN_TYPE),
            ("actor_token", &actor),
            ("actor_token_type", ACCESS_TOKEN_TYPE),
            ("resource", API),
            ("scope", "read:docs write:docs"),
        ],
    )
    .await;
    assert!(
        answer.body.get("refresh_token").is_none(),
        "{}",
        redact(&answer.body)
    );
    let token = answer.access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["sub"], w.bob.id.as_str());
    assert_eq!(claims["act"], json!({ "sub": w.alice.id }));
    assert_eq!(claims["client_id"], w.web.id.as_str());
    assert_eq!(claims["scope"], "read:docs write:docs");
    // The customizer ran for the impersonated user.
    assert_eq!(claims["roles"], json!(["editor"]));

    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let me = get_with(&base, "/me", &token).await.ok();
    assert_eq!(me["sub"], w.bob.id.as_str());
    assert_eq!(me["actorSub"], w.alice.id.as_str());
    assert_eq!(me["actor"]["sub"], w.alice.id.as_str());
    get_with(&base, "/user", &token).await.ok();
    let info = state(&w.logto.endpoint, API)
        .validate(&token)
        .await
        .unwrap();
    let act = info.actor().expect("act");
    assert_eq!(act.sub(), w.alice.id);
    assert_eq!(act.client_id(), None);
    assert!(act.actor().is_none());
}

#[tokio::test]
async fn impersonation_without_an_actor_has_no_act() {
    let Some(w) = world() else { return };
    let subject = subject_token(w, &w.bob).await;
    let token = token_exchange(
        w.logto,
        &w.web,
        &[
            ("subject_token", &subject),
            ("subject_token_type", IMPERSONATION_TOKEN_TYPE),
            ("resource", API),
            ("scope", "read:docs"),
        ],
    )
    .await
    .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["sub"], w.bob.id.as_str());
    assert!(claims.get("act").is_none(), "{claims}");
    let info = state(&w.logto.endpoint, API)
        .validate(&token)
        .await
        .unwrap();
    assert!(info.actor().is_none());
}

#[tokio::test]
async fn a_subject_token_is_single_use() {
    let Some(w) = world() else { return };
    let subject = subject_token(w, &w.carol).await;
    let form = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", IMPERSONATION_TOKEN_TYPE),
        ("resource", API),
    ];
    token_exchange(w.logto, &w.web, &form).await.access_token();
    let again = token_exchange(w.logto, &w.web, &form).await;
    assert_eq!(again.error(), "invalid_grant", "{}", redact(&again.body));
}

#[tokio::test]
async fn access_token_exchange_gives_the_exchanging_applications_client_id() {
    let Some(w) = world() else { return };
    let agent = application(w, "agent", true).await;
    let user = w.sign_in(&w.bob).await;
    // Exchanged by another application than the one bob signed in to.
    let token = token_exchange(
        w.logto,
        &agent,
        &[
            ("subject_token", &user.access_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("resource", API),
            ("scope", "read:docs"),
        ],
    )
    .await
    .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["sub"], w.bob.id.as_str());
    assert_eq!(claims["client_id"], agent.id.as_str());
    assert_ne!(
        claims["client_id"],
        decode(&user.access_token, 1)["client_id"]
    );
    assert!(
        claims.get("act").is_none(),
        "no actor token, no act: {claims}"
    );
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let me = get_with(&base, "/docs", &token).await.ok();
    assert_eq!(me["clientId"], agent.id.as_str());
    assert!(me.get("actor").is_none(), "{me}");
}

#[tokio::test]
async fn access_token_exchange_with_an_actor_token_carries_act() {
    let Some(w) = world() else { return };
    let user = w.sign_in(&w.bob).await;
    let actor = actor_token(w, &w.alice).await;
    let token = token_exchange(
        w.logto,
        &w.web,
        &[
            ("subject_token", &user.access_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("actor_token", &actor),
            ("actor_token_type", ACCESS_TOKEN_TYPE),
            ("resource", API),
            ("scope", "read:docs"),
        ],
    )
    .await
    .access_token();
    let claims = decode(&token, 1);
    assert_eq!(claims["sub"], w.bob.id.as_str());
    assert_eq!(claims["act"], json!({ "sub": w.alice.id }));
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    let me = get_with(&base, "/me", &token).await.ok();
    assert_eq!(me["actorSub"], w.alice.id.as_str());
}

#[tokio::test]
async fn logto_refuses_exchange_for_an_application_not_allowed_to() {
    let Some(w) = world() else { return };
    let closed = application(w, "closed", false).await;
    let user = w.sign_in(&w.bob).await;
    let answer = token_exchange(
        w.logto,
        &closed,
        &[
            ("subject_token", &user.access_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("resource", API),
        ],
    )
    .await;
    assert_eq!(
        answer.error(),
        "invalid_request",
        "{}",
        redact(&answer.body)
    );
}

#[tokio::test]
async fn logto_takes_only_an_opaque_actor_token() {
    let Some(w) = world() else { return };
    let user = w.sign_in(&w.bob).await;
    let jwt_actor = w.sign_in(&w.alice).await.access_token;
    let answer = token_exchange(
        w.logto,
        &w.web,
        &[
            ("subject_token", &user.access_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("actor_token", &jwt_actor),
            ("actor_token_type", ACCESS_TOKEN_TYPE),
            ("resource", API),
        ],
    )
    .await;
    assert_eq!(answer.error(), "invalid_grant", "{}", redact(&answer.body));
    // Without `resource` the exchange succeeds with an opaque token, which the API refuses.
    let opaque = token_exchange(
        w.logto,
        &w.web,
        &[
            ("subject_token", &user.access_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
        ],
    )
    .await
    .access_token();
    assert!(!opaque.contains('.'));
    let base = api::serve(state(&w.logto.endpoint, API)).await;
    get_with(&base, "/me", &opaque)
        .await
        .refused(401, "invalid_token");
}

fn redact(body: &Value) -> Value {
    let mut body = body.clone();
    for key in ["access_token", "refresh_token", "id_token"] {
        if body.get(key).is_some() {
            body[key] = json!("<redacted>");
        }
    }
    body
}
