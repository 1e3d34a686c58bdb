//! Library errors are typed. A library crate's function fails with an error type of its own (a
//! `thiserror` enum, one per operation whose callers must tell cases apart, or a small struct
//! where there is nothing to tell apart), never with `anyhow` or a bare `String`, `&str` or
//! `Box<dyn Error>`: a caller can then match the case it handles and keep the cause as a source.
//! `anyhow` belongs only at the edge of a binary, in its `main.rs`, where an error is only
//! reported.
//!
//! Library code is every `.rs` file under `proto/src`, `proto/derive/src` and `services/*/src`,
//! except the binaries' `main.rs` files and the test-only files (`tests.rs`, `*_tests.rs`), and
//! without the `#[cfg(test)] mod tests` block a file ends with. Comment lines are not code.

use std::path::{Path, PathBuf};

/// Every library source file, with the code to check in it.
fn library_code() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![root.join("proto/src"), root.join("proto/derive/src")];
    for service in std::fs::read_dir(root.join("services")).unwrap() {
        let src = service.unwrap().path().join("src");
        if src.is_dir() {
            dirs.push(src);
        }
    }
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                dirs.push(path);
            } else if name.ends_with(".rs")
                && name != "main.rs"
                && name != "tests.rs"
                && !name.ends_with("_tests.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .map(|line| {
                        if line.trim_start().starts_with("//") {
                            ""
                        } else {
                            line
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let path = path.strip_prefix(&root).unwrap_or(&path).to_path_buf();
                files.push((path, code));
            }
        }
    }
    files.sort();
    assert!(files.len() > 50, "the library sources were not found");
    files
}

/// The error type of every `Result<T, E>` written in `code`, with its line number: the last
/// argument at the top level of the brackets (an `->` inside them closes nothing).
fn result_errors(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("Result<") {
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let args = &code[at + "Result<".len()..];
        let (mut depth, mut last_comma, mut previous) = (1, None, ' ');
        for (i, c) in args.char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' if previous == '-' => {}
                '>' | ')' | ']' => depth -= 1,
                ',' if depth == 1 => last_comma = Some(i),
                _ => {}
            }
            previous = c;
            if depth == 0 {
                if let Some(comma) = last_comma {
                    let error = args[comma + 1..i].split_whitespace().collect::<Vec<_>>();
                    let line = code[..at].matches('\n').count() + 1;
                    found.push((line, error.join(" ")));
                }
                break;
            }
        }
    }
    found
}

fn stringly(error: &str) -> bool {
    let error = error.replace(' ', "");
    matches!(error.as_str(), "String" | "&str" | "&'staticstr")
        || error.starts_with("Box<dyn")
        || error.contains("anyhow")
}

fn names_anyhow(line: &str) -> bool {
    line.match_indices("anyhow").any(|(at, word)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn library_errors_are_typed() {
    let mut problems = Vec::new();
    for (path, code) in library_code() {
        let file = path.display();
        for (n, line) in code.lines().enumerate() {
            if names_anyhow(line) {
                problems.push(format!(
                    "{file}:{}: anyhow in a library: {}",
                    n + 1,
                    line.trim()
                ));
            }
            let alias = line.replace(' ', "");
            if alias.contains("typeErr=String") || alias.contains("typeError=String") {
                problems.push(format!("{file}:{}: a String error: {}", n + 1, line.trim()));
            }
        }
        for (line, error) in result_errors(&code) {
            if stringly(&error) {
                problems.push(format!("{file}:{line}: fails with {error}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "library code fails with untyped errors; give the operation an error type of its own \
         (a thiserror enum whose variants say how a caller handles them):\n{}",
        problems.join("\n")
    );
}

/// The scan itself finds what it must, and nothing else.
#[test]
fn the_scan_reads_error_types() {
    let code = "fn a() -> Result<u64, String> {}\n\
                fn b() -> Option<Result<Vec<u8>, &'static str>> {}\n\
                type C = Arc<dyn Fn() -> Result<(), Box<dyn std::error::Error>> + Send>;\n\
                fn d() -> io::Result<()> {}\n\
                fn e() -> Result<HashMap<String, String>, ParseError> {}\n\
                fn f() -> ReadResult<String, String> {}";
    let errors: Vec<String> = result_errors(code).into_iter().map(|(_, e)| e).collect();
    assert_eq!(
        errors,
        [
            "String",
            "&'static str",
            "Box<dyn std::error::Error>",
            "ParseError"
        ]
    );
    assert_eq!(
        result_errors(code)
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>(),
        [1, 2, 3, 5]
    );
    assert!(names_anyhow("use anyhow::Context;"));
    assert!(!names_anyhow("let anyhows = 1;"));
}
