//! Logto's Management API, as the console uses it: JSON helpers with a cached
//! machine-to-machine token, and helpers that create what the tests need (API resources and
//! scopes, roles, applications, users, organizations and their roles).
//!
//! Every helper panics with the status and Logto's answer when a call fails (never with the
//! token or a secret). The client keeps no idle connections, so one `Management` serves tests
//! running on different Tokio runtimes.
// The fixture serves the suites that later join this binary too: not every helper is used yet.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The Management API's resource indicator in Logto's OSS tenant `default`.
pub(crate) const MANAGEMENT_API: &str = "https://default.logto.app/api";

/// A client of one Logto instance's Management API.
pub(crate) struct Management {
    endpoint: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    http: reqwest::Client,
    /// The Management API token and when to fetch a new one.
    token: Mutex<Option<(String, Instant)>>,
}

/// An HTTP client that works from any Tokio runtime: no connection outlives a request.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// An API resource and its scopes.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) indicator: String,
    /// (name, id) of each scope.
    pub(crate) scopes: Vec<(String, String)>,
}

impl Resource {
    /// The id of the scope `name`.
    pub(crate) fn scope(&self, name: &str) -> String {
        self.scopes
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{} has no scope {name}", self.indicator))
            .1
            .clone()
    }

    /// The ids of the scopes `names`.
    pub(crate) fn scope_ids(&self, names: &[&str]) -> Vec<String> {
        names.iter().map(|name| self.scope(name)).collect()
    }
}

/// An application and, when it has one, its secret.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl std::fmt::Debug for Management {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Management")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Management {
    pub(crate) fn new(endpoint: &str, client_id: &str, client_secret: &str) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            http: http_client(),
            token: Mutex::new(None),
        }
    }

    /// A Management API access token (`scope=all`), cached until a minute before it expires.
    pub(crate) async fn token(&self) -> String {
        if let Some((token, renew)) = self.token.lock().unwrap().as_ref()
            && Instant::now() < *renew
        {
            return token.clone();
        }
        let response = self
            .http
            .post(format!("{}/oidc/token", self.endpoint))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", MANAGEMENT_API),
                ("scope", "all"),
            ])
            .send()
            .await
            .expect("the Management API token request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(
            status,
            StatusCode::OK,
            "the Management API token request failed: {}",
            body["error"]
        );
        let token = body["access_token"].as_str().unwrap().to_owned();
        let lifetime = body["expires_in"].as_u64().unwrap_or(3600);
        let renew = Instant::now() + Duration::from_secs(lifetime.saturating_sub(60));
        *self.token.lock().unwrap() = Some((token.clone(), renew));
        token
    }

    /// `method /api<path>` with an optional JSON body: the status and the JSON answer
    /// (`Value::Null` when empty or not JSON).
    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        for attempt in 0..2 {
            let mut request = self
                .http
                .request(method.clone(), format!("{}/api{path}", self.endpoint))
                .bearer_auth(self.token().await);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.expect("a Management API request");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            // A cached token whose key Logto dropped (two rotations later): fetch a new one.
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                *self.token.lock().unwrap() = None;
                continue;
            }
            return (status, serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        unreachable!("the second attempt returns")
    }

    /// `method path`, which must succeed (2xx): its JSON answer.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let (status, answer) = self.request(method.clone(), path, body).await;
        assert!(
            status.is_success(),
            "Management API {method} /api{path} answered {status}: {answer}"
        );
        answer
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        self.call(Method::POST, path, Some(&body)).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> Value {
        self.call(Method::PUT, path, Some(&body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Value {
        self.call(Method::PATCH, path, Some(&body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Value {
        self.call(Method::DELETE, path, None).await
    }

    /// An API resource `indicator` with `scopes`.
    pub(crate) async fn create_resource(&self, indicator: &str, scopes: &[&str]) -> Resource {
        let created = self
            .post(
                "/resources",
                json!({ "name": indicator, "indicator": indicator }),
            )
            .await;
        let id = text(&created, "id");
        let mut ids = Vec::new();
        for scope in scopes {
            let created = self
                .post(
                    &format!("/resources/{id}/scopes"),
                    json!({ "name": scope, "description": format!("{scope} (e2e)") }),
                )
                .await;
            ids.push(((*scope).to_owned(), text(&created, "id")));
        }
        Resource {
            indicator: indicator.to_owned(),
            scopes: ids,
        }
    }

    /// A role of `kind` (`User` or `MachineToMachine`) granting the API scopes `scope_ids`.
    pub(crate) async fn create_role(&self, name: &str, kind: &str, scope_ids: &[String]) -> String {
        let created = self
            .post(
                "/roles",
                json!({
                    "name": name,
                    "description": format!("{name} (e2e)"),
                    "type": kind,
                    "scopeIds": scope_ids,
                }),
            )
            .await;
        text(&created, "id")
    }

    /// An application of `kind` (`MachineToMachine`, `Traditional`, `SPA`…), with its secret
    /// when it has one. `extra` is merged into the creation body (redirect URIs, custom data,
    /// custom client metadata).
    pub(crate) async fn create_app(&self, name: &str, kind: &str, extra: Value) -> App {
        let mut body = json!({ "name": name, "type": kind });
        if let Value::Object(extra) = extra {
            body.as_object_mut().unwrap().extend(extra);
        }
        let created = self.post("/applications", body).await;
        let id = text(&created, "id");
        let secret = if matches!(kind, "MachineToMachine" | "Traditional") {
            let secrets = self.get(&format!("/applications/{id}/secrets")).await;
            Some(text(&secrets[0], "value"))
        } else {
            None
        };
        App { id, secret }
    }

    /// A machine-to-machine application with the machine-to-machine roles `roles`.
    pub(crate) async fn create_m2m_app(&self, name: &str, roles: &[String], extra: Value) -> App {
        let app = self.create_app(name, "MachineToMachine", extra).await;
        if !roles.is_empty() {
            self.post(
                &format!("/applications/{}/roles", app.id),
                json!({ "roleIds": roles }),
            )
            .await;
        }
        app
    }

    /// A user `username` with `password` and the user roles `roles`; its id.
    pub(crate) async fn create_user(
        &self,
        username: &str,
        password: &str,
        roles: &[String],
    ) -> String {
        let created = self
            .post(
                "/users",
                json!({ "username": username, "password": password, "name": username }),
            )
            .await;
        let id = text(&created, "id");
        if !roles.is_empty() {
            self.post(&format!("/users/{id}/roles"), json!({ "roleIds": roles }))
                .await;
        }
        id
    }

    /// An organization scope (names are unique in a tenant); its id.
    pub(crate) async fn create_organization_scope(&self, name: &str) -> String {
        let created = self
            .post("/organization-scopes", json!({ "name": name }))
            .await;
        text(&created, "id")
    }

    /// An organization role of `kind` (`User` or `MachineToMachine`) with organization scopes
    /// and organization-level API resource scopes; its id.
    pub(crate) async fn create_organization_role(
        &self,
        name: &str,
        kind: &str,
        organization_scope_ids: &[String],
        resource_scope_ids: &[String],
    ) -> String {
        let created = self
            .post(
                "/organization-roles",
                json!({
                    "name": name,
                    "type": kind,
                    "organizationScopeIds": organization_scope_ids,
                    "resourceScopeIds": resource_scope_ids,
                }),
            )
            .await;
        text(&created, "id")
    }

    /// An organization; its id.
    pub(crate) async fn create_organization(&self, name: &str) -> String {
        let created = self.post("/organizations", json!({ "name": name })).await;
        text(&created, "id")
    }

    /// Adds the user to the organization with the organization roles `roles`.
    pub(crate) async fn add_organization_user(
        &self,
        organization: &str,
        user: &str,
        roles: &[String],
    ) {
        self.post(
            &format!("/organizations/{organization}/users"),
            json!({ "userIds": [user] }),
        )
        .await;
        if !roles.is_empty() {
            self.post(
                &format!("/organizations/{organization}/users/{user}/roles"),
                json!({ "organizationRoleIds": roles }),
            )
            .await;
        }
    }

    /// Adds the machine-to-machine application to the organization with the organization
    /// roles `roles` (of type `MachineToMachine`).
    pub(crate) async fn add_organization_app(
        &self,
        organization: &str,
        app: &str,
        roles: &[String],
    ) {
        self.post(
            &format!("/organizations/{organization}/applications"),
            json!({ "applicationIds": [app] }),
        )
        .await;
        if !roles.is_empty() {
            self.post(
                &format!("/organizations/{organization}/applications/{app}/roles"),
                json!({ "organizationRoleIds": roles }),
            )
            .await;
        }
    }

    /// Rotates the signing keys: a new key of `algorithm` (`EC` or `RSA`) first, the previous
    /// one kept (Logto keeps two). It signs once core restarts. Returns the private keys' list
    /// (`id`, `signingKeyAlgorithm`, `createdAt`), newest first.
    pub(crate) async fn rotate_signing_key(&self, algorithm: &str) -> Value {
        self.post(
            "/configs/oidc/private-keys/rotate",
            json!({ "signingKeyAlgorithm": algorithm }),
        )
        .await
    }
}

/// `value[key]` as a string; panics with the value when it is not one.
pub(crate) fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key:?} in {value}"))
        .to_owned()
}
