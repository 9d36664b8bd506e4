//! Number formatting shared by the report's tables, findings and charts.

/// Milliseconds (or seconds past 10 s) from nanoseconds.
pub fn ms(ns: f64) -> String {
    let v = ns / 1e6;
    if !v.is_finite() {
        "n/a".into()
    } else if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// A ratio to the floor, e.g. `1.32x`.
pub fn ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => format!("{r:.2}x"),
        _ => "n/a".into(),
    }
}

/// Microseconds from nanoseconds.
pub fn us(ns: u64) -> String {
    format!("{:.1} us", ns as f64 / 1000.0)
}

/// Mebibytes from bytes.
pub fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}
