//! The bench binary's command line. It keeps the conventions `cargo bench` users know from
//! criterion and libtest (a filter, `--exact`, `--list`, `--test`, `--profile-time`,
//! `--save-baseline` / `--baseline`, `--output-format bencher`); the measurement itself is
//! this harness's (rounds of fresh processes, see `src/bench/mod.rs`), so criterion's sampling
//! flags are refused with a pointer to the profile's `[sampling]` table instead of being ignored.

use regex::Regex;

/// Flags accepted for compatibility that change nothing here (libtest's and criterion's
/// display switches).
const HARMLESS: &[&str] = &[
    "--bench",
    "--nocapture",
    "--show-output",
    "--quiet",
    "-q",
    "--verbose",
    "-v",
    "--noplot",
    "-n",
    "--discard-baseline",
];

/// Harmless flags that take a value.
const HARMLESS_WITH_VALUE: &[&str] = &["--color", "-c", "--format", "--plotting-backend", "-p"];

/// Criterion's sampling flags: this harness samples in rounds set by the profile.
const SAMPLING: &[&str] = &[
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--quick",
    "--load-baseline",
    "--baseline-lenient",
];

#[derive(Debug)]
pub enum Filter {
    All,
    None,
    Regex(Regex),
    Exact(String),
}

/// What the run does with the cells it selects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Measure in rounds and write the record and the report.
    Measure,
    /// Run every cell once, to check it works (`--test`, or `cargo test --benches`, which
    /// passes no `--bench`). Nothing is published.
    Test,
    /// Name the cells, run nothing.
    List,
    /// Run the real batch of each selected cell over and over for this many seconds, in this
    /// process, for a profiler; nothing is recorded.
    Profile(f64),
}

/// What the bench binary was asked to do.
#[derive(Debug)]
pub struct BenchArgs {
    pub filter: Filter,
    pub mode: Mode,
    /// `--save-baseline NAME`: keep this run's summary under that name.
    pub save_baseline: Option<String>,
    /// `--baseline NAME`: compare this run with a saved one when it ends.
    pub baseline: Option<String>,
    /// `--output-format bencher`: libtest-style `test ID ... bench: N ns/iter (+/- D)` lines.
    pub bencher: bool,
}

fn value(flag: &str, it: &mut dyn Iterator<Item = String>) -> Result<String, String> {
    it.next()
        .ok_or_else(|| format!("{flag} needs a value (e.g. `{flag} main`)"))
}

impl BenchArgs {
    /// Reads the arguments (the first is the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<BenchArgs, String> {
        let (mut filter, mut exact, mut ignored) = (None, false, false);
        let (mut list, mut test, mut bench, mut profile) = (false, false, false, None);
        let (mut save_baseline, mut baseline, mut bencher) = (None, None, false);
        let mut it = args.into_iter().skip(1);
        while let Some(arg) = it.next() {
            // `--flag=value` reads as `--flag value`.
            let (a, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            let val = |it: &mut dyn Iterator<Item = String>| match &inline {
                Some(v) => Ok(v.clone()),
                None => value(&a, it),
            };
            match a.as_str() {
                "--list" => list = true,
                "--test" => test = true,
                "--exact" => exact = true,
                "--ignored" => ignored = true,
                "--bench" => bench = true,
                "--profile-time" => {
                    let v = val(&mut it)?;
                    let s: f64 = v.parse().ok().filter(|s: &f64| *s > 0.0 && *s <= 3600.0).ok_or_else(
                        || format!("--profile-time {v:?}: give the seconds to profile, in (0, 3600]"),
                    )?;
                    profile = Some(s);
                }
                "--save-baseline" | "-s" => save_baseline = Some(val(&mut it)?),
                "--baseline" | "-b" => baseline = Some(val(&mut it)?),
                "--output-format" => {
                    let v = val(&mut it)?;
                    match v.as_str() {
                        "bencher" => bencher = true,
                        "criterion" => {}
                        _ => return Err(format!(
                            "--output-format {v:?}: the formats are `criterion` (the default) and `bencher`"
                        )),
                    }
                }
                f if SAMPLING.contains(&f) => {
                    return Err(format!(
                        "{f} is criterion's sampling flag; this bench samples every cell in rounds \
                         of fresh processes, set by the profile's [sampling] table (rounds, min_rounds, \
                         round_s, min_batches, max_batches, warm_up_s, cell_budget_s in \
                         workloads/*.toml)"
                    ))
                }
                f if HARMLESS_WITH_VALUE.contains(&f) => {
                    val(&mut it)?;
                }
                f if HARMLESS.contains(&f) => {}
                f if f.starts_with('-') => {
                    return Err(format!(
                        "unknown flag {f}; see the README's `cargo bench` section for the flags"
                    ))
                }
                f if filter.is_none() => filter = Some(f.to_owned()),
                f => return Err(format!("a second filter {f:?}: give one regex (use `|` for several)")),
            }
        }
        let filter = match (ignored, filter, exact) {
            (true, _, _) => Filter::None,
            (false, None, _) => Filter::All,
            (false, Some(f), true) => Filter::Exact(f),
            (false, Some(f), false) => Filter::Regex(
                Regex::new(&f).map_err(|e| format!("the filter {f:?} is not a regex: {e}"))?,
            ),
        };
        // As criterion does: `cargo bench` passes `--bench`; `cargo test --benches` does not.
        let mode = match (list, profile, test || !bench) {
            (true, _, _) => Mode::List,
            (false, Some(s), _) => Mode::Profile(s),
            (false, None, true) => Mode::Test,
            (false, None, false) => Mode::Measure,
        };
        Ok(BenchArgs {
            filter,
            mode,
            save_baseline,
            baseline,
            bencher,
        })
    }

    /// Whether the cell with this full id (`workload/strategy`) is selected.
    pub fn matches(&self, id: &str) -> bool {
        match &self.filter {
            Filter::All => true,
            Filter::None => false,
            Filter::Regex(r) => r.is_match(id),
            Filter::Exact(e) => e == id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &str) -> BenchArgs {
        BenchArgs::parse(
            std::iter::once("bench".to_owned()).chain(a.split_whitespace().map(String::from)),
        )
        .unwrap()
    }

    fn error(a: &str) -> String {
        BenchArgs::parse(
            std::iter::once("bench".to_owned()).chain(a.split_whitespace().map(String::from)),
        )
        .unwrap_err()
    }

    #[test]
    fn reads_the_filter_past_flags_with_values() {
        let a = parse("--bench --save-baseline main gather/");
        assert!(a.matches("n10/gather/tokio-hyper"));
        assert!(!a.matches("n10/threads/pool-k"));
        assert_eq!(a.save_baseline.as_deref(), Some("main"));
        let a = parse("--bench --output-format bencher --exact n10/threads/pool-k");
        assert!(a.matches("n10/threads/pool-k") && !a.matches("n10/threads/pool-kk"));
        assert!(a.bencher);
        assert!(parse("--bench").matches("anything"));
        assert!(!parse("--bench --ignored x").matches("x"));
    }

    #[test]
    fn the_mode_follows_cargo_bench_and_cargo_test() {
        assert_eq!(parse("--bench").mode, Mode::Measure);
        assert_eq!(parse("--bench --test").mode, Mode::Test);
        assert_eq!(
            parse("").mode,
            Mode::Test,
            "cargo test --benches passes no --bench"
        );
        assert_eq!(parse("--bench --list").mode, Mode::List);
        assert_eq!(parse("--bench --profile-time 2 x").mode, Mode::Profile(2.0));
        assert_eq!(parse("--bench --profile-time=2.5").mode, Mode::Profile(2.5));
    }

    #[test]
    fn bad_input_is_named_with_the_fix() {
        assert!(error("(").contains("\"(\""));
        let e = error("--bench --sample-size 50");
        assert!(
            e.contains("--sample-size") && e.contains("[sampling]"),
            "{e}"
        );
        assert!(error("--bench --profile-time x").contains("--profile-time \"x\""));
        assert!(error("--bench --save-baseline").contains("needs a value"));
        assert!(error("--bench --frobnicate").contains("unknown flag --frobnicate"));
        assert!(error("--bench --output-format json").contains("bencher"));
    }
}
