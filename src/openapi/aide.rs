//! aide 0.15 (feature `aide`): the extractors as [`OperationInput`]s,
//! [`LogtoScheme::finish_aide`], and [`ApiRouterExt`] for routers behind [`LogtoLayer`].
//!
//! How a handler's signature becomes its documented security: each extractor's
//! `operation_input` adds its requirement (under [`DEFAULT_SCHEME_NAME`]) to the operation's,
//! as "either this or no token", and its organization parameter. aide then asks the
//! handler's inputs for their early responses: `Option<E>` does not forward that question, so
//! only an extractor that is not optional answers it, and it makes its requirement required
//! there. (With `aide::generate::infer_responses(false)` aide asks no input: then every
//! extractor is documented as optional.) What each extractor adds is noted in the operation
//! (`x-axum-logto`); [`LogtoScheme::finish_aide`] turns the notes into the scheme's name, the
//! 400/401/403/503 responses and the scheme's scopes, then removes them.

use aide::OperationInput;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{
    Components, OpenApi, Operation, Parameter, PathItem, ReferenceOr, Response, SchemaObject,
    SecurityRequirement, SecurityScheme, StatusCode,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::responses::{ERROR_SCHEMA_NAME, error_responses, error_schema};
use super::scheme::{DEFAULT_SCHEME_NAME, LogtoScheme, add_scope};
use super::security::{OrgParameter, OrgSourceDoc, RouteSecurity, Security, minimal};
use crate::check::ClaimCheck;
use crate::extract::{Auth, CallerToken, OrgApiToken, OrgToken, RequireCheck, RequireScopes};
use crate::layer::LogtoLayer;
use crate::scope::ScopeSet;

/// The operation's notes, kept until [`LogtoScheme::finish_aide`].
const NOTES: &str = "x-axum-logto";

/// Implements `OperationInput` for an extractor through its [`RouteSecurity`].
macro_rules! operation_input {
    ($ty:ty, [$($generics:tt)*]) => {
        impl<$($generics)*> OperationInput for $ty {
            fn operation_input(_: &mut GenContext, operation: &mut Operation) {
                document::<Self>(operation);
            }

            fn inferred_early_responses(
                _: &mut GenContext,
                operation: &mut Operation,
            ) -> Vec<(Option<u16>, Response)> {
                // Only a required extractor is asked: its requirement is required. The
                // responses are added by `finish_aide`, which sees `Option<E>` too.
                and_into(&mut operation.security, &<Self as RouteSecurity>::security(), false);
                Vec::new()
            }
        }
    };
}

operation_input!(Auth<C>, [C]);
operation_input!(CallerToken, []);
operation_input!(RequireScopes<S, C>, [S: ScopeSet, C]);
operation_input!(RequireCheck<K>, [K: ClaimCheck]);
operation_input!(OrgToken<O, S, C>, [O: OrgSourceDoc, S: ScopeSet, C]);
operation_input!(OrgApiToken<O, S, C>, [O: OrgSourceDoc, S: ScopeSet, C]);

/// What `E` adds to an operation: its requirement (optional until confirmed), its
/// organization parameter and its notes.
fn document<E: RouteSecurity>(operation: &mut Operation) {
    and_into(&mut operation.security, &E::security(), true);
    match E::org_parameter() {
        Some(OrgParameter::Path(name)) => add_parameter(operation, "path", name),
        Some(OrgParameter::Header(name)) => add_parameter(operation, "header", name),
        None => {}
    }
    note(
        operation,
        E::check(),
        E::scope_docs().iter().map(|d| (d.name(), d.description())),
    );
}

/// Records in the operation's notes a claim check and scopes with their descriptions.
fn note<'a>(
    operation: &mut Operation,
    check: Option<&str>,
    scopes: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let notes = operation
        .extensions
        .entry(NOTES.to_owned())
        .or_insert_with(|| json!({ "checks": [], "scopes": {} }));
    if let (Some(check), Some(checks)) = (check, notes["checks"].as_array_mut())
        && !checks.iter().any(|listed| listed == check)
    {
        checks.push(Value::from(check));
    }
    if let Some(listed) = notes["scopes"].as_object_mut() {
        for (name, description) in scopes {
            let entry = listed.entry(name).or_insert_with(|| Value::from(""));
            if entry.as_str().is_some_and(str::is_empty) {
                *entry = Value::from(description);
            }
        }
    }
}

/// Adds the organization parameter unless the operation has one of that name and place
/// (a `Path<T>` extractor before ours documents it too).
fn add_parameter(operation: &mut Operation, location: &str, name: &str) {
    if operation
        .parameters
        .iter()
        .any(|p| p.as_item().is_some_and(|p| place(p) == (location, name)))
    {
        return;
    }
    let description = match location {
        "path" => "The organization the request targets: the token must be for it.",
        _ => "The organization the request targets (required): the token must be for it.",
    };
    let parameter = json!({
        "in": location,
        "name": name,
        "required": true,
        "description": description,
        "schema": { "type": "string", "minLength": 1 },
    });
    if let Some(parameter) = from_json::<Parameter>(parameter) {
        operation.parameters.push(ReferenceOr::Item(parameter));
    }
}

/// Where a parameter is (`path`, `query`, `header`, `cookie`) and its name.
fn place(parameter: &Parameter) -> (&'static str, &str) {
    let location = match parameter {
        Parameter::Path { .. } => "path",
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Cookie { .. } => "cookie",
    };
    (location, parameter.parameter_data_ref().name.as_str())
}

/// One of aide's types from our JSON; `None` (and nothing documented) if it does not fit,
/// which the tests rule out.
fn from_json<T: DeserializeOwned>(value: Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// A requirement as comparable pairs: each scheme it names (with an empty scope) and each of
/// its scopes.
fn pairs(requirement: &SecurityRequirement) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (scheme, scopes) in requirement {
        pairs.push((scheme.clone(), String::new()));
        pairs.extend(scopes.iter().map(|scope| (scheme.clone(), scope.clone())));
    }
    pairs
}

/// The requirement back from its pairs.
fn requirement(pairs: Vec<(String, String)>) -> SecurityRequirement {
    let mut requirement = SecurityRequirement::new();
    for (scheme, scope) in pairs {
        let scopes = requirement.entry(scheme).or_default();
        if !scope.is_empty() {
            scopes.push(scope);
        }
    }
    requirement
}

/// `security` AND `ours` (with `optional`, whatever `ours` says), as
/// [`Security::and`] does, in OpenAPI's form: the alternatives, then `{}` when a request
/// without a token passes every requirement.
fn and_into(security: &mut Vec<SecurityRequirement>, ours: &Security, optional: bool) {
    let ours: Vec<SecurityRequirement> = ours
        .alternatives()
        .iter()
        .map(|scopes| {
            let scopes = scopes.iter().map(|scope| (*scope).to_owned()).collect();
            SecurityRequirement::from_iter([(DEFAULT_SCHEME_NAME.to_owned(), scopes)])
        })
        .collect();
    let before: Vec<SecurityRequirement> = std::mem::take(security);
    let was_optional = before.is_empty() || before.iter().any(SecurityRequirement::is_empty);
    let existing: Vec<&SecurityRequirement> = before.iter().filter(|r| !r.is_empty()).collect();
    let combined: Vec<Vec<(String, String)>> = if existing.is_empty() {
        ours.iter().map(pairs).collect()
    } else {
        let mut combined = Vec::new();
        for a in &existing {
            for b in &ours {
                let mut both = pairs(a);
                both.extend(pairs(b));
                combined.push(both);
            }
        }
        combined
    };
    security.extend(minimal(combined).into_iter().map(requirement));
    if was_optional && optional {
        security.push(SecurityRequirement::new());
    }
}

impl LogtoScheme {
    /// Completes a document aide generated (after `ApiRouter::finish_api`): declares the
    /// scheme under [its name](Self::name) (renaming the extractors' requirements if it is not
    /// `"logto"`), with every scope the routes name and its doc line; adds the 400, 401, 403
    /// and 503 answers (the crate's JSON error body, schema `AuthError`, and their
    /// `WWW-Authenticate` and `Retry-After` headers) to every operation an extractor or
    /// [`ApiRouterExt`] documented; marks every path parameter required and drops repeated
    /// parameters (an organization parameter that a `Path<T>` before the extractor documented
    /// too). Run it once, after the last route is added; running it again changes nothing.
    ///
    /// ```
    /// use aide::axum::{routing::get, ApiRouter};
    /// use aide::openapi::OpenApi;
    /// use axum::Router;
    /// use axum_logto::openapi::LogtoScheme;
    /// use axum_logto::{scopes, LogtoState, RequireScopes};
    ///
    /// scopes! {
    ///     /// Read documents.
    ///     pub ReadDocs = "read:docs";
    /// }
    ///
    /// async fn list_docs(auth: RequireScopes<ReadDocs>) -> String {
    ///     auth.sub().to_owned()
    /// }
    ///
    /// let logto = LogtoState::builder("https://my-tenant.logto.app")
    ///     .audience("https://api.example.com")
    ///     .build()
    ///     .unwrap();
    /// let mut api = OpenApi::default();
    /// let app: Router = ApiRouter::new()
    ///     .api_route("/docs", get(list_docs))
    ///     .finish_api(&mut api)
    ///     .with_state(logto.clone());
    /// LogtoScheme::new(&logto).finish_aide(&mut api);
    ///
    /// let doc = serde_json::to_value(&api).unwrap();
    /// let get = &doc["paths"]["/docs"]["get"];
    /// assert_eq!(get["security"], serde_json::json!([{ "logto": ["read:docs"] }]));
    /// assert!(get["responses"]["403"].is_object());
    /// let scheme = &doc["components"]["securitySchemes"]["logto"];
    /// assert_eq!(
    ///     scheme["flows"]["authorizationCode"]["scopes"]["read:docs"],
    ///     "Read documents."
    /// );
    /// ```
    pub fn finish_aide(&self, api: &mut OpenApi) {
        let schema_ref = json!({ "$ref": format!("#/components/schemas/{ERROR_SCHEMA_NAME}") });
        let mut scopes: Vec<(String, String)> = Vec::new();
        let mut documented = false;
        if let Some(paths) = api.paths.as_mut() {
            for item in paths.paths.values_mut() {
                let Some(item) = item.as_item_mut() else {
                    continue;
                };
                for operation in operations(item) {
                    tidy_parameters(operation);
                    let Some(notes) = operation.extensions.shift_remove(NOTES) else {
                        continue;
                    };
                    documented = true;
                    self.rename(operation);
                    if let Some(listed) = notes["scopes"].as_object() {
                        for (name, description) in listed {
                            add_scope(&mut scopes, name, description.as_str().unwrap_or(""));
                        }
                    }
                    let checks: Vec<&str> = notes["checks"]
                        .as_array()
                        .map(|checks| checks.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    add_responses(operation, &schema_ref, &checks);
                }
            }
        }
        // Scopes that an annotation or a transform named without an extractor.
        for requirement in all_requirements(api) {
            for scope in requirement.get(self.scheme_name()).into_iter().flatten() {
                add_scope(&mut scopes, scope, "");
            }
        }
        let components = api.components.get_or_insert_with(Components::default);
        if let Some(scheme) = from_json::<SecurityScheme>(self.to_json(&scopes)) {
            components
                .security_schemes
                .insert(self.scheme_name().to_owned(), ReferenceOr::Item(scheme));
        }
        if documented
            && !components.schemas.contains_key(ERROR_SCHEMA_NAME)
            && let Some(schema) = from_json::<SchemaObject>(error_schema())
        {
            components
                .schemas
                .insert(ERROR_SCHEMA_NAME.to_owned(), schema);
        }
    }

    /// Renames the extractors' requirements to this scheme's name.
    fn rename(&self, operation: &mut Operation) {
        if self.scheme_name() == DEFAULT_SCHEME_NAME {
            return;
        }
        for requirement in &mut operation.security {
            if let Some(scopes) = requirement.shift_remove(DEFAULT_SCHEME_NAME) {
                requirement
                    .entry(self.scheme_name().to_owned())
                    .or_default()
                    .extend(scopes);
            }
        }
    }
}

/// Every operation of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    aide::util::iter_operations_mut(item).map(|(_, operation)| operation)
}

/// Every security requirement of the document's operations.
fn all_requirements(api: &mut OpenApi) -> Vec<SecurityRequirement> {
    let mut all = Vec::new();
    if let Some(paths) = api.paths.as_mut() {
        for item in paths.paths.values_mut() {
            if let Some(item) = item.as_item_mut() {
                for operation in operations(item) {
                    all.extend(operation.security.iter().cloned());
                }
            }
        }
    }
    all
}

/// Path parameters are required (OpenAPI says so; aide's `Option<E>` marks what `E` added as
/// optional), and a parameter appears once per place and name.
fn tidy_parameters(operation: &mut Operation) {
    let mut seen: Vec<(&'static str, String)> = Vec::new();
    operation.parameters.retain_mut(|parameter| {
        let Some(parameter) = parameter.as_item_mut() else {
            return true;
        };
        let (location, name) = place(parameter);
        let key = (location, name.to_owned());
        if seen.contains(&key) {
            return false;
        }
        seen.push(key);
        if location == "path" {
            parameter.parameter_data_mut().required = true;
        }
        true
    });
}

/// Adds the refusals the operation does not document yet.
fn add_responses(operation: &mut Operation, schema: &Value, checks: &[&str]) {
    let responses = operation.responses.get_or_insert_with(Default::default);
    for (status, response) in error_responses(schema, checks) {
        let status = StatusCode::Code(status);
        if responses.responses.contains_key(&status) {
            continue;
        }
        if let Some(response) = from_json::<Response>(response) {
            responses
                .responses
                .insert(status, ReferenceOr::Item(response));
        }
    }
}

/// Documents the routes of an aide `ApiRouter` that a [`LogtoLayer`] covers: the layer
/// answers before the handlers run, so its requirement is each operation's too.
///
/// `logto_layer(layer)` is `.layer(layer)` and `logto_route_layer(layer)` is
/// `.route_layer(layer)`, each also documenting the routes added so far (add the routes
/// first, as the layer covers only those too).
///
/// ```
/// use aide::axum::{routing::get, ApiRouter};
/// use axum::Extension;
/// use axum_logto::openapi::ApiRouterExt as _;
/// use axum_logto::{scopes, AuthInfo, LogtoLayer, LogtoState};
///
/// scopes! { pub Admin = "admin"; }
///
/// async fn stats(Extension(auth): Extension<AuthInfo>) -> String {
///     auth.sub().to_owned()
/// }
///
/// # fn admin(logto: LogtoState) -> ApiRouter<LogtoState> {
/// ApiRouter::new()
///     .api_route("/stats", get(stats))
///     .logto_route_layer(LogtoLayer::new(logto).require_scopes::<Admin>())
/// # }
/// ```
pub trait ApiRouterExt: Sized {
    /// `.layer(layer)`, documenting the layer's requirement on every route so far.
    fn logto_layer(self, layer: LogtoLayer) -> Self;

    /// `.route_layer(layer)`, documenting the layer's requirement on every route so far.
    fn logto_route_layer(self, layer: LogtoLayer) -> Self;
}

impl<S: Clone + Send + Sync + 'static> ApiRouterExt for ApiRouter<S> {
    fn logto_layer(self, layer: LogtoLayer) -> Self {
        document_layer(self, &layer).layer(layer)
    }

    fn logto_route_layer(self, layer: LogtoLayer) -> Self {
        document_layer(self, &layer).route_layer(layer)
    }
}

/// Adds what `layer` requires to every operation of `router`.
fn document_layer<S>(router: ApiRouter<S>, layer: &LogtoLayer) -> ApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let policy = layer.policy();
    let security = Security::from_names(policy.scopes.names, policy.scopes.any_of);
    let check = policy.check.map(|check| check.description);
    let optional = layer.is_optional();
    router.with_path_items(|mut item| {
        for operation in operations(item.inner_mut()) {
            and_into(&mut operation.security, &security, optional);
            note(
                operation,
                check,
                policy.scopes.names.iter().map(|name| (*name, "")),
            );
        }
        item
    })
}

/// The notes' shape, for the tests.
#[cfg(test)]
fn notes(operation: &Operation) -> Option<&serde_json::Map<String, Value>> {
    operation.extensions.get(NOTES).and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security(operation: &Operation) -> Value {
        serde_json::to_value(&operation.security).unwrap()
    }

    #[test]
    fn our_json_fits_aides_types() {
        assert!(from_json::<SchemaObject>(error_schema()).is_some());
        for (_, response) in error_responses(&json!({"$ref": "#/x"}), &[]) {
            assert!(from_json::<Response>(response).is_some());
        }
        let mut operation = Operation::default();
        add_parameter(&mut operation, "path", "org_id");
        add_parameter(&mut operation, "header", "x-organization-id");
        add_parameter(&mut operation, "path", "org_id");
        assert_eq!(operation.parameters.len(), 2);
    }

    #[test]
    fn required_and_optional_extractors() {
        crate::scopes! {
            Read = "read";
            Write = "write";
        }
        // `(RequireScopes<Read>, Option<Auth>)`: required, read.
        let mut operation = Operation::default();
        document::<RequireScopes<Read>>(&mut operation);
        document::<Auth>(&mut operation);
        and_into(&mut operation.security, &Security::scopes::<Read>(), false);
        assert_eq!(security(&operation), json!([{"logto": ["read"]}]));
        // `Option<RequireScopes<(Read, Write)>>`: optional.
        let mut operation = Operation::default();
        document::<RequireScopes<(Read, Write)>>(&mut operation);
        assert_eq!(
            security(&operation),
            json!([{"logto": ["read", "write"]}, {}])
        );
        assert_eq!(
            notes(&operation).unwrap()["scopes"],
            json!({"read": "", "write": ""})
        );
    }
}
