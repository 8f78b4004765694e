//! Scopes as types: the [`Scope`] and [`ScopeSet`] traits, [`AnyOf`], and the
//! [`scopes!`](crate::scopes) macro.
//!
//! `RequireScopes<"read:docs">` is not possible on stable Rust (const generic parameters
//! cannot be `&str`), so each scope is a marker type declared once with `scopes!`, which
//! checks the literal at compile time.

mod hierarchy;

use std::marker::PhantomData;

pub(crate) use hierarchy::ScopeHierarchy;

use crate::claims::Scopes;

/// One scope, as a marker type. Declare them with [`scopes!`](crate::scopes), which checks
/// the name at compile time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scope",
    label = "not declared with `scopes!`",
    note = "declare scopes with `axum_logto::scopes! {{ pub ReadDocs = \"read:docs\"; }}` and use the marker: `RequireScopes<ReadDocs>`"
)]
pub trait Scope: Send + Sync + 'static {
    /// The scope as it appears in the token's `scope` claim, for instance `read:docs`.
    const NAME: &'static str;
    /// What the scope allows, in one line: the first line of its doc comment in
    /// [`scopes!`](crate::scopes) (empty without one). OpenAPI documents show it beside the
    /// scope's name.
    const DESCRIPTION: &'static str = "";
}

/// A scope's name and its one-line description ([`Scope::NAME`], [`Scope::DESCRIPTION`]), as an
/// OpenAPI document lists it: [`ScopeSet::DOCS`], or a constant declared by
/// [`scopes!`](crate::scopes) with `const NAME: &[ScopeDoc];`.
///
/// ```
/// use axum_logto::{scopes, ScopeDoc};
///
/// scopes! {
///     pub const DOCUMENTED: &[ScopeDoc];
///     /// Read documents.
///     pub ReadDocs = "read:docs";
/// }
///
/// assert_eq!(DOCUMENTED, [ScopeDoc::of::<ReadDocs>()]);
/// assert_eq!((DOCUMENTED[0].name(), DOCUMENTED[0].description()), ("read:docs", "Read documents."));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScopeDoc {
    name: &'static str,
    description: &'static str,
}

impl ScopeDoc {
    /// The scope `S`, with its description.
    pub const fn of<S: Scope>() -> Self {
        Self {
            name: <S as ScopeSet>::SCOPES[0],
            description: S::DESCRIPTION,
        }
    }

    /// The scope's name, as in the token's `scope` claim.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// What the scope allows, in one line (empty when it has no doc comment).
    pub const fn description(&self) -> &'static str {
        self.description
    }
}

/// What a route requires: one [`Scope`], a tuple of them (all of them), [`AnyOf`] (at least
/// one), or `()` (nothing).
///
/// ```
/// use axum_logto::{scopes, AnyOf, ScopeSet, Scopes};
///
/// scopes! {
///     pub ReadDocs = "read:docs";
///     pub WriteDocs = "write:docs";
///     pub Admin = "admin";
/// }
///
/// let granted = Scopes::parse("read:docs admin");
/// assert!(<ReadDocs as ScopeSet>::is_satisfied_by(&granted));
/// assert!(!<(ReadDocs, WriteDocs)>::is_satisfied_by(&granted));
/// assert!(<AnyOf<(WriteDocs, Admin)>>::is_satisfied_by(&granted));
/// assert!(<()>::is_satisfied_by(&Scopes::default()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a set of scopes",
    label = "not a scope marker, a tuple of them, `AnyOf<(..)>` or `()`",
    note = "scopes are marker types declared with `axum_logto::scopes! {{ pub ReadDocs = \"read:docs\"; }}`: write `RequireScopes<ReadDocs>` (a string literal cannot be a type parameter on stable Rust), `RequireScopes<(ReadDocs, WriteDocs)>` for all of them, or `RequireScopes<AnyOf<(ReadDocs, WriteDocs)>>` for one of them"
)]
pub trait ScopeSet: sealed::Sealed + Send + Sync + 'static {
    /// The scopes named by this set, in order. Each is checked at compile time: a [`Scope`]
    /// whose [`NAME`](Scope::NAME) is not an RFC 6749 scope-token fails to compile where the
    /// set is used.
    const SCOPES: &'static [&'static str];
    /// `true` when any one of [`SCOPES`](Self::SCOPES) is enough, `false` when all are needed.
    const ANY_OF: bool = false;
    /// [`SCOPES`](Self::SCOPES) with their descriptions, in the same order.
    const DOCS: &'static [ScopeDoc] = &[];

    /// Whether `granted` satisfies this set.
    fn is_satisfied_by(granted: &Scopes) -> bool {
        RequiredScopes::of::<Self>().is_satisfied_by(granted)
    }
}

/// The sets of scopes are this crate's ([`Scope`] markers, tuples of them, [`AnyOf`], `()`), so
/// that every name a challenge carries was checked at compile time.
mod sealed {
    pub trait Sealed {}
}

/// What a route requires of a token's scopes, as plain data: every one of `names`, or with
/// `any_of` at least one of them. Built from a [`ScopeSet`] at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RequiredScopes {
    pub(crate) names: &'static [&'static str],
    pub(crate) any_of: bool,
}

impl RequiredScopes {
    /// No scope at all.
    pub(crate) const NONE: Self = Self {
        names: &[],
        any_of: false,
    };

    /// What the set `S` requires.
    pub(crate) const fn of<S: ScopeSet + ?Sized>() -> Self {
        Self {
            names: S::SCOPES,
            any_of: S::ANY_OF,
        }
    }

    /// Whether `granted` satisfies this requirement (always, for no scope).
    pub(crate) fn is_satisfied_by(self, granted: &Scopes) -> bool {
        if self.any_of {
            self.names.is_empty() || granted.contains_any(self.names.iter().copied())
        } else {
            granted.contains_all(self.names.iter().copied())
        }
    }
}

impl<S: Scope> sealed::Sealed for S {}
impl<S: Scope> ScopeSet for S {
    // The check runs when the constant is evaluated, so a `Scope` written by hand with a name
    // that `scopes!` would refuse cannot reach a challenge either.
    const SCOPES: &'static [&'static str] = {
        assert_scope_token(S::NAME);
        &[S::NAME]
    };
    const DOCS: &'static [ScopeDoc] = &[ScopeDoc::of::<S>()];
}

impl sealed::Sealed for () {}
impl ScopeSet for () {
    const SCOPES: &'static [&'static str] = &[];
}

/// At least one of the scopes in the tuple `T`: `AnyOf<(DeleteDocs, Admin)>`.
///
/// A 403 for an `AnyOf` names every alternative in the challenge's `scope` parameter and says
/// in its description that one of them is enough.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyOf<T>(PhantomData<fn() -> T>);

// Each name is read through its marker's own `SCOPES`, whose evaluation checks it.
macro_rules! tuple_scope_sets {
    ($($name:ident),+) => {
        impl<$($name: Scope),+> sealed::Sealed for ($($name,)+) {}
        impl<$($name: Scope),+> ScopeSet for ($($name,)+) {
            const SCOPES: &'static [&'static str] = &[$(<$name as ScopeSet>::SCOPES[0]),+];
            const DOCS: &'static [ScopeDoc] = &[$(ScopeDoc::of::<$name>()),+];
        }
        impl<$($name: Scope),+> sealed::Sealed for AnyOf<($($name,)+)> {}
        impl<$($name: Scope),+> ScopeSet for AnyOf<($($name,)+)> {
            const SCOPES: &'static [&'static str] = &[$(<$name as ScopeSet>::SCOPES[0]),+];
            const ANY_OF: bool = true;
            const DOCS: &'static [ScopeDoc] = &[$(ScopeDoc::of::<$name>()),+];
        }
    };
}

tuple_scope_sets!(A);
tuple_scope_sets!(A, B);
tuple_scope_sets!(A, B, C);
tuple_scope_sets!(A, B, C, D);
tuple_scope_sets!(A, B, C, D, E);
tuple_scope_sets!(A, B, C, D, E, F);
tuple_scope_sets!(A, B, C, D, E, F, G);
tuple_scope_sets!(A, B, C, D, E, F, G, H);
tuple_scope_sets!(A, B, C, D, E, F, G, H, I);
tuple_scope_sets!(A, B, C, D, E, F, G, H, I, J);
tuple_scope_sets!(A, B, C, D, E, F, G, H, I, J, K);
tuple_scope_sets!(A, B, C, D, E, F, G, H, I, J, K, L);

/// Checks at compile time (called from [`scopes!`](crate::scopes)) that `scope` is an
/// RFC 6749 §3.3 scope-token: non-empty, only `%x21 / %x23-5B / %x5D-7E`.
#[doc(hidden)]
pub const fn assert_scope_token(scope: &str) {
    let bytes = scope.as_bytes();
    if bytes.is_empty() {
        panic!("a scope must not be empty");
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b' ' || b == b'\t' || b == b'\n' || b == b'\r' {
            panic!("a scope must not contain whitespace (RFC 6749 section 3.3)");
        }
        if !(b == 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e)) {
            panic!(
                "a scope may only contain the characters %x21 / %x23-5B / %x5D-7E (RFC 6749 section 3.3): no quote, backslash, control or non-ASCII character"
            );
        }
        i += 1;
    }
}

/// The first non-blank line of a doc comment, trimmed (called from [`scopes!`](crate::scopes)
/// with the item's `#[doc]` strings, one per line of `///`).
#[doc(hidden)]
pub const fn first_doc_line(docs: &[&'static str]) -> &'static str {
    let mut i = 0;
    while i < docs.len() {
        let mut rest = docs[i];
        while !rest.is_empty() {
            let bytes = rest.as_bytes();
            let mut end = 0;
            while end < bytes.len() && bytes[end] != b'\n' {
                end += 1;
            }
            // `end` is at a `\n` or at the end: a character boundary either way.
            let (line, tail) = rest.split_at(end);
            let line = line.trim_ascii();
            if !line.is_empty() {
                return line;
            }
            // Past the `\n`, if any.
            rest = if tail.is_empty() {
                tail
            } else {
                tail.split_at(1).1
            };
        }
        i += 1;
    }
    ""
}

/// Declares scope marker types from string literals, checked at compile time.
///
/// Each entry is `[doc comments] [visibility] Name = "scope";`. The literal must be an
/// RFC 6749 scope-token (non-empty, no whitespace, printable ASCII without `"` and `\`);
/// anything else is a compile error. The type implements [`Scope`] (and so [`ScopeSet`]), with
/// the first line of its doc comment as [`Scope::DESCRIPTION`], and `Display` (its name), so
/// that the marker itself can stand where a scope's text is expected, as in utoipa's
/// `security(("logto" = [ReadDocs]))`.
///
/// Optional first lines declare constants over every scope of the block, in order:
/// `[visibility] const NAME;` a `&[&str]` of their names (for a protected-resource
/// document's `scopes_supported`, say), and `[visibility] const NAME: &[ScopeDoc];` their
/// names and descriptions (for an OpenAPI security scheme); either, both (in this order) or
/// none.
///
/// ```
/// axum_logto::scopes! {
///     pub const ALL_SCOPES;
///     pub ReadDocs = "read:docs";
///     pub WriteDocs = "write:docs";
/// }
///
/// assert_eq!(ALL_SCOPES, ["read:docs", "write:docs"]);
/// ```
///
/// ```
/// use axum_logto::{scopes, Scope, ScopeDoc};
///
/// scopes! {
///     pub const NAMES;
///     pub const DOCUMENTED: &[ScopeDoc];
///     /// Read documents.
///     ///
///     /// More about it: not in the description.
///     pub ReadDocs = "read:docs";
///     pub(crate) WriteDocs = "write:docs";
///     Admin = "admin";
/// }
///
/// assert_eq!(ReadDocs::NAME, "read:docs");
/// assert_eq!(ReadDocs::DESCRIPTION, "Read documents.");
/// assert_eq!(Admin::DESCRIPTION, "");
/// assert_eq!(ReadDocs.to_string(), "read:docs");
/// assert_eq!(NAMES, ["read:docs", "write:docs", "admin"]);
/// assert_eq!(DOCUMENTED[0].description(), "Read documents.");
/// ```
///
/// ```compile_fail
/// axum_logto::scopes! { pub Bad = "read docs"; } // whitespace: compile error
/// ```
#[macro_export]
macro_rules! scopes {
    (
        $(#[$all_meta:meta])* $all_vis:vis const $all:ident;
        $(#[$docs_meta:meta])* $docs_vis:vis const $docs:ident: &[ScopeDoc];
        $($(#[$($attr:tt)*])* $vis:vis $name:ident = $scope:literal;)*
    ) => {
        $(#[$all_meta])*
        #[doc = "Every scope declared with it by `scopes!`."]
        $all_vis const $all: &[&str] = &[$($scope),*];

        $(#[$docs_meta])*
        #[doc = "Every scope declared with it by `scopes!`, with its description."]
        $docs_vis const $docs: &[$crate::ScopeDoc] = &[$($crate::ScopeDoc::of::<$name>()),*];

        $crate::scopes! { $($(#[$($attr)*])* $vis $name = $scope;)* }
    };
    (
        $(#[$all_meta:meta])* $all_vis:vis const $all:ident;
        $($(#[$($attr:tt)*])* $vis:vis $name:ident = $scope:literal;)*
    ) => {
        $(#[$all_meta])*
        #[doc = "Every scope declared with it by `scopes!`."]
        $all_vis const $all: &[&str] = &[$($scope),*];

        $crate::scopes! { $($(#[$($attr)*])* $vis $name = $scope;)* }
    };
    (
        $(#[$docs_meta:meta])* $docs_vis:vis const $docs:ident: &[ScopeDoc];
        $($(#[$($attr:tt)*])* $vis:vis $name:ident = $scope:literal;)*
    ) => {
        $(#[$docs_meta])*
        #[doc = "Every scope declared with it by `scopes!`, with its description."]
        $docs_vis const $docs: &[$crate::ScopeDoc] = &[$($crate::ScopeDoc::of::<$name>()),*];

        $crate::scopes! { $($(#[$($attr)*])* $vis $name = $scope;)* }
    };
    ($($(#[$($attr:tt)*])* $vis:vis $name:ident = $scope:literal;)*) => {
        $(
            $(#[$($attr)*])*
            #[doc = ""]
            #[doc = concat!("Scope `", $scope, "`.")]
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            $vis struct $name;

            impl $crate::Scope for $name {
                const NAME: &'static str = $scope;
                const DESCRIPTION: &'static str =
                    $crate::__private::first_doc_line($crate::__scope_docs!([] $(#[$($attr)*])*));
            }

            impl ::std::fmt::Display for $name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str($scope)
                }
            }

            const _: () = $crate::__private::assert_scope_token($scope);
        )*
    };
}

/// The `#[doc]` strings among a `scopes!` entry's attributes, as a `&[&str]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __scope_docs {
    ([$($doc:expr,)*]) => {
        &[$($doc),*]
    };
    ([$($doc:expr,)*] #[doc = $line:literal] $($rest:tt)*) => {
        $crate::__scope_docs!([$($doc,)* $line,] $($rest)*)
    };
    ([$($doc:expr,)*] #[$($other:tt)*] $($rest:tt)*) => {
        $crate::__scope_docs!([$($doc,)*] $($rest)*)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::scopes! {
        /// Read.
        pub(crate) Read = "read:docs";
        Write = "write:docs";
        Admin = "admin";
        Odd = "!#[]~";
    }

    #[test]
    fn sets() {
        let granted = Scopes::parse("read:docs admin");
        assert!(Read::is_satisfied_by(&granted));
        assert!(<(Read, Admin)>::is_satisfied_by(&granted));
        assert!(!<(Read, Write)>::is_satisfied_by(&granted));
        assert!(<AnyOf<(Write, Admin)>>::is_satisfied_by(&granted));
        assert!(!<AnyOf<(Write, Odd)>>::is_satisfied_by(&granted));
        assert_eq!(
            <(Read, Write, Admin)>::SCOPES,
            ["read:docs", "write:docs", "admin"]
        );
        assert_eq!(Odd::NAME, "!#[]~");
    }

    #[test]
    fn requirements() {
        let granted = Scopes::parse("read:docs");
        assert!(RequiredScopes::NONE.is_satisfied_by(&Scopes::default()));
        assert_eq!(
            RequiredScopes::of::<AnyOf<(Write, Admin)>>(),
            RequiredScopes {
                names: &["write:docs", "admin"],
                any_of: true
            }
        );
        assert!(!RequiredScopes::of::<(Read, Write)>().is_satisfied_by(&granted));
        assert!(RequiredScopes::of::<AnyOf<(Write, Read)>>().is_satisfied_by(&granted));
    }
}
