//! Reads measured with wrk, a load generator in C that is not the bottleneck here.

use std::process::Command;
use std::time::Duration;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers other than 2xx and 3xx, and socket errors.
    pub errors: u64,
}

/// Runs wrk on `url` with `connections` connections over two threads for `d`.
pub fn run(url: &str, connections: usize, d: Duration) -> Measured {
    let wrk = std::env::var("WAYMARK_WRK").unwrap_or_else(|_| "wrk".to_owned());
    let output = Command::new(&wrk)
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{}s", d.as_secs().max(1)),
            "--latency",
            url,
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("failed to run {wrk} (scripts/ensure-bench-tools installs it): {e}")
        });
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed on {url}: {text}");
    parse(&text).unwrap_or_else(|| panic!("wrk printed what this does not read:\n{text}"))
}

fn ms(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = value.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

/// Reads wrk's report: requests per second, the 50% and 99% latencies, errors.
pub fn parse(text: &str) -> Option<Measured> {
    let mut m = Measured {
        rps: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        errors: 0,
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => m.rps = v.parse().ok()?,
            ["50%", v] => m.p50_ms = ms(v)?,
            ["99%", v] => m.p99_ms = ms(v)?,
            ["Non-2xx", "or", "3xx", "responses:", n] => m.errors += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                m.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    (!m.rps.is_nan() && !m.p50_ms.is_nan() && !m.p99_ms.is_nan()).then_some(m)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wrk_report_is_read() {
        let text = "Running 5s test @ http://127.0.0.1:1/healthz
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us    1.02ms  30.11ms   93.12%
  Latency Distribution
     50%  512.00us
     75%  900.00us
     90%    1.50ms
     99%    5.25ms
  388000 requests in 5.00s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  77600.12
Transfer/sec:      8.00MB
";
        let m = super::parse(text).unwrap();
        assert_eq!(m.rps, 77600.12);
        assert_eq!(m.p50_ms, 0.512);
        assert_eq!(m.p99_ms, 5.25);
        assert_eq!(m.errors, 7);
    }
}
