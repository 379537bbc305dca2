//! The session table (component `session` in the pool's schema registry).

/// Version 1.
///
/// Stored per session: a random public id, the SHA-256 of the token (never the
/// token), the user id, creation / last-seen / absolute-expiry times (Unix ms), the
/// baseline IP and User-Agent (scoring needs the values for subnet and browser-version
/// comparisons), the HMAC fingerprint of the other headers (not their values), and the
/// revocation time and reason. Revoked rows are kept until they would have expired so
/// that a revoked token is reported as revoked rather than unknown.
pub const V1: &str = "
CREATE TABLE magnetar_session (
    id            TEXT    PRIMARY KEY NOT NULL,
    token_hash    BLOB    NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ip            TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL,
    fingerprint   BLOB    NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT
) STRICT;
CREATE INDEX magnetar_session_user ON magnetar_session (user_id, created_at);
CREATE INDEX magnetar_session_expiry ON magnetar_session (expires_at);
";

/// All versions, oldest first.
pub const MIGRATIONS: &[&str] = &[V1];

/// PostgreSQL, version 1: the same table in the store's schema (`{schema}` is replaced
/// by the quoted schema name). Sessions of one user are ordered by `created_at, id`.
pub const PG_V1: &str = "
CREATE TABLE {schema}.session (
    id            TEXT    PRIMARY KEY NOT NULL,
    token_hash    BYTEA   NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_seen     BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    ip            TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL,
    fingerprint   BYTEA   NOT NULL,
    revoked_at    BIGINT,
    revoke_reason TEXT
);
CREATE INDEX session_by_user ON {schema}.session (user_id, created_at);
CREATE INDEX session_by_expiry ON {schema}.session (expires_at);
CREATE INDEX session_by_last_seen ON {schema}.session (last_seen);
";

/// PostgreSQL, version 2: the user's live sessions (what every create counts under its
/// lock, and what `revoke_all` revokes) from an index of unrevoked sessions only.
/// Revoked rows stay until they expire, so with `session_by_user` a user who logs in
/// often made every create walk all of their old revoked rows. The new index covers
/// every query the old one served, so the old one goes.
pub const PG_V2: &str = "
CREATE INDEX session_live_by_user ON {schema}.session (user_id, created_at, id)
    WHERE revoked_at IS NULL;
DROP INDEX {schema}.session_by_user;
";

/// PostgreSQL versions, oldest first.
pub const PG_MIGRATIONS: &[&str] = &[PG_V1, PG_V2];
