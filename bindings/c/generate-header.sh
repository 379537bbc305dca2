#!/usr/bin/env bash
# Regenerates include/magnetar.h from the C API in bindings/c (cbindgen, through the
# workspace tool tools/c-header).
#
# Usage: bindings/c/generate-header.sh           regenerate in place
#        bindings/c/generate-header.sh --check   exit 1 if the committed header is stale
#
# Needs only the Rust toolchain. Honours CARGO_TARGET_DIR.
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"
exec cargo run --quiet --manifest-path "$root/Cargo.toml" -p c-header -- "$@"
