//! `magnetar.PasswordHasher`: Argon2id hashing, verification of legacy formats,
//! upgrade on login and offline wrapping, with the GIL released while hashing.

use magnetar_core::password::{HashTable, PasswordHasher, Pepper, Policy, upgrade_table};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use zeroize::Zeroizing;

use crate::aio::in_executor;
use crate::audit::json_to_py;
use crate::conversions::type_name;
use crate::errors::{IntoPyResult, invalid_input, to_py};
use crate::pool::PyPool;

/// A password or secret as bytes: `str` is encoded as UTF-8. The copy is zeroized when
/// dropped.
pub fn secret_bytes(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Zeroizing<Vec<u8>>> {
    if let Ok(s) = obj.cast::<PyString>() {
        Ok(Zeroizing::new(s.to_cow()?.as_bytes().to_vec()))
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Zeroizing::new(b.as_bytes().to_vec()))
    } else {
        Err(invalid_input(format!(
            "{what} must be str or bytes, got {}",
            type_name(obj)
        )))
    }
}

/// A pepper given as `(id, secret)`.
fn pepper_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Pepper> {
    let (id, secret): (String, Bound<'_, PyAny>) = obj.extract().map_err(|_| {
        to_py(magnetar_core::Error::InvalidKey(format!(
            "a pepper is an (id, secret) pair such as (\"k1\", secret_bytes), got {}",
            type_name(obj)
        )))
    })?;
    let secret = secret_bytes("a pepper secret", &secret)?;
    Pepper::new(&id, &secret).py_err()
}

/// Hashes new passwords with Argon2id and verifies stored hashes of every supported
/// format (Argon2, bcrypt, PBKDF2 of passlib/Django/Werkzeug, scrypt, sha-crypt,
/// md5-crypt, Django salted digests, and bare hex digests named in `legacy_digests`).
///
/// `pepper` is an optional `(id, secret)` pair (secret at least 16 bytes) mixed into new
/// hashes; `old_peppers` lists earlier ones still accepted for verification. Immutable
/// and safe to share between threads; hashing releases the GIL.
#[pyclass(module = "magnetar", name = "PasswordHasher", frozen)]
pub struct PyPasswordHasher {
    inner: PasswordHasher,
}

#[pymethods]
impl PyPasswordHasher {
    #[new]
    #[pyo3(signature = (
        *,
        memory_kib = None,
        iterations = None,
        parallelism = None,
        pepper = None,
        old_peppers = None,
        legacy_digests = None,
        max_password_bytes = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        memory_kib: Option<u32>,
        iterations: Option<u32>,
        parallelism: Option<u32>,
        pepper: Option<&Bound<'_, PyAny>>,
        old_peppers: Option<&Bound<'_, PyAny>>,
        legacy_digests: Option<Vec<String>>,
        max_password_bytes: Option<usize>,
    ) -> PyResult<Self> {
        let mut policy = Policy::owasp();
        if let Some(v) = memory_kib {
            policy.memory_kib = v;
        }
        if let Some(v) = iterations {
            policy.iterations = v;
        }
        if let Some(v) = parallelism {
            policy.parallelism = v;
        }
        if let Some(v) = max_password_bytes {
            policy.max_password_bytes = v;
        }
        if let Some(p) = pepper.filter(|p| !p.is_none()) {
            policy.pepper = Some(pepper_from_py(p)?);
        }
        if let Some(olds) = old_peppers.filter(|p| !p.is_none()) {
            for p in olds.try_iter()? {
                policy.old_peppers.push(pepper_from_py(&p?)?);
            }
        }
        if let Some(names) = legacy_digests {
            policy = policy.with_legacy_digests(&names).py_err()?;
        }
        Ok(PyPasswordHasher {
            inner: PasswordHasher::new(policy).py_err()?,
        })
    }

    /// A new Argon2id PHC string for `password` (fresh random salt, pepper if set).
    fn hash(&self, py: Python<'_>, password: &Bound<'_, PyAny>) -> PyResult<String> {
        let password = secret_bytes("password", password)?;
        py.detach(|| self.inner.hash(&*password)).py_err()
    }

    /// Whether `password` matches `stored` (any supported format). A wrong password is
    /// `False`; a malformed or unsupported stored hash raises `InvalidHash`.
    fn verify(
        &self,
        py: Python<'_>,
        password: &Bound<'_, PyAny>,
        stored: String,
    ) -> PyResult<bool> {
        let password = secret_bytes("password", password)?;
        py.detach(|| self.inner.verify(&*password, &stored))
            .py_err()
    }

    /// Verifies, and when valid and the stored hash is legacy, weaker than the policy,
    /// wrapped, or under an old pepper, also returns a new Argon2id hash to store:
    /// `(valid, new_hash_or_None)`.
    fn verify_and_update(
        &self,
        py: Python<'_>,
        password: &Bound<'_, PyAny>,
        stored: String,
    ) -> PyResult<(bool, Option<String>)> {
        let password = secret_bytes("password", password)?;
        let outcome = py
            .detach(|| self.inner.verify_and_update(&*password, &stored))
            .py_err()?;
        Ok((outcome.valid, outcome.new_hash))
    }

    /// `hash` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, password)")]
    fn hash_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "hash", args, kwargs)
    }

    /// `verify` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, password, stored)")]
    fn verify_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "verify", args, kwargs)
    }

    /// `verify_and_update` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, password, stored)")]
    fn verify_and_update_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "verify_and_update", args, kwargs)
    }

    /// `wrap_legacy` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, stored)")]
    fn wrap_legacy_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "wrap_legacy", args, kwargs)
    }

    /// Whether `stored` should be replaced at the next successful login.
    fn needs_rehash(&self, stored: String) -> PyResult<bool> {
        self.inner.needs_rehash(&stored).py_err()
    }

    /// The stable name of the format of `stored` (e.g. `"argon2id"`, `"bcrypt"`,
    /// `"django_pbkdf2_sha256"`, `"wrapped_hex_sha256"`).
    fn identify(&self, stored: String) -> PyResult<String> {
        self.inner.identify(&stored).map(|i| i.name()).py_err()
    }

    /// The hex SHA-1 of `salt` then `password` that Django's salted `sha1$salt$hex`
    /// hasher stored: the inner value of Django's `pbkdf2_wrapped_sha1` upgrade.
    #[staticmethod]
    fn django_sha1_digest(salt: String, password: String) -> String {
        let password = Zeroizing::new(password);
        magnetar_core::password::django_sha1_digest(&salt, &password)
            .as_str()
            .to_owned()
    }

    /// The policy this hasher runs with: Argon2id costs, limits, pepper ids (never the
    /// pepper itself) and the bare digests it accepts.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = self.inner.policy();
        let d = PyDict::new(py);
        d.set_item("memory_kib", p.memory_kib)?;
        d.set_item("iterations", p.iterations)?;
        d.set_item("parallelism", p.parallelism)?;
        d.set_item("salt_len", p.salt_len)?;
        d.set_item("output_len", p.output_len)?;
        d.set_item("max_password_bytes", p.max_password_bytes)?;
        d.set_item("pepper_id", p.pepper.as_ref().map(Pepper::id))?;
        let old: Vec<&str> = p.old_peppers.iter().map(Pepper::id).collect();
        d.set_item("old_pepper_ids", old)?;
        let digests: Vec<&str> = p.legacy_digests.iter().map(|l| l.name()).collect();
        d.set_item("legacy_digests", digests)?;
        Ok(d)
    }

    /// Wraps every legacy hash in column `hash_column` of `table` into Argon2id
    /// (no password needed), `batch_size` rows per transaction; resumable. Returns the
    /// counts as a dict (`total`, `scanned`, `wrapped`, `current`, `unrecognised`,
    /// `empty`, `changed_meanwhile`, `unrecognised_keys`).
    #[pyo3(
        signature = (pool, table, hash_column, *, key_column = "rowid".to_owned(), batch_size = 1000),
        text_signature = "($self, pool, table, hash_column, *, key_column='rowid', batch_size=1000)"
    )]
    fn upgrade_table<'py>(
        &self,
        py: Python<'py>,
        pool: PyRef<'_, PyPool>,
        table: String,
        hash_column: String,
        key_column: String,
        batch_size: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pool = pool.inner.clone();
        let target = HashTable {
            table,
            key_column,
            hash_column,
        };
        let outcome = py
            .detach(|| upgrade_table(&self.inner, &pool, &target, batch_size, |_| {}))
            .py_err()?;
        json_to_py(
            py,
            &serde_json::to_value(&outcome).map_err(|e| to_py(e.into()))?,
        )
    }

    /// Wraps a legacy hash into Argon2id without the password, so a whole table can be
    /// upgraded at once; `verify` accepts the result for the same password.
    fn wrap_legacy(&self, py: Python<'_>, stored: String) -> PyResult<String> {
        py.detach(|| self.inner.wrap_legacy(&stored)).py_err()
    }

    /// Argon2id memory cost of new hashes, in KiB.
    #[getter]
    fn memory_kib(&self) -> u32 {
        self.inner.policy().memory_kib
    }

    /// Argon2id iterations of new hashes.
    #[getter]
    fn iterations(&self) -> u32 {
        self.inner.policy().iterations
    }

    /// Argon2id parallelism of new hashes.
    #[getter]
    fn parallelism(&self) -> u32 {
        self.inner.policy().parallelism
    }

    fn __repr__(&self) -> String {
        let p = self.inner.policy();
        format!(
            "<magnetar.PasswordHasher argon2id m={} t={} p={} pepper={}>",
            p.memory_kib,
            p.iterations,
            p.parallelism,
            match &p.pepper {
                Some(pepper) => format!("{:?}", pepper.id()),
                None => "None".into(),
            }
        )
    }
}
