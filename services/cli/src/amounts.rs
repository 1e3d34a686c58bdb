//! Parsing amounts people type: pounds into pence, person-days into hundredths. No floats.

/// Parses `1250`, `1,250.5` or `£1,250.50` into hundredths (pence, or hundredths of a day).
pub fn parse_hundredths(input: &str) -> Result<u64, String> {
    let cleaned: String = input
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let bad = || {
        format!(
            "{input:?} is not an amount: use digits with at most two decimal places, like 1250.50"
        )
    };
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
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
        .ok_or_else(|| format!("{input:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_money_and_days() {
        assert_eq!(parse_hundredths("1250"), Ok(125_000));
        assert_eq!(parse_hundredths("£1,250.5"), Ok(125_050));
        assert_eq!(parse_hundredths("0.07"), Ok(7));
        assert!(parse_hundredths("-5").is_err());
        assert!(parse_hundredths("1.234").is_err());
        assert!(parse_hundredths("abc").is_err());
        assert!(parse_hundredths("").is_err());
    }
}
