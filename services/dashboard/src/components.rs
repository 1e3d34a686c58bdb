//! What every page shares when it shows a figure: status tags (always with words, never colour
//! alone), the direction of travel, dates and amounts as people read them, and the banner that
//! says a page shows the past.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use projector::figures::Direction;
use projector::fold::Window;
use projector::status::Rag;

/// A GOV.UK tag: its colour modifier and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub class: &'static str,
    pub text: Cow<'static, str>,
}

impl Tag {
    pub fn of(class: &'static str, text: &'static str) -> Self {
        Tag {
            class,
            text: Cow::Borrowed(text),
        }
    }
}

/// A choice in a select: a form's field or a table's filter.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Words as the start of a sentence: `central government` becomes `Central government`.
pub fn sentence_case(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The tag of a RAG status.
pub fn rag_tag(rag: Rag) -> Tag {
    match rag {
        Rag::Red => Tag::of("govuk-tag--red", "Red"),
        Rag::Amber => Tag::of("govuk-tag--orange", "Amber"),
        Rag::Green => Tag::of("govuk-tag--green", "Green"),
        Rag::Done => Tag::of("govuk-tag--grey", "Done"),
        Rag::Cancelled => Tag::of("govuk-tag--grey", "Cancelled"),
    }
}

/// The tag of a life-cycle status, from its serialised name: its words are the name in
/// sentence case (`in_progress`: "In progress"); its colour says where in the life cycle it is.
pub fn status_tag(status: &str) -> Tag {
    let class = match status {
        // Not started yet.
        "planned" | "pledged" => "govuk-tag--teal",
        // Under way: the default blue.
        "published" | "in_progress" | "made" | "confirmed" => "",
        // Reached its end as hoped.
        "done" | "fulfilled" => "govuk-tag--green",
        // Drafted, or ended without (or after) delivering: nothing more happens.
        _ => "govuk-tag--grey",
    };
    let words = match status {
        "" => "Unknown".to_owned(),
        name => sentence_case(&name.replace('_', " ")),
    };
    Tag {
        class,
        text: words.into(),
    }
}

/// The serialised name of a status enum (`in_progress`).
pub fn status_name<T: serde::Serialize>(status: &T) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A direction of travel in words, with the class that adds colour to them.
pub fn trend(direction: Direction) -> Tag {
    match direction {
        Direction::Better => Tag::of("wm-trend--better", "Better"),
        Direction::Same => Tag::of("wm-trend--same", "Same"),
        Direction::Worse => Tag::of("wm-trend--worse", "Worse"),
    }
}

/// A date as GOV.UK writes it: "3 August 2026".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// An instant as people read it: "1 October 2026 at 09:00 UTC".
pub fn long_instant(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y at %H:%M UTC").to_string()
}

/// Money in pence as pounds: "£220,000.00".
pub fn money(pence: u64) -> String {
    proto::Resource::Money.format(pence)
}

/// Money in pence as pounds, without pence when they are whole: "£600,000" (headline figures).
pub fn money_short(pence: u64) -> String {
    let full = money(pence);
    match full.strip_suffix(".00") {
        Some(whole) => whole.to_owned(),
        None => full,
    }
}

/// What a page shows: today, or the past, with links that keep or leave the window.
#[derive(Debug, Clone)]
pub struct Shown {
    pub window: Window,
    /// Whether the page shows anything but today's figures.
    pub past: bool,
    /// `as_of=...&known_at=...` to keep the window on links, or empty for today (templates
    /// escape it).
    pub query: String,
    pub as_of_text: String,
    pub known_at_text: Option<String>,
}

impl Shown {
    pub fn of(window: Window) -> Self {
        let today = Utc::now().date_naive();
        let past = window.as_of < today || window.known_at.is_some();
        let mut query = Vec::new();
        // With `known_at`, the date is always kept: it would otherwise default to that instant's.
        if window.as_of < today || window.known_at.is_some() {
            query.push(format!("as_of={}", window.as_of));
        }
        if let Some(k) = window.known_at {
            query.push(format!(
                "known_at={}",
                k.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ));
        }
        Self {
            past,
            query: query.join("&"),
            as_of_text: long_date(window.as_of),
            known_at_text: window.known_at.map(long_instant),
            window,
        }
    }

    /// `path` with the window kept: `/blueprints/wm?as_of=...`.
    pub fn link(&self, path: &str) -> String {
        self.link_with(path, "")
    }

    /// `path` with the window kept and `extra` (`page=2`) added to its query.
    pub fn link_with(&self, path: &str, extra: &str) -> String {
        let query: Vec<&str> = [self.query.as_str(), extra]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect();
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", query.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_money_drops_whole_pence() {
        assert_eq!(money_short(60_000_000), "£600,000");
        assert_eq!(money_short(12_345), "£123.45");
    }

    #[test]
    fn every_tag_has_words() {
        for rag in [Rag::Red, Rag::Amber, Rag::Green, Rag::Done, Rag::Cancelled] {
            assert!(!rag_tag(rag).text.is_empty());
        }
        assert_eq!(status_tag("in_progress").text, "In progress");
        assert_eq!(status_tag("withdrawn").text, "Withdrawn");
        assert_eq!(status_tag("").text, "Unknown");
    }

    #[test]
    fn a_past_window_is_kept_on_links() {
        let shown = Shown::of(Window {
            as_of: "2026-08-03".parse().unwrap(),
            known_at: None,
        });
        assert!(shown.past);
        assert_eq!(
            shown.link("/blueprints/wm"),
            "/blueprints/wm?as_of=2026-08-03"
        );
        assert_eq!(shown.as_of_text, "3 August 2026");
        let today = Shown::of(Window::today());
        assert!(!today.past);
        assert_eq!(today.link("/x"), "/x");
    }
}
