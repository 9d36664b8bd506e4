//! Each exporter against the exact shape its consumer documents.

mod common;

use common::summary;
use fanout_bench::export;
use serde_json::Value;

#[test]
fn bencher_metric_format_is_keyed_by_benchmark_then_measure() {
    let s = summary();
    let v: Value = serde_json::from_str(&export::by_name("bmf").unwrap().export(&s)).unwrap();
    let obj = v.as_object().expect("BMF is a JSON object");
    assert_eq!(obj.len(), 5, "only the verified, measured cells");
    for (name, measures) in obj {
        let cell = s
            .cells
            .iter()
            .find(|c| &c.id() == name)
            .expect("keys are benchmark ids");
        let lat = &measures["latency"];
        let (val, lo, hi) = (
            lat["value"].as_f64().unwrap(),
            lat["lower_value"].as_f64().unwrap(),
            lat["upper_value"].as_f64().unwrap(),
        );
        assert_eq!(Some(val), cell.median_ns);
        assert!(lo <= val && val <= hi);
        assert!(measures["cpu-per-batch"]["value"].as_f64().unwrap() > 0.0);
        for m in measures.as_object().unwrap().values() {
            for k in m.as_object().unwrap().keys() {
                assert!(
                    ["value", "lower_value", "upper_value"].contains(&k.as_str()),
                    "{k}"
                );
            }
        }
    }
}

#[test]
fn github_action_benchmark_gets_name_unit_value_range_extra() {
    let v: Value =
        serde_json::from_str(&export::by_name("github").unwrap().export(&summary())).unwrap();
    let arr = v.as_array().expect("customSmallerIsBetter is a JSON array");
    assert_eq!(arr.len(), 5);
    for e in arr {
        let o = e.as_object().unwrap();
        assert!(
            o["name"].is_string() && o["unit"].is_string() && o["value"].is_number(),
            "{e}"
        );
        assert!(o["range"].is_string() && o["extra"].is_string(), "{e}");
        assert_eq!(o.len(), 5, "{e}");
    }
    assert!(export::by_name("csv").is_none());
}
