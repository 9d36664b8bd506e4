//! What a `/r/{id}` request asks for, parsed from its URL.
//!
//! Every response the server gives is decided by the URL alone, so a client (or a workload
//! generator) can know in advance exactly what each request will return. The parser is a pure
//! function, fuzzed by a property test, and never panics: anything it cannot accept becomes a
//! [`ParamError`] whose message is the one-line reason sent back with the 400.

use std::fmt;
use std::time::Duration;

/// A failure the server injects on purpose, chosen by `fault=` in the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Respond `500 Internal Server Error` after the latency.
    Status500,
    /// Close the connection with a TCP reset after the latency, sending no response.
    Reset,
    /// Hold the response until the server's latency cap, past any sane client timeout.
    Stall,
    /// Promise `bytes` in Content-Length, send half of them, then close.
    Truncated,
}

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 4] = [
        Fault::Status500,
        Fault::Reset,
        Fault::Stall,
        Fault::Truncated,
    ];

    /// The value of `fault=` that selects this fault.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Status500 => "500",
            Fault::Reset => "reset",
            Fault::Stall => "stall",
            Fault::Truncated => "truncated",
        }
    }

    /// Parses the value of `fault=`.
    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Upper bounds on what one request may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest latency a request may ask for; also how long a stall lasts.
    pub max_latency: Duration,
    /// The largest body a request may ask for.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_latency: Duration::from_secs(60),
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A parsed `/r/{id}?lat_us=..&bytes=..&fault=..` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The request's id: with `bytes`, it decides the body's content.
    pub id: u64,
    /// How long the server waits before it answers.
    pub latency: Duration,
    /// The body's exact length in bytes.
    pub bytes: u64,
    /// The fault to inject, if any.
    pub fault: Option<Fault>,
}

/// Why a request was refused with a 400.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("the id in /r/{{id}} must be an unsigned integer, got {0:?}")]
    BadId(String),
    #[error("{name} must be an unsigned integer, got {value:?}")]
    NotANumber { name: &'static str, value: String },
    #[error("lat_us={0} is over the cap of {1} microseconds")]
    LatencyOverCap(u64, u64),
    #[error("bytes={0} is over the cap of {1} bytes")]
    BytesOverCap(u64, u64),
    #[error("fault={0:?} is unknown; use 500, reset, stall or truncated")]
    UnknownFault(String),
    #[error("fault=truncated needs bytes of at least 1")]
    NothingToTruncate,
    #[error("unknown query parameter {0:?}; use lat_us, bytes and fault")]
    UnknownParam(String),
    #[error("query parameter {0} is given twice")]
    Repeated(&'static str),
}

fn number(name: &'static str, value: &str) -> Result<u64, ParamError> {
    // `u64::from_str` accepts a leading '+'; the URL format does not.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParamError::NotANumber {
            name,
            value: value.to_owned(),
        });
    }
    value.parse().map_err(|_| ParamError::NotANumber {
        name,
        value: value.to_owned(),
    })
}

fn set_once<T>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), ParamError> {
    if slot.replace(value).is_some() {
        return Err(ParamError::Repeated(name));
    }
    Ok(())
}

impl Params {
    /// Parses the id segment (what follows `/r/`) and the query string (without `?`).
    ///
    /// Missing parameters default to no latency, an empty body and no fault.
    pub fn parse(id: &str, query: Option<&str>, limits: &Limits) -> Result<Params, ParamError> {
        let id = if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
            id.parse().map_err(|_| ParamError::BadId(id.to_owned()))?
        } else {
            return Err(ParamError::BadId(id.to_owned()));
        };
        let (mut lat_us, mut bytes, mut fault) = (None, None, None);
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "lat_us" => set_once(&mut lat_us, "lat_us", number("lat_us", value)?)?,
                "bytes" => set_once(&mut bytes, "bytes", number("bytes", value)?)?,
                "fault" => {
                    let f = Fault::parse(value)
                        .ok_or_else(|| ParamError::UnknownFault(value.to_owned()))?;
                    set_once(&mut fault, "fault", f)?
                }
                other => return Err(ParamError::UnknownParam(other.to_owned())),
            }
        }
        let lat_us = lat_us.unwrap_or(0);
        let cap_us = u64::try_from(limits.max_latency.as_micros()).unwrap_or(u64::MAX);
        if lat_us > cap_us {
            return Err(ParamError::LatencyOverCap(lat_us, cap_us));
        }
        let bytes = bytes.unwrap_or(0);
        if bytes > limits.max_bytes {
            return Err(ParamError::BytesOverCap(bytes, limits.max_bytes));
        }
        if fault == Some(Fault::Truncated) && bytes == 0 {
            return Err(ParamError::NothingToTruncate);
        }
        Ok(Params {
            id,
            latency: Duration::from_micros(lat_us),
            bytes,
            fault,
        })
    }

    /// The path and query that ask for these parameters (the inverse of [`Params::parse`]).
    pub fn path_and_query(&self) -> String {
        let mut s = format!(
            "/r/{}?lat_us={}&bytes={}",
            self.id,
            self.latency.as_micros(),
            self.bytes
        );
        if let Some(f) = self.fault {
            s.push_str("&fault=");
            s.push_str(f.as_str());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(id: &str, q: &str) -> Result<Params, ParamError> {
        Params::parse(id, Some(q), &Limits::default())
    }

    #[test]
    fn a_full_request_parses() {
        let p = parse("7", "lat_us=1500&bytes=10&fault=truncated").unwrap();
        assert_eq!(p.id, 7);
        assert_eq!(p.latency, Duration::from_micros(1500));
        assert_eq!(p.bytes, 10);
        assert_eq!(p.fault, Some(Fault::Truncated));
    }

    #[test]
    fn missing_parameters_default_to_nothing() {
        let p = Params::parse("1", None, &Limits::default()).unwrap();
        assert_eq!((p.latency, p.bytes, p.fault), (Duration::ZERO, 0, None));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let cases = [
            ("x", "", "the id in /r/{id}"),
            ("1", "lat_us=-5", "lat_us must be an unsigned integer"),
            ("1", "bytes=+5", "bytes must be an unsigned integer"),
            ("1", "bytes=1e3", "bytes must be an unsigned integer"),
            ("1", "lat_us=60000001", "over the cap"),
            ("1", "bytes=99999999999", "over the cap"),
            ("1", "fault=boom", "fault=\"boom\" is unknown"),
            ("1", "fault=truncated", "needs bytes of at least 1"),
            ("1", "color=red", "unknown query parameter \"color\""),
            ("1", "bytes=1&bytes=2", "bytes is given twice"),
            ("99999999999999999999999", "", "the id in /r/{id}"),
        ];
        for (id, q, want) in cases {
            let err = parse(id, q).unwrap_err().to_string();
            assert!(err.contains(want), "{id}?{q}: {err:?} lacks {want:?}");
        }
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_input_never_panics(id in ".{0,24}", q in ".{0,80}") {
            let _ = parse(&id, &q);
        }

        #[test]
        fn path_and_query_round_trips(id in any::<u64>(), lat in 0u64..=60_000_000,
                                      bytes in 1u64..=64 << 20, f in 0usize..5) {
            let fault = Fault::ALL.get(f).copied();
            let p = Params { id, latency: Duration::from_micros(lat), bytes, fault };
            let s = p.path_and_query();
            let (path, query) = s.split_once('?').unwrap();
            prop_assert_eq!(parse(path.trim_start_matches("/r/"), query).unwrap(), p);
        }
    }
}
