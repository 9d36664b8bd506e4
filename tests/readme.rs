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
