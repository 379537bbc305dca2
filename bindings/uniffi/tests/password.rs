//! Password hashing as Swift sees it, including the shared vectors in
//! tests/vectors/passwords.json (the same file every binding runs).

use std::sync::Arc;

use magnetar_uniffi::{MagnetarError, PasswordHasher, Pepper, default_password_policy};

fn fast_hasher() -> Arc<PasswordHasher> {
    let mut policy = default_password_policy();
    policy.memory_kib = 64;
    policy.iterations = 1;
    PasswordHasher::new(policy, None, vec![]).unwrap()
}

#[test]
fn default_policy_is_owasp() {
    let p = default_password_policy();
    assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19456, 2, 1));
    assert!(p.legacy_digests.is_empty());
}

#[test]
fn hash_verify_and_upgrade() {
    let hasher = fast_hasher();
    let stored = hasher.hash("correct horse".into()).unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{stored}"
    );
    assert!(
        hasher
            .verify("correct horse".into(), stored.clone())
            .unwrap()
    );
    assert!(
        !hasher
            .verify("correct horse!".into(), stored.clone())
            .unwrap()
    );
    assert!(!hasher.needs_rehash(stored.clone()).unwrap());
    assert_eq!(hasher.identify(stored).unwrap().name, "argon2id");

    let legacy = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"; // md5-crypt of "Hello world!"
    let outcome = hasher
        .verify_and_update("Hello world!".into(), legacy.into())
        .unwrap();
    assert!(outcome.valid);
    let upgraded = outcome.new_hash.clone().unwrap();
    assert!(!format!("{outcome:?}").contains(&upgraded));
    assert!(hasher.verify("Hello world!".into(), upgraded).unwrap());

    let wrapped = hasher.wrap_legacy(legacy.into()).unwrap();
    assert!(
        hasher
            .verify("Hello world!".into(), wrapped.clone())
            .unwrap()
    );
    let id = hasher.identify(wrapped).unwrap();
    assert_eq!(id.scheme, "wrapped");
    assert_eq!(id.inner.as_deref(), Some("md5_crypt"));
}

#[test]
fn errors_are_typed() {
    let hasher = fast_hasher();
    let err = hasher
        .verify("x".into(), "$2b$99$notreallyabcrypthash".into())
        .unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidHash { .. }), "{err:?}");
    let err = hasher.hash("a".repeat(5000)).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");

    let err = Pepper::new("bad id!".into(), vec![0; 32]).unwrap_err();
    assert_eq!(err.kind(), "invalid_key");
    let err = Pepper::new("k1".into(), vec![0; 4]).unwrap_err();
    assert_eq!(err.kind(), "invalid_key");

    let mut policy = default_password_policy();
    policy.memory_kib = 0;
    let err = PasswordHasher::new(policy, None, vec![]).unwrap_err();
    assert_eq!(err.kind(), "invalid_config", "{err}");
    let mut policy = default_password_policy();
    policy.legacy_digests = vec!["hex_nope".into()];
    assert!(PasswordHasher::new(policy, None, vec![]).is_err());
}

#[test]
fn peppers_rotate() {
    let mut policy = default_password_policy();
    policy.memory_kib = 64;
    policy.iterations = 1;
    let old = Pepper::new("k1".into(), vec![1; 32]).unwrap();
    let new = Pepper::new("k2".into(), vec![2; 32]).unwrap();
    assert_eq!(new.id(), "k2");
    assert!(!format!("{old:?}").contains("1, 1"));
    let before = PasswordHasher::new(policy.clone(), Some(old.clone()), vec![]).unwrap();
    let stored = before.hash("pw".into()).unwrap();
    let after = PasswordHasher::new(policy.clone(), Some(new), vec![old]).unwrap();
    let outcome = after
        .verify_and_update("pw".into(), stored.clone())
        .unwrap();
    assert!(outcome.valid && outcome.new_hash.is_some());
    let unpeppered = PasswordHasher::new(policy, None, vec![]).unwrap();
    let err = unpeppered.verify("pw".into(), stored).unwrap_err();
    assert_eq!(err.kind(), "invalid_key", "{err}");
}

#[test]
fn shared_vectors() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/passwords.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() > 100);
    for v in vectors {
        let scheme = v["scheme"].as_str().unwrap();
        let hash = v["hash"].as_str().unwrap();
        let password = v["password"].as_str().unwrap();
        let mut policy = default_password_policy();
        if let Some(digests) = v.get("legacy_digests").and_then(|d| d.as_array()) {
            policy.legacy_digests = digests
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect();
        }
        let hasher = PasswordHasher::new(policy, None, vec![]).unwrap();
        let valid = hasher.verify(password.into(), hash.into());
        assert_eq!(
            valid.as_ref().ok(),
            v["valid"].as_bool().as_ref(),
            "{scheme} {hash}: {valid:?}"
        );
        assert_eq!(hasher.identify(hash.into()).unwrap().name, scheme);
        assert_eq!(
            hasher.needs_rehash(hash.into()).unwrap(),
            v["needs_rehash"].as_bool().unwrap(),
            "{scheme} {hash}"
        );
    }
}

#[test]
fn a_whole_table_of_legacy_hashes_is_wrapped() {
    use std::sync::Mutex;

    use magnetar_uniffi::{
        Pool, SqlValue, TableUpgrade, TableUpgradeObserver, default_pool_config, hash_table,
    };

    struct Seen(Mutex<Vec<u64>>);
    impl TableUpgradeObserver for Seen {
        fn progress(&self, state: TableUpgrade) {
            self.0.lock().unwrap().push(state.scanned);
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(
        dir.path().join("users.db").to_string_lossy().into_owned(),
        default_pool_config(),
    )
    .unwrap();
    pool.execute("CREATE TABLE users (name TEXT, pw TEXT)".into(), vec![])
        .unwrap();
    let hasher = fast_hasher();
    let argon = hasher.hash("already strong".into()).unwrap();
    for (name, pw) in [
        (
            "ann",
            SqlValue::Text("$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1".into()),
        ),
        ("bob", SqlValue::Text(argon)),
        ("cat", SqlValue::Null),
        ("dan", SqlValue::Text("garbage".into())),
    ] {
        pool.execute(
            "INSERT INTO users VALUES (?, ?)".into(),
            vec![SqlValue::Text(name.into()), pw],
        )
        .unwrap();
    }
    let seen = Arc::new(Seen(Mutex::new(Vec::new())));
    let outcome = hasher
        .upgrade_table(
            pool.clone(),
            hash_table("users".into(), "pw".into()),
            2,
            Some(seen.clone()),
        )
        .unwrap();
    assert_eq!(
        (
            outcome.total,
            outcome.wrapped,
            outcome.current,
            outcome.empty,
            outcome.unrecognised
        ),
        (4, 1, 1, 1, 1),
        "{outcome:?}"
    );
    assert_eq!(seen.0.lock().unwrap().last(), Some(&4));
    let wrapped = pool
        .read("SELECT pw FROM users WHERE name = 'ann'".into(), vec![])
        .unwrap();
    let SqlValue::Text(stored) = &wrapped.rows[0][0] else {
        panic!("{wrapped:?}")
    };
    assert!(
        hasher
            .verify("Hello world!".into(), stored.clone())
            .unwrap()
    );

    let err = hasher
        .upgrade_table(pool, hash_table("nope".into(), "pw".into()), 10, None)
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input", "{err}");
}
