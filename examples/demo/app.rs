//! The demo API's routes, shared by `examples/demo/main.rs` and the tests that drive it.

use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use axum_logto::{
    AnyOf, Auth, AuthInfo, ClaimCheck, LogtoLayer, LogtoState, MachineOnly, OrgApiToken,
    OrgFromPath, OrgToken, RequireCheck, RequireScopes, scopes,
};
use serde::Deserialize;
use serde_json::{Value, json};

scopes! {
    /// Every scope the demo's routes use, for its protected-resource metadata.
    pub(crate) const DEMO_SCOPES;
    /// Read documents.
    pub ReadDocs = "read:docs";
    /// Create documents.
    pub WriteDocs = "write:docs";
    /// Delete documents.
    pub DeleteDocs = "delete:docs";
    /// Anything.
    pub Admin = "admin";
    /// Read an organization's reports (organization-level API resource).
    pub ReadReports = "read:reports";
    /// See an organization's members (organization permission).
    pub ReadMembers = "read:members";
    /// Invite members to an organization (organization permission).
    pub InviteMembers = "invite:members";
}

/// The custom claims the demo reads: `roles`, which a Logto "custom JWT" script adds to
/// access tokens (absent means none; any other JSON type than an array of strings is 401).
#[derive(Debug, Deserialize)]
pub(crate) struct Roles {
    #[serde(default)]
    pub(crate) roles: Vec<String>,
}

/// `roles` contains `admin`.
pub(crate) struct IsAdmin;

impl ClaimCheck for IsAdmin {
    type Claims = Roles;
    const DESCRIPTION: &'static str = "the access token lacks the admin role";

    fn check(_: &AuthInfo, claims: &Roles) -> bool {
        claims.roles.iter().any(|role| role == "admin")
    }
}

/// The API resource indicator the demo protects by default.
pub(crate) const DEMO_AUDIENCE: &str = "https://api.example.com";

/// Every route of the demo, as listed in the README.
pub(crate) fn router(logto: LogtoState) -> Router {
    Router::new()
        .route("/public", get(public))
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/docs", get(list_docs).post(create_doc))
        .route("/docs/{id}", delete(delete_doc))
        .route("/orgs/{org_id}/members", get(members))
        .route("/orgs/{org_id}/invitations", post(invite))
        .route("/orgs/{org_id}/reports", get(reports))
        .route("/admin/stats", get(admin_stats))
        .route("/machine/jobs", get(machine_jobs))
        // Every route of /v1 needs a valid token for this API, checked once by the layer.
        .nest(
            "/v1",
            Router::new()
                .route("/status", get(v1_status))
                .layer(LogtoLayer::new(logto.clone())),
        )
        .merge(logto.resource_metadata_router())
        .with_state(logto)
}

async fn public() -> Json<Value> {
    Json(json!({ "public": true }))
}

async fn me(auth: Auth) -> Json<AuthInfo> {
    Json(auth.into_info())
}

async fn v1_status(Extension(auth): Extension<AuthInfo>) -> Json<Value> {
    Json(json!({ "status": "ok", "sub": auth.sub() }))
}

async fn admin_stats(admin: RequireCheck<IsAdmin>) -> Json<Value> {
    Json(json!({ "requests": 42, "by": admin.sub(), "roles": admin.custom().roles }))
}

async fn machine_jobs(machine: RequireCheck<MachineOnly>) -> Json<Value> {
    Json(json!({ "jobs": ["nightly-export"], "application": machine.sub() }))
}

async fn maybe(auth: Option<Auth>) -> Json<Value> {
    Json(match auth {
        Some(auth) => json!({ "authenticated": true, "sub": auth.sub() }),
        None => json!({ "authenticated": false }),
    })
}

async fn list_docs(auth: RequireScopes<ReadDocs>) -> Json<Value> {
    Json(json!({ "docs": ["welcome.md"], "sub": auth.sub() }))
}

async fn create_doc(auth: RequireScopes<(ReadDocs, WriteDocs)>) -> Json<Value> {
    Json(json!({ "created": true, "by": auth.sub() }))
}

async fn delete_doc(
    auth: RequireScopes<AnyOf<(DeleteDocs, Admin)>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Json<Value> {
    Json(json!({ "deleted": id, "by": auth.sub() }))
}

async fn members(org: OrgToken<OrgFromPath, ReadMembers>) -> Json<Value> {
    Json(json!({ "organization": org.org_id(), "members": [org.sub()] }))
}

async fn invite(org: OrgToken<OrgFromPath, InviteMembers>) -> Json<Value> {
    Json(json!({ "organization": org.org_id(), "invited": true }))
}

async fn reports(token: OrgApiToken<OrgFromPath, ReadReports>) -> Json<Value> {
    Json(json!({ "organization": token.org_id(), "reports": ["q3.pdf"] }))
}
