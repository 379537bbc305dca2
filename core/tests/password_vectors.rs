//! Runs every vector of tests/vectors/passwords.json (written by
//! tests/vectors/generate_passwords.py from passlib, Django, Werkzeug, pyca/bcrypt and
//! argon2-cffi): verify, identify, needs_rehash, verify_and_update and wrap_legacy.

use std::collections::BTreeMap;

use magnetar_core::password::{PasswordHasher, Policy, Scheme};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/passwords.json"
    );
    let text = std::fs::read_to_string(path).expect("read passwords.json");
    let doc: Value = serde_json::from_str(&text).expect("parse passwords.json");
    doc["vectors"].as_array().expect("vectors array").clone()
}

fn digests_of(v: &Value) -> Vec<String> {
    v["legacy_digests"]
        .as_array()
        .map(|a| a.iter().map(|d| d.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The default policy with the vector's opt-ins: what `needs_rehash` in the file is for.
fn default_hasher_for(v: &Value) -> PasswordHasher {
    PasswordHasher::new(
        Policy::default()
            .with_legacy_digests(&digests_of(v))
            .unwrap(),
    )
    .unwrap()
}

/// Cheap Argon2 parameters for the new hashes an upgrade writes, to keep tests quick.
fn cheap_hasher_for(v: &Value) -> PasswordHasher {
    let digests = digests_of(v);
    let digests: Vec<&str> = digests.iter().map(String::as_str).collect();
    PasswordHasher::new(magnetar_testkit::cheap_policy(&digests)).unwrap()
}

#[test]
fn every_vector_verifies_as_recorded() {
    let vs = vectors();
    assert!(vs.len() > 300, "expected the full vector file");
    let mut per_scheme: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for v in &vs {
        let scheme = v["scheme"].as_str().unwrap();
        let hash = v["hash"].as_str().unwrap();
        let pw = v["password"].as_str().unwrap();
        let valid = v["valid"].as_bool().unwrap();
        let h = default_hasher_for(v);
        let got = h
            .verify(pw, hash)
            .unwrap_or_else(|e| panic!("{scheme} {hash}: {e}"));
        assert_eq!(got, valid, "{scheme} {hash} password {pw:?}");
        let id = h.identify(hash).unwrap();
        assert_eq!(id.scheme.name(), scheme, "{hash}");
        assert_eq!(id.name(), scheme);
        assert_eq!(
            h.needs_rehash(hash).unwrap(),
            v["needs_rehash"].as_bool().unwrap(),
            "{scheme} {hash}"
        );
        let e = per_scheme.entry(scheme.to_owned()).or_default();
        if valid {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    // Every scheme except the wrapped form has positive and negative vectors.
    for s in Scheme::all().iter().filter(|s| **s != Scheme::Wrapped) {
        let (pos, neg) = per_scheme.get(s.name()).copied().unwrap_or_default();
        assert!(
            pos > 0 && neg > 0,
            "{s}: {pos} valid, {neg} invalid vectors"
        );
    }
}

#[test]
fn valid_vectors_upgrade_on_login() {
    for v in vectors().iter().filter(|v| v["valid"] == true) {
        let (hash, pw) = (v["hash"].as_str().unwrap(), v["password"].as_str().unwrap());
        let h = cheap_hasher_for(v);
        let out = h.verify_and_update(pw, hash).unwrap();
        assert!(out.valid);
        assert_eq!(
            out.new_hash.is_some(),
            h.needs_rehash(hash).unwrap(),
            "{hash}"
        );
        if let Some(new) = out.new_hash {
            assert!(new.starts_with("$argon2id$v=19$"));
            assert!(h.verify(pw, &new).unwrap());
            assert!(!h.needs_rehash(&new).unwrap());
        }
    }
}

#[test]
fn every_legacy_vector_wraps_and_still_verifies() {
    for v in vectors() {
        let (hash, pw) = (v["hash"].as_str().unwrap(), v["password"].as_str().unwrap());
        let h = cheap_hasher_for(&v);
        let scheme: Scheme = v["scheme"].as_str().unwrap().parse().unwrap();
        if matches!(
            scheme,
            Scheme::Argon2id | Scheme::Argon2i | Scheme::Argon2d | Scheme::DjangoArgon2
        ) {
            assert!(h.wrap_legacy(hash).is_err());
            continue;
        }
        let wrapped = h
            .wrap_legacy(hash)
            .unwrap_or_else(|e| panic!("{hash}: {e}"));
        let id = h.identify(&wrapped).unwrap();
        assert_eq!(id.scheme, Scheme::Wrapped);
        assert_eq!(id.inner, Some(scheme));
        assert_eq!(
            h.verify(pw, &wrapped).unwrap(),
            v["valid"].as_bool().unwrap(),
            "{wrapped} from {hash}"
        );
        assert!(h.needs_rehash(&wrapped).unwrap());
    }
}
