//! Validated slug identifiers. A slug is 1 to 64 characters of `a-z`, `0-9` and `-`; it appears as a
//! token of a NATS subject, so anything else is rejected with an error naming the id, never mangled.

use std::fmt;

/// The longest slug accepted.
pub const MAX_SLUG_LEN: usize = 64;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} id {value:?}: {problem}")]
pub struct IdError {
    /// What the id names: "milestone", "organisation", ...
    pub what: &'static str,
    /// The rejected input, as given.
    pub value: String,
    /// What is wrong with it.
    pub problem: SlugProblem,
}

/// The first thing wrong with a would-be slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugProblem {
    #[error("it is empty; use 1 to 64 lower-case letters, digits and '-'")]
    Empty,
    #[error("it is {0} characters long; the limit is 64")]
    TooLong(usize),
    #[error("{} is not allowed; use only lower-case ASCII letters, digits and '-'", describe(*.0))]
    BadChar(char),
}

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '.' => "a dot".to_owned(),
        c if c.is_ascii_uppercase() => format!("upper case {c:?}"),
        c if !c.is_ascii() => format!("the non-ASCII character {c:?}"),
        c => format!("{c:?}"),
    }
}

/// Checks a slug; returns the first problem found.
pub fn check_slug(value: &str) -> Result<(), SlugProblem> {
    if value.is_empty() {
        return Err(SlugProblem::Empty);
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(SlugProblem::BadChar(bad));
    }
    if value.len() > MAX_SLUG_LEN {
        return Err(SlugProblem::TooLong(value.len()));
    }
    Ok(())
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// What this id names, as used in messages.
            pub const WHAT: &'static str = $what;

            /// Validates `value` as a slug.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                match check_slug(&value) {
                    Ok(()) => Ok(Self(value)),
                    Err(problem) => Err(IdError { what: $what, value, problem }),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                slug_schema($what, $example)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

/// The JSON schema of a slug id: what [`check_slug`] accepts.
#[cfg(feature = "openapi")]
fn slug_schema(
    what: &str,
    example: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "The {what}'s id: 1 to {MAX_SLUG_LEN} lower-case ASCII letters, digits and '-'."
        )))
        .pattern(Some("^[a-z0-9-]+$"))
        .min_length(Some(1))
        .max_length(Some(MAX_SLUG_LEN))
        .examples([example])
        .into()
}

slug_id!(
    /// An organisation, unique across all blueprints.
    OrgId, "organisation", "gds"
);
slug_id!(
    /// A blueprint.
    BlueprintId, "blueprint", "wm-digital"
);
slug_id!(
    /// A workstream, unique within its blueprint.
    WorkstreamId, "workstream", "skills"
);
slug_id!(
    /// A milestone, unique within its blueprint.
    MilestoneId, "milestone", "academy"
);
slug_id!(
    /// A partner's commitment, unique within its blueprint.
    CommitmentId, "commitment", "secondees"
);
slug_id!(
    /// A sponsor's investment pledge, unique within its blueprint.
    PledgeId, "pledge", "academy-fund"
);
slug_id!(
    /// A measurable target of a blueprint, unique within it.
    TargetId, "target", "tech-roles"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_slugs() {
        assert!(MilestoneId::new("hub-100-roles").is_ok());
        assert!(MilestoneId::new("a").is_ok());
        assert!(MilestoneId::new("x".repeat(64)).is_ok());
    }

    #[test]
    fn rejects_subject_breakers_naming_the_id() {
        for (bad, needle) in [
            ("hub.roles", "a dot"),
            ("hub roles", "a space"),
            ("*", "'*'"),
            (">", "'>'"),
            ("Hub", "upper case 'H'"),
            ("café", "non-ASCII"),
            ("", "empty"),
        ] {
            let err = MilestoneId::new(bad).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("milestone id"), "{text}");
            assert!(text.contains(needle), "{text}");
            assert!(text.contains(&format!("{bad:?}")), "{text}");
        }
        let err = OrgId::new("x".repeat(65)).unwrap_err();
        assert_eq!(err.problem, SlugProblem::TooLong(65));
    }

    #[test]
    fn deserialising_validates() {
        let err = serde_json::from_str::<OrgId>("\"gds.uk\"").unwrap_err();
        assert!(err.to_string().contains("invalid organisation id"), "{err}");
    }

    proptest! {
        #[test]
        fn a_valid_slug_never_contains_a_subject_token_breaker(s in "\\PC{0,70}") {
            if let Ok(id) = BlueprintId::new(s.clone()) {
                prop_assert!(!id.as_str().contains(['.', '*', '>', ' ']));
                prop_assert!(!id.as_str().is_empty() && id.as_str().len() <= 64);
            }
        }
    }
}
