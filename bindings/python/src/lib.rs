//! `magnetar._native`: the pyo3 layer under the `magnetar` Python package.

use pyo3::prelude::*;

/// The native half of the `magnetar` package; import `magnetar` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", magnetar_core::VERSION)?;
    Ok(())
}
