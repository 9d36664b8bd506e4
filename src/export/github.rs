//! github-action-benchmark's `customSmallerIsBetter`: a JSON array of
//! `{name, unit, value, range, extra}` (name, unit and value required; range and extra strings).
//! Each cell gives one entry for its wall time, named by its id (`workload/strategy`), and one
//! per [`super::EXTRAS`] metric it has, named `ID KEY` (e.g. `n10/gather/tokio-hyper threads`):
//! the action draws one chart per name.

use super::{exported, Exporter, EXTRAS};
use crate::report::summary::Summary;
use serde_json::json;

pub struct CustomSmallerIsBetter;

impl Exporter for CustomSmallerIsBetter {
    fn export(&self, s: &Summary) -> String {
        let mut entries = Vec::new();
        for (c, [m, l, u]) in exported(s) {
            entries.push(json!({
                "name": c.id(),
                "unit": "ns/batch",
                "value": m,
                "range": format!("{l:.0} .. {u:.0} (95% CI)"),
                "extra": format!(
                    "{} requests; {} x floor; family {}; mirrors {}",
                    c.requests,
                    c.ratio_to_floor.map_or("n/a".into(), |r| format!("{r:.2}")),
                    c.family,
                    c.mirrors
                ),
            }));
            for e in EXTRAS {
                if let Some(v) = (e.value)(c) {
                    entries.push(json!({
                        "name": format!("{} {}", c.id(), e.key),
                        "unit": e.unit,
                        "value": v,
                    }));
                }
            }
        }
        serde_json::to_string_pretty(&entries).expect("JSON serializes")
    }
}
