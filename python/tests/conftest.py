"""Shared fixtures. Tests import the installed wheel, never the source tree."""

import json
import os
import pathlib
import threading

import pytest

import magnetar

REPO = pathlib.Path(os.environ.get("MAGNETAR_REPO", pathlib.Path(__file__).resolve().parents[2]))
VECTORS = REPO / "tests" / "vectors"


def load_vectors(name: str):
    """The shared test vectors `tests/vectors/<name>.json` every binding runs."""
    path = VECTORS / f"{name}.json"
    if not path.exists():
        pytest.fail(f"shared vectors {path} are missing")
    return json.loads(path.read_text())


def second_writer_error(pool):
    """While the caller holds the writer, runs `with pool.write():` on another thread;
    returns what it raised (None if it got the writer)."""
    raised = []

    def second_writer():
        try:
            with pool.write():
                pass
        except Exception as e:  # handed to the caller's assertions
            raised.append(e)

    t = threading.Thread(target=second_writer)
    t.start()
    t.join()
    return raised[0] if raised else None


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "test.db")


@pytest.fixture
def pool(db_path):
    p = magnetar.Pool(db_path)
    yield p
    p.close()


@pytest.fixture(autouse=True, scope="session")
def _installed_not_source():
    # The tests must exercise the built wheel.
    assert "site-packages" in magnetar.__file__, magnetar.__file__
