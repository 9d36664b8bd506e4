//! Timelines: one strip per strategy on one shared time axis, each request a horizontal bar from
//! its start to its end, request 1 at the top of its strip. Written as SVG paths directly (one
//! path per strip and shade), since a thousand bars per strip as separate elements would make
//! the page heavy.
//!
//! Every request is drawn. A strip is divided into rows of requests (one request per row up to
//! [`ROWS`] requests, consecutive requests sharing a row beyond) and the time axis into columns
//! of [`COLUMN_PX`] pixels; a cell of that grid is shaded by the share of its row's requests in
//! flight during its column (never lighter than the lightest shade if any was), so a thousand
//! requests keep their shape: a staircase, waves, a wall.

use super::{family_color, FONT, WIDTH};
use crate::strategy::Family;
use std::fmt::Write;

/// The most rows a strip has.
pub const ROWS: usize = 100;
/// Width of a time column in pixels.
pub const COLUMN_PX: f64 = 2.0;
/// Shades of a cell, lightest to darkest.
const SHADES: usize = 6;

const LEFT: f64 = 250.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const STRIP: f64 = 34.0;
const GAP: f64 = 8.0;
const BOTTOM: f64 = 48.0;

/// One strip: a strategy and its batch, or why it has none.
pub struct Strip {
    pub label: String,
    pub family: Family,
    /// Each request's start and end, microseconds from the batch's start, in request order.
    pub spans_us: Vec<Option<[u32; 2]>>,
    pub wall_us: u64,
    /// Shown in place of the bars when there are none (e.g. `skipped`).
    pub note: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A step of 1, 2 or 5 x 10^k giving about `n` ticks over `span`.
fn tick_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// The shade (0: none, 1..=SHADES) of each column of each row of one strip.
fn grid(spans: &[Option<[u32; 2]>], axis_us: f64, columns: usize) -> Vec<Vec<u8>> {
    let n = spans.len();
    let rows = n.clamp(1, ROWS);
    let col_us = axis_us / columns as f64;
    let mut busy = vec![vec![0.0f64; columns]; rows];
    for (i, span) in spans.iter().enumerate() {
        let Some([s, e]) = *span else { continue };
        let row = i * rows / n.max(1);
        let (s, e) = (f64::from(s), f64::from(e.max(s)));
        let first = ((s / col_us) as usize).min(columns - 1);
        // The column holding the end (an end on a column's edge closes the column before).
        let last = (((e / col_us).ceil() as usize).max(first + 1) - 1).min(columns - 1);
        for (c, cell) in busy[row].iter_mut().enumerate().take(last + 1).skip(first) {
            let (c0, c1) = (c as f64 * col_us, (c + 1) as f64 * col_us);
            // A request shorter than a column still marks it.
            *cell += ((e.min(c1) - s.max(c0)) / col_us).max(1e-3);
        }
    }
    busy.iter()
        .enumerate()
        .map(|(r, cols)| {
            // Requests in this row.
            let members = ((r + 1) * n / rows - r * n / rows).max(1) as f64;
            cols.iter()
                .map(|b| match *b > 0.0 {
                    true => ((b / members * SHADES as f64).ceil() as usize).clamp(1, SHADES) as u8,
                    false => 0,
                })
                .collect()
        })
        .collect()
}

/// Draws the strips on one shared axis of `axis_us` (at least the longest batch).
pub fn timeline(title: &str, strips: &[Strip]) -> String {
    let width = f64::from(WIDTH);
    let plot = width - LEFT - RIGHT;
    let columns = (plot / COLUMN_PX) as usize;
    let axis_us = strips.iter().map(|s| s.wall_us).max().unwrap_or(1).max(1) as f64;
    let height = TOP + strips.len() as f64 * (STRIP + GAP) + BOTTOM;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12">"#
    );
    let _ = write!(
        o,
        r#"<rect width="{width}" height="{height}" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        width / 2.0,
        esc(title)
    );
    for (k, strip) in strips.iter().enumerate() {
        let y0 = TOP + k as f64 * (STRIP + GAP);
        let label = match strip.note {
            Some(_) => esc(&strip.label),
            None => format!(
                "{} ({:.1} ms)",
                esc(&strip.label),
                strip.wall_us as f64 / 1000.0
            ),
        };
        let _ = write!(
            o,
            r##"<text x="{}" y="{:.1}" text-anchor="end">{label}</text><rect x="{LEFT}" y="{y0}" width="{plot}" height="{STRIP}" fill="#f3f3f3"/>"##,
            LEFT - 8.0,
            y0 + STRIP / 2.0 + 4.0
        );
        if let Some(note) = &strip.note {
            let _ = write!(
                o,
                r##"<text x="{}" y="{:.1}" fill="#555">{}</text>"##,
                LEFT + 8.0,
                y0 + STRIP / 2.0 + 4.0,
                esc(note)
            );
            continue;
        }
        let g = grid(&strip.spans_us, axis_us, columns);
        let row_h = STRIP / g.len().max(1) as f64;
        let c = family_color(strip.family);
        for shade in 1..=SHADES as u8 {
            let mut d = String::new();
            for (r, cols) in g.iter().enumerate() {
                let y = y0 + r as f64 * row_h;
                let mut c0 = 0;
                while c0 < cols.len() {
                    if cols[c0] != shade {
                        c0 += 1;
                        continue;
                    }
                    let mut c1 = c0;
                    while c1 < cols.len() && cols[c1] == shade {
                        c1 += 1;
                    }
                    let _ = write!(
                        d,
                        "M{:.0} {:.2}h{:.0}v{:.2}h-{:.0}z",
                        LEFT + c0 as f64 * COLUMN_PX,
                        y,
                        (c1 - c0) as f64 * COLUMN_PX,
                        row_h,
                        (c1 - c0) as f64 * COLUMN_PX
                    );
                    c0 = c1;
                }
            }
            if !d.is_empty() {
                let _ = write!(
                    o,
                    r#"<path d="{d}" fill="rgb({},{},{})" fill-opacity="{:.2}"/>"#,
                    c.0,
                    c.1,
                    c.2,
                    0.25 + 0.75 * f64::from(shade) / SHADES as f64
                );
            }
        }
    }
    // The shared time axis.
    let axis_y = TOP + strips.len() as f64 * (STRIP + GAP);
    let axis_ms = axis_us / 1000.0;
    let step = tick_step(axis_ms, 8.0);
    let _ = write!(
        o,
        r##"<line x1="{LEFT}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="#333"/>"##,
        LEFT + plot
    );
    let mut t = 0.0;
    while t <= axis_ms + 1e-9 {
        let x = LEFT + t / axis_ms * plot;
        let _ = write!(
            o,
            r##"<line x1="{x:.1}" y1="{axis_y}" x2="{x:.1}" y2="{:.1}" stroke="#333"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            axis_y + 5.0,
            axis_y + 18.0,
            match step >= 1.0 {
                true => format!("{t:.0}"),
                false => format!("{t:.*}", (-step.log10().floor()) as usize),
            }
        );
        t += step;
    }
    let _ = write!(
        o,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">milliseconds from the batch's start (each strip: request 1 at the top; darker: more of a row's requests in flight)</text></svg>"#,
        LEFT + plot / 2.0,
        axis_y + 38.0
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_is_drawn_where_it_ran() {
        // Three requests one after another over 30 ms: a staircase of three rows.
        let spans = vec![
            Some([0, 10_000]),
            Some([10_000, 20_000]),
            Some([20_000, 30_000]),
        ];
        let g = grid(&spans, 30_000.0, 30);
        assert_eq!(g.len(), 3);
        assert!(
            g[0][..10].iter().all(|&s| s == SHADES as u8) && g[0][10..].iter().all(|&s| s == 0)
        );
        assert!(g[1][10..20].iter().all(|&s| s > 0) && g[1][..10].iter().all(|&s| s == 0));
        assert!(g[2][20..].iter().all(|&s| s > 0));
        // A request far shorter than a column still shows.
        let g = grid(&[Some([5, 6])], 30_000.0, 30);
        assert_eq!(g[0][0], 1);
        // A thousand requests share a hundred rows; all in flight at once fill every row.
        let wall: Vec<_> = (0..1000).map(|_| Some([0, 30_000])).collect();
        let g = grid(&wall, 30_000.0, 30);
        assert_eq!(g.len(), ROWS);
        assert!(g.iter().all(|r| r.iter().all(|&s| s == SHADES as u8)));
    }

    #[test]
    fn the_svg_has_a_strip_per_strategy_and_notes_for_cells_without_bars() {
        let svg = timeline(
            "t",
            &[
                Strip {
                    label: "gather/x".into(),
                    family: Family::Gather,
                    spans_us: vec![Some([0, 1000])],
                    wall_us: 1000,
                    note: None,
                },
                Strip {
                    label: "sequential/y".into(),
                    family: Family::Sequential,
                    spans_us: vec![],
                    wall_us: 0,
                    note: Some("skipped".into()),
                },
            ],
        );
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert_eq!(
            doc.descendants().filter(|n| n.has_tag_name("path")).count(),
            1
        );
        assert!(svg.contains("gather/x (1.0 ms)") && svg.contains(">skipped<"));
    }
}
