#!/usr/bin/env bash
# The one test command: installs what the tests need and runs every suite.
#
#   ./scripts/test.sh
#
# Needs only the Rust toolchain (rustup), Python 3 and a C compiler. Everything else
# (rustfmt/clippy components, a venv with maturin and pytest, valgrind, shellcheck) is
# installed by the suites themselves. Runs every suite even after a failure, then prints a
# summary and exits non-zero if any suite failed. A suite whose tool is missing and cannot
# be installed (rustfmt, clippy, shellcheck; Swift where `swift` is not on the PATH) says
# so plainly and counts as skipped; the rest still run.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

names=()
results=()
notes=()

# A suite's command exits 0 (passed), 77 (skipped: it prints why) or anything else
# (failed).
readonly SKIPPED=77

run_suite() {
    local name=$1
    shift
    echo
    echo "=== ${name} ==="
    local start=$SECONDS status
    "$@"
    status=$?
    case "${status}" in
        0) results+=("PASS") ;;
        "${SKIPPED}") results+=("SKIP") ;;
        *) results+=("FAIL") ;;
    esac
    names+=("${name} ($((SECONDS - start)) s)")
}

# Runs `cargo <subcommand> ...` when the rustup component that provides it is installed
# or can be installed; otherwise says so and skips (the other suites still run).
with_rust_component() {
    local component=$1
    shift
    if ! cargo "$1" --version >/dev/null 2>&1; then
        if ! command -v rustup >/dev/null 2>&1 || ! rustup component add "${component}"; then
            echo "SKIPPED: ${component} is not installed and could not be installed" \
                "(rustup component add ${component} failed or rustup is absent)"
            notes+=("${component}: not installed and could not be installed; cargo $1 did not run")
            return "${SKIPPED}"
        fi
    fi
    cargo "$@"
}

# Lints every shell script in the repository (tracked files named *.sh or with a sh/bash
# shebang) with shellcheck, installing it from Debian's packages when it is missing.
check_shell_scripts() {
    if ! command -v shellcheck >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
            apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null
        elif command -v brew >/dev/null 2>&1; then
            brew install shellcheck >/dev/null
        fi
    fi
    if ! command -v shellcheck >/dev/null 2>&1; then
        echo "SKIPPED: shellcheck is not installed and could not be installed" \
            "(apt-get install shellcheck, or brew install shellcheck)"
        notes+=("shellcheck: not installed and could not be installed")
        return "${SKIPPED}"
    fi
    local scripts=() file
    while IFS= read -r file; do
        case "${file}" in
            *.sh) scripts+=("${file}") ;;
            *) if head -n 1 "${file}" | grep -Eq '^#!.*[/ ](ba)?sh( |$)'; then scripts+=("${file}"); fi ;;
        esac
    done < <(git ls-files 2>/dev/null || find . -path ./target -prune -o -type f -print)
    echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#scripts[@]} scripts"
    shellcheck "${scripts[@]}" && echo "shellcheck: OK"
}

run_suite "cargo fmt --check" with_rust_component rustfmt fmt --all --check
run_suite "cargo clippy (workspace, all targets, -D warnings)" \
    with_rust_component clippy clippy --workspace --all-targets -- -D warnings
run_suite "shellcheck (every shell script)" check_shell_scripts
run_suite "cargo test (workspace)" cargo test --workspace
run_suite "C API (static, dynamic, valgrind, header, exports)" bash "${root}/bindings/c/tests/run.sh"
run_suite "Python wheel + pytest" bash "${root}/python/run-tests.sh"

# PostgreSQL: a throwaway PostgreSQL 15 server started (and removed) by
# scripts/with-postgres.sh, which installs the Debian package when the binaries are
# missing and fails the suite when the server cannot start; then the Rust and Python
# and C tests that need it (they skip themselves, with a message, when run without it).
postgres_suite() {
    bash "${root}/scripts/with-postgres.sh" bash -c '
        set -e
        cargo test -p magnetar-core --test session_postgres
        cargo test -p magnetar-core --test audit_postgres
        cargo test -p magnetar-cli --test audit_postgres
        cargo test -p magnetar-core --lib postgres
        cargo test -p magnetar-uniffi --test postgres
        MGN_C_TESTS=test_pg_store bash "$1/bindings/c/tests/run.sh"
        bash "$1/python/run-tests.sh" -k postgres
        status=0
        bash "$1/swift/run-tests.sh" --postgres || status=$?
        # 77: no Swift toolchain (the Swift suite reports that skip itself).
        [ "$status" -eq 0 ] || [ "$status" -eq 77 ]
    ' postgres-suite "${root}"
}
run_suite "PostgreSQL (throwaway server: Rust, C, Python and Swift tests against it)" postgres_suite

# Swift: the script checks the committed generated bindings everywhere, and runs
# `swift build` and `swift test` where a Swift toolchain exists; without one it parses
# the hand-written Swift and exits 77, so the suite counts as skipped.
if ! command -v swift >/dev/null 2>&1; then
    notes+=("Swift: swift build and swift test skipped: no Swift toolchain on PATH (generated bindings were still checked)")
fi
run_suite "Swift (bindings, swift build, swift test)" bash "${root}/swift/run-tests.sh"

echo
echo "=== summary ==="
passed=0
failed=0
skipped=0
for i in "${!names[@]}"; do
    printf '  %-4s %s\n' "${results[$i]}" "${names[$i]}"
    case "${results[$i]}" in
        PASS) passed=$((passed + 1)) ;;
        SKIP) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)) ;;
    esac
done
# (The ${a[@]+...} form keeps an empty array safe under `set -u` in bash 3.2.)
for note in ${notes[@]+"${notes[@]}"}; do
    echo "  note: ${note}"
done
echo "suites: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "${failed}" -eq 0 ]
