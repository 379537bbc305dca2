//! The `_async` variants: coroutines for asyncio that run the blocking method of the
//! same name on the running loop's default executor (a thread pool).
//!
//! The blocking methods already release the GIL around core's work, so several pending
//! calls run in parallel on different cores while the event loop keeps serving other
//! coroutines. Arguments are passed through unchanged, so each variant accepts exactly
//! what its blocking method accepts and raises the same exceptions (when awaited).
//! Like an `async def`, a variant returns a coroutine: it can be created outside a
//! loop and given to `asyncio.run`, `create_task` or `gather`.

use pyo3::ffi::c_str;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};

/// `run(call)`: the coroutine every variant returns.
static RUN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

const RUN_SOURCE: &std::ffi::CStr = c_str!(
    r#"
import asyncio

async def run(call, /):
    return await asyncio.get_running_loop().run_in_executor(None, call)
"#
);

fn run(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    RUN.get_or_try_init(py, || {
        PyModule::from_code(
            py,
            RUN_SOURCE,
            c_str!("magnetar/_aio.py"),
            c_str!("magnetar._aio"),
        )?
        .getattr("run")
        .map(Bound::unbind)
    })
    .map(|f| f.bind(py))
}

/// A coroutine awaiting `obj.<method>(*args, **kwargs)` on the default executor.
pub fn in_executor<'py>(
    obj: &Bound<'py, PyAny>,
    method: &str,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    let mut partial_args = vec![obj.getattr(method)?];
    partial_args.extend(args.iter());
    let call = py
        .import(intern!(py, "functools"))?
        .getattr(intern!(py, "partial"))?
        .call(PyTuple::new(py, partial_args)?, kwargs)?;
    run(py)?.call1((call,))
}
