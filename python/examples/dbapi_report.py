"""Code written for sqlite3's DB-API running on a Magnetar pool."""

import os
import tempfile

from magnetar import dbapi


def monthly_signups(conn: dbapi.Connection) -> list[tuple[str, int]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT strftime('%Y-%m', created) AS month, count(*) FROM users GROUP BY month ORDER BY month"
        )
        return [(str(month), int(count)) for month, count in cur.fetchall()]


def main(path: str) -> None:
    writer = dbapi.connect(path)
    with writer:  # commits at the end of the block, rolls back on an exception
        cur = writer.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS users (email TEXT UNIQUE, created TEXT)")
        cur.executemany(
            "INSERT OR IGNORE INTO users VALUES (?, ?)",
            [("a@example.com", "2026-01-03"), ("b@example.com", "2026-01-20"), ("c@example.com", "2026-02-11")],
        )
    try:
        with writer:
            writer.cursor().execute("INSERT INTO users VALUES ('a@example.com', '2026-03-01')")
    except dbapi.IntegrityError as e:
        print("duplicate refused:", e)
    reader = dbapi.connect(path, read_only=True)
    print(monthly_signups(reader))
    reader.close()
    writer.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(os.path.join(tmp, "app.db"))
