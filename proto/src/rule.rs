//! Rules: what a command can break. Each crate that decides declares its rules once with
//! [`rules!`](crate::rules): a stable code (whose first part names the thing it guards), the kind
//! of refusal (and so the HTTP status) and, in its doc comment, what it says in a programme manager's words. Refusals are made
//! from these constants, and the rules reference (`RULES.md`) is generated from the crates' `ALL`
//! lists.

use crate::reply::{Rejection, RejectionKind};

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable and dotted: `milestone.closed`. Clients match on it.
    pub code: &'static str,
    pub kind: RejectionKind,
    /// What the rule says, from its doc comment.
    pub says: &'static str,
}

impl Rule {
    /// A refusal by this rule, with the sentence that names the thing.
    pub fn refuse(&self, message: impl Into<String>) -> Rejection {
        Rejection::new(self.kind, self.code, message)
    }

    /// A refusal by this rule that concerns one input field.
    pub fn refuse_on(&self, field: &str, message: impl Into<String>) -> Rejection {
        self.refuse(message).on_field(field)
    }

    /// What it guards: the code's first part (`milestone` for `milestone.closed`).
    pub fn thing(&self) -> &'static str {
        self.code.split('.').next().unwrap_or(self.code)
    }

    /// What the rule says, on one line.
    pub fn sentence(&self) -> String {
        self.says.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Declares rules once: `rules! { /// What it says. ALREADY_PLANNED: Conflict
/// "milestone.already_planned"; }` makes a [`Rule`] constant per entry and `ALL`, the list the rules
/// reference is generated from.
#[macro_export]
macro_rules! rules {
    ($( $(#[doc = $doc:literal])+ $name:ident: $kind:ident $code:literal; )*) => {
        $(
            $(#[doc = $doc])+
            pub const $name: $crate::rule::Rule = $crate::rule::Rule {
                code: $code,
                kind: $crate::RejectionKind::$kind,
                says: concat!($($doc),+),
            };
        )*
        /// Every rule declared here, for the rules reference.
        pub const ALL: &[$crate::rule::Rule] = &[$($name),*];
    };
}
