//! Magnetar's shipped native library.
//!
//! This crate holds no logic. It links the C API (`magnetar-ffi`) and the uniffi
//! scaffolding for Swift (`magnetar-uniffi`) into one `libmagnetar.a` / `libmagnetar.so`,
//! so a host links one library whatever language it calls from.

pub use magnetar_ffi;
pub use magnetar_uniffi;
