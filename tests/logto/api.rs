//! The suite's own API: every extractor of the crate on one router, answering what it saw, so
//! that the tests check statuses, challenges and `AuthInfo` fields over real HTTP.

use axum::extract::Path;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use axum_logto::{
    AnyOf, AnyOrg, Auth, AuthInfo, ClaimCheck, LogtoLayer, LogtoState, MachineOnly, OrgApiToken,
    OrgFromHeader, OrgFromPath, OrgToken, RequireCheck, RequireScopes, UserOnly, scopes,
};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

scopes! {
    /// Read documents.
    pub ReadDocs = "read:docs";
    /// Create documents.
    pub WriteDocs = "write:docs";
    /// Delete documents.
    pub DeleteDocs = "delete:docs";
    /// Anything.
    pub Admin = "admin";
    /// An organization's reports (organization-level API resource scope).
    pub ReadReports = "read:reports";
    /// See an organization's members (organization scope).
    pub ReadMembers = "read:members";
    /// Invite members (organization scope).
    pub InviteMembers = "invite:members";
    /// The Management API's only scope.
    pub All = "all";
}

/// The claims the JWT customizer adds (`world::USER_CLAIMS_SCRIPT`, `M2M_CLAIMS_SCRIPT`).
#[derive(Debug, Deserialize)]
pub(crate) struct Roles {
    #[serde(default)]
    pub(crate) roles: Vec<String>,
    #[serde(default)]
    pub(crate) e2e_level: Option<u32>,
}

/// The README's recipe: `roles` contains `admin`.
pub(crate) struct IsAdmin;

impl ClaimCheck for IsAdmin {
    type Claims = Roles;
    const DESCRIPTION: &'static str = "the access token lacks the admin role";

    fn check(_: &AuthInfo, claims: &Roles) -> bool {
        claims.roles.iter().any(|role| role == "admin")
    }
}

/// The customizer's `e2e_level` (a number) read as a string: every token that has it is 401.
#[derive(Debug, Deserialize)]
pub(crate) struct LevelAsText {
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) e2e_level: Option<String>,
}

/// What a handler answers: the caller as `AuthInfo` serializes it, plus what the route adds.
fn seen(info: &AuthInfo, extra: Value) -> Json<Value> {
    let mut body = serde_json::to_value(info).unwrap();
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    if let Some(actor) = info.actor() {
        body["actorSub"] = json!(actor.sub());
    }
    Json(body)
}

pub(crate) fn router(logto: LogtoState) -> Router {
    Router::new()
        .route("/me", get(|auth: Auth| async move { seen(&auth, json!({})) }))
        .route(
            "/maybe",
            get(|auth: Option<Auth>| async move {
                Json(json!({ "authenticated": auth.is_some() }))
            }),
        )
        .route(
            "/docs",
            get(|auth: RequireScopes<ReadDocs>| async move { seen(&auth, json!({"route": "list"})) })
                .post(|auth: RequireScopes<(ReadDocs, WriteDocs)>| async move {
                    seen(&auth, json!({ "route": "create" }))
                }),
        )
        .route(
            "/docs/{id}",
            delete(
                |auth: RequireScopes<AnyOf<(DeleteDocs, Admin)>>, Path(id): Path<String>| async move {
                    seen(&auth, json!({ "deleted": id }))
                },
            ),
        )
        .route(
            "/machine",
            get(|auth: RequireCheck<MachineOnly>| async move { seen(&auth, json!({})) }),
        )
        .route(
            "/user",
            get(|auth: RequireCheck<UserOnly>| async move { seen(&auth, json!({})) }),
        )
        .route(
            "/roles",
            get(|auth: Auth<Roles>| async move {
                seen(&auth, json!({ "roles": auth.custom().roles, "level": auth.custom().e2e_level }))
            }),
        )
        .route(
            "/level-as-text",
            get(|auth: Auth<LevelAsText>| async move { seen(&auth, json!({})) }),
        )
        .route(
            "/admin",
            get(|auth: RequireCheck<IsAdmin>| async move {
                seen(&auth, json!({ "roles": auth.custom().roles }))
            }),
        )
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath, ReadMembers>| async move {
                seen(&org, json!({ "org": org.org_id() }))
            }),
        )
        .route(
            "/orgs/{org_id}/invitations",
            post(|org: OrgToken<OrgFromPath, InviteMembers>| async move {
                seen(&org, json!({ "org": org.org_id() }))
            }),
        )
        .route(
            "/orgs/{org_id}/reports",
            get(|org: OrgApiToken<OrgFromPath, ReadReports>| async move {
                seen(&org, json!({ "org": org.org_id() }))
            }),
        )
        .route(
            "/org-by-header/reports",
            get(|org: OrgApiToken<OrgFromHeader, ReadReports>| async move {
                seen(&org, json!({ "org": org.org_id() }))
            }),
        )
        .route(
            "/any-org",
            get(|org: OrgToken<AnyOrg>| async move { seen(&org, json!({ "org": org.org_id() })) }),
        )
        .route(
            "/management",
            get(|auth: RequireScopes<All>| async move { seen(&auth, json!({})) }),
        )
        .nest(
            "/v1",
            Router::new()
                .route(
                    "/status",
                    get(|Extension(auth): Extension<AuthInfo>| async move {
                        seen(&auth, json!({ "layer": true }))
                    }),
                )
                .layer(LogtoLayer::new(logto.clone())),
        )
        .nest(
            "/v2",
            Router::new()
                .route(
                    "/write",
                    get(|Extension(auth): Extension<AuthInfo>| async move {
                        seen(&auth, json!({ "layer": true }))
                    }),
                )
                .layer(LogtoLayer::new(logto.clone()).require_scopes::<WriteDocs>()),
        )
        .with_state(logto)
}

/// Serves `router(logto)` on a free loopback port: `http://127.0.0.1:<port>`.
pub(crate) async fn serve(logto: LogtoState) -> String {
    serve_router(router(logto)).await
}

/// Serves `app` on a free loopback port.
pub(crate) async fn serve_router(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// What a request to the API got back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) challenge: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub(crate) fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        self.body
    }

    /// Asserts a refusal: its status, `error` code and the challenge's `error` parameter.
    #[track_caller]
    pub(crate) fn refused(&self, status: u16, error: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.body["error"], error, "{self:?}");
        if status == 401 || status == 403 {
            let challenge = self.challenge.as_deref().unwrap_or_default();
            assert!(challenge.starts_with("Bearer realm=\""), "{self:?}");
            assert!(
                challenge.contains(&format!("error=\"{error}\"")),
                "{self:?}"
            );
        }
    }
}

/// `method base+path` with the bearer `token` and `headers`; 10 s at most.
pub(crate) async fn send(
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .timeout(std::time::Duration::from_secs(10));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (challenge, retry_after) = (header("www-authenticate"), header("retry-after"));
    let status = response.status();
    let text = response.text().await.unwrap();
    Answer {
        status,
        challenge,
        retry_after,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// `GET base+path` with the bearer `token`.
pub(crate) async fn get_with(base: &str, path: &str, token: &str) -> Answer {
    send(base, Method::GET, path, Some(token), &[]).await
}
