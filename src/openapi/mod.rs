//! OpenAPI (features `aide` and `utoipa`): the scopes in a handler's signature become its
//! documented security, and the tenant its security scheme.
//!
//! - [`LogtoScheme`]: the tenant as a security scheme (OAuth 2.0 flows by default, OpenID
//!   Connect discovery, or HTTP bearer), with the scopes and their doc lines from
//!   [`scopes!`](crate::scopes). The name is chosen once, here: see below.
//! - aide (feature `aide`, aide 0.15): every extractor is an `aide::OperationInput`, so a
//!   handler taking `RequireScopes<(ReadDocs, WriteDocs)>` is documented with one requirement
//!   holding both scopes, `AnyOf<(A, B)>` with one requirement per alternative, `Option<Auth>`
//!   with an extra `{}` alternative, organization extractors with their path parameter or
//!   header, `RequireCheck<K>` with its check in the 403; `ApiRouterExt` documents the routes
//!   a [`LogtoLayer`](crate::LogtoLayer) covers; `LogtoScheme::finish_aide` completes the
//!   document (the scheme, and the 400/401/403/503 answers with the JSON error body and the
//!   `WWW-Authenticate` header).
//! - utoipa (feature `utoipa`, utoipa 6): the scope markers are `Display`, so an annotation
//!   names them, `#[utoipa::path(security(("logto" = [ReadDocs, WriteDocs])))]`;
//!   [`LogtoScheme`] is a `utoipa::Modify` adding the scheme and the error answers; and
//!   [`SecurityCheck`] fails a test when an annotation and its handler's extractor disagree.
//!
//! **The scheme's name.** Extractors are types, and a type cannot carry a name chosen at run
//! time, so every extractor documents its requirement under [`DEFAULT_SCHEME_NAME`]
//! (`"logto"`); with aide, `LogtoScheme::name` renames them all in `finish_aide`, the one step
//! that also declares the scheme, so the name is written once. utoipa's annotations take the
//! name as a string literal: use the same one in `LogtoScheme::name` and
//! [`SecurityCheck::new`].
//!
//! **Swagger UI** gets a token from Logto with the scheme's flows, but Logto issues a JWT
//! access token only when the request names the API resource: set
//! `additionalQueryStringParams: { resource: "<your audience>" }` (and
//! `usePkceWithAuthorizationCodeGrant: true`) in its OAuth configuration, and register Swagger
//! UI's redirect URL (`…/oauth2-redirect.html`) with your Logto application.
//!
//! The documented answers are the crate's defaults: with a
//! [rejection hook](crate::LogtoStateBuilder::on_rejection) that answers otherwise, document
//! your own.

#[cfg(feature = "aide")]
mod aide;
mod check;
mod responses;
mod scheme;
mod security;
#[cfg(feature = "utoipa")]
mod utoipa;

#[cfg(feature = "aide")]
#[cfg_attr(docsrs, doc(cfg(feature = "aide")))]
pub use aide::ApiRouterExt;
pub use check::{SecurityCheck, SecurityMismatch};
pub use scheme::{DEFAULT_SCHEME_NAME, LogtoScheme, SchemeKind};
pub use security::{OrgParameter, OrgSourceDoc, RouteSecurity, Security};
