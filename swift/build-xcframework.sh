#!/usr/bin/env bash
# Builds swift/Magnetar.xcframework from the root `magnetar` static library:
#
#   ios-arm64                   aarch64-apple-ios
#   ios-arm64_x86_64-simulator  aarch64-apple-ios-sim + x86_64-apple-ios (lipo)
#   macos-arm64_x86_64          aarch64-apple-darwin + x86_64-apple-darwin (lipo)
#
# each with the generated header and modulemap (clang module `magnetarFFI`) as Headers.
# Package.swift's binary target points at the result.
#
# Prerequisites (macOS only; this cannot run on Linux):
#   - Xcode with its command line tools (xcodebuild, lipo): `xcode-select --install`
#   - rustup with the five targets:
#       rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
#           aarch64-apple-darwin x86_64-apple-darwin
#   - committed bindings that match the library (checked first; regenerate with
#     swift/generate-bindings.sh)
#
# Usage: swift/build-xcframework.sh [--debug]     (release by default)
# Honours CARGO_TARGET_DIR. Deployment targets match Package.swift (iOS 13, macOS 10.15).
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd -- "$here/.." && pwd -P)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

# `--profile dev` builds into <target>/<triple>/debug. (No empty arrays: macOS ships
# bash 3.2, where expanding one under `set -u` is an error.)
profile=release
cargo_profile=(--profile release)
case "${1:-}" in
    --debug)
        profile=debug
        cargo_profile=(--profile dev)
        ;;
    "") ;;
    *)
        echo "usage: $0 [--debug]" >&2
        exit 2
        ;;
esac

if [[ "$(uname -s)" != Darwin ]]; then
    echo "error: building an XCFramework needs macOS with Xcode (xcodebuild, lipo)" >&2
    exit 1
fi
for tool in cargo rustup xcodebuild lipo; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: '$tool' is not on the PATH (see the prerequisites at the top of $0)" >&2
        exit 1
    fi
done

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
installed="$(rustup target list --installed)"
for target in "${targets[@]}"; do
    if ! grep -qx "$target" <<<"$installed"; then
        echo "error: Rust target $target is missing: rustup target add ${targets[*]}" >&2
        exit 1
    fi
done

"$here/generate-bindings.sh" --check

export IPHONEOS_DEPLOYMENT_TARGET=13.0
export MACOSX_DEPLOYMENT_TARGET=10.15

for target in "${targets[@]}"; do
    echo "▸ cargo build -p magnetar --target $target ($profile)"
    # Only `-p magnetar`: building the bindgen in the same invocation would unify
    # uniffi's `cli` feature into the shipped library.
    cargo build --manifest-path "$root/Cargo.toml" -p magnetar --lib --locked \
        --target "$target" "${cargo_profile[@]}"
done

lib=libmagnetar.a
work="$target_dir/xcframework"
rm -rf "$work"
mkdir -p "$work/ios-simulator" "$work/macos" "$work/headers"

echo "▸ lipo: iOS simulator (arm64 + x86_64)"
lipo -create \
    "$target_dir/aarch64-apple-ios-sim/$profile/$lib" \
    "$target_dir/x86_64-apple-ios/$profile/$lib" \
    -output "$work/ios-simulator/$lib"

echo "▸ lipo: macOS (arm64 + x86_64)"
lipo -create \
    "$target_dir/aarch64-apple-darwin/$profile/$lib" \
    "$target_dir/x86_64-apple-darwin/$profile/$lib" \
    -output "$work/macos/$lib"

cp "$here/Sources/magnetarFFI/magnetarFFI.h" "$here/Sources/magnetarFFI/magnetar_coreFFI.h" \
    "$here/Sources/magnetarFFI/module.modulemap" "$work/headers/"

output="$here/Magnetar.xcframework"
rm -rf "$output"
echo "▸ xcodebuild -create-xcframework"
xcodebuild -create-xcframework \
    -library "$target_dir/aarch64-apple-ios/$profile/$lib" -headers "$work/headers" \
    -library "$work/ios-simulator/$lib" -headers "$work/headers" \
    -library "$work/macos/$lib" -headers "$work/headers" \
    -output "$output"

echo "Built $output"
