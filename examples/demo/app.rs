//! The demo API's routes, shared by `examples/demo/main.rs` and the tests that drive it.
//!
//! The routes are aide's: each handler's extractors document its security, and the router
//! serves the OpenAPI document at `GET /openapi.json`. A route is one `api_route` line.

use std::sync::Arc;

use aide::axum::ApiRouter;
use aide::axum::routing::{delete, get, post};
use aide::openapi::{Info, OpenApi, Operation};
use axum::extract::Path;
use axum::http::header::CONTENT_TYPE;
use axum::{Extension, Json, Router};
use axum_logto::openapi::{ApiRouterExt as _, LogtoScheme};
use axum_logto::{
    AnyOf, Auth, AuthInfo, ClaimCheck, LogtoLayer, LogtoState, MachineOnly, OrgApiToken,
    OrgFromPath, OrgToken, RequireCheck, RequireScopes, scopes,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

scopes! {
    /// Every scope the demo's routes use, for its protected-resource metadata.
    pub(crate) const DEMO_SCOPES;
    /// The same, with their descriptions, for its OpenAPI security scheme.
    pub(crate) const DEMO_SCOPE_DOCS: &[ScopeDoc];
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

/// Every route of the demo, as listed in the README, and its OpenAPI document.
#[allow(dead_code)] // the tests' router; the binary adds `GET /metrics` with `router_with`
pub(crate) fn router(logto: LogtoState) -> Router {
    router_with(logto, ApiRouter::new())
}

/// The demo's routes and `more` (the binary's `GET /metrics`), with the OpenAPI document of
/// them all at `GET /openapi.json`.
pub(crate) fn router_with(logto: LogtoState, more: ApiRouter<LogtoState>) -> Router {
    let routes = ApiRouter::new()
        .api_route("/public", get(public))
        .api_route("/me", get(me))
        .api_route("/maybe", get(maybe))
        .api_route("/docs", get(list_docs).post(create_doc))
        .api_route("/docs/{id}", delete(delete_doc))
        .api_route("/orgs/{org_id}/members", get(members))
        .api_route("/orgs/{org_id}/invitations", post(invite))
        .api_route("/orgs/{org_id}/reports", get(reports))
        .api_route("/admin/stats", get(admin_stats))
        .api_route("/machine/jobs", get(machine_jobs))
        // Every route of /v1 needs a valid token for this API, checked once by the layer
        // (and documented by it).
        .nest(
            "/v1",
            ApiRouter::new()
                .api_route("/status", get(v1_status))
                .logto_layer(LogtoLayer::new(logto.clone())),
        )
        .merge(more);
    let routes = routes.api_route_docs(
        "/openapi.json",
        aide::axum::routing::ApiMethodDocs::new("get", json_docs("This OpenAPI document.")),
    );
    let routes = match logto.resource_metadata_url() {
        Some(_) => routes
            .merge(logto.resource_metadata_router())
            .api_route_docs(
                "/.well-known/oauth-protected-resource",
                aide::axum::routing::ApiMethodDocs::new(
                "get",
                json_docs(
                    "OAuth 2.0 protected-resource metadata (RFC 9728), named in every 401 and 403 challenge.",
                ),
            ),
            ),
        None => routes,
    };

    let mut api = OpenApi {
        info: Info {
            title: "axum-logto demo".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ..Info::default()
        },
        ..OpenApi::default()
    };
    let app = routes.finish_api(&mut api);
    LogtoScheme::new(&logto)
        .scopes(DEMO_SCOPE_DOCS)
        .finish_aide(&mut api);
    // Serialized once: every request answers the same bytes.
    let document: Arc<str> = serde_json::to_string_pretty(&api)
        .expect("an OpenAPI document serializes")
        .into();
    app.route(
        "/openapi.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { ([(CONTENT_TYPE, "application/json")], document.to_string()) }
        }),
    )
    .with_state(logto)
}

/// A `GET` that answers a JSON object: the routes served outside aide's handlers.
fn json_docs(description: &str) -> Operation {
    serde_json::from_value(json!({
        "description": description,
        "responses": {
            "200": {
                "description": "A JSON object.",
                "content": { "application/json": { "schema": { "type": "object" } } },
            },
        },
    }))
    .expect("an operation")
}

/// The document id of `DELETE /docs/{id}`.
#[derive(Deserialize, JsonSchema)]
pub(crate) struct DocId {
    /// The document to delete.
    #[schemars(length(min = 1))]
    id: String,
}

async fn public() -> Json<Value> {
    Json(json!({ "public": true }))
}

async fn me(auth: Auth) -> Json<Value> {
    Json(serde_json::to_value(auth.info()).unwrap_or_default())
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
    Path(DocId { id }): Path<DocId>,
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
