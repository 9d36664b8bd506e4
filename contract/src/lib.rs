//! Tests only: see `tests/schema.rs` (summary.json against `schema/summary.schema.json`).
