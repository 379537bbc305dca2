//! A stored hash is untrusted input: whatever it contains, verification returns quickly
//! with a result or a clear error, and never panics. Property tests feed random strings
//! and mutations of real vectors through every entry point under tight limits (so a
//! mutated cost cannot make a case slow); fixed cases check the specific refusals.

use magnetar_core::ErrorKind;
use magnetar_core::password::{PasswordHasher, Pepper, Policy};
use proptest::prelude::*;

/// Tight ceilings: any mutated cost above these must be refused before any work.
fn tight() -> PasswordHasher {
    PasswordHasher::new(magnetar_testkit::tight_policy()).unwrap()
}

fn vector_hashes() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/passwords.json"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut v: Vec<String> = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["hash"].as_str().unwrap().to_owned())
        .collect();
    v.dedup();
    // A wrapped hash too, so its parser is mutated as well.
    let w = tight()
        .wrap_legacy("md5$salt$67a1e09bb1f83f5007dc119c14d663aa")
        .unwrap();
    v.push(w);
    v
}

/// Every entry point on `stored`: no panic, and any error is a stored-hash error.
fn exercise(h: &PasswordHasher, stored: &str) {
    for r in [
        h.verify("password", stored).map(|_| ()),
        h.needs_rehash(stored).map(|_| ()),
        h.identify(stored).map(|_| ()),
        h.verify_and_update("password", stored).map(|_| ()),
    ] {
        if let Err(e) = r {
            assert!(
                matches!(e.kind(), ErrorKind::InvalidHash | ErrorKind::InvalidKey),
                "{stored:?}: {e}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
    if let Err(e) = h.wrap_legacy(stored) {
        assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidHash | ErrorKind::InvalidKey | ErrorKind::InvalidInput
            ),
            "{stored:?}: {e}"
        );
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Digits(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let ch = prop_oneof![
        Just('$'),
        Just(','),
        Just('='),
        Just('9'),
        Just('.'),
        Just('é'),
        Just('\0'),
        any::<char>(),
        proptest::char::range('!', '~'),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), ch.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), ch).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<u32>()).prop_map(|(i, n)| Mutation::Digits(i, n)),
    ]
}

fn apply(s: &str, m: &Mutation) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = |i: usize| {
        if chars.is_empty() {
            0
        } else {
            i % (chars.len() + 1)
        }
    };
    let mut c = chars.clone();
    match *m {
        Mutation::Truncate(i) => c.truncate(at(i)),
        Mutation::Replace(i, ch) => {
            if !c.is_empty() {
                let i = i % c.len();
                c[i] = ch;
            }
        }
        Mutation::Insert(i, ch) => c.insert(at(i), ch),
        Mutation::Delete(i) => {
            if !c.is_empty() {
                let i = i % c.len();
                c.remove(i);
            }
        }
        // Splice a number in: the way costs and lengths turn absurd.
        Mutation::Digits(i, n) => {
            let i = at(i);
            c.splice(i..i, n.to_string().chars());
        }
    }
    c.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,200}") {
        exercise(&tight(), &s);
    }

    #[test]
    fn prefixed_garbage_never_panics(
        prefix in prop::sample::select(vec![
            "$argon2id$", "$argon2i$v=19$", "argon2$argon2id$", "$2b$", "$2y$05$",
            "$bcrypt-sha256$", "$bcrypt-sha256$v=2,t=2b,r=", "bcrypt$", "bcrypt_sha256$$2b$",
            "$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$", "pbkdf2_sha256$", "pbkdf2_sha1$",
            "pbkdf2:sha256:", "pbkdf2$", "$scrypt$ln=", "scrypt$", "scrypt:", "$5$", "$6$rounds=",
            "$1$", "md5$", "sha1$$", "$magnetar-wrap$v=1,inner=", "$magnetar-wrap$v=1,inner=bcrypt,dklen=23$",
        ]),
        rest in "[ -~]{0,120}",
    ) {
        exercise(&tight(), &format!("{prefix}{rest}"));
    }

    #[test]
    fn mutated_real_hashes_never_panic(
        idx in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let hashes = vector_hashes();
        let mut s = idx.get(&hashes).clone();
        for m in &muts {
            s = apply(&s, m);
        }
        exercise(&tight(), &s);
    }

    #[test]
    fn any_password_round_trips(pw in prop::collection::vec(any::<u8>(), 0..200)) {
        let h = tight();
        let stored = h.hash(&pw).unwrap();
        prop_assert!(h.verify(&pw, &stored).unwrap());
        let mut other = pw.clone();
        other.push(0);
        prop_assert!(!h.verify(&other, &stored).unwrap());
    }
}

fn invalid(h: &PasswordHasher, stored: &str, needle: &str) {
    let e = h.verify("password", stored).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidHash, "{stored}: {e}");
    assert!(
        e.to_string().contains(needle),
        "{stored}: {e} (wanted {needle:?})"
    );
}

#[test]
fn absurd_costs_are_refused_before_any_work() {
    let h = PasswordHasher::new(Policy::default()).unwrap();
    invalid(
        &h,
        "$2b$45$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
        "4 to 31",
    );
    invalid(
        &h,
        "$2b$31$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
        "max_bcrypt_cost",
    );
    invalid(
        &h,
        "$bcrypt-sha256$v=2,t=2b,r=31$LC/sYE/S/CinCpr5ZB92r.$mXDv7mk/nHqSXTtTqSMD22acYIZ5lla",
        "max_bcrypt_cost",
    );
    invalid(
        &h,
        "pbkdf2_sha256$4294967295$salt$AAAA",
        "max_pbkdf2_iterations",
    );
    invalid(&h, "pbkdf2_sha256$4294967296$salt$AAAA", "out of range");
    invalid(
        &h,
        "$pbkdf2-sha256$999999999$c2FsdA$AAAA",
        "max_pbkdf2_iterations",
    );
    invalid(
        &h,
        "pbkdf2:sha256:999999999$salt$00",
        "max_pbkdf2_iterations",
    );
    invalid(&h, "$6$rounds=999999999$salt$AAAA", "max_crypt_rounds");
    invalid(
        &h,
        "$scrypt$ln=40,r=8,p=1$c2FsdA$AAAA",
        "max_scrypt_memory_bytes",
    );
    invalid(&h, "scrypt:1048576:8:16$salt$00", "max_scrypt_memory_bytes");
    invalid(
        &h,
        "scrypt$1073741824$salt$8$1$AAAA",
        "max_scrypt_memory_bytes",
    );
    invalid(
        &h,
        "$argon2id$v=19$m=4194304,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
        "max_argon2_memory_kib",
    );
    invalid(
        &h,
        "$argon2id$v=19$m=256,t=4000000,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
        "max_argon2_iterations",
    );
}

#[test]
fn malformed_shapes_are_refused_clearly() {
    let h = PasswordHasher::new(Policy::default()).unwrap();
    invalid(&h, "", "empty");
    invalid(&h, &"$2b$".repeat(300_000), "max_hash_len");
    invalid(&h, &"a".repeat(1 << 20), "max_hash_len");
    invalid(
        &h,
        "$2b$04$cVWp4XaNU8a4v1uMRum2SO 26BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
        "whitespace",
    );
    invalid(
        &h,
        "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE",
        "characters",
    );
    invalid(
        &h,
        "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE*",
        "base64",
    );
    invalid(&h, "$pbkdf2-sha256$1000$c2FsdA$", "empty digest");
    invalid(&h, "$pbkdf2-sha256$1000$c2FsdA$AAAA", "digest is 3 bytes");
    invalid(&h, "$pbkdf2-sha256$1000$c2F+sdA$AAAA", "salt");
    invalid(&h, "$md5$rounds=1000$salt$hash", "unrecognised");
    invalid(&h, "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "unrecognised");
    invalid(&h, "$argon2id$v=19$m=256,t=1,p=1", "missing salt");
    invalid(&h, "5f4dcc3b5aa765d61d8327deb882cf99", "legacy_digests");
    invalid(
        &h,
        "$magnetar-wrap$v=2,inner=hex_md5,dklen=16$$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "v=1",
    );
    invalid(
        &h,
        "$magnetar-wrap$v=1,inner=nope,dklen=16$$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
        "inner",
    );
}

#[test]
fn error_messages_never_echo_the_hash() {
    let h = PasswordHasher::new(Policy::default()).unwrap();
    for s in [
        "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE*",
        "pbkdf2_sha256$1000$verysecretsalt$bm90IGEgaGFzaA==x",
        "$argon2id$v=19$m=256,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6Vi!qFI/p0RMmrF/H8BvE",
    ] {
        let msg = h.verify("password", s).unwrap_err().to_string();
        assert!(
            !msg.contains("verysecretsalt")
                && !msg.contains("cVWp4XaNU8a4")
                && !msg.contains("UonD6s2Y"),
            "{msg}"
        );
    }
}

#[test]
fn over_long_passwords_are_invalid_input_everywhere() {
    let h = tight();
    let stored = h.hash("x").unwrap();
    let long = vec![b'x'; 4097];
    assert_eq!(
        h.verify(&long, &stored).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        h.verify_and_update(&long, &stored).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(h.hash(&long).unwrap_err().kind(), ErrorKind::InvalidInput);
    let mut p = h.policy().clone();
    p.max_password_bytes = 8192;
    let h2 = PasswordHasher::new(p).unwrap();
    assert!(h2.verify(&long, &h2.hash(&long).unwrap()).unwrap());
}

#[test]
fn unknown_pepper_id_is_invalid_key() {
    let k = Pepper::new("old", &[7; 32]).unwrap();
    let mut p = tight().policy().clone();
    p.pepper = Some(k);
    let peppered = PasswordHasher::new(p).unwrap().hash("pw").unwrap();
    let e = tight().verify("pw", &peppered).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidKey);
    assert!(e.to_string().contains("\"old\""), "{e}");
}

/// The digest of Drepper's `$6$rounds=1400$anotherlongsalts$` vector: valid hash64 of 64
/// bytes, so that only the rounds (and the password) decide the cost.
const SHA512_DIGEST: &str =
    "POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1";

/// The longest password the error says is accepted against the hash.
fn accepted_up_to(msg: &str) -> usize {
    let tail = msg.split("passwords of up to ").nth(1).expect(msg);
    tail.split(' ').next().unwrap().parse().expect(msg)
}

#[test]
fn long_passwords_against_crypt_hashes_are_refused_before_any_work() {
    // A forged sha512_crypt hash at the rounds ceiling: a 64-byte password costs about
    // 10 million SHA-512 blocks; a 4 KiB one would cost over 300 million (minutes).
    let h = PasswordHasher::new(Policy::default()).unwrap();
    let forged = format!("$6$rounds=5000000$saltsalt${SHA512_DIGEST}");
    let password = "correct horse battery staple ".repeat(140); // 4060 bytes
    let started = std::time::Instant::now();
    for r in [
        h.verify(&password, &forged).map(|_| ()),
        h.verify_and_update(&password, &forged).map(|_| ()),
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let msg = e.to_string();
        assert!(
            msg.contains("4060 bytes")
                && msg.contains("sha512_crypt")
                && msg.contains("max_length_cost_factor"),
            "{msg}"
        );
        assert!(!msg.contains("horse") && !msg.contains("saltsalt"), "{msg}");
        // About 200 bytes: roomy for passphrases, far from 4 KiB.
        assert!((150..300).contains(&accepted_up_to(&msg)), "{msg}");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "refused before any work, took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_length_ceiling_is_exact_and_tunable_for_every_crypt_scheme() {
    let h = PasswordHasher::new(Policy::default()).unwrap();
    for stored in [
        format!("$6$rounds=1000$saltsalt${SHA512_DIGEST}"),
        "$5$rounds=1000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5".to_string(),
        "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1".to_string(),
    ] {
        let msg = h.verify(vec![b'p'; 4096], &stored).unwrap_err().to_string();
        let longest = accepted_up_to(&msg);
        assert!(longest >= 128, "{stored}: {msg}");
        // Up to the limit the password is verified (wrong, here); one byte more is not.
        assert!(!h.verify(vec![b'p'; longest], &stored).unwrap(), "{stored}");
        let e = h.verify(vec![b'p'; longest + 1], &stored).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{stored}");
        assert_eq!(accepted_up_to(&e.to_string()), longest, "{stored}");
        // Typical passwords are never affected.
        for len in [0, 1, 16, 64] {
            assert!(!h.verify(vec![b'p'; len], &stored).unwrap(), "{stored}");
        }
    }
    // The real vectors with long passwords still verify.
    let p = b"a very much longer text to encrypt.  This one even stretches over morethan one line.";
    assert!(h.verify(p, "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1").unwrap());
    // A host with long passphrases raises the factor.
    let mut policy = Policy::default();
    policy.limits.max_length_cost_factor = 200;
    let roomy = PasswordHasher::new(policy).unwrap();
    let stored = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1";
    assert!(!roomy.verify(vec![b'p'; 4096], stored).unwrap());
    let mut policy = Policy::default();
    policy.limits.max_length_cost_factor = 0;
    let e = PasswordHasher::new(policy).unwrap_err();
    assert!(e.to_string().contains("max_length_cost_factor"), "{e}");
}

#[test]
fn a_megabyte_password_cannot_reach_the_quadratic_step() {
    // max_password_bytes at its largest (1 MiB): SHA-crypt hashes the password |P| times
    // up front, a terabyte for this one. Refused at once; a 4 MiB client is refused by
    // max_password_bytes first.
    let mut policy = Policy::default();
    policy.max_password_bytes = 1 << 20;
    let h = PasswordHasher::new(policy).unwrap();
    let stored = format!("$6$rounds=1000$saltsalt${SHA512_DIGEST}");
    let started = std::time::Instant::now();
    let e = h.verify(vec![b'x'; 1 << 20], &stored).unwrap_err();
    assert!(e.to_string().contains("max_length_cost_factor"), "{e}");
    let e = h.verify(vec![b'x'; 4 << 20], &stored).unwrap_err();
    assert!(e.to_string().contains("max_password_bytes"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
}

#[test]
fn short_pbkdf2_style_digests_are_invalid_not_weaker() {
    let h = tight();
    // 16 bytes where SHA-256 gives 32 (Django), 10 where SHA-1 gives 20 (Werkzeug), a
    // single byte (one password in 256 would match), and a 16-byte scrypt key.
    invalid(
        &h,
        "pbkdf2_sha256$1000$salt$AAAAAAAAAAAAAAAAAAAAAA==",
        "expected 32 to 256",
    );
    invalid(&h, "pbkdf2_sha1$1000$salt$AA==", "expected 20 to 256");
    invalid(
        &h,
        "pbkdf2:sha1:1000$salt$00112233445566778899",
        "expected 20 to 256",
    );
    invalid(&h, "pbkdf2:sha256:1000$salt$00", "expected 32 to 256");
    invalid(
        &h,
        "scrypt:16:8:1$salt$00112233445566778899aabbccddeeff",
        "expected 32 to 256",
    );
    // A long digest multiplies PBKDF2's work by its blocks: 13 blocks of SHA-1 at 2,000
    // iterations is 26,000, above the tight ceiling of 20,000.
    let long = format!("pbkdf2:sha1:2000$salt${}", "00".repeat(256));
    invalid(&h, &long, "max_pbkdf2_iterations");
    let ok = format!("pbkdf2:sha1:1000$salt${}", "00".repeat(256));
    assert!(!h.verify("password", &ok).unwrap());
}

#[test]
fn a_wrapped_hash_cannot_shorten_its_inner_digest() {
    let h = tight();
    let wrapped = h
        .wrap_legacy("pbkdf2:sha256:1000$n1oEjbEuurfxiAto$79101d6545f089c6571fe8ebee1f6ea3cf17ed6bd690427de89569ce6733e5cf")
        .unwrap();
    assert!(wrapped.contains(",dklen=32$"), "{wrapped}");
    assert!(h.verify("password", &wrapped).unwrap());
    for (dklen, needle) in [("1", "expected 32 to 256"), ("31", "expected 32 to 256")] {
        let forged = wrapped.replace(",dklen=32$", &format!(",dklen={dklen}$"));
        invalid(&h, &forged, needle);
    }
    let md5 = h
        .wrap_legacy("md5$salt$67a1e09bb1f83f5007dc119c14d663aa")
        .unwrap();
    invalid(
        &h,
        &md5.replace(",dklen=16$", ",dklen=15$"),
        "expected 16 to 16",
    );
}
