//! Scope hierarchies: a broader scope implies narrower ones ("Servers MUST account for scope
//! hierarchies, where a broader scope implies narrower ones", MCP authorization 2026-07-28).
//! Declared on the builder with
//! [`LogtoStateBuilder::scope_implies`](crate::LogtoStateBuilder::scope_implies), closed
//! under implication, and applied once per verified token, where its `scope` claim is read:
//! every check of the state (extractors, the layer, per-operation policies, `authorize`) then
//! sees the implied scopes, and the verified-token cache keeps the expanded set.

use crate::claims::Scopes;

/// Which scopes each scope implies, closed under implication (`admin` → `write` → `read`
/// gives `admin` both). Empty by default: then [`expand`](Self::expand) costs one length test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScopeHierarchy {
    /// What each scope implies directly, as declared.
    declared: Vec<(&'static str, Vec<&'static str>)>,
    /// What each scope implies through any chain, itself excluded; sorted by scope.
    closed: Vec<(&'static str, Vec<&'static str>)>,
}

impl ScopeHierarchy {
    /// Declares that `broad` implies each of `narrower` (scope names checked at compile time
    /// by the markers they come from).
    pub(crate) fn declare(&mut self, broad: &'static str, narrower: &[&'static str]) {
        match self.declared.iter_mut().find(|(scope, _)| *scope == broad) {
            Some((_, implied)) => implied.extend(narrower),
            None => self.declared.push((broad, narrower.to_vec())),
        }
        self.close();
    }

    /// Recomputes the closure of the declared implications (a handful of scopes, at
    /// configuration time).
    fn close(&mut self) {
        let mut closed: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
        for &(broad, _) in &self.declared {
            let mut implied: Vec<&'static str> = Vec::new();
            let mut pending = vec![broad];
            while let Some(scope) = pending.pop() {
                let direct = self.declared.iter().filter(|(s, _)| *s == scope);
                for narrower in direct.flat_map(|(_, narrower)| narrower) {
                    if *narrower != broad && !implied.contains(narrower) {
                        implied.push(narrower);
                        pending.push(narrower);
                    }
                }
            }
            closed.push((broad, implied));
        }
        closed.sort_unstable_by_key(|(broad, _)| *broad);
        self.closed = closed;
    }

    /// `granted` with every scope its scopes imply, after them (in the order declared).
    pub(crate) fn expand(&self, granted: Scopes) -> Scopes {
        if self.closed.is_empty() {
            return granted;
        }
        let mut expanded = granted.clone();
        for scope in granted.iter() {
            if let Ok(at) = self
                .closed
                .binary_search_by_key(&scope, |(broad, _)| *broad)
            {
                for implied in &self.closed[at].1 {
                    expanded.insert(implied);
                }
            }
        }
        expanded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_declared_changes_nothing() {
        let granted = Scopes::parse("a b");
        assert_eq!(ScopeHierarchy::default().expand(granted.clone()), granted);
    }

    #[test]
    fn implications_are_transitive_kept_once_and_after_the_tokens_own() {
        let mut hierarchy = ScopeHierarchy::default();
        hierarchy.declare("admin", &["write"]);
        hierarchy.declare("write", &["read"]);
        hierarchy.declare("read", &["admin"]); // a cycle ends where it started
        let names = |scopes: &str| {
            let expanded = hierarchy.expand(Scopes::parse(scopes));
            expanded.iter().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(names("other admin"), ["other", "admin", "write", "read"]);
        assert_eq!(names("write"), ["write", "read", "admin"]);
        assert_eq!(names("read write"), ["read", "write", "admin"]);
        assert_eq!(names("other"), ["other"]);
        assert_eq!(names(""), Vec::<String>::new());
    }

    #[test]
    fn a_scope_declared_twice_implies_both() {
        let mut hierarchy = ScopeHierarchy::default();
        hierarchy.declare("admin", &["read"]);
        hierarchy.declare("admin", &["write", "read"]);
        let expanded = hierarchy.expand(Scopes::parse("admin"));
        assert_eq!(
            expanded.iter().collect::<Vec<_>>(),
            ["admin", "read", "write"]
        );
    }
}
