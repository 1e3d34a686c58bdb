//! What the deciders' given/when/then tests share: a thing's state folded from the events it is
//! given, and the check of a refusal against the rules that may make it.

use eventstore::Aggregate;
use proto::{EventBody, Rejection, Rule};

/// The state `events` fold into, from nothing: a thing as its history leaves it.
pub fn fold<A: Aggregate>(events: &[EventBody]) -> A {
    let mut state = A::default();
    events.iter().for_each(|e| state.evolve(e));
    state
}

/// Checks that `outcome` is a refusal by the rule coded `code`, with the kind that rule declares,
/// on input `field` (`None`: a refusal of the command as a whole); returns the refusal. The rule
/// is one of `own`, the decider's rules, or of those every decider shares: the checks against
/// blueprints and organisations, and the rules of text and amounts.
///
/// # Panics
/// When `outcome` is anything else, or no such rule has that code.
#[track_caller]
pub fn refusal(
    outcome: Result<Vec<EventBody>, Rejection>,
    own: &[Rule],
    code: &str,
    field: Option<&str>,
) -> Rejection {
    let refusal = outcome.expect_err("the command should be refused");
    let rule = [own, crate::checks::rules::ALL, proto::text::rules::ALL]
        .into_iter()
        .flatten()
        .find(|rule| rule.code == code)
        .unwrap_or_else(|| panic!("no rule is coded {code}"));
    assert_eq!(
        (
            refusal.code.as_str(),
            refusal.kind,
            refusal.field.as_deref()
        ),
        (code, rule.kind, field),
        "{refusal:?}"
    );
    refusal
}

/// Asserts that `refusal`'s message says `part`; a failure prints the message.
#[track_caller]
pub fn assert_says(refusal: &Rejection, part: &str) {
    assert!(
        refusal.message.contains(part),
        "{:?} does not say {part:?}",
        refusal.message
    );
}
