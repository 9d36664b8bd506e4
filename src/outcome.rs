//! What one request came to, and whether a batch came out exactly as its workload planned.
//!
//! Errors are values: a failed request yields an [`Outcome::Failed`] with its [`ErrorKind`] and
//! the batch goes on, like a gather that returns `(url, exception)` pairs. [`verify`] then holds
//! every outcome against the workload's expectation, so a batch whose requests failed is never
//! mistaken for a fast success, and a planned fault that did not surface is caught too.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a request produced no complete response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The TCP connection could not be made.
    Connect,
    /// The connection was reset or closed before a response head arrived.
    Reset,
    /// The request took longer than the workload's timeout.
    Timeout,
    /// The head arrived but the body ended early (shorter than its Content-Length).
    Truncated,
    /// Anything else the client reported.
    Other,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Reset => "reset",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Other => "other",
        }
    }
}

/// One request's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// A complete response: its status, body length and CRC-32 of the body.
    Response {
        status: u16,
        bytes: u64,
        checksum: u32,
    },
    /// No complete response.
    Failed { kind: ErrorKind, detail: String },
}

impl Outcome {
    pub fn failed(kind: ErrorKind, detail: impl fmt::Display) -> Outcome {
        Outcome::Failed {
            kind,
            detail: detail.to_string(),
        }
    }

    /// The class of this outcome, to compare with what was expected.
    pub fn class(&self) -> Class {
        match self {
            Outcome::Response { status: 200, .. } => Class::Ok,
            Outcome::Response { status, .. } => Class::Status(*status),
            Outcome::Failed { kind, .. } => Class::Error(*kind),
        }
    }
}

/// An outcome reduced to its kind: what errors are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Ok,
    Status(u16),
    Error(ErrorKind),
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Ok => f.write_str("ok"),
            Class::Status(s) => write!(f, "status_{s}"),
            Class::Error(k) => f.write_str(k.as_str()),
        }
    }
}

/// What a request should come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// A 200 with exactly this body.
    Body { bytes: u64, checksum: u32 },
    /// A response with this non-200 status (its body is not checked).
    Status(u16),
    /// No complete response, failing this way.
    Error(ErrorKind),
}

impl Expected {
    pub fn class(&self) -> Class {
        match self {
            Expected::Body { .. } => Class::Ok,
            Expected::Status(s) => Class::Status(*s),
            Expected::Error(k) => Class::Error(*k),
        }
    }

    fn matches(&self, got: &Outcome) -> bool {
        match (self, got) {
            (
                Expected::Body { bytes, checksum },
                Outcome::Response {
                    status: 200,
                    bytes: b,
                    checksum: c,
                },
            ) => bytes == b && checksum == c,
            (Expected::Status(s), Outcome::Response { status, .. }) => s == status,
            (Expected::Error(k), Outcome::Failed { kind, .. }) => k == kind,
            _ => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Body { bytes, checksum } => {
                write!(f, "200 with {bytes} bytes, crc32 {checksum:08x}")
            }
            Expected::Status(s) => write!(f, "status {s}"),
            Expected::Error(k) => write!(f, "a {} error", k.as_str()),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Response {
                status,
                bytes,
                checksum,
            } => write!(f, "{status} with {bytes} bytes, crc32 {checksum:08x}"),
            Outcome::Failed { kind, detail } => write!(f, "a {} error ({detail})", kind.as_str()),
        }
    }
}

/// One request whose outcome differs from its expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub index: usize,
    pub expected: Expected,
    /// `None` when the strategy returned no outcome for this request at all.
    pub got: Option<Outcome>,
}

/// Why a batch did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    pub requests: usize,
    pub outcomes: usize,
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requests != self.outcomes {
            write!(
                f,
                "{} outcomes for {} requests; ",
                self.outcomes, self.requests
            )?;
        }
        write!(
            f,
            "{} of {} requests differ from the plan",
            self.mismatches.len(),
            self.requests
        )?;
        for m in self.mismatches.iter().take(3) {
            match &m.got {
                Some(got) => write!(f, "; #{}: expected {}, got {got}", m.index, m.expected)?,
                None => write!(f, "; #{}: expected {}, got nothing", m.index, m.expected)?,
            }
        }
        if self.mismatches.len() > 3 {
            write!(f, "; and {} more", self.mismatches.len() - 3)?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifyError {}

/// Checks every outcome against its expectation (same order); `Ok` only if all match and there
/// is exactly one outcome per request.
pub fn verify(expected: &[Expected], outcomes: &[Outcome]) -> Result<(), VerifyError> {
    let mismatches: Vec<Mismatch> = expected
        .iter()
        .enumerate()
        .filter_map(|(index, e)| match outcomes.get(index) {
            Some(got) if e.matches(got) => None,
            got => Some(Mismatch {
                index,
                expected: *e,
                got: got.cloned(),
            }),
        })
        .collect();
    if mismatches.is_empty() && expected.len() == outcomes.len() {
        Ok(())
    } else {
        Err(VerifyError {
            requests: expected.len(),
            outcomes: outcomes.len(),
            mismatches,
        })
    }
}

/// Reads a response body as a client would, keeping its length and CRC-32.
#[derive(Default)]
pub struct Digest {
    bytes: u64,
    crc: crc32fast::Hasher,
}

impl Digest {
    pub fn update(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.crc.update(chunk);
    }

    /// The outcome of a complete response with this status, after `cpu_work` rounds of
    /// processing (see [`process`]) on the thread that read it.
    pub fn finish(self, status: u16, cpu_work: u64) -> Outcome {
        let checksum = self.crc.finalize();
        if cpu_work > 0 {
            std::hint::black_box(process(checksum, cpu_work));
        }
        Outcome::Response {
            status,
            bytes: self.bytes,
            checksum,
        }
    }
}

impl std::io::Write for Digest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stands for what a program does with each response (parse, transform): `rounds` steps of a
/// hash chain seeded by the body's checksum, which the compiler cannot skip or precompute.
pub fn process(seed: u32, rounds: u64) -> u64 {
    let mut x = u64::from(seed) | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(bytes: u64, checksum: u32) -> Outcome {
        Outcome::Response {
            status: 200,
            bytes,
            checksum,
        }
    }

    #[test]
    fn a_batch_as_planned_verifies() {
        let exp = [
            Expected::Body {
                bytes: 3,
                checksum: 9,
            },
            Expected::Status(500),
            Expected::Error(ErrorKind::Timeout),
        ];
        let got = [
            ok(3, 9),
            Outcome::Response {
                status: 500,
                bytes: 20,
                checksum: 1,
            },
            Outcome::failed(ErrorKind::Timeout, "after 1s"),
        ];
        assert_eq!(verify(&exp, &got), Ok(()));
    }

    #[test]
    fn every_difference_is_named() {
        let exp = [
            Expected::Body {
                bytes: 3,
                checksum: 9,
            },
            Expected::Error(ErrorKind::Reset),
            Expected::Body {
                bytes: 3,
                checksum: 9,
            },
        ];
        let got = [ok(3, 8), ok(3, 9)];
        let err = verify(&exp, &got).unwrap_err();
        assert_eq!(err.mismatches.len(), 3);
        let msg = err.to_string();
        assert!(msg.starts_with("2 outcomes for 3 requests; 3 of 3 requests differ"));
        assert!(msg.contains(
            "#0: expected 200 with 3 bytes, crc32 00000009, got 200 with 3 bytes, crc32 00000008"
        ));
        assert!(msg.contains("#1: expected a reset error, got 200"));
        assert!(msg.contains("#2: expected 200 with 3 bytes, crc32 00000009, got nothing"));
    }

    #[test]
    fn a_fault_that_did_not_surface_fails_verification() {
        let exp = [Expected::Error(ErrorKind::Truncated)];
        assert!(verify(&exp, &[ok(10, 1)]).is_err());
        let exp = [Expected::Error(ErrorKind::Truncated)];
        assert!(verify(&exp, &[Outcome::failed(ErrorKind::Reset, "x")]).is_err());
    }

    #[test]
    fn digest_counts_and_checksums() {
        let mut d = Digest::default();
        d.update(b"hello ");
        d.update(b"world");
        assert_eq!(d.finish(200, 10), ok(11, crc32fast::hash(b"hello world")));
    }
}
