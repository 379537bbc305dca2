//! uniffi's side of core's types, built only with the `uniffi` feature
//! (docs/adr/0011-uniffi-derives-on-core-types.md).
//!
//! Core's records and enums derive `uniffi::Record` / `uniffi::Enum` where they are
//! defined (`#[cfg_attr(feature = "uniffi", ...)]`), under the names Swift has always
//! seen; `bindings/uniffi` takes and returns them as they are, with no copies. This
//! module holds the custom types for the third-party types those records carry; the
//! crate's uniffi scaffolding (the `magnetar_core` component, generated into
//! `swift/Sources/Magnetar/magnetar_core.swift`) is set up at the crate root, where uniffi
//! needs it.

/// A JSON document (audit event details) crosses as its text: Swift decodes it with
/// `JSONSerialization`. A type alias because `uniffi::custom_type!` names the Swift type
/// after the Rust identifier (`JsonValue`, a typealias of `String`).
pub type JsonValue = serde_json::Value;

uniffi::custom_type!(JsonValue, String, {
    // `remote`: serde_json's type, so the conversion is implemented for this crate's
    // uniffi tag only (the orphan rule).
    remote,
    lower: |value| value.to_string(),
    // Reached only if a host hands an `AuditEvent` back; an input that can be malformed
    // (`NewAuditEvent.detailsJson`) stays text so that core reports `invalidInput`.
    try_lift: |text| Ok(serde_json::from_str(&text)?),
});
