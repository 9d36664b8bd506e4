//! Bencher Metric Format, as `bencher run --adapter json` reads it: an object keyed by benchmark
//! name, then by measure, each `{value, lower_value, upper_value}`. Measures: `latency` (median
//! wall time per batch in nanoseconds, with its confidence interval), `cpu-per-batch` (client
//! CPU per batch in nanoseconds), then one measure per [`super::EXTRAS`] entry, named by its key.

use super::{exported, Exporter, EXTRAS};
use crate::report::summary::Summary;
use serde_json::{json, Map, Value};

pub struct Bmf;

impl Exporter for Bmf {
    fn export(&self, s: &Summary) -> String {
        let mut out = Map::new();
        for (c, [m, l, u]) in exported(s) {
            let mut measures = Map::new();
            measures.insert(
                "latency".into(),
                json!({"value": m, "lower_value": l, "upper_value": u}),
            );
            if let Some(cpu) = c.cpu_per_batch_ns {
                measures.insert("cpu-per-batch".into(), json!({"value": cpu as f64}));
            }
            for e in EXTRAS {
                if let Some(v) = (e.value)(c) {
                    measures.insert(e.key.into(), json!({ "value": v }));
                }
            }
            out.insert(c.id(), Value::Object(measures));
        }
        serde_json::to_string_pretty(&Value::Object(out)).expect("JSON serializes")
    }
}
