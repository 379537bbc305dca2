//! `magnetar._native`: the pyo3 layer under the `magnetar` Python package.
//!
//! Every rule lives in `magnetar-core`; this crate only converts Python objects to core
//! types and back, maps core errors to Python exceptions (once, in [`errors`]), and
//! releases the GIL around every call that can wait or burn CPU.

mod aio;
mod audit;
mod breach;
mod checkpoint;
mod conversions;
mod errors;
mod logging;
mod password;
mod pool;
mod session;
mod store;

use pyo3::prelude::*;

/// The native half of the `magnetar` package; import `magnetar` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", magnetar_core::VERSION)?;
    errors::register(m)?;
    logging::install(m.py())?;
    m.add_function(wrap_pyfunction!(logging::flush_logs, m)?)?;
    m.add_class::<pool::PyPool>()?;
    m.add_class::<pool::PyConnection>()?;
    m.add_class::<pool::PyCursor>()?;
    m.add_function(wrap_pyfunction!(pool::get_pool, m)?)?;
    m.add_class::<password::PyPasswordHasher>()?;
    m.add_class::<breach::PyBreachChecker>()?;
    m.add_class::<breach::PyBreachResult>()?;
    m.add_function(wrap_pyfunction!(breach::build_breach_index, m)?)?;
    m.add_function(wrap_pyfunction!(breach::parse_retry_after, m)?)?;
    m.add_class::<audit::PyAuditLog>()?;
    m.add_class::<audit::PyAuditEvent>()?;
    m.add_class::<audit::PyAuditProblem>()?;
    m.add_class::<audit::PyVerifyReport>()?;
    m.add_class::<audit::PyAuditHead>()?;
    m.add_class::<checkpoint::PyCheckpointSigner>()?;
    m.add_function(wrap_pyfunction!(checkpoint::verify_checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(checkpoint::verify_sealed_export, m)?)?;
    m.add_class::<store::PyPostgresStore>()?;
    m.add_class::<session::PySessionRegistry>()?;
    m.add_class::<session::PySession>()?;
    m.add_class::<session::PyAssessment>()?;
    m.add_class::<session::PyRiskReason>()?;
    m.add_function(wrap_pyfunction!(session::score, m)?)?;
    m.add_function(wrap_pyfunction!(session::parse_user_agent, m)?)?;
    Ok(())
}
