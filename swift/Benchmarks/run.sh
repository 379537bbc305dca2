#!/usr/bin/env bash
# The Swift crossing benchmark (BENCHMARKS.md, "Swift"): run by hand, not by the tests.
#
#   1. builds the release libmagnetar.a and copies it into a folder of its own;
#   2. the Rust side: `cargo bench --profile release -p magnetar-uniffi --bench crossing`
#      (the same calls made from Rust, no FFI) and core's `score/ip_change`;
#   3. the Swift side: `swift run -c release CrossingBench` against that library.
#
# Needs the Rust toolchain and Swift 6. Honours CARGO_TARGET_DIR. Takes a few minutes.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd -- "$here/../.." && pwd -P)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

cargo build --quiet --manifest-path "$root/Cargo.toml" -p magnetar --lib --release
lib_dir="$target_dir/swift-static-lib-release"
mkdir -p "$lib_dir"
if ! cmp -s "$target_dir/release/libmagnetar.a" "$lib_dir/libmagnetar.a"; then
    cp "$target_dir/release/libmagnetar.a" "$lib_dir/libmagnetar.a"
    # SwiftPM does not notice a changed archive linked with -l: relink the benchmark.
    if [[ -d "$here/.build" ]]; then
        find "$here/.build" -type f -name CrossingBench -perm -u+x -delete
    fi
fi

echo "--- machine"
uname -srm
if [[ -r /proc/cpuinfo ]]; then
    grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
    echo "$(nproc) CPUs"
else
    sysctl -n machdep.cpu.brand_string 2>/dev/null || true
fi
swift --version 2>/dev/null | head -n 1
rustc --version

echo "--- Rust (criterion, release profile)"
(cd "$root" && cargo bench --quiet --profile release -p magnetar-uniffi --bench crossing)
(cd "$root" && cargo bench --quiet --profile release -p magnetar-core --bench session -- 'score/ip_change')

echo "--- Swift (release)"
cd "$here"
MAGNETAR_LIB_DIR="$lib_dir" swift run --quiet -c release CrossingBench
