//! The response body: a deterministic function of `{id, bytes}`.
//!
//! A body is a window onto one fixed pseudo-random table, starting at an offset derived from the
//! id. Serving it copies nothing (every chunk is a `'static` slice of the table), so the body never
//! costs the server more than the socket write, and any client can recompute the expected bytes
//! and their CRC-32 with [`expected_checksum`] to verify what it received.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

/// The body repeats with this period (a prime, so ids spread over every offset).
const PERIOD: usize = 4093;
/// The largest chunk handed to hyper at once.
const CHUNK: usize = 64 * 1024;

fn table() -> &'static [u8] {
    static TABLE: OnceLock<Box<[u8]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // splitmix64 from a fixed seed: the table is the same on every machine.
        let mut state: u64 = 0x5eed_fa70_0b3e_7c41;
        let mut t = vec![0u8; PERIOD + CHUNK];
        for chunk in t[..PERIOD].chunks_mut(8) {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        // The tail repeats the start, so any window of up to CHUNK bytes is contiguous.
        for i in PERIOD..PERIOD + CHUNK {
            t[i] = t[i - PERIOD];
        }
        t.into_boxed_slice()
    })
}

fn offset(id: u64) -> usize {
    (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) % PERIOD as u64) as usize
}

/// Calls `f` on consecutive slices that together make the first `len` bytes of body `id`.
fn for_each_chunk(id: u64, len: u64, mut f: impl FnMut(&'static [u8])) {
    let t = table();
    let (mut pos, mut left) = (offset(id), len);
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        f(&t[pos..pos + n]);
        pos = (pos + n) % PERIOD;
        left -= n as u64;
    }
}

/// The full body of request `id` with `bytes` bytes (for tests and small bodies).
pub fn body_bytes(id: u64, bytes: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes as usize);
    for_each_chunk(id, bytes, |c| v.extend_from_slice(c));
    v
}

/// The CRC-32 (IEEE) of the body of request `id` with `bytes` bytes.
pub fn expected_checksum(id: u64, bytes: u64) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for_each_chunk(id, bytes, |c| h.update(c));
    h.finalize()
}

/// A response body: either a short fixed text, or a pattern window that may be cut short.
pub enum Body {
    /// A small body sent as one frame (errors, stats).
    Text(Option<Bytes>),
    /// `declared` bytes of pattern announced; only `send` of them sent, then an error if less.
    Pattern {
        pos: usize,
        sent: u64,
        send: u64,
        declared: u64,
        /// Whether the body has yielded once after its last byte, so hyper flushed it.
        flushed: bool,
    },
}

impl Body {
    /// A small body sent in one frame.
    pub fn text(s: impl Into<Bytes>) -> Body {
        Body::Text(Some(s.into()))
    }

    /// The full body of request `id` with `bytes` bytes.
    pub fn pattern(id: u64, bytes: u64) -> Body {
        Body::Pattern {
            pos: offset(id),
            sent: 0,
            send: bytes,
            declared: bytes,
            flushed: false,
        }
    }

    /// Announces `bytes` bytes but sends only the first half, then fails the connection.
    pub fn truncated(id: u64, bytes: u64) -> Body {
        Body::Pattern {
            pos: offset(id),
            sent: 0,
            send: bytes / 2,
            declared: bytes,
            flushed: false,
        }
    }
}

/// The error that ends a deliberately truncated body; hyper closes the connection on it.
#[derive(Debug, thiserror::Error)]
#[error("body truncated on purpose (fault=truncated)")]
pub struct Truncated;

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Truncated;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Truncated>>> {
        match self.get_mut() {
            Body::Text(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Pattern {
                pos,
                sent,
                send,
                declared,
                flushed,
            } => {
                if sent < send {
                    let n = (*send - *sent).min(CHUNK as u64) as usize;
                    let chunk = Bytes::from_static(&table()[*pos..*pos + n]);
                    *pos = (*pos + n) % PERIOD;
                    *sent += n as u64;
                    Poll::Ready(Some(Ok(Frame::data(chunk))))
                } else if sent < declared && !*flushed {
                    // Yield once so hyper writes out the head and the partial body; failing
                    // right away would drop them unsent and look like a reset instead.
                    *flushed = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else if sent < declared {
                    Poll::Ready(Some(Err(Truncated)))
                } else {
                    Poll::Ready(None)
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Text(b) => b.is_none(),
            Body::Pattern { sent, declared, .. } => sent == declared,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Text(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Pattern { sent, declared, .. } => SizeHint::with_exact(declared - sent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_deterministic_and_depend_on_the_id() {
        assert_eq!(body_bytes(3, 5000), body_bytes(3, 5000));
        assert_ne!(body_bytes(3, 64), body_bytes(4, 64));
        assert_eq!(body_bytes(3, 100)[..], body_bytes(3, 5000)[..100]);
    }

    #[test]
    fn the_checksum_is_the_crc_of_the_body() {
        for (id, n) in [(0, 0), (1, 1), (2, 4093), (3, 200_000)] {
            assert_eq!(
                expected_checksum(id, n),
                crc32fast::hash(&body_bytes(id, n))
            );
        }
    }
}
