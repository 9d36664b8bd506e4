//! The README's strategy table is the registry: same ids, families, descriptions, mirrors and
//! configurations, in the same order.

use fanout_bench::strategy;

#[test]
fn the_readme_strategy_table_matches_the_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains('/'))
        .collect();
    let esc = |s: &str| s.replace('|', "\\|");
    let registry = strategy::registry();
    let mut strategy_rows = rows.iter().filter(|r| {
        registry
            .iter()
            .any(|e| r.starts_with(&format!("| `{}` |", e.info.id)))
    });
    for e in &registry {
        let i = e.info;
        let want = format!(
            "| `{}` | {} | {} | {} | {} |",
            i.id,
            i.family,
            esc(i.description),
            esc(i.mirrors),
            esc(i.config)
        );
        let got = strategy_rows
            .next()
            .unwrap_or_else(|| panic!("README has no row for {}", i.id));
        assert_eq!(
            *got, want,
            "README row for {} differs from the registry",
            i.id
        );
    }
}

/// The README's first screen (its first 40 lines) gives the quick command, the test command,
/// the prerequisites and the answer; every ratio the answer quotes is one the published report
/// states, so a re-measurement that moves them fails here until the answer is rewritten.
#[test]
fn the_first_screen_answers_and_every_ratio_in_it_is_published() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let first: String = readme.lines().take(40).collect::<Vec<_>>().join("\n");
    for must in [
        "FANOUT_PROFILE=quick cargo bench",
        "cargo bench ",
        "cargo test --workspace",
        "**Needs** Linux",
        "**The answer**",
        "results/README.md",
    ] {
        assert!(first.contains(must), "{must:?} is not on the first screen");
    }
    let start = first.find("**The answer**").unwrap();
    let answer = &first[start..];
    let report = std::fs::read_to_string(format!("{root}/results/README.md")).unwrap();
    let ratios: Vec<&str> = answer
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'x'))
        .filter(|w| w.len() > 2 && w.ends_with('x') && w[..w.len() - 1].parse::<f64>().is_ok())
        .collect();
    assert!(ratios.len() >= 5, "{ratios:?}");
    for r in ratios {
        assert!(
            report.contains(r),
            "the README's answer says {r}, the published report does not"
        );
    }
}
