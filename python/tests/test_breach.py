"""magnetar.BreachChecker with a Python transport, offline indexes, asyncio."""

import asyncio
import hashlib
import threading

import pytest

import magnetar


def sha1(pw: str) -> str:
    return hashlib.sha1(pw.encode()).hexdigest().upper()


class FakeApi:
    """A transport callable serving range responses for known passwords."""

    def __init__(self, breached: dict):
        self.by_prefix: dict = {}
        for pw, count in breached.items():
            h = sha1(pw)
            self.by_prefix.setdefault(h[:5], []).append(f"{h[5:]}:{count}")
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, url, headers):
        with self.lock:
            self.calls.append((url, dict(headers)))
        prefix = url.rsplit("/", 1)[1][:5]
        # Padding rows (count 0) must be ignored by the checker.
        rows = self.by_prefix.get(prefix, []) + ["0" * 35 + ":0"]
        return "\r\n".join(rows)


def test_online_check_through_a_callable():
    api = FakeApi({"password123": 123456})
    checker = magnetar.BreachChecker(transport=api, base_url="https://api.example.test")
    r = checker.check("password123")
    assert (r.status, r.count, r.source, r.breached) == ("breached", 123456, "online", True)
    assert r.reason is None
    url, headers = api.calls[0]
    assert url == f"https://api.example.test/range/{sha1('password123')[:5]}"
    assert {k.lower(): v for k, v in headers.items()}.get("add-padding") == "true"
    # Only the 5-character prefix left the process.
    assert sha1("password123")[5:] not in url
    r2 = checker.check("password123")
    assert (r2.status, r2.source) == ("breached", "cache")
    assert len(api.calls) == 1
    r3 = checker.check("a very unusual passphrase 9")
    assert (r3.status, r3.count, r3.breached) == ("not_found", None, False)
    assert "breached" in repr(r)


def test_transport_failures_are_unknown_never_safe():
    def down(url, headers):
        raise ConnectionError("no route to host")

    checker = magnetar.BreachChecker(transport=down, retries=0)
    r = checker.check("password123")
    assert r.status == "unknown"
    assert "no route to host" in r.reason
    assert "password123" not in r.reason and sha1("password123") not in r.reason

    def garbage(url, headers):
        return 42

    r = magnetar.BreachChecker(transport=garbage, retries=0).check("x")
    assert r.status == "unknown" and "str" in r.reason

    def server_error(url, headers):
        return (503, "busy")

    r = magnetar.BreachChecker(transport=server_error, retries=0).check("x")
    assert r.status == "unknown" and "503" in r.reason


def test_transport_called_from_many_threads():
    api = FakeApi({f"pw{i}": i + 1 for i in range(40)})
    checker = magnetar.BreachChecker(transport=api)
    out = {}

    def work(i):
        out[i] = checker.check(f"pw{i}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: (r.status, r.count) for i, r in out.items()} == {i: ("breached", i + 1) for i in range(40)}


def test_check_async():
    api = FakeApi({"hunter2": 17})
    checker = magnetar.BreachChecker(transport=api)

    async def main():
        return await asyncio.gather(checker.check_async("hunter2"), checker.check_async("nope nope nope"))

    a, b = asyncio.run(main())
    assert (a.status, a.count) == ("breached", 17)
    assert b.status == "not_found"


def write_corpus(path, passwords):
    lines = sorted(f"{sha1(pw)}:{count}" for pw, count in passwords.items())
    path.write_text("\n".join(lines) + "\n")


def test_offline_index(tmp_path):
    corpus = tmp_path / "pwned.txt"
    write_corpus(corpus, {"password": 9_000_000, "letmein": 500, "rare one": 2})
    index = tmp_path / "pwned.idx"
    seen = []
    stats = magnetar.build_breach_index(str(corpus), str(index), progress=lambda *a: seen.append(a))
    assert stats["rows"] == 3 and stats["entries"] == 3 and stats["file_bytes"] > 0
    assert {p[0] for p in seen} <= {"reading", "merging"} and seen
    checker = magnetar.BreachChecker(offline_index=str(index), online=False)
    r = checker.check("letmein")
    assert (r.status, r.count, r.source) == ("breached", 500, "offline")
    assert checker.check("not in the corpus at all").status == "not_found"

    top = tmp_path / "top.idx"
    magnetar.build_breach_index(corpus, top, top=1)
    only_top = magnetar.BreachChecker(offline_index=top, online=False)
    assert only_top.check("password").status == "breached"
    assert only_top.check("letmein").status == "not_found"


def test_bad_index_and_config(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x00" * 4096)
    with pytest.raises(magnetar.InvalidIndex):
        magnetar.BreachChecker(offline_index=str(bad), online=False)
    with pytest.raises(magnetar.InvalidConfig, match="neither"):
        magnetar.BreachChecker(online=False)
    with pytest.raises(magnetar.InvalidConfig, match="base_url"):
        magnetar.BreachChecker(base_url="ftp://x")
    with pytest.raises(magnetar.InvalidConfig, match="callable"):
        magnetar.BreachChecker(transport="not callable")
    with pytest.raises(magnetar.StorageError):
        magnetar.build_breach_index(tmp_path / "missing.txt", tmp_path / "x.idx")


def test_config_index_stats_and_retry_after(tmp_path):
    corpus = tmp_path / "pwned.txt"
    write_corpus(corpus, {"password": 9, "letmein": 5})
    index = tmp_path / "pwned.idx"
    magnetar.build_breach_index(corpus, index)
    checker = magnetar.BreachChecker(offline_index=index, online=False)
    stats = checker.index_stats
    assert stats["entries"] == 2 and stats["hash"] == "sha1" and stats["file_bytes"] > 0
    assert stats["path"].endswith("pwned.idx")
    # A total timeout shorter than the connect timeout caps it (core's rule).
    online = magnetar.BreachChecker(timeout=2)
    assert online.config["timeout"] == 2.0 and online.config["connect_timeout"] == 2.0
    assert online.index_stats is None and online.config["online"] is True
    assert magnetar.parse_retry_after("120") == 120.0
    assert magnetar.parse_retry_after("soon") is None
    assert magnetar.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
