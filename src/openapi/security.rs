//! What a route requires, as OpenAPI security requirements: [`Security`], the extractors'
//! [`RouteSecurity`], and where organization extractors read the organization
//! ([`OrgSourceDoc`]).

use crate::check::ClaimCheck;
use crate::extract::{
    AnyOrg, Auth, CallerToken, OrgApiToken, OrgFromHeader, OrgFromPath, OrgToken, ParamName,
    RequireCheck, RequireScopes,
};
use crate::layer::LogtoLayer;
use crate::scope::{ScopeDoc, ScopeSet};

/// What a route requires of a request's bearer token, as an OpenAPI document states it: a list
/// of alternatives, any one of which is enough, each the scopes it needs (all of them; none for
/// "any valid token"), and whether a request without a token is let through too (the `{}`
/// alternative of OpenAPI).
///
/// Extractors say theirs through [`RouteSecurity`]; two extractors in one handler, or a
/// handler behind [`LogtoLayer`](crate::LogtoLayer), require both: [`and`](Self::and).
///
/// ```
/// use axum_logto::openapi::Security;
/// use axum_logto::{scopes, AnyOf};
///
/// scopes! {
///     pub ReadDocs = "read:docs";
///     pub WriteDocs = "write:docs";
///     pub Admin = "admin";
/// }
///
/// let all = Security::scopes::<(ReadDocs, WriteDocs)>();
/// assert_eq!(all.alternatives(), [vec!["read:docs", "write:docs"]]);
/// let either = Security::scopes::<AnyOf<(WriteDocs, Admin)>>();
/// assert_eq!(either.alternatives(), [vec!["write:docs"], vec!["admin"]]);
/// // Both: each alternative with read:docs.
/// let both = Security::scopes::<ReadDocs>().and(&either);
/// assert_eq!(both.alternatives(), [vec!["read:docs", "write:docs"], vec!["read:docs", "admin"]]);
/// assert!(Security::token().optional().is_optional());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    alternatives: Vec<Vec<&'static str>>,
    optional: bool,
}

impl Security {
    /// Any valid access token, without scopes: `[{"logto": []}]`.
    pub fn token() -> Self {
        Self {
            alternatives: vec![Vec::new()],
            optional: false,
        }
    }

    /// A token with the scopes `S`: one alternative with all of them, or for
    /// [`AnyOf`](crate::AnyOf) one alternative per scope.
    pub fn scopes<S: ScopeSet>() -> Self {
        Self::from_names(S::SCOPES, S::ANY_OF)
    }

    /// What a route requires of `names` (all of them, or with `any_of` one of them).
    pub(crate) fn from_names(names: &'static [&'static str], any_of: bool) -> Self {
        let alternatives = if any_of && !names.is_empty() {
            names.iter().map(|name| vec![*name]).collect()
        } else {
            vec![names.to_vec()]
        };
        Self {
            alternatives,
            optional: false,
        }
    }

    /// What `layer` requires: a token with its scopes, optional if the layer is.
    pub fn of_layer(layer: &LogtoLayer) -> Self {
        let scopes = layer.policy().scopes;
        let security = Self::from_names(scopes.names, scopes.any_of);
        if layer.is_optional() {
            security.optional()
        } else {
            security
        }
    }

    /// The same requirement for a request with a token, and a request without one let
    /// through too (`Option<E>`, [`LogtoLayer::optional`](crate::LogtoLayer::optional)).
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// What a request must satisfy to pass both `self` and `other`: a token satisfying an
    /// alternative of each (their scopes together), or no token if both let that through.
    /// Alternatives that ask for more than another are left out (`read:docs` or
    /// `read:docs write:docs` is `read:docs`).
    pub fn and(&self, other: &Self) -> Self {
        let mut alternatives = Vec::new();
        for a in &self.alternatives {
            for b in &other.alternatives {
                let mut both = a.clone();
                both.extend(b.iter().filter(|scope| !a.contains(scope)));
                alternatives.push(both);
            }
        }
        Self {
            alternatives: minimal(alternatives),
            optional: self.optional && other.optional,
        }
    }

    /// The alternatives for a request with a token, any one of which is enough; each lists the
    /// scopes it needs. Never empty: `[[]]` is any valid token.
    pub fn alternatives(&self) -> &[Vec<&'static str>] {
        &self.alternatives
    }

    /// Whether a request without a token is let through (the `{}` alternative).
    pub fn is_optional(&self) -> bool {
        self.optional
    }
}

/// `alternatives` without repeated scopes, repeated alternatives, or alternatives that need
/// more than another one (which the other one makes redundant).
pub(crate) fn minimal<T: PartialEq + Clone>(alternatives: Vec<Vec<T>>) -> Vec<Vec<T>> {
    let alternatives: Vec<Vec<T>> = alternatives
        .into_iter()
        .map(|scopes| {
            let mut unique = Vec::with_capacity(scopes.len());
            for scope in scopes {
                if !unique.contains(&scope) {
                    unique.push(scope);
                }
            }
            unique
        })
        .collect();
    let covers = |a: &Vec<T>, b: &Vec<T>| a.iter().all(|scope| b.contains(scope));
    let mut kept: Vec<Vec<T>> = Vec::new();
    for (i, b) in alternatives.iter().enumerate() {
        // Left out when another alternative needs less, or the same and comes first.
        let redundant = alternatives
            .iter()
            .enumerate()
            .any(|(j, a)| j != i && covers(a, b) && (!covers(b, a) || j < i));
        if !redundant {
            kept.push(b.clone());
        }
    }
    kept
}

/// Where an organization extractor reads the organization, for the document: a path
/// parameter or a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrgParameter {
    /// The path parameter of this name ([`OrgFromPath`]).
    Path(&'static str),
    /// The header of this name ([`OrgFromHeader`]).
    Header(&'static str),
}

/// An [`OrgSource`](crate::OrgSource) as an OpenAPI document shows it: the parameter that
/// names the organization, if any. Implement it beside `OrgSource` for a source of your own
/// to document [`OrgToken<YourSource, S>`](OrgToken) routes.
///
/// ```
/// use axum_logto::openapi::{OrgParameter, OrgSourceDoc};
///
/// /// The organization is the first label of the host name: nothing to document.
/// struct OrgFromSubdomain;
///
/// impl OrgSourceDoc for OrgFromSubdomain {
///     const PARAMETER: Option<OrgParameter> = None;
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say where it reads the organization, for OpenAPI",
    label = "no `OrgSourceDoc` for this organization source",
    note = "implement `axum_logto::openapi::OrgSourceDoc` for `{Self}`: `const PARAMETER: Option<OrgParameter> = Some(OrgParameter::Header(\"x-tenant\"));`, or `None`"
)]
pub trait OrgSourceDoc {
    /// The parameter that names the organization, or `None` when the request names none.
    const PARAMETER: Option<OrgParameter>;
}

impl<N: ParamName> OrgSourceDoc for OrgFromPath<N> {
    const PARAMETER: Option<OrgParameter> = Some(OrgParameter::Path(N::NAME));
}

impl<N: ParamName> OrgSourceDoc for OrgFromHeader<N> {
    const PARAMETER: Option<OrgParameter> = Some(OrgParameter::Header(N::NAME));
}

impl OrgSourceDoc for AnyOrg {
    const PARAMETER: Option<OrgParameter> = None;
}

/// What an extractor requires of a route, for its OpenAPI document: implemented by every
/// extractor of this crate and by `Option` of each (which lets a request without a token
/// through). The aide integration reads it from a handler's signature; with utoipa,
/// [`SecurityCheck`](super::SecurityCheck) compares it with an operation's annotation.
pub trait RouteSecurity {
    /// The security requirement.
    fn security() -> Security;

    /// The scopes it names, with their descriptions.
    fn scope_docs() -> &'static [ScopeDoc] {
        &[]
    }

    /// The parameter that names the organization, for organization extractors.
    fn org_parameter() -> Option<OrgParameter> {
        None
    }

    /// The description of the claim check a token must pass ([`RequireCheck`]), which a 403
    /// names.
    fn check() -> Option<&'static str> {
        None
    }
}

impl<C> RouteSecurity for Auth<C> {
    fn security() -> Security {
        Security::token()
    }
}

impl RouteSecurity for CallerToken {
    fn security() -> Security {
        Security::token()
    }
}

impl<S: ScopeSet, C> RouteSecurity for RequireScopes<S, C> {
    fn security() -> Security {
        Security::scopes::<S>()
    }

    fn scope_docs() -> &'static [ScopeDoc] {
        S::DOCS
    }
}

impl<K: ClaimCheck> RouteSecurity for RequireCheck<K> {
    fn security() -> Security {
        Security::token()
    }

    fn check() -> Option<&'static str> {
        Some(K::DESCRIPTION)
    }
}

impl<O: OrgSourceDoc, S: ScopeSet, C> RouteSecurity for OrgToken<O, S, C> {
    fn security() -> Security {
        Security::scopes::<S>()
    }

    fn scope_docs() -> &'static [ScopeDoc] {
        S::DOCS
    }

    fn org_parameter() -> Option<OrgParameter> {
        O::PARAMETER
    }
}

impl<O: OrgSourceDoc, S: ScopeSet, C> RouteSecurity for OrgApiToken<O, S, C> {
    fn security() -> Security {
        Security::scopes::<S>()
    }

    fn scope_docs() -> &'static [ScopeDoc] {
        S::DOCS
    }

    fn org_parameter() -> Option<OrgParameter> {
        O::PARAMETER
    }
}

/// `None` when the request carries no token: the same requirement, optional.
impl<E: RouteSecurity> RouteSecurity for Option<E> {
    fn security() -> Security {
        E::security().optional()
    }

    fn scope_docs() -> &'static [ScopeDoc] {
        E::scope_docs()
    }

    fn org_parameter() -> Option<OrgParameter> {
        E::org_parameter()
    }

    fn check() -> Option<&'static str> {
        E::check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_alternatives() {
        assert_eq!(
            minimal(vec![vec!["a"], vec!["a", "b"], vec!["b", "b"], vec!["a"]]),
            [vec!["a"], vec!["b"]]
        );
        // Any token covers every alternative.
        assert_eq!(minimal(vec![vec!["a"], vec![]]), [Vec::<&str>::new()]);
    }

    #[test]
    fn and_is_idempotent_and_optional_only_when_both_are() {
        let read = Security::from_names(&["read"], false);
        let either = Security::from_names(&["read", "admin"], true);
        assert_eq!(read.and(&read), read);
        assert_eq!(either.and(&read), read);
        let optional = Security::token().optional();
        assert_eq!(optional.and(&read), read);
        assert_eq!(
            optional.and(&read.clone().optional()),
            read.clone().optional()
        );
        assert!(Security::token().optional().is_optional());
    }
}
