//! Figures, their targets, and the two files a run writes: the results table of `BENCHMARKS.md`
//! (between its markers; the rest of that file is the team's own text) and `BENCHMARKS.json`.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

/// Repeated measurements of one figure.
#[derive(Debug, Clone, Serialize)]
pub struct Runs {
    pub unit: &'static str,
    pub values: Vec<f64>,
}

impl Runs {
    pub fn new(unit: &'static str, values: Vec<f64>) -> Self {
        assert!(!values.is_empty(), "a figure needs at least one run");
        Self { unit, values }
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    pub fn median(&self) -> f64 {
        let v = self.sorted();
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    pub fn min(&self) -> f64 {
        self.sorted()[0]
    }

    pub fn max(&self) -> f64 {
        *self.sorted().last().expect("not empty")
    }
}

/// What a row must show to pass.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// The median over the baseline's median is at least this.
    RatioAtLeast(f64),
    /// The median over the baseline's median is at most this.
    RatioAtMost(f64),
    /// The median is below this, in the row's unit.
    Below(f64),
    /// The median is at most this, in the row's unit.
    AtMost(f64),
    /// Shown for what it tells; nothing to pass.
    None,
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub group: &'static str,
    pub figure: String,
    pub runs: Runs,
    /// What it is compared with, measured in the same run.
    pub baseline: Option<(String, Runs)>,
    pub target: Target,
}

impl Row {
    pub fn ratio(&self) -> Option<f64> {
        let (_, base) = self.baseline.as_ref()?;
        let b = base.median();
        (b != 0.0).then(|| self.runs.median() / b)
    }

    /// None when the row has no target.
    pub fn passes(&self) -> Option<bool> {
        let m = self.runs.median();
        match self.target {
            Target::RatioAtLeast(t) => Some(self.ratio().is_some_and(|r| r >= t)),
            Target::RatioAtMost(t) => Some(self.ratio().is_some_and(|r| r <= t)),
            Target::Below(t) => Some(m < t),
            Target::AtMost(t) => Some(m <= t),
            Target::None => None,
        }
    }

    fn target_text(&self) -> String {
        match self.target {
            Target::RatioAtLeast(t) if t < 1.0 => format!("≥ {:.0}%", t * 100.0),
            Target::RatioAtLeast(t) => format!("≥ {t}×"),
            Target::RatioAtMost(t) => format!("≤ {t}×"),
            Target::Below(t) => format!("< {} {}", number(t), self.runs.unit),
            Target::AtMost(t) => format!("≤ {} {}", number(t), self.runs.unit),
            Target::None => String::new(),
        }
    }
}

/// A figure as a reader wants it: no more digits than it means.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 10_000.0 {
        let grouped = proto::group_thousands(v.abs().round() as u64);
        if v < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// What the run was, for the heading of the table.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub date: String,
    pub commit: String,
    pub quick: bool,
    pub nats_server: String,
    pub cores: usize,
    pub rounds: usize,
}

const START: &str = "<!-- results:start (written by make bench) -->";
const END: &str = "<!-- results:end -->";

/// The results section as Markdown.
pub fn markdown(info: &RunInfo, rows: &[Row]) -> String {
    let mut out = String::new();
    let passed = rows.iter().filter(|r| r.passes() == Some(true)).count();
    let judged = rows.iter().filter(|r| r.passes().is_some()).count();
    let _ = writeln!(
        out,
        "Run of {} on commit `{}`{}: {} cores, nats-server {}, every figure the median of {} runs. \
         **{passed} of {judged} targets pass.**\n",
        info.date,
        info.commit,
        if info.quick {
            " (`make bench-quick`)"
        } else {
            ""
        },
        info.cores,
        info.nats_server,
        info.rounds,
    );
    let mut group = "";
    for row in rows {
        if row.group != group {
            group = row.group;
            let _ = writeln!(out, "\n### {group}\n");
            let _ = writeln!(
                out,
                "| figure | median | min | max | unit | measured beside it | its median | ratio | target | |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---|---|---:|---:|---|---|");
        }
        let (base, base_median) = match &row.baseline {
            Some((name, runs)) => (name.clone(), number(runs.median())),
            None => (String::new(), String::new()),
        };
        let ratio = row.ratio().map(|r| {
            if r < 1.0 {
                format!("{:.0}%", r * 100.0)
            } else {
                format!("{r:.2}×")
            }
        });
        let verdict = match row.passes() {
            Some(true) => "pass",
            Some(false) => "**fail**",
            None => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.figure,
            number(row.runs.median()),
            number(row.runs.min()),
            number(row.runs.max()),
            row.runs.unit,
            base,
            base_median,
            ratio.unwrap_or_default(),
            row.target_text(),
            verdict
        );
    }
    out
}

/// Puts `section` between the markers of the file at `path` (adding them at its end when it has
/// none), leaving the rest of the file as it is.
pub fn write_markdown(path: &Path, section: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let block = format!("{START}\n{section}\n{END}");
    let new = match (old.find(START), old.find(END)) {
        (Some(s), Some(e)) if e > s => format!("{}{block}{}", &old[..s], &old[e + END.len()..]),
        _ => format!("{}\n{block}\n", old.trim_end()),
    };
    std::fs::write(path, new)
}

/// Every row, with its runs, as JSON.
pub fn write_json(path: &Path, info: &RunInfo, rows: &[Row]) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Out<'a> {
        run: &'a RunInfo,
        rows: Vec<serde_json::Value>,
    }
    let rows = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "group": r.group,
                "figure": r.figure,
                "unit": r.runs.unit,
                "median": r.runs.median(),
                "min": r.runs.min(),
                "max": r.runs.max(),
                "runs": r.runs.values,
                "baseline": r.baseline.as_ref().map(|(name, runs)| serde_json::json!({
                    "figure": name, "median": runs.median(), "runs": runs.values,
                })),
                "ratio": r.ratio(),
                "target": r.target,
                "passes": r.passes(),
            })
        })
        .collect();
    let text =
        serde_json::to_string_pretty(&Out { run: info, rows }).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(Runs::new("x", vec![4.0, 1.0, 3.0, 2.0]).median(), 2.5);
        assert_eq!(Runs::new("x", vec![5.0, 1.0, 3.0]).median(), 3.0);
    }

    #[test]
    fn a_ratio_target_is_judged_on_the_medians() {
        let row = |target| Row {
            group: "g",
            figure: "f".into(),
            runs: Runs::new("ops/s", vec![40.0, 50.0, 60.0]),
            baseline: Some(("raw".into(), Runs::new("ops/s", vec![100.0, 100.0, 100.0]))),
            target,
        };
        assert_eq!(row(Target::RatioAtLeast(0.5)).passes(), Some(true));
        assert_eq!(row(Target::RatioAtLeast(0.51)).passes(), Some(false));
        assert_eq!(row(Target::RatioAtMost(0.4)).passes(), Some(false));
        assert_eq!(row(Target::None).passes(), None);
    }

    #[test]
    fn numbers_keep_the_digits_they_mean() {
        let cases = [
            (1_234_567.4, "1,234,567"),
            (12_345.0, "12,345"),
            (634.4, "634"),
            (15.27, "15.3"),
            (0.8123, "0.81"),
        ];
        for (value, shown) in cases {
            assert_eq!(number(value), shown, "{value}");
        }
    }

    #[test]
    fn the_results_go_between_the_markers_and_the_rest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("B.md");
        std::fs::write(
            &path,
            format!("# B\nintro\n{START}\nold\n{END}\n## History\nkept\n"),
        )
        .unwrap();
        write_markdown(&path, "new").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("# B\nintro\n{START}\nnew\n{END}\n## History\nkept\n")
        );
    }
}
