//! Scopes as types: the [`Scope`] and [`ScopeSet`] traits, [`AnyOf`], and the
//! [`scopes!`](crate::scopes) macro.
//!
//! `RequireScopes<"read:docs">` is not possible on stable Rust (const generic parameters
//! cannot be `&str`), so each scope is a marker type declared once with `scopes!`, which
//! checks the literal at compile time.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::claims::Scopes;
use crate::error::AuthError;

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
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes named by this set, in order.
    const SCOPES: &'static [&'static str];
    /// `true` when any one of [`SCOPES`](Self::SCOPES) is enough, `false` when all are needed.
    const ANY_OF: bool = false;

    /// Whether `granted` satisfies this set.
    fn is_satisfied_by(granted: &Scopes) -> bool {
        if Self::ANY_OF {
            granted.contains_any(Self::SCOPES.iter().copied())
        } else {
            granted.contains_all(Self::SCOPES.iter().copied())
        }
    }

    /// The scopes space-separated, as in a challenge's `scope` parameter (empty for `()`).
    fn required() -> Cow<'static, str> {
        match Self::SCOPES {
            [] => Cow::Borrowed(""),
            [one] => Cow::Borrowed(one),
            many => Cow::Owned(many.join(" ")),
        }
    }

    /// `Ok` when `granted` satisfies this set, else the 403 error naming what is needed.
    fn check(granted: &Scopes) -> Result<(), AuthError> {
        if Self::is_satisfied_by(granted) {
            return Ok(());
        }
        Err(AuthError::InsufficientScope {
            required: Self::required(),
            any_of: Self::ANY_OF,
        })
    }
}

impl<S: Scope> ScopeSet for S {
    const SCOPES: &'static [&'static str] = &[S::NAME];
}

impl ScopeSet for () {
    const SCOPES: &'static [&'static str] = &[];
}

/// At least one of the scopes in the tuple `T`: `AnyOf<(DeleteDocs, Admin)>`.
///
/// A 403 for an `AnyOf` names every alternative in the challenge's `scope` parameter and says
/// in its description that one of them is enough.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyOf<T>(PhantomData<fn() -> T>);

macro_rules! tuple_scope_sets {
    ($($name:ident),+) => {
        impl<$($name: Scope),+> ScopeSet for ($($name,)+) {
            const SCOPES: &'static [&'static str] = &[$($name::NAME),+];
        }
        impl<$($name: Scope),+> ScopeSet for AnyOf<($($name,)+)> {
            const SCOPES: &'static [&'static str] = &[$($name::NAME),+];
            const ANY_OF: bool = true;
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

/// Declares scope marker types from string literals, checked at compile time.
///
/// Each entry is `[doc comments] [visibility] Name = "scope";`. The literal must be an
/// RFC 6749 scope-token (non-empty, no whitespace, printable ASCII without `"` and `\`);
/// anything else is a compile error. The type implements [`Scope`] and so [`ScopeSet`].
///
/// An optional first line `[visibility] const NAME;` also declares a constant listing every
/// scope of the block, in order: for a protected-resource document's `scopes_supported`, say.
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
/// use axum_logto::{scopes, Scope};
///
/// scopes! {
///     /// Read documents.
///     pub ReadDocs = "read:docs";
///     pub(crate) WriteDocs = "write:docs";
///     Admin = "admin";
/// }
///
/// assert_eq!(ReadDocs::NAME, "read:docs");
/// assert_eq!(Admin::NAME, "admin");
/// ```
///
/// ```compile_fail
/// axum_logto::scopes! { pub Bad = "read docs"; } // whitespace: compile error
/// ```
#[macro_export]
macro_rules! scopes {
    (
        $(#[$all_meta:meta])* $all_vis:vis const $all:ident;
        $($(#[$meta:meta])* $vis:vis $name:ident = $scope:literal;)*
    ) => {
        $(#[$all_meta])*
        #[doc = "Every scope declared with it by `scopes!`."]
        $all_vis const $all: &[&str] = &[$($scope),*];

        $crate::scopes! { $($(#[$meta])* $vis $name = $scope;)* }
    };
    ($($(#[$meta:meta])* $vis:vis $name:ident = $scope:literal;)*) => {
        $(
            $(#[$meta])*
            #[doc = ""]
            #[doc = concat!("Scope `", $scope, "`.")]
            #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
            $vis struct $name;

            impl $crate::Scope for $name {
                const NAME: &'static str = $scope;
            }

            const _: () = $crate::__private::assert_scope_token($scope);
        )*
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
    fn insufficient_scope_names_what_is_needed() {
        let granted = Scopes::parse("read:docs");
        assert_eq!(
            <(Read, Write)>::check(&granted).unwrap_err(),
            AuthError::InsufficientScope {
                required: "read:docs write:docs".into(),
                any_of: false
            }
        );
        assert_eq!(
            <AnyOf<(Write, Admin)>>::check(&granted).unwrap_err(),
            AuthError::InsufficientScope {
                required: "write:docs admin".into(),
                any_of: true
            }
        );
        assert_eq!(
            Write::check(&Scopes::default()).unwrap_err(),
            AuthError::InsufficientScope {
                required: "write:docs".into(),
                any_of: false
            }
        );
        assert!(<()>::check(&Scopes::default()).is_ok());
    }
}
