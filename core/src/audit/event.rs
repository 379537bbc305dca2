//! The public data types of the audit log: events, filters, heads and verify reports.
//! All are serde-serializable so bindings can pass them through as JSON or map them
//! field by field.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The encrypted fields of an event, in their fixed order. The order is part of the
/// chain digest: never reorder, only append (with a new digest version).
pub const FIELDS: [&str; 8] = [
    "action",
    "user_id",
    "resource_type",
    "resource_id",
    "status",
    "ip",
    "user_agent",
    "details",
];

/// Longest accepted field, in bytes (details are serialized JSON). An audit event is a
/// record, not a blob store; the limit keeps a bad caller from bloating every query.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// An event to record. `action` is required; everything else is optional. The log adds
/// the event id, sequence number and timestamp.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewEvent {
    /// What happened (`"login"`, `"password.change"`...). Must not be empty.
    pub action: String,
    /// Who did it.
    pub user_id: Option<String>,
    /// The kind of thing acted on.
    pub resource_type: Option<String>,
    /// The thing acted on.
    pub resource_id: Option<String>,
    /// Outcome (`"success"`, `"denied"`...).
    pub status: Option<String>,
    /// Client IP address, as given.
    pub ip: Option<String>,
    /// Client User-Agent.
    pub user_agent: Option<String>,
    /// Free-form JSON details.
    pub details: Option<serde_json::Value>,
}

impl NewEvent {
    /// Parses details given as JSON text (what hosts that pass JSON as a string hand
    /// over). Fails with `InvalidInput` naming `what` (e.g. `"event.details_json"`) and
    /// where the text stops being JSON.
    pub fn details_from_json(what: &str, text: &str) -> Result<serde_json::Value> {
        serde_json::from_str(text)
            .map_err(|err| Error::InvalidInput(format!("{what} is not valid JSON: {err}")))
    }

    /// An event with this action and no other field.
    pub fn new(action: impl Into<String>) -> Self {
        NewEvent {
            action: action.into(),
            ..NewEvent::default()
        }
    }

    /// Sets `user_id`.
    pub fn user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Sets `resource_type` and `resource_id`.
    pub fn resource(mut self, kind: impl Into<String>, id: impl Into<String>) -> Self {
        self.resource_type = Some(kind.into());
        self.resource_id = Some(id.into());
        self
    }

    /// Sets `status`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets `ip` and `user_agent`.
    pub fn client(mut self, ip: impl Into<String>, user_agent: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sets `details`.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The field values in [`FIELDS`] order, as stored plaintext (details serialized
    /// into `details`, which the result borrows). Borrows the event's strings instead of
    /// copying them: this runs on every `record`.
    pub(crate) fn field_values<'a>(
        &'a self,
        details: &'a mut String,
    ) -> Result<[Option<&'a str>; 8]> {
        if self.action.is_empty() {
            return Err(Error::InvalidInput(
                "audit event action must not be empty".into(),
            ));
        }
        let has_details = match &self.details {
            Some(v) => {
                // Sized for typical details in one allocation (serde_json starts at 128
                // bytes and doubles).
                let mut buf = Vec::with_capacity(512);
                serde_json::to_writer(&mut buf, v)?;
                *details = String::from_utf8(buf).map_err(|_| {
                    Error::Internal("audit details serialized to invalid UTF-8".into())
                })?;
                true
            }
            None => false,
        };
        let values = [
            Some(self.action.as_str()),
            self.user_id.as_deref(),
            self.resource_type.as_deref(),
            self.resource_id.as_deref(),
            self.status.as_deref(),
            self.ip.as_deref(),
            self.user_agent.as_deref(),
            has_details.then_some(details.as_str()),
        ];
        for (name, v) in FIELDS.iter().zip(&values) {
            if let Some(v) = v
                && v.len() > MAX_FIELD_BYTES
            {
                return Err(Error::InvalidInput(format!(
                    "audit field {name} is {} bytes, the limit is {MAX_FIELD_BYTES}",
                    v.len()
                )));
            }
        }
        Ok(values)
    }
}

/// A recorded, decrypted and authenticated event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AuditEvent {
    /// Position in the log (1, 2, 3...; gaps only where events were purged before it).
    pub seq: u64,
    /// The event id (UUID format, random).
    pub event_id: String,
    /// When it was recorded, unix milliseconds.
    pub timestamp_ms: i64,
    /// The key id its fields are currently encrypted under.
    pub key_id: u32,
    /// See [`NewEvent::action`].
    pub action: String,
    /// See [`NewEvent::user_id`].
    pub user_id: Option<String>,
    /// See [`NewEvent::resource_type`].
    pub resource_type: Option<String>,
    /// See [`NewEvent::resource_id`].
    pub resource_id: Option<String>,
    /// See [`NewEvent::status`].
    pub status: Option<String>,
    /// See [`NewEvent::ip`].
    pub ip: Option<String>,
    /// See [`NewEvent::user_agent`].
    pub user_agent: Option<String>,
    /// See [`NewEvent::details`]. Swift reads it as `detailsJson`, the document as text
    /// (the same text as [`AuditEvent::details_json`]).
    #[cfg_attr(feature = "uniffi", uniffi(name = "details_json"))]
    pub details: Option<serde_json::Value>,
}

impl AuditEvent {
    /// The details as one compact JSON document (what a host that passes JSON as text
    /// receives), or `None` when the event has none.
    pub fn details_json(&self) -> Option<String> {
        self.details.as_ref().map(serde_json::Value::to_string)
    }
}

/// Result order of a query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi(name = "AuditOrder"))]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Oldest first (ascending sequence).
    #[default]
    Ascending,
    /// Newest first.
    Descending,
}

/// Which events a query or export returns. All conditions are ANDed; `None` means
/// "any". Time bounds are unix milliseconds, `since` inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "AuditFilter")
)]
#[serde(default)]
pub struct Filter {
    /// Exact user id.
    pub user_id: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Earliest timestamp (inclusive).
    pub since_ms: Option<i64>,
    /// Latest timestamp (exclusive).
    pub until_ms: Option<i64>,
    /// Maximum number of events returned (`None`: all).
    pub limit: Option<u64>,
    /// Matching events skipped before the first returned.
    pub offset: u64,
    /// Result order.
    pub order: Order,
}

impl Filter {
    /// Events of one user.
    pub fn user(user_id: impl Into<String>) -> Self {
        Filter {
            user_id: Some(user_id.into()),
            ..Filter::default()
        }
    }
}

/// The tail of the chain: record it outside the database (periodically, or after
/// important events) and pass it to [`super::AuditLog::verify_against`] to detect a
/// truncated tail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "AuditHead"))]
pub struct Head {
    /// Sequence number of the last event (0 for an empty log).
    pub seq: u64,
    /// Its chain value, lowercase hex.
    pub chain_hex: String,
}

/// What kind of problem `verify()` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Enum),
    uniffi(name = "AuditProblemKind")
)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A field failed authentication: modified, or moved from another field or event.
    FieldTampered,
    /// Sequence numbers are missing: events were deleted.
    MissingEvents,
    /// The event does not follow the chain: reordered, inserted, replaced, or its
    /// timestamp, id or chain value edited.
    ChainBroken,
    /// The log ends before the head the host recorded: its tail was truncated.
    Truncated,
    /// The event at the recorded head's position has another chain value: the log was
    /// rewritten or the head belongs to another log.
    HeadMismatch,
    /// The purge anchor (where the chain restarts after retention) fails its MAC.
    AnchorTampered,
    /// A row is structurally invalid (bad id length, unknown key id, missing field).
    MalformedRow,
    /// The search data (an event's blind-index columns, or its copy in the lookup
    /// table: a missing, extra or edited row) disagrees with the authenticated event:
    /// queries could miss the event. The events themselves are intact.
    LookupMismatch,
    /// The recorded head is older than the purge anchor: the events that would confirm
    /// it were purged, so the log can neither confirm nor refute it.
    HeadUnconfirmable,
    /// The log disagrees with a signed checkpoint it issued earlier: an event was
    /// rewritten after the checkpoint (the problem's `seq` names the first one that
    /// differs), or the tree data the checkpoint covers was replaced.
    CheckpointMismatch,
}

impl ProblemKind {
    /// Every kind, in declaration order: bindings walk it to map each kind once.
    pub const ALL: [ProblemKind; 10] = [
        ProblemKind::FieldTampered,
        ProblemKind::MissingEvents,
        ProblemKind::ChainBroken,
        ProblemKind::Truncated,
        ProblemKind::HeadMismatch,
        ProblemKind::AnchorTampered,
        ProblemKind::MalformedRow,
        ProblemKind::LookupMismatch,
        ProblemKind::HeadUnconfirmable,
        ProblemKind::CheckpointMismatch,
    ];

    /// The kind's stable snake_case name (also its serde name), e.g. `"chain_broken"`.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::FieldTampered => "field_tampered",
            ProblemKind::MissingEvents => "missing_events",
            ProblemKind::ChainBroken => "chain_broken",
            ProblemKind::Truncated => "truncated",
            ProblemKind::HeadMismatch => "head_mismatch",
            ProblemKind::AnchorTampered => "anchor_tampered",
            ProblemKind::MalformedRow => "malformed_row",
            ProblemKind::LookupMismatch => "lookup_mismatch",
            ProblemKind::HeadUnconfirmable => "head_unconfirmable",
            ProblemKind::CheckpointMismatch => "checkpoint_mismatch",
        }
    }

    /// The kind named `name` (as [`ProblemKind::name`] spells it), if any.
    pub fn from_name(name: &str) -> Option<ProblemKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// The first problem found by `verify()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "AuditProblem")
)]
pub struct Problem {
    /// Sequence number where the problem was found (0 for the anchor or the head).
    pub seq: u64,
    /// The event id at that position, when one could be read.
    pub event_id: Option<String>,
    /// The kind of problem.
    pub kind: ProblemKind,
    /// A human-readable description naming the field or range concerned.
    pub detail: String,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "AuditVerifyReport")
)]
pub struct VerifyReport {
    /// No problem found.
    pub ok: bool,
    /// Events fully verified (decrypted, authenticated, chained) before the first
    /// problem, or in total.
    pub checked: u64,
    /// The first problem, if any.
    pub first_problem: Option<Problem>,
}

/// Progress of [`super::AuditLog::reencrypt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReencryptProgress {
    /// Events re-encrypted by this call.
    pub reencrypted: u64,
    /// Events still under an older key.
    pub remaining: u64,
    /// Whether every event is now under the current key.
    pub done: bool,
}

/// Formats a 16-byte event id as a UUID string (version 4 layout).
pub(crate) fn format_event_id(id: &[u8; 16]) -> String {
    // Built in one allocation: this runs for every `record`.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in id.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// A fresh random event id with the UUID version-4 and variant bits set.
pub(crate) fn new_event_id(mut random: [u8; 16]) -> [u8; 16] {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    random
}

#[cfg(test)]
mod tests {
    use super::ProblemKind;

    #[test]
    fn problem_kind_names_are_the_serde_names_and_round_trip() {
        for kind in ProblemKind::ALL {
            let serde = serde_json::to_value(kind).unwrap();
            assert_eq!(serde.as_str(), Some(kind.name()), "{kind:?}");
            assert_eq!(ProblemKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(ProblemKind::from_name("nope"), None);
    }
    use super::*;

    #[test]
    fn event_ids_look_like_uuids() {
        let id = new_event_id([0xff; 16]);
        let s = format_event_id(&id);
        assert_eq!(s, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let id = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
            0xdc, 0xfe,
        ];
        assert_eq!(format_event_id(&id), "01234567-89ab-cdef-1032-547698badcfe");
    }

    #[test]
    fn field_validation() {
        let mut buf = String::new();
        assert!(NewEvent::default().field_values(&mut buf).is_err());
        let big = NewEvent::new("x").user("u".repeat(MAX_FIELD_BYTES + 1));
        let err = big.field_values(&mut buf).unwrap_err();
        assert!(err.to_string().contains("user_id"), "{err}");
        let ok = NewEvent::new("login")
            .user("alice")
            .details(serde_json::json!({"a": 1}));
        let v = ok.field_values(&mut buf).unwrap();
        assert_eq!(v[0], Some("login"));
        assert_eq!(v[7], Some("{\"a\":1}"));
    }

    #[test]
    fn types_serialize_snake_case() {
        let p = Problem {
            seq: 3,
            event_id: None,
            kind: ProblemKind::FieldTampered,
            detail: "x".into(),
        };
        let j = serde_json::to_string(&p).unwrap();
        assert!(j.contains("\"field_tampered\""), "{j}");
        let f: Filter = serde_json::from_str(r#"{"user_id":"a","order":"descending"}"#).unwrap();
        assert_eq!(f.order, Order::Descending);
        assert_eq!(f.user_id.as_deref(), Some("a"));
    }
}
