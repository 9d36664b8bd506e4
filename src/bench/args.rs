//! The part of criterion's command line the harness needs to know before criterion acts on it:
//! the filter (so the metrics pass runs for exactly the cells criterion will measure) and the
//! modes in which nothing is measured (`--list`) or everything runs once (`--test`).

use regex::Regex;

/// Criterion's flags that take a value (so the value is not mistaken for the filter).
const WITH_VALUE: &[&str] = &[
    "--color",
    "-c",
    "--save-baseline",
    "-s",
    "--baseline",
    "-b",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "-p",
    "--output-format",
];

#[derive(Debug)]
pub enum Filter {
    All,
    None,
    Regex(Regex),
    Exact(String),
}

/// What the bench binary was asked to do.
#[derive(Debug)]
pub struct BenchArgs {
    pub filter: Filter,
    /// `--list`: name the benchmarks, run nothing.
    pub list: bool,
    /// `--test`: run every benchmark once, to check it works.
    pub test: bool,
    /// `--profile-time`: run for a profiler, nothing to record.
    pub profile_time: bool,
}

impl BenchArgs {
    /// Reads the arguments as criterion will (the first is the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<BenchArgs, String> {
        let (mut filter, mut exact, mut ignored) = (None, false, false);
        let (mut list, mut test, mut profile_time) = (false, false, false);
        let mut it = args.into_iter().skip(1);
        while let Some(a) = it.next() {
            match a.as_str() {
                "--list" => list = true,
                "--test" => test = true,
                "--exact" => exact = true,
                "--ignored" => ignored = true,
                "--profile-time" => {
                    profile_time = true;
                    it.next();
                }
                f if WITH_VALUE.contains(&f) => {
                    it.next();
                }
                f if f.starts_with('-') => {}
                f if filter.is_none() => filter = Some(f.to_owned()),
                _ => {}
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
        Ok(BenchArgs {
            filter,
            list,
            test,
            profile_time,
        })
    }

    /// Whether criterion will run the benchmark with this full id (`group/function`).
    pub fn matches(&self, id: &str) -> bool {
        match &self.filter {
            Filter::All => true,
            Filter::None => false,
            Filter::Regex(r) => r.is_match(id),
            Filter::Exact(e) => e == id,
        }
    }

    /// Whether the metrics pass and calibration should run.
    pub fn measures(&self) -> bool {
        !self.list && !self.profile_time
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

    #[test]
    fn reads_the_filter_past_flags_with_values() {
        let a = parse("--bench --save-baseline main gather/ --quick");
        assert!(a.matches("n10/gather/tokio-hyper"));
        assert!(!a.matches("n10/threads/pool-k"));
        let a = parse("--bench --output-format bencher --exact n10/threads/pool-k");
        assert!(a.matches("n10/threads/pool-k") && !a.matches("n10/threads/pool-kk"));
        assert!(parse("--bench").matches("anything"));
        assert!(!parse("--ignored x").matches("x"));
        assert!(parse("--list").list && !parse("--list").measures());
        assert!(parse("--test").test && parse("--test").measures());
    }

    #[test]
    fn a_bad_regex_is_named() {
        let e = BenchArgs::parse(["b".to_owned(), "(".to_owned()]).unwrap_err();
        assert!(e.contains("\"(\""), "{e}");
    }
}
