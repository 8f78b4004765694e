//! Per-operation policies, the part MCP ([`McpPolicy`](crate::McpPolicy)) and gRPC
//! (`GrpcPolicy`) share: what one operation needs ([`Rule`]), a table from operation names to
//! rules ([`Table`]), and the grant of a request for a rule, through the extractors' own path
//! with the [`Policy`] of that rule.

use std::collections::BTreeMap;
use std::fmt;

use http::request::Parts;

use crate::check::ClaimCheck;
use crate::claims::{AuthInfo, NoClaims};
use crate::credentials::Place;
use crate::extract::{AnyOrg, grant};
use crate::rejection::AuthRejection;
use crate::scope::{RequiredScopes, ScopeSet};
use crate::state::LogtoState;
use crate::token::Policy;

/// What one operation needs of a valid token for this API.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// These scopes (none: any valid token).
    Scopes(RequiredScopes),
    /// Nothing is enough: refused with 403 once the token itself passed.
    Refuse,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scopes(RequiredScopes {
                names,
                any_of: true,
            }) => write!(f, "any of {names:?}"),
            Self::Scopes(RequiredScopes { names, .. }) => write!(f, "{names:?}"),
            Self::Refuse => f.write_str("refused"),
        }
    }
}

impl Rule {
    /// The scopes `S` (`()`: any valid token).
    pub(crate) const fn of<S: ScopeSet>() -> Self {
        Self::Scopes(RequiredScopes::of::<S>())
    }

    /// The policy of the one decision for an operation of this rule: a token for this API
    /// with the rule's scopes, or, for a refused operation, a claim check no token passes
    /// (so that a bad token is still 401 first, and a good one 403).
    pub(crate) const fn policy(self) -> Policy<'static> {
        match self {
            Self::Scopes(scopes) => Policy {
                scopes,
                ..Policy::global()
            },
            Self::Refuse => REFUSED,
        }
    }

    /// Whether it asks nothing of a token beyond its validity (then a request without one
    /// passes an optional layer).
    pub(crate) fn is_open(self) -> bool {
        matches!(self, Self::Scopes(scopes) if scopes.names.is_empty())
    }

    /// The scope names it mentions.
    pub(crate) fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Scopes(scopes) => scopes.names,
            Self::Refuse => &[],
        }
    }
}

/// The claim check of a refused operation, which no token passes: the refusal is a 403
/// `insufficient_scope` whose challenge names no scope (none would help).
struct Refused;

impl ClaimCheck for Refused {
    type Claims = NoClaims;
    const DESCRIPTION: &'static str = "this operation is not allowed for any access token";

    fn check(_: &AuthInfo, _: &NoClaims) -> bool {
        false
    }
}

const REFUSED: Policy<'static> = Policy::global().check::<Refused>();

/// Operation names and their rules: exact names, and prefixes (a key that ends with `*`). An
/// exact name wins over any prefix, a longer prefix over a shorter one; a later entry for the
/// same key replaces the earlier one.
#[derive(Clone, Default)]
pub(crate) struct Table {
    exact: BTreeMap<Box<str>, Rule>,
    /// Longest first.
    prefixes: Vec<(Box<str>, Rule)>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefixes = self
            .prefixes
            .iter()
            .map(|(prefix, rule)| (format!("{prefix}*"), rule));
        f.debug_map()
            .entries(self.exact.iter())
            .entries(prefixes)
            .finish()
    }
}

impl Table {
    /// Sets the rule of `key`: an exact name, or with `*` at its end, every name that starts
    /// with what comes before it.
    pub(crate) fn insert(&mut self, key: &str, rule: Rule) {
        match key.strip_suffix('*') {
            Some(prefix) => self.insert_prefix(prefix, rule),
            None => {
                self.exact.insert(key.into(), rule);
            }
        }
    }

    /// Sets the rule of every name that starts with `prefix`.
    pub(crate) fn insert_prefix(&mut self, prefix: &str, rule: Rule) {
        self.prefixes.retain(|(known, _)| **known != *prefix);
        let at = self
            .prefixes
            .iter()
            .position(|(known, _)| known.len() < prefix.len())
            .unwrap_or(self.prefixes.len());
        self.prefixes.insert(at, (prefix.into(), rule));
    }

    /// The rule of `name`: its exact entry, else that of the longest prefix it starts with.
    pub(crate) fn get(&self, name: &str) -> Option<Rule> {
        self.exact
            .get(name)
            .copied()
            .or_else(|| self.prefix_of(name))
    }

    /// The rule of the longest prefix `name` starts with, with the part after the prefix.
    pub(crate) fn prefix_match<'n>(&self, name: &'n str) -> Option<(Rule, &'n str)> {
        self.prefixes
            .iter()
            .find_map(|(prefix, rule)| name.strip_prefix(&**prefix).map(|rest| (*rule, rest)))
    }

    fn prefix_of(&self, name: &str) -> Option<Rule> {
        self.prefix_match(name).map(|(rule, _)| rule)
    }

    /// Every scope its rules mention, in no particular order, possibly repeated.
    pub(crate) fn scopes(&self) -> impl Iterator<Item = &'static str> + '_ {
        let exact = self.exact.values();
        let prefixes = self.prefixes.iter().map(|(_, rule)| rule);
        exact
            .chain(prefixes)
            .flat_map(|rule| rule.scopes().iter().copied())
    }
}

/// Every scope of `rules`, each once, sorted.
pub(crate) fn scopes_supported(rules: impl IntoIterator<Item = &'static str>) -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = rules.into_iter().collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// What a layer checks every request with, whatever its operation: the state, the layer's
/// own policy (its `require_scopes` and `require_check`), and whether a request may come
/// without a token.
#[derive(Clone)]
pub(crate) struct Gate {
    pub(crate) logto: LogtoState,
    pub(crate) policy: Policy<'static>,
    pub(crate) optional: bool,
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("optional", &self.optional)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// The extractors' path with the layer's own policy; the verified token is left in the
    /// extensions for later extractors, and its `AuthInfo` for the inner service. Where the
    /// token was, if the request had one.
    pub(crate) async fn grant(&self, parts: &mut Parts) -> Result<Option<Place>, AuthRejection> {
        self.grant_with(parts, &self.policy, self.optional).await
    }

    /// The same path for an operation of `rule`: the layer's own policy first when it asks
    /// for anything (scopes, a claim check), then the rule's. A request without a token
    /// passes an optional layer only for an operation that needs no scope. The token is
    /// verified once, however many decisions the request takes.
    pub(crate) async fn grant_operation(
        &self,
        parts: &mut Parts,
        rule: Rule,
    ) -> Result<Option<Place>, AuthRejection> {
        let policy = self.policy;
        if policy.scopes != RequiredScopes::NONE || policy.check.is_some() {
            self.grant(parts).await?;
        }
        self.grant_rule(parts, rule).await
    }

    /// The rule's decision alone, for a request that passed [`grant`](Self::grant) already.
    pub(crate) async fn grant_rule(
        &self,
        parts: &mut Parts,
        rule: Rule,
    ) -> Result<Option<Place>, AuthRejection> {
        let optional = self.optional && rule.is_open();
        self.grant_with(parts, &rule.policy(), optional).await
    }

    async fn grant_with(
        &self,
        parts: &mut Parts,
        policy: &Policy<'static>,
        optional: bool,
    ) -> Result<Option<Place>, AuthRejection> {
        let granted =
            grant::<(), AnyOrg, NoClaims>(parts, &self.logto, &(), policy, optional).await?;
        Ok(granted.map(|granted| {
            parts.extensions.insert(granted.info);
            granted.place
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::scopes! {
        Read = "read";
        Write = "write";
    }

    #[test]
    fn exact_names_win_then_the_longest_prefix() {
        let mut table = Table::default();
        table.insert("notifications/*", Rule::of::<()>());
        table.insert("notifications/roots/*", Rule::of::<Read>());
        table.insert("notifications/roots/list_changed", Rule::Refuse);
        table.insert("tools/call", Rule::of::<Write>());
        assert_eq!(table.get("tools/call"), Some(Rule::of::<Write>()));
        assert_eq!(table.get("tools/call2"), None);
        assert_eq!(table.get("notifications/cancelled"), Some(Rule::of::<()>()));
        assert_eq!(table.get("notifications/roots/x"), Some(Rule::of::<Read>()));
        assert_eq!(
            table.get("notifications/roots/list_changed"),
            Some(Rule::Refuse)
        );
        assert_eq!(table.get("notifications"), None);
        // A later entry replaces an earlier one.
        table.insert("notifications/*", Rule::Refuse);
        assert_eq!(table.get("notifications/cancelled"), Some(Rule::Refuse));
        assert_eq!(
            scopes_supported(table.scopes()),
            ["read", "write"],
            "{table:?}"
        );
    }

    #[test]
    fn rules_and_their_policies() {
        assert!(Rule::of::<()>().is_open());
        assert!(!Rule::of::<Read>().is_open());
        assert!(!Rule::Refuse.is_open());
        assert_eq!(Rule::of::<(Read, Write)>().scopes(), ["read", "write"]);
        assert_eq!(
            Rule::of::<Read>().policy().required_scopes(),
            RequiredScopes::of::<Read>()
        );
        let refused = Rule::Refuse.policy();
        assert_eq!(refused.required_scopes(), RequiredScopes::NONE);
        assert!(refused.check.is_some());
        assert_eq!(format!("{:?}", Rule::Refuse), "refused");
    }
}
