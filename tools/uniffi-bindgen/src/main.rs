//! uniffi's general bindings generator (`generate --library <lib> --language swift ...`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
