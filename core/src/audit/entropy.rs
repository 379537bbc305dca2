//! Event ids and nonces from the OS CSPRNG, fetched a block at a time.
//!
//! Every `record` needs 112 random bytes (a 16-byte event id and eight 12-byte nonces).
//! One `getrandom` call per event cost about a tenth of the caller's CPU in batched
//! mode, so each thread keeps a 4 KiB block of OS randomness and hands it out (one
//! system call per ~36 events). The bytes are the OS CSPRNG's output, unchanged: nonces
//! stay unpredictable and, being 96 random bits each, unique with overwhelming
//! probability, exactly as with one call per event.
//!
//! A buffer must never be handed out twice: bytes are cleared as they are taken, each
//! thread has its own buffer, and a forked child (which inherits a copy of the parent's
//! buffer) is detected by its process id and refills before taking anything. Keys and
//! secrets never come from here (they use [`crate::random`] directly).

use std::cell::RefCell;

use crate::error::Result;

const BLOCK: usize = 4096;

struct Buffered {
    buf: [u8; BLOCK],
    /// Bytes of `buf` already handed out (`BLOCK`: empty).
    used: usize,
    /// The process that filled `buf`.
    pid: u32,
}

thread_local! {
    static BUFFER: RefCell<Buffered> = const {
        RefCell::new(Buffered {
            buf: [0; BLOCK],
            used: BLOCK,
            pid: 0,
        })
    };
}

/// Fills `out` with fresh OS randomness (through this thread's buffer).
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    if out.len() > BLOCK {
        return crate::random::fill(out);
    }
    // `try_with`: during thread teardown the buffer may be gone; fall back to the OS.
    let buffered = BUFFER.try_with(|cell| {
        let mut b = cell.borrow_mut();
        let pid = std::process::id();
        if b.pid != pid || BLOCK - b.used < out.len() {
            crate::random::fill(&mut b.buf)?;
            b.used = 0;
            b.pid = pid;
        }
        let (start, end) = (b.used, b.used + out.len());
        out.copy_from_slice(&b.buf[start..end]);
        b.buf[start..end].fill(0);
        b.used = end;
        Ok(())
    });
    buffered.unwrap_or_else(|_| crate::random::fill(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_never_repeat_across_refills() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut x = [0u8; 112];
            fill(&mut x).unwrap();
            assert!(x.iter().any(|&b| b != 0));
            assert!(seen.insert(x), "a 112-byte draw repeated");
        }
        let mut big = [0u8; BLOCK + 1];
        fill(&mut big).unwrap();
        assert!(big.iter().any(|&b| b != 0));
    }
}
