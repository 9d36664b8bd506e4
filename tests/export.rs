//! Each exporter against the exact shape its consumer documents, carrying every metric the
//! summary has for a cell.

mod common;

use common::summary;
use fanout_bench::cli::ExportFormat;
use fanout_bench::export::{self, EXTRAS};
use serde_json::Value;

#[test]
fn bencher_metric_format_is_keyed_by_benchmark_then_measure() {
    let s = summary();
    let v: Value = serde_json::from_str(&export::export(ExportFormat::Bmf, &s)).unwrap();
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
        // Every metric beside the wall time, with the summary's own value.
        let m = |k: &str| measures[k]["value"].as_f64();
        assert_eq!(m("floor-ratio"), cell.ratio_to_floor, "{name}");
        assert_eq!(
            m("cpu-per-request"),
            cell.cpu_per_request_ns.map(|v| v as f64)
        );
        assert_eq!(m("threads"), cell.peak_threads_added.map(|v| v as f64));
        assert_eq!(
            m("peak-rss"),
            cell.peak_rss_above_baseline_bytes.map(|v| v as f64)
        );
        assert_eq!(m("connections"), cell.connections_cold.map(|v| v as f64));
        assert!(m("floor-ratio").is_some() && m("connections").is_some());
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
fn github_action_benchmark_gets_one_entry_per_cell_and_metric() {
    let s = summary();
    let v: Value = serde_json::from_str(&export::export(ExportFormat::Github, &s)).unwrap();
    let arr = v.as_array().expect("customSmallerIsBetter is a JSON array");
    let wall: Vec<_> = arr.iter().filter(|e| e["unit"] == "ns/batch").collect();
    assert_eq!(wall.len(), 5, "one wall-time entry per measured cell");
    for e in &wall {
        let o = e.as_object().unwrap();
        assert!(o["name"].is_string() && o["value"].is_number(), "{e}");
        assert!(o["range"].is_string() && o["extra"].is_string(), "{e}");
        assert_eq!(o.len(), 5, "{e}");
        let id = o["name"].as_str().unwrap();
        let cell = s.cells.iter().find(|c| c.id() == id).unwrap();
        // Then one entry per metric the cell has, named `ID KEY`, with the summary's value.
        for x in EXTRAS {
            let entry = arr
                .iter()
                .find(|e| e["name"] == format!("{id} {}", x.key).as_str());
            assert_eq!(
                entry.and_then(|e| e["value"].as_f64()),
                (x.value)(cell),
                "{id} {}",
                x.key
            );
            if let Some(e) = entry {
                assert_eq!(e["unit"], x.unit);
                assert_eq!(e.as_object().unwrap().len(), 3, "{e}");
            }
        }
    }
    let names: std::collections::BTreeSet<_> = arr.iter().map(|e| e["name"].to_string()).collect();
    assert_eq!(names.len(), arr.len(), "every name is one chart");
}
