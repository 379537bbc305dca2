//! uniffi's Swift-specific generator: Swift sources, the C header and the modulemap,
//! each on request and with the file names SwiftPM and XCFrameworks need.

fn main() {
    uniffi::uniffi_bindgen_swift()
}
