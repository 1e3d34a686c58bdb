//! Limits on free text and amounts, shared by every decider so that the same input gets the same
//! answer whichever service handles it.

use crate::reply::Rejection;

/// The rules every text and amount field follows.
pub mod rules {
    crate::rules! {
        /// A required text must not be blank.
        BLANK: Invalid "input.blank";
        /// Text has a length limit, one for titles and names, one for units, one for notes, reasons
        /// and descriptions and one for links; the refusal names the limit.
        TOO_LONG: Invalid "input.too_long";
        /// Text may hold line breaks and tabs but no other control character.
        CONTROL_CHARACTER: Invalid "input.control_character";
        /// Quantities and amounts are above zero.
        NOT_POSITIVE: Invalid "input.not_positive";
        /// Evidence is an http or https link without spaces.
        NOT_A_LINK: Invalid "input.not_a_link";
    }
}

/// Longest title or name, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest note, reason, summary or description, in characters.
pub const NOTE_MAX: usize = 4000;
/// Longest unit ("roles", "people"), in characters.
pub const UNIT_MAX: usize = 40;
/// Longest evidence link, in characters.
pub const LINK_MAX: usize = 2000;

/// A required short text: not blank, at most [`TITLE_MAX`] characters.
pub fn title(field: &str, value: &str) -> Result<(), Rejection> {
    required(field, value, TITLE_MAX)
}

/// A required reason or description: not blank, at most [`NOTE_MAX`] characters.
pub fn reason(field: &str, value: &str) -> Result<(), Rejection> {
    required(field, value, NOTE_MAX)
}

/// An optional note: at most [`NOTE_MAX`] characters (may be empty).
pub fn note(field: &str, value: &str) -> Result<(), Rejection> {
    max_len(field, value, NOTE_MAX)
}

/// A required text of at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return Err(rules::BLANK.refuse_on(field, format!("{field} must not be blank")));
    }
    max_len(field, value, max)
}

fn max_len(field: &str, value: &str, max: usize) -> Result<(), Rejection> {
    let len = value.chars().count();
    if len > max {
        return Err(rules::TOO_LONG.refuse_on(
            field,
            format!("{field} is {len} characters long; the limit is {max}"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(rules::CONTROL_CHARACTER
            .refuse_on(field, format!("{field} contains a control character")));
    }
    Ok(())
}

/// A strictly positive quantity or amount.
pub fn positive(field: &str, value: u64) -> Result<(), Rejection> {
    if value == 0 {
        return Err(
            rules::NOT_POSITIVE.refuse_on(field, format!("{field} must be greater than zero"))
        );
    }
    Ok(())
}

/// An evidence link: an http or https URL.
pub fn link(field: &str, value: &str) -> Result<(), Rejection> {
    required(field, value, LINK_MAX)?;
    if !(value.starts_with("https://") || value.starts_with("http://"))
        || value.contains(char::is_whitespace)
    {
        return Err(rules::NOT_A_LINK.refuse_on(
            field,
            format!("{field} must be an http or https link without spaces"),
        ));
    }
    Ok(())
}

/// Why typed text is not an amount. Both messages quote what was typed; a form shows them next
/// to the field, the command line and a CSV import with the flag or cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not digits with at most two decimal places: ask again; the message gives an example.
    #[error("{input:?} is not an amount: use digits with at most two decimal places, like 1250.50")]
    NotAnAmount { input: String },
    /// More hundredths than a `u64` holds: ask for a smaller amount.
    #[error("{input:?} is too large")]
    TooLarge { input: String },
}

/// Parses an amount people type, `1250`, `1,250.5` or `£1,250.50`, into hundredths (pence, or
/// hundredths of a person-day). No floats: the digits are read as they are.
pub fn parse_hundredths(input: &str) -> Result<u64, AmountError> {
    let cleaned: String = input
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let bad = || AmountError::NotAnAmount {
        input: input.to_owned(),
    };
    let (whole, frac) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let frac: u64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(|| AmountError::TooLarge {
            input: input.to_owned(),
        })
}

/// Formats hundredths with two decimals and no grouping (`1250.50`), the form
/// [`parse_hundredths`] reads back.
pub fn format_hundredths(amount: u64) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_without_floats() {
        assert_eq!(parse_hundredths("1250"), Ok(125_000));
        assert_eq!(parse_hundredths("£1,250.5"), Ok(125_050));
        assert_eq!(parse_hundredths("0.07"), Ok(7));
        assert!(parse_hundredths("-5").is_err());
        assert!(parse_hundredths("1.234").is_err());
        assert!(parse_hundredths("").is_err());
        assert!(parse_hundredths("99999999999999999999").is_err());
        assert_eq!(parse_hundredths(&format_hundredths(123_456)), Ok(123_456));
    }
}
