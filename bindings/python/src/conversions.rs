//! Conversions between Python objects and core types: SQL values and parameters,
//! durations in seconds, and small helpers shared by the other modules.

use std::time::Duration;

use magnetar_core::Error;
use magnetar_core::pool::{Params, Value};
use pyo3::prelude::*;
use pyo3::types::{
    PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};

use crate::errors::{invalid_input, to_py};

/// A Python value bound to an SQL parameter: None, int (bool included), float, str,
/// bytes, bytearray or memoryview.
pub fn value_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        Ok(Value::Null)
    } else if obj.is_instance_of::<PyInt>() {
        obj.extract::<i64>().map(Value::Integer).map_err(|_| {
            invalid_input(format!(
                "integer {obj} does not fit SQLite's 64-bit signed INTEGER"
            ))
        })
    } else if obj.is_instance_of::<PyString>() {
        Ok(Value::Text(obj.extract::<String>()?))
    } else if obj.is_instance_of::<PyFloat>() {
        Ok(Value::Real(obj.extract::<f64>()?))
    } else if let Ok(bytes) = obj.cast::<PyBytes>() {
        Ok(Value::Blob(bytes.as_bytes().to_vec()))
    } else if obj.is_instance_of::<PyByteArray>() || obj.is_instance_of::<PyMemoryView>() {
        let bytes = obj.py().get_type::<PyBytes>().call1((obj,))?;
        Ok(Value::Blob(bytes.cast::<PyBytes>()?.as_bytes().to_vec()))
    } else {
        Err(invalid_input(format!(
            "cannot bind a value of type {} as an SQL parameter (use None, int, float, str or bytes)",
            type_name(obj)
        )))
    }
}

/// A core value as a Python object.
pub fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        Value::Real(f) => PyFloat::new(py, *f).into_any(),
        Value::Text(s) => PyString::new(py, s).into_any(),
        Value::Blob(b) => PyBytes::new(py, b).into_any(),
    })
}

/// One row as a tuple, as DB-API cursors return it.
pub fn row_to_py<'py>(py: Python<'py>, row: &[Value]) -> PyResult<Bound<'py, PyTuple>> {
    let items = row
        .iter()
        .map(|v| value_to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// Statement parameters: a sequence binds by position, a mapping by name (with or
/// without the `:`/`@`/`$` prefix); `None` or an empty sequence binds nothing.
pub fn params_from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Params> {
    let Some(obj) = obj else {
        return Ok(Params::None);
    };
    if obj.is_none() {
        return Ok(Params::None);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return positional(tuple.iter());
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return positional(list.iter());
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return named(dict.iter());
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(invalid_input(format!(
            "parameters must be a sequence or a mapping, not {} (for one parameter, write ({obj:?},))",
            type_name(obj)
        )));
    }
    if obj.hasattr("keys")? {
        let pairs = obj.call_method0("items")?.try_iter()?;
        let mut out = Vec::new();
        for pair in pairs {
            let pair = pair?;
            out.push((pair.get_item(0)?, pair.get_item(1)?));
        }
        return named(out.into_iter());
    }
    match obj.try_iter() {
        Ok(iter) => positional(iter.collect::<PyResult<Vec<_>>>()?.into_iter()),
        Err(_) => Err(invalid_input(format!(
            "parameters must be a sequence or a mapping, not {}",
            type_name(obj)
        ))),
    }
}

fn positional<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>) -> PyResult<Params> {
    let values = items
        .enumerate()
        .map(|(i, item)| value_from_py(&item).map_err(|e| at_parameter(&i.to_string(), e)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(if values.is_empty() {
        Params::None
    } else {
        Params::Positional(values)
    })
}

fn named<'py>(
    pairs: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
) -> PyResult<Params> {
    let mut out = Vec::new();
    for (key, value) in pairs {
        let name: String = key.extract().map_err(|_| {
            invalid_input(format!(
                "parameter names must be str, got {}",
                type_name(&key)
            ))
        })?;
        let value = value_from_py(&value).map_err(|e| at_parameter(&name, e))?;
        out.push((name, value));
    }
    Ok(if out.is_empty() {
        Params::None
    } else {
        Params::Named(out)
    })
}

fn at_parameter(which: &str, err: PyErr) -> PyErr {
    Python::attach(|py| invalid_input(format!("parameter {which}: {}", err.value(py))))
}

/// The name of an object's type, for error messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "<unknown>".into())
}

/// A duration given in seconds (int or float) or as a `datetime.timedelta`.
pub fn duration_from_py(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let seconds: f64 = if obj.hasattr("total_seconds")? {
        obj.call_method0("total_seconds")?.extract()?
    } else {
        obj.extract().map_err(|_| {
            to_py(Error::InvalidConfig(format!(
                "{name} must be a number of seconds or a timedelta, got {}",
                type_name(obj)
            )))
        })?
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        to_py(Error::InvalidConfig(format!(
            "{name} must be a finite, non-negative number of seconds, got {seconds}"
        )))
    })
}

/// An optional duration: `None` disables the setting.
pub fn optional_duration_from_py(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    if obj.is_none() {
        Ok(None)
    } else {
        duration_from_py(name, obj).map(Some)
    }
}
