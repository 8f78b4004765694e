//! utoipa 6 (feature `utoipa`): [`LogtoScheme`] as a [`Modify`].

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::security::{
    AuthorizationCode, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, OpenIdConnect,
    Scopes, SecurityScheme,
};
use utoipa::openapi::{Components, OpenApi, PathItem, RefOr, Response, Schema, path::Operation};

use super::responses::{ERROR_SCHEMA_NAME, error_responses, error_schema};
use super::scheme::{LogtoScheme, SchemeKind, add_scope};

/// Declares the scheme under [its name](LogtoScheme::name), with the scopes given to
/// [`scopes`](LogtoScheme::scopes) and every other scope an operation's annotation names for
/// it; adds to every operation whose security names the scheme the 400, 401, 403 and 503
/// answers it does not document yet (the crate's JSON error body, schema `AuthError`, and their
/// `WWW-Authenticate` and `Retry-After` headers).
///
/// The scheme's endpoints come from a [`LogtoState`](crate::LogtoState), known at run time:
/// call `modify` on the document `ApiDoc::openapi()` returns (rather than listing the scheme in
/// `#[openapi(modifiers(..))]`, which takes values known at compile time).
///
/// ```
/// use axum_logto::openapi::LogtoScheme;
/// use axum_logto::{scopes, LogtoState, RequireScopes, ScopeDoc};
/// use utoipa::{Modify as _, OpenApi};
///
/// scopes! {
///     pub const API_SCOPES: &[ScopeDoc];
///     /// Read documents.
///     pub ReadDocs = "read:docs";
/// }
///
/// #[utoipa::path(get, path = "/docs", security(("logto" = [ReadDocs])),
///     responses((status = 200, description = "The documents")))]
/// async fn list_docs(auth: RequireScopes<ReadDocs>) -> String {
///     auth.sub().to_owned()
/// }
///
/// #[derive(OpenApi)]
/// #[openapi(paths(list_docs))]
/// struct ApiDoc;
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let mut doc = ApiDoc::openapi();
/// LogtoScheme::new(&logto).scopes(API_SCOPES).modify(&mut doc);
///
/// let json = serde_json::to_value(&doc).unwrap();
/// assert!(json["paths"]["/docs"]["get"]["responses"]["401"].is_object());
/// assert!(json["components"]["securitySchemes"]["logto"]["flows"].is_object());
/// ```
impl Modify for LogtoScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let schema_ref = json!({ "$ref": format!("#/components/schemas/{ERROR_SCHEMA_NAME}") });
        let mut scopes: Vec<(String, String)> = Vec::new();
        let mut documented = false;
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let Some(named) = scopes_named(operation, self.scheme_name()) else {
                    continue;
                };
                documented = true;
                for scope in named {
                    add_scope(&mut scopes, &scope, "");
                }
                add_responses(operation, &schema_ref);
            }
        }
        let components = openapi.components.get_or_insert_with(Components::new);
        components.security_schemes.insert(
            self.scheme_name().to_owned(),
            RefOr::T(self.utoipa_scheme(&scopes)),
        );
        if documented
            && !components.schemas.contains_key(ERROR_SCHEMA_NAME)
            && let Some(schema) = from_json::<Schema>(error_schema())
        {
            components
                .schemas
                .insert(ERROR_SCHEMA_NAME.to_owned(), RefOr::T(schema));
        }
    }
}

impl LogtoScheme {
    /// The scheme with utoipa's constructors (its untagged `Flow` would read an authorization
    /// code flow in JSON as an implicit one).
    fn utoipa_scheme(&self, scopes: &[(String, String)]) -> SecurityScheme {
        let description = self.description_text();
        match self.scheme_kind() {
            SchemeKind::OpenIdConnect => SecurityScheme::OpenIdConnect(
                OpenIdConnect::with_description(self.discovery_url(), description),
            ),
            SchemeKind::Bearer => SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(description))
                    .build(),
            ),
            SchemeKind::OAuth2 => {
                let scopes: Scopes = self.all_scopes(scopes).into_iter().collect();
                let token_url = self.token_url();
                // Logto refreshes tokens at its token endpoint.
                SecurityScheme::OAuth2(OAuth2::with_description(
                    [
                        Flow::AuthorizationCode(AuthorizationCode::with_refresh_url(
                            self.authorization_url(),
                            token_url.clone(),
                            scopes.clone(),
                            token_url.clone(),
                        )),
                        Flow::ClientCredentials(ClientCredentials::with_refresh_url(
                            token_url.clone(),
                            scopes,
                            token_url,
                        )),
                    ],
                    description,
                ))
            }
        }
    }
}

/// One of utoipa's types from our JSON; `None` (and nothing added) if it does not fit, which
/// the tests rule out.
fn from_json<T: DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// Every operation of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
        item.query.as_mut(),
    ]
    .into_iter()
    .flatten()
    .chain(item.additional_operations.values_mut())
}

/// The scopes the operation's security names for `scheme`, or `None` if it does not name the
/// scheme. (utoipa's requirements keep their content private: read through serde.)
fn scopes_named(operation: &Operation, scheme: &str) -> Option<Vec<String>> {
    let requirements = serde_json::to_value(operation.security.as_ref()?).ok()?;
    let mut named = None;
    for requirement in requirements.as_array()? {
        if let Some(scopes) = requirement.get(scheme).and_then(Value::as_array) {
            let named: &mut Vec<String> = named.get_or_insert_with(Vec::new);
            named.extend(scopes.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    named
}

/// Adds the refusals the operation does not document yet.
fn add_responses(operation: &mut Operation, schema: &Value) {
    for (status, response) in error_responses(schema, &[]) {
        let status = status.to_string();
        if operation.responses.responses.contains_key(&status) {
            continue;
        }
        if let Some(response) = from_json::<Response>(response) {
            operation
                .responses
                .responses
                .insert(status, RefOr::T(response));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_json_fits_utoipas_types() {
        assert!(from_json::<Schema>(error_schema()).is_some());
        for (_, mut response) in error_responses(&json!({"$ref": "#/x"}), &[]) {
            let parsed = from_json::<Response>(response.clone()).unwrap();
            // Nothing else lost on the way: utoipa 6's `Header` has no `required`.
            for header in response["headers"].as_object_mut().unwrap().values_mut() {
                header.as_object_mut().unwrap().remove("required");
            }
            assert_eq!(serde_json::to_value(parsed).unwrap(), response);
        }
    }
}
