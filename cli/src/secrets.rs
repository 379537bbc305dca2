//! Reading secrets (passwords, passphrases) without ever taking them from argv.
//!
//! argv is visible to every user on the machine (`ps`, `/proc/*/cmdline`) and lands in
//! shell history, so secrets come from a prompt without echo when stdin is a terminal,
//! or from one line of stdin otherwise (`printf '%s\n' "$PW" | magnetar breach check`).

use std::io::{BufRead, IsTerminal};

use zeroize::Zeroizing;

use crate::output::CliError;

/// Reads one secret: a no-echo prompt on a terminal, else the next line of stdin.
///
/// The trailing newline (`\n` or `\r\n`) is removed; nothing else is trimmed, because
/// spaces can be part of a password. End of input before any byte is an error.
pub fn read_secret(prompt: &str) -> Result<Zeroizing<String>, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let secret = rpassword::prompt_password(prompt)
            .map_err(|e| CliError::io("cannot read from the terminal", e))?;
        return Ok(Zeroizing::new(secret));
    }
    read_line(&mut stdin.lock())
}

/// Reads one line from `input` as a secret (see [`read_secret`]).
pub fn read_line(input: &mut impl BufRead) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    let n = input
        .read_until(b'\n', &mut bytes)
        .map_err(|e| CliError::io("cannot read the secret from stdin", e))?;
    if n == 0 {
        return Err(CliError::usage(
            "no secret on stdin: pipe one line (e.g. `printf '%s\\n' \"$PASSWORD\" | magnetar ...`) \
             or run from a terminal to be prompted",
        ));
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(CliError::usage(
            "the secret read from stdin is not valid UTF-8",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_the_line_ending() {
        let mut input = &b"  pass word \r\nnext line\n"[..];
        assert_eq!(read_line(&mut input).unwrap().as_str(), "  pass word ");
        let mut input = &b"no newline"[..];
        assert_eq!(read_line(&mut input).unwrap().as_str(), "no newline");
        let mut input = &b"\n"[..];
        assert_eq!(read_line(&mut input).unwrap().as_str(), "");
    }

    #[test]
    fn empty_input_and_bad_utf8_are_usage_errors() {
        let mut input = &b""[..];
        assert_eq!(read_line(&mut input).unwrap_err().code, 2);
        let mut input = &b"\xff\xfe\n"[..];
        let err = read_line(&mut input).unwrap_err();
        assert!(err.message.contains("UTF-8"), "{}", err.message);
    }
}
