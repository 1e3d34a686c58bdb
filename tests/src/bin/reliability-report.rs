//! `reliability-report <folder> <out.md>`: writes RELIABILITY.md from what `make reliability`
//! gathered in `<folder>`: `runs.jsonl` (one line per fault run, written by the reliability
//! tests), `hostile.log` (the hostile-HTTP and security tests' output), `fuzz-api.log` (Schemathesis
//! against the API) and `status` (each step's exit code). Nothing in the report is typed by
//! hand: a figure missing from the folder is reported as missing, and the verdict is a fail.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use tests::evidence::Run;

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// First line of a file of /proc or /etc matching `key`, with the key and separators removed.
fn fact(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find(|l| l.starts_with(key)).map(|l| {
        l[key.len()..]
            .trim_start_matches([' ', '\t', ':', '='])
            .trim_matches('"')
            .trim()
            .to_owned()
    })
}

/// Passed and failed test names of a libtest output, by the module before `::`.
fn libtest_counts(log: &str) -> BTreeMap<String, (u64, u64)> {
    let mut by_module = BTreeMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.split_once(" ... ") else {
            continue;
        };
        let module = name.split("::").next().unwrap_or(name).to_owned();
        let entry: &mut (u64, u64) = by_module.entry(module).or_default();
        match result.trim() {
            "ok" => entry.0 += 1,
            "FAILED" => entry.1 += 1,
            _ => {}
        }
    }
    by_module
}

/// The number after `label` in Schemathesis's summary (`Test cases: 2731 generated, ...`).
fn number_after(text: &str, label: &str) -> Option<u64> {
    let at = text.rfind(label)? + label.len();
    text[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn yes(ok: bool) -> &'static str {
    if ok { "pass" } else { "FAIL" }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, out] = args.as_slice() else {
        anyhow::bail!("usage: reliability-report <evidence folder> <RELIABILITY.md>");
    };
    let dir = Path::new(dir);
    let runs: Vec<Run> = read(dir, "runs.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let statuses: Vec<(String, i32)> = read(dir, "status")
        .lines()
        .filter_map(|l| {
            let (step, code) = l.rsplit_once(' ')?;
            Some((step.to_owned(), code.parse().ok()?))
        })
        .collect();

    let mut md = String::new();
    let now = chrono::Utc::now();
    writeln!(md, "# Reliability\n")?;
    writeln!(
        md,
        "Written by `make reliability` from the run itself (`tests/reliability/`, \
         `tests/src/bin/reliability-report.rs`), not by hand: faults are injected into real \
         processes (nats-server nodes, dashboard replicas) and every commit and command is checked \
         against the stream afterwards. The short versions of the same tests run in `make test` \
         on every change.\n"
    )?;
    writeln!(md, "## The run\n")?;
    writeln!(md, "| | |\n| --- | --- |")?;
    writeln!(md, "| date | {} |", now.format("%Y-%m-%d %H:%M UTC"))?;
    if let Ok(commit) = std::env::var("WAYMARK_REPORT_COMMIT") {
        writeln!(md, "| commit | `{commit}` |")?;
    }
    let cores = std::fs::read_to_string("/proc/cpuinfo")
        .map(|t| t.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(0);
    writeln!(
        md,
        "| machine | {} cores ({}), {} memory, {}, Linux {} |",
        cores,
        fact("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into()),
        fact("/proc/meminfo", "MemTotal")
            .and_then(|kb| kb.trim_end_matches(" kB").parse::<f64>().ok())
            .map_or_else(
                || "unknown".to_owned(),
                |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0)
            ),
        fact("/etc/os-release", "PRETTY_NAME").unwrap_or_else(|| "unknown system".into()),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
    )?;
    if let Ok(rustc) = std::env::var("WAYMARK_REPORT_RUSTC") {
        writeln!(md, "| toolchain | {rustc} (debug builds) |")?;
    }
    let mut versions: Vec<&str> = runs.iter().map(|r| r.nats_version.as_str()).collect();
    versions.sort_unstable();
    versions.dedup();
    writeln!(md, "| nats-server | {} |", versions.join(", "))?;
    writeln!(
        md,
        "| sizes | `WAYMARK_RELIABILITY={}` |\n",
        std::env::var("WAYMARK_RELIABILITY").unwrap_or_else(|_| "short".into())
    )?;

    writeln!(md, "## Faults injected\n")?;
    writeln!(
        md,
        "| fault | setup | runs | faults injected | checked | lost | doubled | stored though refused | quarantined (expected / found) | server errors | retryable answers | result |"
    )?;
    writeln!(
        md,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    )?;
    let mut groups: BTreeMap<(String, String), Vec<&Run>> = BTreeMap::new();
    for run in &runs {
        groups
            .entry((run.fault.clone(), run.setup.clone()))
            .or_default()
            .push(run);
    }
    let sum = |rs: &[&Run], f: fn(&Run) -> u64| rs.iter().map(|r| f(r)).sum::<u64>();
    for ((fault, setup), rs) in &groups {
        writeln!(
            md,
            "| {fault} | {setup} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} |",
            rs.len(),
            sum(rs, |r| r.faults),
            sum(rs, |r| r.checked),
            sum(rs, |r| r.lost),
            sum(rs, |r| r.doubled),
            sum(rs, |r| r.stored_though_refused),
            sum(rs, |r| r.quarantined_expected),
            sum(rs, |r| r.quarantined_found),
            sum(rs, |r| r.server_errors),
            sum(rs, |r| r.retried),
            yes(rs.iter().all(|r| r.passed)),
        )?;
    }
    let all: Vec<&Run> = runs.iter().collect();
    writeln!(
        md,
        "| **all** | | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} |\n",
        all.len(),
        sum(&all, |r| r.faults),
        sum(&all, |r| r.checked),
        sum(&all, |r| r.lost),
        sum(&all, |r| r.doubled),
        sum(&all, |r| r.stored_though_refused),
        sum(&all, |r| r.quarantined_expected),
        sum(&all, |r| r.quarantined_found),
        sum(&all, |r| r.server_errors),
        sum(&all, |r| r.retried),
        yes(!all.is_empty() && all.iter().all(|r| r.passed)),
    )?;
    writeln!(
        md,
        "Checked: commits read back from the stream or the read models (crashes of the read \
         side, full disk) or commands whose answer was compared with the stream (broker \
         crashes, races). Lost: acknowledged but missing. Doubled: stored or applied twice. \
         Retryable answers: 503s with `Retry-After` that clients retried with the same \
         idempotency key, and races lost and decided again; expected, not errors. Server \
         errors: any other 5xx, or a loser told the server failed.\n"
    )?;
    writeln!(md, "What each run did:\n")?;
    for run in &runs {
        writeln!(
            md,
            "- **{}**, {}: {}{}",
            run.fault,
            run.setup,
            run.note.trim_end_matches("; "),
            if run.passed { "." } else { ". **Not clean.**" }
        )?;
    }
    writeln!(md)?;

    writeln!(md, "## Hostile HTTP and security\n")?;
    writeln!(
        md,
        "| check | cases tried | failed | server errors | result |"
    )?;
    writeln!(md, "| --- | ---: | ---: | ---: | --- |")?;
    let hostile = libtest_counts(&read(dir, "hostile.log"));
    let mut hostile_ok = !hostile.is_empty();
    for (module, title) in [
        (
            "security",
            "security tests (`tests/e2e/security.rs`: headers, caching, redirects, login CSRF, auth before validation, metric labels)",
        ),
        (
            "bad_input",
            "hostile input tests (`tests/e2e/bad_input.rs`: malformed, oversized and invalid requests)",
        ),
        ("auth", "token and role tests (`tests/e2e/auth.rs`)"),
    ] {
        let (passed, failed) = hostile.get(module).copied().unwrap_or_default();
        hostile_ok &= passed > 0 && failed == 0;
        writeln!(
            md,
            "| {title} | {} tests | {failed} | {} | {} |",
            passed + failed,
            if failed == 0 { "0" } else { "see log" },
            yes(passed > 0 && failed == 0)
        )?;
    }
    let fuzz = read(dir, "fuzz-api.log");
    let generated = number_after(&fuzz, "Test cases:");
    let fuzz_failed = statuses
        .iter()
        .find(|(s, _)| s == "fuzz-api")
        .is_none_or(|(_, c)| *c != 0);
    hostile_ok &= generated.is_some() && !fuzz_failed;
    writeln!(
        md,
        "| generated requests (`make fuzz-api`: Schemathesis from the OpenAPI document; fails on any 5xx or undocumented answer) | {} | {} | {} | {} |\n",
        generated.map_or_else(|| "missing".to_owned(), |n| n.to_string()),
        if fuzz_failed { "see log" } else { "0" },
        if fuzz_failed { "see log" } else { "0" },
        yes(generated.is_some() && !fuzz_failed)
    )?;

    writeln!(md, "## Steps\n")?;
    for (step, code) in &statuses {
        writeln!(
            md,
            "- `{step}`: {}",
            if *code == 0 {
                "passed".to_owned()
            } else {
                format!("**failed** (exit {code})")
            }
        )?;
    }
    let verdict = !runs.is_empty()
        && runs.iter().all(|r| r.passed)
        && hostile_ok
        && !statuses.is_empty()
        && statuses.iter().all(|(_, c)| *c == 0);
    writeln!(
        md,
        "\n**Verdict: {}.** Lost {}, doubled {}, stored though refused {}, server errors {}.",
        if verdict { "pass" } else { "FAIL" },
        sum(&all, |r| r.lost),
        sum(&all, |r| r.doubled),
        sum(&all, |r| r.stored_though_refused),
        sum(&all, |r| r.server_errors),
    )?;
    std::fs::write(out, md)?;
    println!("wrote {out}: {}", if verdict { "pass" } else { "FAIL" });
    if !verdict {
        std::process::exit(1);
    }
    Ok(())
}
