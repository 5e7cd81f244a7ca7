//! Fault injection: latency (before a call is carried out, or after it, before the answer), an
//! error rate per endpoint, "fail the Nth call to X with status
//! S", dropping the connection, losing the answer of a call that was carried out, and failed
//! merges / releases. Faults come from the seed,
//! from `POST /__sim/faults` (JSON) and from [`super::Server::inject`].
//!
//! Endpoints are named `METHOD Template`, e.g. `GET Branch/{id}`, `POST Branch`,
//! `POST Branch/query`, `POST MergeRequest/execute/{id}`. A fault's `endpoint` pattern
//! matches that full name, the template alone (`Branch/{id}`), or the object name alone
//! (`Branch`); `*` is a wildcard (`*` alone matches every call).

use serde::{Deserialize, Serialize};

/// One fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Delay matching calls by `millis` before answering.
    Latency {
        #[serde(default = "star")]
        endpoint: String,
        millis: u64,
    },
    /// Carry out matching calls at once, then delay the answer by `millis`: the state has
    /// changed (or been read) long before the client hears of it. Two clients that look
    /// something up and then create it can both see "not there".
    SlowAnswer {
        #[serde(default = "star")]
        endpoint: String,
        millis: u64,
    },
    /// Fail a fraction `rate` (0..=1) of matching calls with `status` (deterministic
    /// pseudo-random sequence from `seed`).
    ErrorRate {
        endpoint: String,
        rate: f64,
        #[serde(default = "s503")]
        status: u16,
        #[serde(default)]
        seed: u64,
    },
    /// Fail matching calls number `nth` .. `nth + count - 1` (counted from when the fault
    /// was added, starting at 1) with `status`; an optional `Retry-After` header in seconds.
    FailNth {
        endpoint: String,
        #[serde(default = "one")]
        nth: u64,
        #[serde(default = "one")]
        count: u64,
        status: u16,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Drop the connection without an answer on matching calls `nth` .. `nth + count - 1`.
    CloseConnection {
        endpoint: String,
        #[serde(default = "one")]
        nth: u64,
        #[serde(default = "one")]
        count: u64,
    },
    /// Carry out matching calls `nth` .. `nth + count - 1`, then lose the answer: reply
    /// `status` instead of the real answer, or drop the connection when `status` is absent.
    /// For testing that a client looks an object up before re-creating it.
    LoseResponse {
        endpoint: String,
        #[serde(default = "one")]
        nth: u64,
        #[serde(default = "one")]
        count: u64,
        #[serde(default)]
        status: Option<u16>,
    },
    /// The next `count` merges end in `FAILED_TO_MERGE`.
    FailMerge {
        #[serde(default = "one")]
        count: u64,
    },
    /// The next `count` releases end in `ERROR`.
    FailRelease {
        #[serde(default = "one")]
        count: u64,
    },
}

fn star() -> String {
    "*".into()
}
fn s503() -> u16 {
    503
}
fn one() -> u64 {
    1
}

/// A fault with its bookkeeping.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    pub fault: Fault,
    /// Matching calls seen since the fault was added.
    pub seen: u64,
    /// Calls or events this fault has failed.
    pub fired: u64,
    #[serde(skip)]
    rng: u64,
}

/// What the fault layer decided for one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub delay_ms: u64,
    /// Delay after the call was carried out, before the answer.
    pub answer_delay_ms: u64,
    /// Answer with this status and message (and `Retry-After`).
    pub fail: Option<(u16, String, Option<u64>)>,
    /// Drop the connection.
    pub close: bool,
    /// Handle the call, then answer this status (`Some`) or drop the connection (`None`).
    pub lose_response: Option<Option<u16>>,
}

impl ActiveFault {
    pub fn new(fault: Fault) -> ActiveFault {
        let rng = match &fault {
            Fault::ErrorRate { seed, .. } => seed.wrapping_mul(6364136223846793005) | 1,
            _ => 0x9E37_79B9_7F4A_7C15,
        };
        ActiveFault {
            fault,
            seen: 0,
            fired: 0,
            rng,
        }
    }

    fn next_unit(&mut self) -> f64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether the fault is used up (a consumed FailNth / CloseConnection / FailMerge).
    pub fn exhausted(&self) -> bool {
        match &self.fault {
            Fault::FailNth { nth, count, .. }
            | Fault::CloseConnection { nth, count, .. }
            | Fault::LoseResponse { nth, count, .. } => self.seen >= nth + count - 1,
            Fault::FailMerge { count } | Fault::FailRelease { count } => self.fired >= *count,
            _ => false,
        }
    }
}

/// Glob match with `*`.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Whether an endpoint pattern matches a call named `key` (`METHOD Template`).
pub fn endpoint_matches(pattern: &str, key: &str) -> bool {
    let pattern = pattern.trim();
    if glob(pattern, key) {
        return true;
    }
    let template = key.split_once(' ').map(|(_, t)| t).unwrap_or(key);
    if glob(pattern, template) {
        return true;
    }
    let object = template.split('/').next().unwrap_or(template);
    pattern == object
}

/// Run the call-level faults for one call.
pub fn decide(faults: &mut [ActiveFault], key: &str) -> Decision {
    let mut d = Decision::default();
    for f in faults.iter_mut() {
        let endpoint = match &f.fault {
            Fault::Latency { endpoint, .. }
            | Fault::SlowAnswer { endpoint, .. }
            | Fault::ErrorRate { endpoint, .. }
            | Fault::FailNth { endpoint, .. }
            | Fault::CloseConnection { endpoint, .. }
            | Fault::LoseResponse { endpoint, .. } => endpoint.clone(),
            Fault::FailMerge { .. } | Fault::FailRelease { .. } => continue,
        };
        if !endpoint_matches(&endpoint, key) || f.exhausted() {
            continue;
        }
        f.seen += 1;
        let seen = f.seen;
        match f.fault.clone() {
            Fault::Latency { millis, .. } => {
                f.fired += 1;
                d.delay_ms += millis;
            }
            Fault::SlowAnswer { millis, .. } => {
                f.fired += 1;
                d.answer_delay_ms += millis;
            }
            Fault::ErrorRate { rate, status, .. } => {
                if d.fail.is_none() && !d.close && f.next_unit() < rate {
                    f.fired += 1;
                    d.fail = Some((status, format!("Injected fault: {status}"), None));
                }
            }
            Fault::FailNth {
                nth,
                count,
                status,
                message,
                retry_after,
                ..
            } => {
                if d.fail.is_none() && !d.close && seen >= nth && seen < nth + count {
                    f.fired += 1;
                    let msg = message.unwrap_or_else(|| format!("Injected fault: {status}"));
                    d.fail = Some((status, msg, retry_after));
                }
            }
            Fault::CloseConnection { nth, count, .. } => {
                if d.fail.is_none() && !d.close && seen >= nth && seen < nth + count {
                    f.fired += 1;
                    d.close = true;
                }
            }
            Fault::LoseResponse {
                nth, count, status, ..
            } => {
                let free = d.fail.is_none() && !d.close && d.lose_response.is_none();
                if free && seen >= nth && seen < nth + count {
                    f.fired += 1;
                    d.lose_response = Some(status);
                }
            }
            Fault::FailMerge { .. } | Fault::FailRelease { .. } => {}
        }
    }
    d
}

/// Consume one `FailMerge` (or `FailRelease` when `release`) if any is pending.
pub fn take_event_fault(faults: &mut [ActiveFault], release: bool) -> bool {
    for f in faults.iter_mut() {
        let hit = match f.fault {
            Fault::FailMerge { .. } => !release,
            Fault::FailRelease { .. } => release,
            _ => false,
        };
        if hit && !f.exhausted() {
            f.fired += 1;
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_patterns() {
        assert!(endpoint_matches("*", "GET Branch/{id}"));
        assert!(endpoint_matches("Branch", "GET Branch/{id}"));
        assert!(endpoint_matches("Branch", "POST Branch"));
        assert!(endpoint_matches("GET Branch/{id}", "GET Branch/{id}"));
        assert!(!endpoint_matches("POST Branch/{id}", "GET Branch/{id}"));
        assert!(endpoint_matches("Branch/*", "POST Branch/query"));
        assert!(!endpoint_matches("Branch", "POST MergeRequest"));
        assert!(endpoint_matches("* Component*", "GET Component/{id}"));
    }

    #[test]
    fn fail_nth_fails_exactly_the_window() {
        let mut fs = vec![ActiveFault::new(Fault::FailNth {
            endpoint: "Branch".into(),
            nth: 2,
            count: 2,
            status: 503,
            message: None,
            retry_after: Some(1),
        })];
        let got: Vec<bool> = (0..5)
            .map(|_| decide(&mut fs, "GET Branch/{id}").fail.is_some())
            .collect();
        assert_eq!(got, vec![false, true, true, false, false]);
        assert!(decide(&mut fs, "POST Other").fail.is_none());
        assert!(fs[0].exhausted());
    }

    #[test]
    fn error_rate_is_deterministic_and_roughly_right() {
        let mk = || {
            vec![ActiveFault::new(Fault::ErrorRate {
                endpoint: "*".into(),
                rate: 0.3,
                status: 500,
                seed: 7,
            })]
        };
        let (mut a, mut b) = (mk(), mk());
        let ra: Vec<bool> = (0..1000)
            .map(|_| decide(&mut a, "GET X").fail.is_some())
            .collect();
        let rb: Vec<bool> = (0..1000)
            .map(|_| decide(&mut b, "GET X").fail.is_some())
            .collect();
        assert_eq!(ra, rb);
        let n = ra.iter().filter(|x| **x).count();
        assert!((200..400).contains(&n), "{n}");
    }

    #[test]
    fn merge_faults_are_consumed() {
        let mut fs = vec![ActiveFault::new(Fault::FailMerge { count: 1 })];
        assert!(!take_event_fault(&mut fs, true));
        assert!(take_event_fault(&mut fs, false));
        assert!(!take_event_fault(&mut fs, false));
    }

    #[test]
    fn faults_parse_from_json() {
        let f: Fault = serde_json::from_str(
            r#"{"kind":"fail_nth","endpoint":"POST Branch","status":503,"count":2}"#,
        )
        .unwrap();
        assert!(matches!(
            f,
            Fault::FailNth {
                nth: 1,
                count: 2,
                status: 503,
                ..
            }
        ));
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"nope"}"#).is_err());
    }
}
