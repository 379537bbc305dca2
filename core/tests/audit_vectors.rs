//! The AES-256-GCM layer of the audit log against published vectors.
//!
//! Source: NIST CAVP, "GCM Test Vectors (SP 800-38D)", file `gcmEncryptExtIV256.rsp`
//! (<https://csrc.nist.gov/Projects/cryptographic-algorithm-validation-program/CAVP-TESTING-BLOCK-CIPHER-MODES>),
//! 96-bit IVs and 128-bit tags: one vector per shape (no data, AAD only, plaintext only,
//! plaintext and AAD, long AAD).

use magnetar_core::audit::cipher::FieldCipher;

struct Vector {
    key: &'static str,
    iv: &'static str,
    pt: &'static str,
    aad: &'static str,
    ct: &'static str,
    tag: &'static str,
}

const NIST: &[Vector] = &[
    // [Keylen = 256] [IVlen = 96] [PTlen = 0] [AADlen = 0] [Taglen = 128] Count = 0
    Vector {
        key: "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
        iv: "516c33929df5a3284ff463d7",
        pt: "",
        aad: "",
        ct: "",
        tag: "bdc1ac884d332457a1d2664f168c76f0",
    },
    // [PTlen = 0] [AADlen = 128] Count = 0
    Vector {
        key: "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223",
        iv: "d79cf22d504cc793c3fb6c8a",
        pt: "",
        aad: "b96baa8c1c75a671bfb2d08d06be5f36",
        ct: "",
        tag: "3e5d486aa2e30b22e040b85723a06e76",
    },
    // [PTlen = 128] [AADlen = 0] Count = 0
    Vector {
        key: "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
        iv: "0d18e06c7c725ac9e362e1ce",
        pt: "2db5168e932556f8089a0622981d017d",
        aad: "",
        ct: "fa4362189661d163fcd6a56d8bf0405a",
        tag: "d636ac1bbedd5cc3ee727dc2ab4a9489",
    },
    // [PTlen = 408] [AADlen = 160]
    Vector {
        key: "bc898f643a5f2cd864c10b507b4b803b4ff4ace61fadcc7bcd98af394731b791",
        iv: "cc447d83c0a6734a79778c64",
        pt: "124eb963cdb56fa49c70a9b1aa682445c55065f26859f1d16eef7cfe491587533eedd7e23deabddfc5550c2fa6a08b17822699",
        aad: "e932bd2e0e6c550d136f725e14c53d27ffb20f6a",
        ct: "45d8908ef9eef369e78b7ea0b7d023a92c63648271927efe9b0220eb09ed96f3b635c6ec8bfc68b4c228b712494bb37f4c7f1a",
        tag: "47899857494bac28d2176a9c923026b2",
    },
    // [PTlen = 408] [AADlen = 720]
    Vector {
        key: "6be7f4d18ff0fbdd9b3b3cacaba4629a0c617387079add62f6ce1584b33faad1",
        iv: "fda568c9cb13d9c176bcef03",
        pt: "4df668e99d5068604a48bcca5baa8245435928558a83d68d7b0b081861224e9bd39ea8f2d55a635949e66c6f6a7ff5cc34dd94",
        aad: "11ebeb97dd4a9925c1fbe2b9af77392058d2d971e42db15da39f090d7bc132573c34bf7d92a2d72dc66ee6840c3ff07985b8976ee8d8f36bf47ae330b899fdc60652dd5a23c45f3680f11951f019e0697c8acfcaa95f01b9c7dd",
        ct: "488b40ad594e1845ccdd9e9467fc5e1afbbfde34e57d45bfcd30b61cc326d57fe8e3f31a39cdebf00f60bbd2c3cdf69f756eff",
        tag: "3bf3fbab9b48486fd08a5552604df639",
    },
];

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn cipher(v: &Vector) -> (FieldCipher, [u8; 12]) {
    let key: [u8; 32] = h(v.key).try_into().unwrap();
    let iv: [u8; 12] = h(v.iv).try_into().unwrap();
    (FieldCipher::new(&key, 1), iv)
}

#[test]
fn nist_cavp_encrypt() {
    for (i, v) in NIST.iter().enumerate() {
        let (c, iv) = cipher(v);
        let sealed = c.seal_raw(&iv, &h(v.aad), &h(v.pt)).unwrap();
        let expected = [h(v.ct), h(v.tag)].concat();
        assert_eq!(hex::encode(&sealed), hex::encode(&expected), "vector {i}");
    }
}

#[test]
fn nist_cavp_decrypt_and_reject_any_change() {
    for (i, v) in NIST.iter().enumerate() {
        let (c, iv) = cipher(v);
        let sealed = [h(v.ct), h(v.tag)].concat();
        assert_eq!(
            c.open_raw(&iv, &h(v.aad), &sealed).unwrap(),
            h(v.pt),
            "vector {i}"
        );
        // A flipped bit anywhere (ciphertext or tag), another AAD, or a shorter input
        // must fail.
        for bit in [0usize, sealed.len() * 8 - 1] {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                c.open_raw(&iv, &h(v.aad), &bad).is_none(),
                "vector {i} bit {bit}"
            );
        }
        let mut aad = h(v.aad);
        aad.push(0);
        assert!(c.open_raw(&iv, &aad, &sealed).is_none(), "vector {i} aad");
        assert!(
            c.open_raw(&iv, &h(v.aad), &sealed[1..]).is_none(),
            "vector {i} short"
        );
    }
}
