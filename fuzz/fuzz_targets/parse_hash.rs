//! Feeds arbitrary bytes to every stored-hash entry point. The limits are tight so that a
//! well-formed but costly input is refused instead of slowing the fuzzer: any panic,
//! hang or out-of-memory is a bug.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use magnetar_core::ErrorKind;
use magnetar_core::password::{PasswordHasher, Policy};

static HASHER: LazyLock<PasswordHasher> = LazyLock::new(|| {
    let mut p = Policy::default()
        .with_legacy_digests(&["md5", "sha1", "sha256", "sha512"])
        .expect("known digest names");
    p.memory_kib = 64;
    p.iterations = 1;
    let l = &mut p.limits;
    l.max_argon2_memory_kib = 1024;
    l.max_argon2_iterations = 3;
    l.max_argon2_parallelism = 4;
    l.max_bcrypt_cost = 6;
    l.max_pbkdf2_iterations = 20_000;
    l.max_crypt_rounds = 20_000;
    l.max_scrypt_memory_bytes = 1 << 20;
    PasswordHasher::new(p).expect("valid fuzz policy")
});

fuzz_target!(|data: &[u8]| {
    let Ok(stored) = std::str::from_utf8(data) else {
        return;
    };
    let h = &*HASHER;
    for r in [
        h.identify(stored).map(|_| ()),
        h.verify(b"password", stored).map(|_| ()),
        h.needs_rehash(stored).map(|_| ()),
    ] {
        if let Err(e) = r {
            assert!(matches!(
                e.kind(),
                ErrorKind::InvalidHash | ErrorKind::InvalidKey
            ));
        }
    }
    if let Ok(w) = h.wrap_legacy(stored) {
        // A hash we could wrap must verify the same way once wrapped.
        assert_eq!(
            h.verify(b"password", stored).ok(),
            h.verify(b"password", &w).ok()
        );
    }
});
