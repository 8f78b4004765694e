//! OpenAPI (features `aide`, `utoipa`): the demo's document, generated from its handlers, checked
//! by tools no one here wrote (openapi-spec-validator, schemathesis) and against the server
//! itself (every operation's scopes are exactly what it enforces), over real HTTP on loopback
//! with real tokens; the README's route table against the document the demo binary serves;
//! aide's corner cases; a utoipa document with `LogtoScheme` and `SecurityCheck`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aide::axum::ApiRouter;
use aide::axum::routing::{get, post};
use aide::openapi::OpenApi;
use axum::extract::Path;
use axum_logto::openapi::{ApiRouterExt as _, LogtoScheme, SchemeKind};
use axum_logto::testing::TestIssuer;
use axum_logto::{
    AnyOf, Auth, LogtoLayer, LogtoState, OrgApiToken, OrgFromHeader, OrgFromPath, OrgToken,
    RequireScopes, ResourceMetadata, scopes,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{KillOnDrop, demo_binary, python, serve};
use crate::demo_app as app;

/// The organization the tests' organization tokens are for, and every path parameter's value.
const ORG: &str = "acme";

/// The demo's router behind a real listener, with its protected-resource metadata.
async fn demo() -> (TestIssuer, String) {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(app::DEMO_AUDIENCE)
        .resource_metadata(
            ResourceMetadata::new("https://demo.example.com").scopes_supported(app::DEMO_SCOPES),
        )
        .build()
        .unwrap();
    let base = serve(app::router(state)).await;
    (issuer, base)
}

async fn document(base: &str) -> Value {
    reqwest::get(format!("{base}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The kinds of token a route may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Machine,
    Admin,
    Org,
    OrgApi,
}

const KINDS: [Kind; 5] = [
    Kind::User,
    Kind::Machine,
    Kind::Admin,
    Kind::Org,
    Kind::OrgApi,
];

fn token(issuer: &TestIssuer, kind: Kind, scopes: &[&str]) -> String {
    let token = issuer
        .token()
        .sub("u1")
        .audience(app::DEMO_AUDIENCE)
        .scopes(scopes.iter().copied());
    match kind {
        Kind::User => token,
        Kind::Machine => token.sub("m1").client_id("m1"),
        Kind::Admin => token.claim("roles", json!(["admin"])),
        Kind::Org => token.org_audience(ORG),
        Kind::OrgApi => token.org_id(ORG),
    }
    .sign()
}

/// One operation of a document.
struct Operation {
    method: String,
    path: String,
    spec: Value,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    /// The path with every parameter filled in.
    fn url(&self, base: &str) -> String {
        let mut path = self.path.clone();
        while let Some(start) = path.find('{') {
            let end = path[start..].find('}').unwrap() + start;
            path.replace_range(start..=end, ORG);
        }
        format!("{base}{path}")
    }

    /// The alternatives of scheme `logto` and whether `{}` is one, or `None` without.
    fn security(&self) -> Option<(Vec<Vec<String>>, bool)> {
        let requirements = self.spec.get("security")?.as_array()?;
        let alternatives: Vec<Vec<String>> = requirements
            .iter()
            .filter_map(|r| r.get("logto"))
            .map(|scopes| serde_json::from_value(scopes.clone()).unwrap())
            .collect();
        let optional = requirements.iter().any(|r| r == &json!({}));
        Some((alternatives, optional))
    }

    async fn send(&self, base: &str, headers: &[(&str, String)]) -> reqwest::Response {
        let method = Method::from_bytes(self.method.to_uppercase().as_bytes()).unwrap();
        let mut request = reqwest::Client::new().request(method, self.url(base));
        // Header parameters (an organization header): the organization.
        for parameter in self.spec["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "header" {
                request = request.header(parameter["name"].as_str().unwrap(), ORG);
            }
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap()
    }

    async fn status(&self, base: &str, token: Option<&str>) -> u16 {
        let headers: Vec<(&str, String)> = token
            .map(|token| ("authorization", format!("Bearer {token}")))
            .into_iter()
            .collect();
        self.send(base, &headers).await.status().as_u16()
    }
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, spec) in item.as_object().unwrap() {
            all.push(Operation {
                method: method.clone(),
                path: path.clone(),
                spec: spec.clone(),
            });
        }
    }
    all
}

#[tokio::test]
async fn every_operation_enforces_exactly_the_scopes_it_documents() {
    let (issuer, base) = demo().await;
    let document = document(&base).await;
    let mut secured = 0;
    for operation in operations(&document) {
        let name = operation.name();
        let Some((alternatives, optional)) = operation.security() else {
            // Documented without the scheme: no bearer token is asked for (a route may still
            // refuse for its own reasons, a webhook without its signature, say).
            let answer = operation.send(&base, &[]).await;
            let challenge = answer.headers().get("www-authenticate");
            assert!(
                !challenge.is_some_and(|c| c.as_bytes().starts_with(b"Bearer")),
                "{name} is documented without the scheme, but asks for a bearer token"
            );
            continue;
        };
        secured += 1;
        assert!(!alternatives.is_empty(), "{name}: no requirement of logto");
        let without = operation.status(&base, None).await;
        match optional {
            true => assert!((200..300).contains(&without), "{name}, no token: {without}"),
            false => assert_eq!(without, 401, "{name}, no token"),
        }
        // The kind of token the route takes: the one that passes with all the scopes of the
        // first alternative (the document says which scopes, not which token).
        let full: Vec<&str> = alternatives[0].iter().map(String::as_str).collect();
        let mut kinds = Vec::new();
        for kind in KINDS {
            let status = operation
                .status(&base, Some(&token(&issuer, kind, &full)))
                .await;
            if (200..300).contains(&status) {
                kinds.push(kind);
            }
        }
        assert!(
            !kinds.is_empty(),
            "{name}: no kind of token passes with the scopes {full:?}: a new kind of route? \
             Add a kind to this test"
        );
        for kind in kinds {
            for alternative in &alternatives {
                let scopes: Vec<&str> = alternative.iter().map(String::as_str).collect();
                let status = operation
                    .status(&base, Some(&token(&issuer, kind, &scopes)))
                    .await;
                assert!(
                    (200..300).contains(&status),
                    "{name}: a {kind:?} token with exactly {scopes:?} gets {status}"
                );
                for missing in &scopes {
                    let fewer: Vec<&str> =
                        scopes.iter().copied().filter(|s| s != missing).collect();
                    let status = operation
                        .status(&base, Some(&token(&issuer, kind, &fewer)))
                        .await;
                    assert_eq!(
                        status, 403,
                        "{name}: a {kind:?} token without {missing} (with {fewer:?})"
                    );
                }
            }
        }
    }
    assert!(secured >= 11, "{secured} secured operations");
}

/// What a refusal must look like, by the document: a documented status, the `AuthError`
/// body, and the documented headers.
fn assert_documented(
    name: &str,
    spec: &Value,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) {
    let documented = &spec["responses"][status.to_string()];
    assert!(documented.is_object(), "{name}: {status} is not documented");
    assert_eq!(
        headers["content-type"], "application/json",
        "{name}: {status}'s content type"
    );
    let body: Value = serde_json::from_str(body).unwrap();
    let codes = [
        "invalid_request",
        "unauthorized",
        "invalid_token",
        "insufficient_scope",
        "server_error",
        "temporarily_unavailable",
    ];
    assert!(
        codes.contains(&body["error"].as_str().unwrap()),
        "{name}: {body}"
    );
    assert!(body["error_description"].is_string(), "{name}: {body}");
    for (header, spec) in documented["headers"].as_object().unwrap() {
        if spec["required"] == true {
            assert!(
                headers.contains_key(header.as_str()),
                "{name}: {status} without {header}"
            );
        }
    }
}

#[tokio::test]
async fn refusals_are_answered_as_the_document_says() {
    let (issuer, base) = demo().await;
    let document = document(&base).await;
    let schema = &document["components"]["schemas"]["AuthError"];
    assert_eq!(schema["required"], json!(["error", "error_description"]));
    for operation in operations(&document) {
        if operation.security().is_none() {
            continue;
        }
        let name = operation.name();
        let good = format!("Bearer {}", token(&issuer, Kind::User, &[]));
        let cases: Vec<(Vec<(&str, String)>, u16)> = vec![
            // The token twice: 400 invalid_request.
            (
                vec![("authorization", good.clone()), ("authorization", good)],
                400,
            ),
            (vec![("authorization", "Bearer a.b.c".to_owned())], 401),
        ];
        for (headers, status) in cases {
            let answer = operation.send(&base, &headers).await;
            assert_eq!(answer.status().as_u16(), status, "{name}");
            let headers = answer.headers().clone();
            let body = answer.text().await.unwrap();
            assert_documented(&name, &operation.spec, status, &headers, &body);
        }
        // A token of no kind a route takes with the scopes of none: 401 or 403.
        let wrong = token(&issuer, Kind::OrgApi, &[]);
        let answer = operation
            .send(&base, &[("authorization", format!("Bearer {wrong}"))])
            .await;
        let status = answer.status().as_u16();
        if status >= 400 {
            let headers = answer.headers().clone();
            let body = answer.text().await.unwrap();
            assert_documented(&name, &operation.spec, status, &headers, &body);
        }
    }
}

/// Runs schemathesis against `base` with `token`, every check; panics with its report when
/// a response is not as documented.
fn schemathesis(bin: &std::path::Path, base: &str, name: &str, token: Option<&str>) {
    let mut command = Command::new(bin.join("schemathesis"));
    command
        .args(["run", &format!("{base}/openapi.json"), "--checks", "all"])
        .args(["--no-color", "--max-examples", "25", "--seed", "1"])
        // Its cache (`.schemathesis/`) goes beside the test's other files.
        .current_dir(python::scratch(name));
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command.output().expect("run schemathesis");
    assert!(
        output.status.success(),
        "schemathesis ({name}) found answers the document does not describe:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_document_passes_openapi_spec_validator_and_schemathesis() {
    let Some(bin) = python::tools() else { return };
    let (issuer, base) = demo().await;
    python::validate(bin, "demo", &document(&base).await);
    // A token that passes every global route (a machine's, with the admin role and every
    // scope), an organization token, an organization-level API token, a bad token, none.
    let all = app::DEMO_SCOPES;
    let tokens = [
        ("machine-admin", Some(token(&issuer, Kind::Machine, all))),
        ("org", Some(token(&issuer, Kind::Org, all))),
        ("org-api", Some(token(&issuer, Kind::OrgApi, all))),
        (
            "expired",
            Some(
                issuer
                    .token()
                    .audience(app::DEMO_AUDIENCE)
                    .expires_in(-3600)
                    .sign(),
            ),
        ),
        ("none", None),
    ];
    let runs: Vec<_> = tokens
        .into_iter()
        .map(|(name, token)| {
            let (bin, base) = (bin.to_owned(), base.clone());
            tokio::task::spawn_blocking(move || {
                schemathesis(
                    &bin,
                    &base,
                    &format!("schemathesis-{name}"),
                    token.as_deref(),
                );
            })
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
}

/// The README's table "The demo routes", as `METHOD path`.
fn readme_routes() -> BTreeSet<String> {
    let readme = include_str!("../../README.md");
    let table = readme
        .split("## The demo routes")
        .nth(1)
        .expect("the README has \"The demo routes\"");
    table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cell = line.split('|').nth(1)?.trim();
            let route = cell.strip_prefix('`')?.strip_suffix('`')?;
            route.contains(' ').then(|| route.to_owned())
        })
        .collect()
}

#[test]
fn the_demo_binary_documents_every_route_of_the_readme() {
    let mut child = Command::new(demo_binary())
        .env("BIND", "127.0.0.1:0")
        .env_remove("LOGTO_ENDPOINT")
        .env_remove("LOGTO_AUDIENCE")
        .env_remove("LOGTO_ADDITIONAL_ISSUERS")
        .env_remove("REDIS_URL")
        // Every route of the table is on: the webhook with a signing key, the upstream
        // calls with an application.
        .env(
            "LOGTO_WEBHOOK_SIGNING_KEY",
            "a-signing-key-for-the-route-table",
        )
        .env("LOGTO_APP_ID", "demo-app")
        .env("LOGTO_APP_SECRET", "demo-secret")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);
    let base = BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned))
        .expect("the demo prints `listening on http://<addr>`");
    let output = Command::new("curl")
        .args(["-s", "--max-time", "10", &format!("{base}/openapi.json")])
        .output()
        .expect("run curl");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    let documented: BTreeSet<String> = operations(&document).iter().map(Operation::name).collect();
    let listed = readme_routes();
    assert!(listed.len() >= 14, "{listed:?}");
    assert_eq!(
        documented, listed,
        "the routes the demo documents (left) and the README's table (right)"
    );
    if let Some(bin) = python::tools() {
        python::validate(bin, "demo-binary", &document);
    }
}

scopes! {
    pub(crate) const EDGE_SCOPES: &[ScopeDoc];
    /// Read.
    pub(crate) Read = "read";
    /// Write.
    pub(crate) Write = "write";
    pub(crate) Admin = "admin";
}

/// A `Path<T>` that documents `org_id` too, before the organization extractor.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct OrgPath {
    #[allow(dead_code)]
    org_id: String,
}

async fn ok() -> &'static str {
    "ok"
}

#[tokio::test]
async fn aide_corner_cases_make_a_valid_document() {
    async fn optional_org(
        _: Path<OrgPath>,
        _: Option<OrgToken<OrgFromPath, Read>>,
    ) -> &'static str {
        "ok"
    }
    async fn header_org(_: OrgApiToken<OrgFromHeader, (Read, Write)>) -> &'static str {
        "ok"
    }
    async fn both(
        _: Option<Auth>,
        _: RequireScopes<AnyOf<(Write, Admin)>>,
        _: RequireScopes<Read>,
    ) -> &'static str {
        "ok"
    }
    async fn maybe(_: Option<RequireScopes<Read>>, _: Option<Auth>) -> &'static str {
        "ok"
    }
    let issuer = TestIssuer::start().await;
    let logto: LogtoState = issuer.state_builder(app::DEMO_AUDIENCE).build().unwrap();
    let mut api = OpenApi::default();
    let _app: axum::Router = ApiRouter::new()
        .api_route("/orgs/{org_id}/optional", get(optional_org))
        .api_route("/header", post(header_org))
        .api_route("/both", get(both))
        .api_route("/maybe", get(maybe))
        .nest(
            "/layered",
            ApiRouter::new()
                .api_route("/any", get(ok))
                .logto_route_layer(
                    LogtoLayer::new(logto.clone())
                        .optional()
                        .require_scopes::<Admin>(),
                ),
        )
        .finish_api(&mut api)
        .with_state(logto.clone());
    let scheme = LogtoScheme::new(&logto).name("tenant").scopes(EDGE_SCOPES);
    scheme.finish_aide(&mut api);
    // Once more changes nothing.
    let once = serde_json::to_value(&api).unwrap();
    scheme.finish_aide(&mut api);
    let document = serde_json::to_value(&api).unwrap();
    assert_eq!(document, once);

    let op = |path: &str, method: &str| document["paths"][path][method].clone();
    let optional = op("/orgs/{org_id}/optional", "get");
    assert_eq!(optional["security"], json!([{"tenant": ["read"]}, {}]));
    assert_eq!(
        optional["parameters"].as_array().unwrap().len(),
        1,
        "{optional}"
    );
    assert_eq!(optional["parameters"][0]["required"], true);
    let header = op("/header", "post");
    assert_eq!(header["security"], json!([{"tenant": ["read", "write"]}]));
    assert_eq!(header["parameters"][0]["in"], "header");
    assert_eq!(header["parameters"][0]["name"], "x-organization-id");
    assert_eq!(
        op("/both", "get")["security"],
        json!([{"tenant": ["write", "read"]}, {"tenant": ["admin", "read"]}])
    );
    assert_eq!(
        op("/maybe", "get")["security"],
        json!([{"tenant": ["read"]}, {}])
    );
    assert_eq!(
        op("/layered/any", "get")["security"],
        json!([{"tenant": ["admin"]}, {}])
    );
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, spec) in item.as_object().unwrap() {
            assert!(
                spec.get("x-axum-logto").is_none(),
                "{method} {path}: notes left"
            );
            for status in ["400", "401", "403", "503"] {
                assert!(
                    spec["responses"][status].is_object(),
                    "{method} {path}: {status}"
                );
            }
        }
    }
    let scopes = &document["components"]["securitySchemes"]["tenant"]["flows"]["clientCredentials"]
        ["scopes"];
    assert_eq!(
        scopes,
        &json!({"read": "Read.", "write": "Write.", "admin": ""})
    );
    if let Some(bin) = python::tools() {
        python::validate(bin, "aide-corner-cases", &document);
    }

    // The other kinds of scheme.
    for (kind, expected) in [
        (SchemeKind::OpenIdConnect, "openIdConnect"),
        (SchemeKind::Bearer, "http"),
    ] {
        let mut api = api.clone();
        LogtoScheme::new(&logto)
            .name("tenant")
            .kind(kind)
            .finish_aide(&mut api);
        let document = serde_json::to_value(&api).unwrap();
        let scheme = &document["components"]["securitySchemes"]["tenant"];
        assert_eq!(scheme["type"], expected);
        if kind == SchemeKind::OpenIdConnect {
            assert_eq!(
                scheme["openIdConnectUrl"],
                format!("{}/.well-known/openid-configuration", logto.issuer())
            );
        }
        if let Some(bin) = python::tools() {
            python::validate(bin, &format!("aide-{expected}"), &document);
        }
    }
}

#[cfg(feature = "utoipa")]
#[allow(dead_code)] // documented, not routed
mod annotated {
    //! A utoipa-documented API: annotations that name the scope markers.

    use super::{Admin, Read, Write};
    use axum_logto::{AnyOf, Auth, OrgFromPath, OrgToken, RequireScopes};

    #[utoipa::path(get, path = "/docs", security(("logto" = [Read])),
        responses((status = 200, description = "The documents")))]
    pub(super) async fn list(_: RequireScopes<Read>) {}

    #[utoipa::path(post, path = "/docs", security(("logto" = [Read, Write])),
        responses((status = 200, description = "Created")))]
    pub(super) async fn create(_: RequireScopes<(Read, Write)>) {}

    #[utoipa::path(delete, path = "/docs/{id}", params(("id" = String, Path)),
        security(("logto" = [Admin]), ("logto" = [Write])),
        responses((status = 200, description = "Deleted")))]
    pub(super) async fn remove(_: RequireScopes<AnyOf<(Write, Admin)>>) {}

    #[utoipa::path(get, path = "/maybe", security(("logto" = []), ()),
        responses((status = 200, description = "Maybe")))]
    pub(super) async fn maybe(_: Option<Auth>) {}

    #[utoipa::path(get, path = "/orgs/{org_id}/members", params(("org_id" = String, Path)),
        security(("logto" = [Read])), responses((status = 200, description = "Members")))]
    pub(super) async fn members(_: OrgToken<OrgFromPath, Read>) {}

    // Drifted: the handler needs write too.
    #[utoipa::path(put, path = "/docs", security(("logto" = [Read])),
        responses((status = 200, description = "Replaced")))]
    pub(super) async fn replace(_: RequireScopes<(Read, Write)>) {}

    #[utoipa::path(get, path = "/public", responses((status = 200, description = "Public")))]
    pub(super) async fn public() {}

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, remove, maybe, members, replace, public))]
    pub(super) struct ApiDoc;
}

#[cfg(feature = "utoipa")]
#[tokio::test]
async fn utoipa_annotations_are_checked_against_the_extractors() {
    use axum_logto::Scope as _;
    use axum_logto::openapi::{Security, SecurityCheck};
    use utoipa::{Modify as _, OpenApi as _};

    let issuer = TestIssuer::start().await;
    let logto: LogtoState = issuer.state_builder(app::DEMO_AUDIENCE).build().unwrap();
    let mut doc = annotated::ApiDoc::openapi();
    LogtoScheme::new(&logto)
        .scopes(EDGE_SCOPES)
        .modify(&mut doc);

    let checked = || {
        SecurityCheck::new(&doc, "logto")
            .route::<RequireScopes<Read>>("GET", "/docs")
            .route::<RequireScopes<(Read, Write)>>("POST", "/docs")
            .route::<RequireScopes<AnyOf<(Write, Admin)>>>("DELETE", "/docs/{id}")
            .route::<Option<Auth>>("GET", "/maybe")
            .route::<OrgToken<OrgFromPath, Read>>("GET", "/orgs/{org_id}/members")
            .public("GET", "/public")
    };
    // The drifted annotation fails, naming the operation and both sides.
    let drift = checked()
        .route::<RequireScopes<(Read, Write)>>("PUT", "/docs")
        .check()
        .unwrap_err();
    assert_eq!(
        drift.problems(),
        ["PUT /docs: the document says [read], the route enforces [read, write]"],
        "{drift}"
    );
    // An operation the check does not list fails too.
    let unlisted = checked().check().unwrap_err();
    assert_eq!(
        unlisted.problems(),
        ["PUT /docs: names the scheme \"logto\", but the check does not list it"]
    );
    // A route behind a layer: the layer's requirement and the handler's (here what the
    // annotation says: a layer that needs a token, a handler that needs `read`).
    let layer = LogtoLayer::new(logto.clone());
    checked()
        .expect(
            "PUT",
            "/docs",
            Security::of_layer(&layer).and(&Security::scopes::<Read>()),
        )
        .check()
        .unwrap();

    let document = serde_json::to_value(&doc).unwrap();
    let list = &document["paths"]["/docs"]["get"];
    assert_eq!(list["security"], json!([{"logto": ["read"]}]));
    assert_eq!(
        list["responses"]["403"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/AuthError"
    );
    assert!(document["paths"]["/public"]["get"]["responses"]["401"].is_null());
    let scheme = &document["components"]["securitySchemes"]["logto"];
    assert_eq!(
        scheme["flows"]["authorizationCode"]["scopes"]["read"],
        "Read."
    );
    assert_eq!(
        scheme["flows"]["authorizationCode"]["tokenUrl"],
        format!("{}/token", logto.issuer())
    );
    assert_eq!(Read::NAME, "read");
    if let Some(bin) = python::tools() {
        python::validate(bin, "utoipa", &document);
    }
    // The other kinds of scheme.
    for (kind, expected) in [
        (SchemeKind::OpenIdConnect, "openIdConnect"),
        (SchemeKind::Bearer, "http"),
    ] {
        let mut doc = annotated::ApiDoc::openapi();
        LogtoScheme::new(&logto).kind(kind).modify(&mut doc);
        let document = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            document["components"]["securitySchemes"]["logto"]["type"],
            expected
        );
        if let Some(bin) = python::tools() {
            python::validate(bin, &format!("utoipa-{expected}"), &document);
        }
    }
}
