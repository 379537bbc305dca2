#!/usr/bin/env bash
# Builds the magnetar wheel, installs it into a venv under target/, and runs the pytest
# suite against the installed wheel (never the source tree), then checks that a fresh
# venv can `pip install` the wheel and import it.
#
# Usage: python/run-tests.sh [pytest args...]
# Env:   MAGNETAR_PY_PROFILE=debug   build a debug wheel (faster to build; the default is
#                                    release, which the GIL-release tests and benches want)
#        PYTHON=python3.X            interpreter to create the venvs with
# Needs: a Rust toolchain, Python >= 3.9 with venv, network access to PyPI (maturin,
#        pytest, mypy, and the frameworks magnetar.contrib is tested with: Django,
#        FastAPI, Starlette, httpx; pinned in python/requirements-test.txt).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
python="${PYTHON:-python3}"
venv="$target/py-venv"
wheels="$target/wheels"
profile="${MAGNETAR_PY_PROFILE:-release}"

step() { printf '\n== python: %s\n' "$*"; }
fail() { printf '\npython: FAILED (%s)\n' "$*"; exit 1; }

step "venv $venv"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv" || fail "cannot create a venv with $python (install python3-venv)"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$repo/python/requirements-test.txt" || fail "pip install of the test tools"

step "maturin build ($profile)"
rm -f "$wheels"/magnetar-*.whl
# pyproject.toml names the crate (tool.maturin.manifest-path); passing --manifest-path
# here would make maturin ignore pyproject.toml.
build_args=(build --out "$wheels")
[[ "$profile" == release ]] && build_args+=(--release)
(cd "$repo/python" && "$venv/bin/maturin" "${build_args[@]}") || fail "maturin build"
shopt -s nullglob
built=("$wheels"/magnetar-*.whl)
shopt -u nullglob
[[ ${#built[@]} -eq 1 ]] || fail "expected one magnetar wheel in $wheels, found ${#built[@]}"
wheel="${built[0]}"
echo "wheel: $wheel ($(du -k "$wheel" | cut -f1) KiB)"

step "install the wheel"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
    --no-deps "$wheel" || fail "pip install of the wheel"

step "pytest (against the installed wheel)"
# Run from a scratch directory so that `import magnetar` cannot pick up python/magnetar.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
set +e
(cd "$scratch" && MAGNETAR_REPO="$repo" "$venv/bin/python" -m pytest -p no:cacheprovider \
    --rootdir "$scratch" "$repo/python/tests" "$@")
status=$?
set -e
if [[ $status -eq 5 ]]; then fail "pytest collected no tests"; fi
if [[ $status -ne 0 ]]; then fail "pytest exit status $status"; fi

step "stubtest: magnetar/_native.pyi matches the module"
(cd "$scratch" && "$venv/bin/python" -m mypy.stubtest magnetar) || fail "mypy.stubtest"

step "mypy --strict on python/examples (against the installed package)"
(cd "$scratch" && "$venv/bin/python" -m mypy --strict --no-incremental "$repo/python/examples") \
    || fail "mypy --strict on python/examples"

step "fresh venv: pip install the wheel and import it"
fresh="$scratch/fresh-venv"
"$python" -m venv "$fresh" || fail "cannot create a fresh venv"
"$fresh/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$wheel" \
    || fail "pip install of the wheel into a fresh venv"
(cd "$scratch" && "$fresh/bin/python" -c '
import magnetar, sys
assert magnetar.__version__, "no version"
missing = [n for n in magnetar.__all__ if not getattr(getattr(magnetar, n), "__doc__", None) and not n.startswith("__")]
assert not missing, f"public names without a docstring: {missing}"
print("import magnetar", magnetar.__version__, "OK on Python", sys.version.split()[0])
') || fail "import in a fresh venv"

printf '\npython: OK\n'
