//! Helpers shared by `magnetar-core`'s integration tests (`core/tests/*`): temporary
//! databases, pools on a manual clock, request contexts, real-world User-Agents, audit
//! keys and tight password policies. Dev-only: a dev-dependency of core, never a
//! dependency of anything shipped.
//!
//! Helpers panic on failure (they are set-up, not the code under test).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use magnetar_core::audit::AuditKey;
use magnetar_core::clock::{ManualClock, SharedClock};
use magnetar_core::password::{Limits, Policy};
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::session::RequestContext;

/// A temporary directory and the path of a database file inside it (not yet created).
/// Keep the directory alive as long as the file is used.
pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.db");
    (dir, path)
}

/// A pool on `path` with the default configuration.
pub fn open_pool(path: &Path) -> Pool {
    Pool::open(path, PoolConfig::default()).unwrap()
}

/// A temporary database and a default pool on it.
pub fn temp_pool() -> (tempfile::TempDir, Pool) {
    let (dir, path) = temp_db();
    (dir, open_pool(&path))
}

/// A temporary database whose pool runs on a clock the test moves.
pub struct ClockedDb {
    /// Keeps the database alive.
    pub dir: tempfile::TempDir,
    /// The database file.
    pub path: PathBuf,
    /// The pool, on `clock`.
    pub pool: Pool,
    /// The manual clock the pool (and whatever opens on it) reads.
    pub clock: Arc<ManualClock>,
}

/// A temporary database with a pool on a [`ManualClock`].
pub fn clocked_db() -> ClockedDb {
    let (dir, path) = temp_db();
    let clock = ManualClock::new();
    let shared: SharedClock = clock.clone();
    let pool = Pool::open(
        &path,
        PoolConfig {
            clock: shared,
            ..PoolConfig::default()
        },
    )
    .unwrap();
    ClockedDb {
        dir,
        path,
        pool,
        clock,
    }
}

/// A direct connection to the database file, as an attacker with file access has.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// A deterministic, valid audit master key; different seeds give different keys.
pub fn audit_key(seed: u8) -> AuditKey {
    let bytes: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(73).wrapping_add(seed))
        .collect();
    AuditKey::from_bytes(&bytes).unwrap()
}

/// A request from `ip` with User-Agent `ua` and an `Accept-Language` of `lang`.
pub fn ctx(ip: &str, ua: &str, lang: &str) -> RequestContext {
    RequestContext::new(ip, ua)
        .unwrap()
        .with_header("Accept-Language", lang)
        .unwrap()
}

/// Cheap Argon2 parameters for the new hashes a test writes (64 KiB, one pass), with
/// the bare digests `legacy_digests` enabled.
pub fn cheap_policy(legacy_digests: &[&str]) -> Policy {
    let mut p = Policy::default()
        .with_legacy_digests(legacy_digests)
        .unwrap();
    p.memory_kib = 64;
    p.iterations = 1;
    p
}

/// [`cheap_policy`] with every bare digest enabled and tight cost ceilings: any cost
/// above these is refused before any work, so a mutated stored hash cannot make a test
/// slow.
pub fn tight_policy() -> Policy {
    let mut p = cheap_policy(&["md5", "sha1", "sha256", "sha512"]);
    let l: &mut Limits = &mut p.limits;
    l.max_argon2_memory_kib = 1024;
    l.max_argon2_iterations = 3;
    l.max_argon2_parallelism = 4;
    l.max_bcrypt_cost = 6;
    l.max_pbkdf2_iterations = 20_000;
    l.max_crypt_rounds = 20_000;
    l.max_scrypt_memory_bytes = 1 << 20;
    p
}

/// Real-world User-Agent strings, named by browser, platform and version.
pub mod ua {
    /// Chrome 120 on Windows.
    pub const CHROME_120: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36";
    /// Chrome 121 on Windows.
    pub const CHROME_121: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.85 Safari/537.36";
    /// Chrome 120 on macOS.
    pub const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36";
    /// Chrome 120 on macOS with the reduced (frozen) version string.
    pub const CHROME_MAC_REDUCED: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    /// Firefox 120 on Windows.
    pub const FIREFOX_WIN_120: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0";
    /// Firefox 121 on Windows.
    pub const FIREFOX_WIN: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
    /// Firefox 122 on Windows.
    pub const FIREFOX_WIN_122: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0";
    /// Firefox 121 on Linux.
    pub const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    /// Safari on iOS 17.2.
    pub const SAFARI_IOS_172: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    /// Safari on iOS 17.3.
    pub const SAFARI_IOS_173: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1";
    /// A native iOS app, version 2.3.1.
    pub const APP_IOS_231: &str = "MyApp/2.3.1 (iPhone; iOS 17.2; Scale/3.00)";
    /// The same app, version 2.4.0.
    pub const APP_IOS_240: &str = "MyApp/2.4.0 (iPhone; iOS 17.2; Scale/3.00)";
    /// The same app on Android.
    pub const APP_ANDROID_231: &str = "MyApp/2.3.1 (Linux; Android 14; Pixel 8)";
    /// Another app with the same version and platform.
    pub const OTHER_APP: &str = "OtherApp/2.3.1 (iPhone; iOS 17.2; Scale/3.00)";
}

/// A variable `scripts/with-postgres.sh` exports (`None` when unset or empty).
pub fn pg_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The PostgreSQL owner URL (`MAGNETAR_TEST_PG_URL`), or `None` after printing, straight
/// to stderr (the harness captures a passing test's stdout), why `test` is skipped.
pub fn pg_url(test: &str) -> Option<String> {
    let url = pg_env("MAGNETAR_TEST_PG_URL");
    if url.is_none() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: MAGNETAR_TEST_PG_URL is unset \
             (run under scripts/with-postgres.sh to test against PostgreSQL)"
        );
    }
    url
}

/// A name no other test run uses: `prefix`, this process's id and the time, joined by
/// `_` (valid as a PostgreSQL schema name when `prefix` is lowercase).
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}
