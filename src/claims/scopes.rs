//! [`Scopes`]: what a token's `scope` claim grants.

use std::fmt;

use serde::{Serialize, Serializer};

/// The scopes a token grants, from its `scope` claim.
///
/// RFC 6749 §3.3: scopes are separated by spaces (U+0020) only; a tab, a no-break space or any
/// other character is part of a scope name, never a separator. A missing or empty `scope`
/// means no scopes. Duplicates are kept once, in order.
///
/// ```
/// use axum_logto::Scopes;
///
/// let scopes = Scopes::parse("read:docs  write:docs");
/// assert!(scopes.contains("read:docs"));
/// assert!(scopes.contains_all(["read:docs", "write:docs"]));
/// assert!(scopes.contains_any(["admin", "write:docs"]));
/// assert!(!scopes.contains_any(["admin"]));
/// assert_eq!(scopes.iter().collect::<Vec<_>>(), ["read:docs", "write:docs"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Box<str>>);

impl Scopes {
    /// Splits a `scope` value on spaces (U+0020), skipping empty parts.
    pub fn parse(scope: &str) -> Self {
        let mut scopes: Vec<Box<str>> = Vec::new();
        for token in scope.split(' ').filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|s| &**s == token) {
                scopes.push(token.into());
            }
        }
        Self(scopes)
    }

    /// Adds `scope` unless it is granted already (a scope a hierarchy implies).
    pub(crate) fn insert(&mut self, scope: &str) {
        if !self.contains(scope) {
            self.0.push(scope.into());
        }
    }

    /// Whether `scope` is granted.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| &**s == scope)
    }

    /// Whether every one of `scopes` is granted (true for an empty list).
    pub fn contains_all<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> bool {
        scopes.into_iter().all(|s| self.contains(s))
    }

    /// Whether at least one of `scopes` is granted (false for an empty list).
    pub fn contains_any<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> bool {
        scopes.into_iter().any(|s| self.contains(s))
    }

    /// The granted scopes, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| &**s)
    }

    /// What its scope names hold on the heap, in allocator chunks.
    pub(crate) fn heap_bytes(&self) -> usize {
        super::heap::chunk(self.0.capacity() * size_of::<Box<str>>())
            + self
                .0
                .iter()
                .map(|s| super::heap::chunk(s.len()))
                .sum::<usize>()
    }

    /// How many distinct scopes are granted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}
