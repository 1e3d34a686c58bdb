//! The rules reference: every rule a command can break, with its code, the thing it guards, what
//! it says and the HTTP status of its refusal, generated from the crates that declare the rules.
//! `RULES.md` at the root of the repository is [`reference`]'s text; a test keeps it current.

use proto::Rule;

use crate::problem::status_of;

/// Every declared rule, grouped as the crates declare them.
pub fn all() -> Vec<&'static Rule> {
    [
        proto::commands::rules::ALL,
        proto::text::rules::ALL,
        directory::checks::rules::ALL,
        blueprints::organisation::rules::ALL,
        blueprints::blueprint::rules::ALL,
        milestones::rules::ALL,
        commitments::rules::ALL,
        pledges::rules::ALL,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The rules reference, as Markdown.
pub fn reference() -> String {
    let mut out = String::from(
        "# Rules\n\n\
         Every rule a command can break. A refusal is an RFC 9457 problem document whose `code` is \
         the rule's code and whose `detail` names the thing; clients match on the code. This file \
         is generated from the rules the services declare (`rules!` in each crate); \
         `WAYMARK_BLESS=1 cargo test -p dashboard rules` writes it again after a change.\n",
    );
    let rules = all();
    let mut things: Vec<&str> = Vec::new();
    for rule in &rules {
        if !things.contains(&rule.thing()) {
            things.push(rule.thing());
        }
    }
    for thing in things {
        out.push_str(&format!(
            "\n## {thing}\n\n| code | the rule | HTTP status |\n| --- | --- | --- |\n"
        ));
        for rule in rules.iter().filter(|r| r.thing() == thing) {
            let status = status_of(rule.kind);
            out.push_str(&format!(
                "| `{}` | {} | {} {} |\n",
                rule.code,
                rule.sentence(),
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_md_is_the_reference_of_the_declared_rules() {
        settings::assert_reference_current!("RULES.md", reference(), "rules", "-p dashboard rules");
    }

    /// Refusals are made from declared rules only: the crates that decide construct no refusal
    /// from a bare code, so every code they can answer is in the reference.
    #[test]
    fn refusals_come_from_declared_rules() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut sources = vec![
            root.join("../proto/src/text.rs"),
            root.join("../proto/src/commands.rs"),
        ];
        for crate_dir in [
            "directory",
            "runtime",
            "blueprints",
            "milestones",
            "commitments",
            "pledges",
        ] {
            for entry in std::fs::read_dir(root.join(crate_dir).join("src")).unwrap() {
                sources.push(entry.unwrap().path());
            }
        }
        for path in sources
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        {
            let text = std::fs::read_to_string(path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for bare in [
                "Rejection::new(",
                "Rejection::conflict(",
                "Rejection::invalid(",
                "Rejection::not_found(",
            ] {
                assert!(
                    !code.contains(bare),
                    "{} makes a refusal with {bare}; declare the rule with proto::rules! and refuse with it",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn every_code_is_declared_once() {
        let mut codes: Vec<&str> = all().iter().map(|r| r.code).collect();
        let count = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), count, "a code is declared twice");
    }
}
