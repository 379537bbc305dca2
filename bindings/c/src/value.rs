//! `mgn_value`: SQLite values in and out, and statement results (`mgn_result`).

use std::ffi::{CString, c_char, c_void};
use std::ptr;

use magnetar_core::pool::{Params, QueryResult, Value};
use magnetar_core::{Error, Result};

use crate::boundary;
use crate::handle::{self, Out};
use crate::status::mgn_status;
use crate::strings::{bounded, bytes_arg, limits, owned_cstring, str_arg, text_arg};

/// The storage class of an `mgn_value`: one of the `MGN_NULL` ... `MGN_BLOB` constants.
#[allow(non_camel_case_types)]
pub type mgn_value_kind = u32;

/// SQL NULL.
pub const MGN_NULL: mgn_value_kind = 0;
/// A 64-bit signed integer, in `integer`.
pub const MGN_INTEGER: mgn_value_kind = 1;
/// A 64-bit float, in `real`.
pub const MGN_REAL: mgn_value_kind = 2;
/// UTF-8 text: `len` bytes at `data`.
pub const MGN_TEXT: mgn_value_kind = 3;
/// Bytes: `len` bytes at `data`.
pub const MGN_BLOB: mgn_value_kind = 4;

/// An SQLite value, used both for statement parameters (in) and result cells (out).
///
/// `kind` says which field holds the value: `integer` for `MGN_INTEGER`, `real` for
/// `MGN_REAL`, `data` + `len` for `MGN_TEXT` and `MGN_BLOB`; other fields are ignored on
/// input and zero/NULL on output. Build parameters with designated initializers, e.g.
/// `(mgn_value){ .kind = MGN_TEXT, .data = "alice", .len = 5 }`.
///
/// In: text must be valid UTF-8 (otherwise `MGN_INVALID_ARGUMENT`) and need not be
/// NUL-terminated; `data` may be NULL only when `len` is 0. The library copies what it
/// needs before returning.
/// Out (from `mgn_result_row`): `data` is owned by the `mgn_result` and valid until it is
/// freed. Text is followed by a NUL byte (not counted in `len`), so it can be used as a C
/// string unless the stored text itself contains NUL bytes.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_value {
    /// Which of the fields below holds the value.
    pub kind: mgn_value_kind,
    /// The value when `kind` is `MGN_INTEGER`.
    pub integer: i64,
    /// The value when `kind` is `MGN_REAL`.
    pub real: f64,
    /// The bytes when `kind` is `MGN_TEXT` or `MGN_BLOB`.
    pub data: *const c_void,
    /// The number of bytes at `data` (excluding any trailing NUL).
    pub len: usize,
}

impl mgn_value {
    const NULL: mgn_value = mgn_value {
        kind: MGN_NULL,
        integer: 0,
        real: 0.0,
        data: ptr::null(),
        len: 0,
    };
}

/// Reads one host value; `what` names it in errors.
///
/// # Safety
/// `v.data` points to `v.len` readable bytes (or is NULL with `len == 0`) for text and blobs.
unsafe fn value_arg(v: &mgn_value, what: &str) -> Result<Value> {
    Ok(match v.kind {
        MGN_NULL => Value::Null,
        MGN_INTEGER => Value::Integer(v.integer),
        MGN_REAL => Value::Real(v.real),
        // SAFETY: forwarded contract.
        MGN_TEXT => Value::Text(
            unsafe { text_arg(v.data.cast(), v.len, limits::MAX_VALUE_BYTES, what) }?.to_owned(),
        ),
        // SAFETY: forwarded contract.
        MGN_BLOB => Value::Blob(
            unsafe { bytes_arg(v.data.cast(), v.len, limits::MAX_VALUE_BYTES, what) }?.to_vec(),
        ),
        other => {
            return Err(Error::InvalidInput(format!(
                "{what} has unknown kind {other} (expected MGN_NULL..MGN_BLOB, 0..4)"
            )));
        }
    })
}

/// Reads `n` values at `values`, at most `max`.
///
/// # Safety
/// `values` is NULL (only with `n == 0`) or points to `n` valid `mgn_value`s.
pub(crate) unsafe fn values_arg(
    values: *const mgn_value,
    n: usize,
    max: usize,
    what: &str,
) -> Result<Vec<Value>> {
    bounded(n, max, &format!("{what} count"))?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if values.is_null() {
        return Err(Error::InvalidInput(format!(
            "{what} is NULL but its count is {n}"
        )));
    }
    // SAFETY: non-NULL and `n` values per the caller's contract.
    let slice = unsafe { std::slice::from_raw_parts(values, n) };
    slice
        .iter()
        .enumerate()
        // SAFETY: each value's data follows the caller's contract.
        .map(|(i, v)| unsafe { value_arg(v, &format!("{what}[{i}]")) })
        .collect()
}

/// Reads statement parameters: `n` values, positional when `names` is NULL, otherwise
/// `names[i]` (NUL-terminated UTF-8, with or without its `:`/`@`/`$` prefix) names
/// `values[i]`.
///
/// # Safety
/// `values` as in [`values_arg`]; `names` is NULL or points to `n` string pointers.
pub(crate) unsafe fn params_arg(
    values: *const mgn_value,
    names: *const *const c_char,
    n: usize,
) -> Result<Params> {
    // SAFETY: forwarded contract.
    let values = unsafe { values_arg(values, n, limits::MAX_PARAMS, "params") }?;
    if values.is_empty() {
        return Ok(Params::None);
    }
    if names.is_null() {
        return Ok(Params::Positional(values));
    }
    // SAFETY: `names` points to `n` pointers per the caller's contract (and values_arg
    // bounded `n`).
    let names = unsafe { std::slice::from_raw_parts(names, n) };
    let mut named = Vec::with_capacity(n);
    for (i, (name, value)) in names.iter().zip(values).enumerate() {
        // SAFETY: each name is NULL or a NUL-terminated string per the contract.
        let name = unsafe { str_arg(*name, &format!("names[{i}]")) }?;
        named.push((name.to_owned(), value));
    }
    Ok(Params::Named(named))
}

/// The result of one statement: column names, rows of `mgn_value`s, rows affected and the
/// last insert rowid. Created by `mgn_pool_execute`/`mgn_pool_query`, released with
/// `mgn_result_free`. Immutable: any number of threads may read it at once.
#[allow(non_camel_case_types)]
pub struct mgn_result {
    columns: Vec<CString>,
    /// Row-major cells; text and blob cells point into `buffers`.
    cells: Vec<mgn_value>,
    /// Backing storage of text and blob cells. A boxed slice never moves its bytes, so the
    /// pointers in `cells` stay valid for the life of the result.
    _buffers: Vec<Box<[u8]>>,
    n_rows: usize,
    rows_affected: u64,
    last_insert_rowid: i64,
}

impl mgn_result {
    pub(crate) fn from_query(result: QueryResult) -> mgn_result {
        let width = result.columns.len();
        let mut cells = Vec::with_capacity(width * result.rows.len());
        let mut buffers = Vec::new();
        let mut stored = |bytes: Vec<u8>, len: usize, kind| {
            let buffer = bytes.into_boxed_slice();
            let cell = mgn_value {
                kind,
                data: buffer.as_ptr().cast(),
                len,
                ..mgn_value::NULL
            };
            buffers.push(buffer);
            cell
        };
        for row in &result.rows {
            for value in row {
                cells.push(match value {
                    Value::Null => mgn_value::NULL,
                    Value::Integer(i) => mgn_value {
                        kind: MGN_INTEGER,
                        integer: *i,
                        ..mgn_value::NULL
                    },
                    Value::Real(r) => mgn_value {
                        kind: MGN_REAL,
                        real: *r,
                        ..mgn_value::NULL
                    },
                    Value::Text(t) => {
                        let mut bytes = Vec::with_capacity(t.len() + 1);
                        bytes.extend_from_slice(t.as_bytes());
                        bytes.push(0);
                        stored(bytes, t.len(), MGN_TEXT)
                    }
                    Value::Blob(b) => stored(b.clone(), b.len(), MGN_BLOB),
                });
            }
        }
        mgn_result {
            columns: result.columns.iter().map(|c| owned_cstring(c)).collect(),
            cells,
            _buffers: buffers,
            n_rows: result.rows.len(),
            rows_affected: result.rows_affected,
            last_insert_rowid: result.last_insert_rowid,
        }
    }
}

/// Reads a scalar property of a result into `out`.
fn result_getter<T>(
    name: &str,
    result: *const mgn_result,
    out: *mut T,
    get: impl FnOnce(&mgn_result) -> T,
) -> mgn_status {
    boundary::call(name, || {
        // SAFETY: the host passes NULL or a live result.
        let result = unsafe { handle::borrow(result, "result") }?;
        let out = Out::new(out, "out")?;
        out.write(get(result));
        Ok(())
    })
}

/// Writes the number of columns of `result` to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `result` or `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_column_count(
    result: *const mgn_result,
    out: *mut usize,
) -> mgn_status {
    result_getter("mgn_result_column_count", result, out, |r| r.columns.len())
}

/// Writes the name of column `index` of `result` to `*out`.
///
/// The string is owned by `result` and valid until `mgn_result_free`; do not free it.
/// Errors: `MGN_INVALID_ARGUMENT` if an argument is NULL or `index` is out of range.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_column_name(
    result: *const mgn_result,
    index: usize,
    out: *mut *const c_char,
) -> mgn_status {
    boundary::call("mgn_result_column_name", || {
        // SAFETY: the host passes NULL or a live result.
        let result = unsafe { handle::borrow(result, "result") }?;
        let out = Out::new(out, "out")?;
        let name = result.columns.get(index).ok_or_else(|| {
            Error::InvalidInput(format!(
                "column index {index} is out of range (the result has {} column(s))",
                result.columns.len()
            ))
        })?;
        out.write(name.as_ptr());
        Ok(())
    })
}

/// Writes the number of rows of `result` to `*out` (0 for statements returning no rows).
///
/// Errors: `MGN_INVALID_ARGUMENT` if `result` or `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_row_count(
    result: *const mgn_result,
    out: *mut usize,
) -> mgn_status {
    result_getter("mgn_result_row_count", result, out, |r| r.n_rows)
}

/// Writes a pointer to row `index` of `result` to `*out`: an array of
/// `mgn_result_column_count` values, in column order.
///
/// Iterate rows with `for (i = 0; i < rows; i++) mgn_result_row(r, i, &row)`. The values
/// and their text/blob bytes are owned by `result` and valid until `mgn_result_free`.
/// Errors: `MGN_INVALID_ARGUMENT` if an argument is NULL or `index` is out of range.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_row(
    result: *const mgn_result,
    index: usize,
    out: *mut *const mgn_value,
) -> mgn_status {
    boundary::call("mgn_result_row", || {
        // SAFETY: the host passes NULL or a live result.
        let result = unsafe { handle::borrow(result, "result") }?;
        let out = Out::new(out, "out")?;
        if index >= result.n_rows {
            return Err(Error::InvalidInput(format!(
                "row index {index} is out of range (the result has {} row(s))",
                result.n_rows
            )));
        }
        let width = result.columns.len();
        // In range: index < n_rows and cells.len() == n_rows * width. For a zero-width
        // row the pointer is the (valid, dangling-safe) start of the empty slice.
        out.write(result.cells[index * width..(index + 1) * width].as_ptr());
        Ok(())
    })
}

/// Writes the number of rows inserted, updated or deleted by the statement to `*out`
/// (0 for queries).
///
/// Errors: `MGN_INVALID_ARGUMENT` if `result` or `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_rows_affected(
    result: *const mgn_result,
    out: *mut u64,
) -> mgn_status {
    result_getter("mgn_result_rows_affected", result, out, |r| r.rows_affected)
}

/// Writes the rowid of the most recent successful INSERT on the connection that ran the
/// statement to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `result` or `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_last_insert_rowid(
    result: *const mgn_result,
    out: *mut i64,
) -> mgn_status {
    result_getter("mgn_result_last_insert_rowid", result, out, |r| {
        r.last_insert_rowid
    })
}

/// Frees a result and every string and value borrowed from it. NULL is a no-op.
///
/// Call once per result, when no other thread is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_result_free(result: *mut mgn_result) {
    // SAFETY: the host passes NULL or a live result made by this library, once.
    boundary::call_void(|| unsafe { handle::free(result) })
}
