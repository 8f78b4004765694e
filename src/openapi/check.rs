//! [`SecurityCheck`]: a test that each operation's documented security is what its handler's
//! extractor enforces.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::security::{RouteSecurity, Security, minimal};

/// Compares an OpenAPI document's security with what the routes' extractors enforce, so that
/// an annotation that drifts from its handler's signature fails a test instead of reaching
/// users. Made for utoipa, where each `#[utoipa::path(security(..))]` is written by hand, it
/// reads any document that serializes to OpenAPI JSON (aide's too).
///
/// List each route with the type of its extractor ([`route`](Self::route)), a [`Security`]
/// ([`expect`](Self::expect), for a handler behind a layer, say) or as
/// [`public`](Self::public); [`check`](Self::check) then fails if a listed operation is
/// missing or documents another requirement for the scheme (the alternatives are compared as
/// sets, in any order), or if an operation that names the scheme is not listed.
///
/// ```
/// use axum_logto::openapi::SecurityCheck;
/// use axum_logto::{scopes, AnyOf, Auth, RequireScopes};
/// use utoipa::OpenApi;
///
/// scopes! {
///     pub ReadDocs = "read:docs";
///     pub DeleteDocs = "delete:docs";
///     pub Admin = "admin";
/// }
///
/// #[utoipa::path(get, path = "/docs", security(("logto" = [ReadDocs])), responses((status = 200)))]
/// async fn list_docs(_: RequireScopes<ReadDocs>) {}
///
/// #[utoipa::path(delete, path = "/docs/{id}", params(("id" = String, Path)),
///     security(("logto" = [DeleteDocs]), ("logto" = [Admin])), responses((status = 200)))]
/// async fn delete_doc(_: RequireScopes<AnyOf<(DeleteDocs, Admin)>>) {}
///
/// #[utoipa::path(get, path = "/maybe", security(("logto" = []), ()), responses((status = 200)))]
/// async fn maybe(_: Option<Auth>) {}
///
/// #[derive(OpenApi)]
/// #[openapi(paths(list_docs, delete_doc, maybe))]
/// struct ApiDoc;
///
/// SecurityCheck::new(&ApiDoc::openapi(), "logto")
///     .route::<RequireScopes<ReadDocs>>("GET", "/docs")
///     .route::<RequireScopes<AnyOf<(DeleteDocs, Admin)>>>("DELETE", "/docs/{id}")
///     .route::<Option<Auth>>("GET", "/maybe")
///     .check()
///     .unwrap();
///
/// // The annotation of GET /docs does not say what `RequireScopes<(ReadDocs, Admin)>` needs.
/// let drift = SecurityCheck::new(&ApiDoc::openapi(), "logto")
///     .route::<RequireScopes<(ReadDocs, Admin)>>("GET", "/docs")
///     .check()
///     .unwrap_err();
/// assert_eq!(drift.problems().len(), 3); // GET /docs, and the two operations not listed
/// ```
#[derive(Debug, Clone)]
pub struct SecurityCheck {
    document: Value,
    scheme: String,
    routes: Vec<(String, String, Option<Security>)>,
    problems: Vec<String>,
}

impl SecurityCheck {
    /// A check of `document` (a utoipa or aide `OpenApi`, or its JSON) for the security scheme
    /// named `scheme`.
    pub fn new(document: &impl Serialize, scheme: &str) -> Self {
        let (document, problems) = match serde_json::to_value(document) {
            Ok(document) => (document, Vec::new()),
            Err(error) => (
                Value::Null,
                vec![format!("the document does not serialize: {error}")],
            ),
        };
        Self {
            document,
            scheme: scheme.to_owned(),
            routes: Vec::new(),
            problems,
        }
    }

    /// The operation `method path` (`"GET"`, `"/docs/{id}"`, as in the document) must
    /// document what the extractor `E` enforces (`RequireScopes<ReadDocs>`, `Option<Auth>`…).
    pub fn route<E: RouteSecurity>(self, method: &str, path: &str) -> Self {
        self.expect(method, path, E::security())
    }

    /// The operation `method path` must document `security`.
    pub fn expect(mut self, method: &str, path: &str, security: Security) -> Self {
        self.routes
            .push((method.to_ascii_lowercase(), path.to_owned(), Some(security)));
        self
    }

    /// The operation `method path` must not name the scheme.
    pub fn public(mut self, method: &str, path: &str) -> Self {
        self.routes
            .push((method.to_ascii_lowercase(), path.to_owned(), None));
        self
    }

    /// Every difference between the document and the routes, or `Ok`.
    pub fn check(self) -> Result<(), SecurityMismatch> {
        let mut problems = self.problems.clone();
        for (method, path, expected) in &self.routes {
            let name = format!("{} {path}", method.to_ascii_uppercase());
            let Some(operation) = self.document["paths"][path].get(method.as_str()) else {
                problems.push(format!("{name}: not in the document"));
                continue;
            };
            let documented = self.documented(operation);
            let expected = expected.as_ref().map(normal);
            if documented != expected {
                problems.push(format!(
                    "{name}: the document says {}, the route enforces {}",
                    describe(documented.as_ref()),
                    describe(expected.as_ref())
                ));
            }
        }
        if let Some(paths) = self.document["paths"].as_object() {
            for (path, item) in paths {
                for (method, operation) in item.as_object().into_iter().flatten() {
                    let listed = self.routes.iter().any(|(m, p, _)| m == method && p == path);
                    if !listed && self.documented(operation).is_some() {
                        problems.push(format!(
                            "{} {path}: names the scheme {:?}, but the check does not list it",
                            method.to_ascii_uppercase(),
                            self.scheme
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SecurityMismatch { problems })
        }
    }

    /// What `operation` documents for the scheme (its own security, else the document's), or
    /// `None` if it does not name the scheme.
    fn documented(&self, operation: &Value) -> Option<Normal> {
        let requirements = operation
            .get("security")
            .or_else(|| self.document.get("security"))?
            .as_array()?;
        let mut alternatives = Vec::new();
        let mut optional = false;
        for requirement in requirements {
            let Some(requirement) = requirement.as_object() else {
                continue;
            };
            match requirement.get(&self.scheme).and_then(Value::as_array) {
                Some(scopes) => alternatives.push(
                    scopes
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                ),
                None if requirement.is_empty() => optional = true,
                None => {}
            }
        }
        (!alternatives.is_empty()).then(|| normalize(alternatives, optional))
    }
}

/// A requirement in a comparable form: the smallest alternatives, as sets, and whether a
/// request without a token passes.
type Normal = (BTreeSet<BTreeSet<String>>, bool);

fn normalize(alternatives: Vec<Vec<String>>, optional: bool) -> Normal {
    let alternatives = minimal(alternatives)
        .into_iter()
        .map(|scopes| scopes.into_iter().collect())
        .collect();
    (alternatives, optional)
}

fn normal(security: &Security) -> Normal {
    let alternatives = security
        .alternatives()
        .iter()
        .map(|scopes| scopes.iter().map(|scope| (*scope).to_owned()).collect())
        .collect();
    normalize(alternatives, security.is_optional())
}

/// A requirement as a reader of the document sees it.
fn describe(normal: Option<&Normal>) -> String {
    let Some((alternatives, optional)) = normal else {
        return "no requirement of the scheme".to_owned();
    };
    let mut text: Vec<String> = alternatives
        .iter()
        .map(|scopes| {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            format!("[{}]", scopes.join(", "))
        })
        .collect();
    if *optional {
        text.push("no token".to_owned());
    }
    text.join(" or ")
}

/// What [`SecurityCheck::check`] found: one line per operation whose documented security is
/// not what its route enforces, or that is missing or not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityMismatch {
    problems: Vec<String>,
}

impl SecurityMismatch {
    /// One line per problem.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for SecurityMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the OpenAPI document's security differs from the routes' extractors:"
        )?;
        for problem in &self.problems {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SecurityMismatch {}
