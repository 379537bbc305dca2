//! Magnetar's uniffi layer: the types and objects Swift sees.

uniffi::setup_scaffolding!("magnetar");

/// Magnetar's version, for example "1.0.0".
#[uniffi::export]
pub fn magnetar_version() -> String {
    magnetar_core::VERSION.to_string()
}
