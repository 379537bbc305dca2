"""Magnetar in an asyncio service: every blocking call has an ``_async`` variant that
runs on the loop's default executor with the GIL released, so the loop keeps serving
other requests and several calls use several cores."""

import asyncio
import os
import tempfile

import magnetar


async def main(db_path: str) -> None:
    pool = magnetar.get_pool(db_path)
    async with pool.write() as conn:
        await conn.execute_async("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT)")

    hasher = magnetar.PasswordHasher()
    stored = await hasher.hash_async("correct horse battery staple")
    async with pool.write() as conn:
        await conn.execute_async("INSERT OR REPLACE INTO users VALUES (?, ?)", ("alice", stored))

    rows = await pool.query_async("SELECT hash FROM users WHERE name = ?", ("alice",))
    stored_hash = rows[0][0]
    assert isinstance(stored_hash, str)
    checks = await asyncio.gather(*(hasher.verify_async(pw, stored_hash) for pw in ("correct horse battery staple", "guess")))
    print("verified:", checks)

    audit = magnetar.AuditLog(pool, key=magnetar.AuditLog.generate_key())
    await audit.record_async("login", user_id="alice", status="success" if checks[0] else "denied")
    await audit.flush_async()
    report = await audit.verify_async()
    print("audit chain ok:", report.ok, "events:", len(await audit.query_async(user_id="alice")))
    audit.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(os.path.join(tmp, "app.db")))
