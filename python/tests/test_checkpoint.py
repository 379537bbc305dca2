"""Audit checkpoints checked by code that is not Magnetar's.

Signatures are verified with the `cryptography` package's Ed25519, following the C2SP
signed-note spec; roots and proofs are recomputed by the small RFC 9162 implementation
below, written from the RFC's text (section 2.1), and checked against the RFC 6962 /
certificate-transparency test data and the signed-note spec's example.
"""

import base64
import hashlib
import json
import sqlite3
import struct

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import magnetar

KEY = bytes(range(32))

# ------------------------------------------------------------ RFC 9162, section 2.1


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(leaves: list) -> bytes:
    """MTH(D[n]), section 2.1.1: k is the largest power of two smaller than n."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list, root: bytes) -> bool:
    """Section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list) -> bool:
    """Section 2.1.4.2."""
    if first > second or first == 0:
        return False
    if first == second:
        return proof == [] and first_hash == second_hash
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


# ------------------------------------------------------------ C2SP signed notes


def parse_verifier(vkey: str):
    name, key_id, key = vkey.split("+", 2)
    raw = base64.b64decode(key)
    assert raw[0] == 1, "algorithm 0x01 is Ed25519"
    # The key ID: the first four bytes of SHA-256(name || "\n" || 0x01 || key).
    assert sha256(name.encode() + b"\n" + raw)[:4].hex() == key_id
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def signature_verifies(note: str, vkey: str) -> bool:
    name, key_id, public = parse_verifier(vkey)
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        signer, blob = line.removeprefix("\u2014 ").split(" ")
        raw = base64.b64decode(blob)
        if signer == name and raw[:4] == key_id:
            try:
                public.verify(raw[4:], text.encode())
                return True
            except InvalidSignature:
                return False
    return False


def parse_checkpoint(note: str):
    origin, size, root = note.split("\n")[:3]
    return origin, int(size), base64.b64decode(root)


# ------------------------------------------------------------ the independent code itself

CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_the_independent_tree_matches_the_published_ct_test_data():
    for n, want in enumerate(CT_ROOTS, start=1):
        assert mth(CT_LEAVES[:n]).hex() == want
    proof = [bytes.fromhex(h) for h in [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]]
    r = [bytes.fromhex(h) for h in CT_ROOTS]
    assert verify_consistency(2, 5, r[1], r[4], proof)
    assert not verify_consistency(2, 5, r[2], r[4], proof)


def test_the_independent_signature_check_matches_the_signed_note_example():
    # The example of the C2SP signed-note spec / golang.org/x/mod/sumdb/note.
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    note = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
        "\n"
        "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    assert signature_verifies(note, vkey)
    assert magnetar.verify_checkpoint(note, vkey) is False, "a signed note, but not a checkpoint"
    assert not signature_verifies(note.replace("problem,", "problem;"), vkey)


# ------------------------------------------------------------ Magnetar against them


@pytest.fixture
def log(pool):
    log = magnetar.AuditLog(pool, key=KEY)
    for i in range(37):
        log.record("login", user_id=f"user-{i % 4}", status="success", details={"i": i})
    yield log
    log.close()


def test_checkpoints_proofs_and_exports_verify_independently(log, tmp_path):
    signer = magnetar.CheckpointSigner.generate("example.com/audit")
    witness = magnetar.CheckpointSigner.generate("witness.example.org")
    first = log.checkpoint(signer)
    for i in range(37, 100):
        log.record("file.read", user_id="bob", resource_type="file", resource_id=str(i))
    note = log.checkpoint(signer, witness)
    assert log.checkpoints() == [first, note]

    for vkey in (signer.verifier_key, witness.verifier_key):
        assert signature_verifies(note, vkey)
        assert magnetar.verify_checkpoint(note, vkey)
    origin, size, root = parse_checkpoint(note)
    assert (origin, size) == ("example.com/audit", 100)
    _, old_size, old_root = parse_checkpoint(first)

    path = tmp_path / "sealed.jsonl"
    assert log.export_sealed(path) == 100
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [sorted(line) for line in lines[:1]] == [["leaf", "seq"]]
    leaves = [base64.b64decode(line["leaf"]) for line in lines]
    assert [line["seq"] for line in lines] == list(range(1, 101))
    # The documented encoding: version 1, seq and timestamp big-endian, commitment.
    for seq, leaf in enumerate(leaves, start=1):
        assert len(leaf) == 49 and leaf[0] == 1
        assert struct.unpack(">Q", leaf[1:9])[0] == seq
    assert log.leaf(7) == leaves[6]
    assert mth(leaves) == root == log.tree_root(100)
    assert mth(leaves[:old_size]) == old_root

    for seq in (1, 2, 37, 64, 99, 100):
        proof = log.inclusion_proof(seq, 100)
        assert all(isinstance(h, bytes) and len(h) == 32 for h in proof)
        assert verify_inclusion(seq - 1, 100, leaves[seq - 1], proof, root)
        assert not verify_inclusion(seq % 100, 100, leaves[seq - 1], proof, root)
    proof = log.consistency_proof(old_size, 100)
    assert verify_consistency(old_size, 100, old_root, root, proof)
    assert not verify_consistency(old_size, 100, old_root, sha256(b"x"), proof)

    report = magnetar.verify_sealed_export(path, note, signer.verifier_key)
    assert report and report.checked == 100
    with pytest.raises(magnetar.InvalidInput):
        log.inclusion_proof(101, 100)


def test_signers_round_trip_and_keep_their_key_private():
    seed = bytes(range(100, 132))
    a = magnetar.CheckpointSigner.from_bytes("example.com/audit", seed)
    b = magnetar.CheckpointSigner.from_private_key(a.private_key())
    assert a.verifier_key == b.verifier_key and a.name == "example.com/audit"
    assert a.private_key() not in repr(a) and seed.hex() not in repr(a)
    with pytest.raises(magnetar.InvalidKey):
        magnetar.CheckpointSigner.from_bytes("example.com/audit", b"short")
    with pytest.raises(ValueError):
        magnetar.verify_checkpoint("x\n\n\u2014 a b\n", "not a key")
    other = magnetar.CheckpointSigner.generate("example.com/audit")
    assert not magnetar.verify_checkpoint("example.com/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 x y\n", other.verifier_key)


def test_a_rewrite_by_the_key_holder_is_named(log, pool, db_path):
    signer = magnetar.CheckpointSigner.generate("example.com/audit")
    note = log.checkpoint(signer)
    # The key holder deletes the tail from seq 20 and records a doctored history in its
    # place: the chain is rebuilt, so the log's own verify() passes.
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM audit_events WHERE seq >= 20")
        conn.execute("DELETE FROM audit_lookup WHERE seq >= 20")
    for i in range(20, 38):
        log.record("login", user_id="mallory", status="success")
    assert log.verify()
    report = log.verify_checkpoint(note, signer.verifier_key)
    assert not report
    assert (report.first_problem.kind, report.first_problem.seq) == ("checkpoint_mismatch", 20)


def test_async_variants_run_off_the_event_loop(log, tmp_path):
    import asyncio

    signer = magnetar.CheckpointSigner.generate("example.com/audit")

    async def main():
        note = await log.checkpoint_async(signer)
        report = await log.verify_checkpoint_async(note, signer.verifier_key)
        lines = await log.export_sealed_async(tmp_path / "sealed.jsonl")
        return note, report, lines

    note, report, lines = asyncio.run(main())
    assert parse_checkpoint(note)[1] == 37 == lines
    assert report and report.checked == 37
