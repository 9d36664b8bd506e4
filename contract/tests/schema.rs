//! summary.json's published contract: the checked-in JSON Schema is the one the types give, and
//! every published summary of the current version validates against it.

use fanout_bench::report::{self, Inputs};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The workspace root (this package is `contract/` in it).
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The summary of the report fixture (the root package's tests/fixtures/run).
fn fixture_summary() -> Value {
    let inputs = Inputs {
        record: root().join("tests/fixtures/run/metrics.json"),
        workspace: PathBuf::from(root()),
        rerun: None,
    };
    serde_json::to_value(report::summarize(&inputs, 1).unwrap()).unwrap()
}

fn read(path: &str) -> Value {
    let p = root().join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&read("schema/summary.schema.json")).expect("a valid JSON Schema")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_checked_in_schema_is_the_one_the_types_give() {
    let generated = fanout_bench::report::summary::json_schema();
    assert!(
        read("schema/summary.schema.json") == generated,
        "schema/summary.schema.json is out of date: \
         `cargo run --release --bin fanout -- schema > schema/summary.schema.json`, then review the diff"
    );
}

#[test]
fn published_summaries_and_a_fresh_one_validate() {
    let v = validator();
    for path in ["results/summary.json", "results/quick/summary.json"] {
        let doc = read(path);
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{path}");
    }
    let fresh = fixture_summary();
    assert_eq!(errors(&v, &fresh), Vec::<String>::new(), "the fixture's");
}

#[test]
fn a_summary_that_breaks_the_contract_is_refused() {
    let v = validator();
    let good = fixture_summary();
    type Break = fn(&mut Value);
    let broken: [(&str, Break); 5] = [
        ("an unknown status", |d| {
            d["cells"][0]["status"] = "fine".into()
        }),
        ("a time as text", |d| {
            d["cells"][0]["median_ns"] = "12 ms".into()
        }),
        ("an unknown family", |d| {
            d["cells"][0]["family"] = "fibers".into()
        }),
        ("another schema version", |d| d["schema_version"] = 5.into()),
        ("no cells", |d| {
            d.as_object_mut().unwrap().remove("cells");
        }),
    ];
    for (what, f) in broken {
        let mut doc = good.clone();
        f(&mut doc);
        assert!(!v.is_valid(&doc), "{what} passed the schema");
    }
}
