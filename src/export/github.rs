//! github-action-benchmark's `customSmallerIsBetter`: a JSON array of
//! `{name, unit, value, range, extra}` (name, unit and value required; range and extra strings).

use super::Exporter;
use crate::report::summary::Summary;
use serde_json::json;

pub struct CustomSmallerIsBetter;

impl Exporter for CustomSmallerIsBetter {
    fn export(&self, s: &Summary) -> String {
        let entries: Vec<_> = s
            .cells
            .iter()
            .filter(|c| c.status == "ok")
            .filter_map(|c| {
                let (m, l, u) = (c.median_ns?, c.ci_lower_ns?, c.ci_upper_ns?);
                Some(json!({
                    "name": c.id(),
                    "unit": "ns/batch",
                    "value": m,
                    "range": format!("{:.0} .. {:.0} (95% CI)", l, u),
                    "extra": format!(
                        "{} requests; {} x floor; family {}; mirrors {}",
                        c.requests,
                        c.ratio_to_floor.map_or("n/a".into(), |r| format!("{r:.2}")),
                        c.family,
                        c.mirrors
                    ),
                }))
            })
            .collect();
        serde_json::to_string_pretty(&entries).expect("JSON serializes")
    }
}
