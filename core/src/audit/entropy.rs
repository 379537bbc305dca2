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
//! buffer) refills before taking anything. The child is recognised by a fork counter
//! that a `pthread_atfork` handler bumps in every child, rather than by comparing
//! process ids: `getpid` is a system call (~0.2 µs on a VM, as much as the whole draw).
//! Keys and secrets never come from here (they use [`crate::random`] directly).

use std::cell::RefCell;

use crate::error::Result;

const BLOCK: usize = 4096;

struct Buffered {
    buf: [u8; BLOCK],
    /// Bytes of `buf` already handed out (`BLOCK`: empty).
    used: usize,
    /// [`forks`] when `buf` was filled.
    forks: u64,
}

thread_local! {
    static BUFFER: RefCell<Buffered> = const {
        RefCell::new(Buffered {
            buf: [0; BLOCK],
            used: BLOCK,
            forks: 0,
        })
    };
}

/// Fills `out` with fresh OS randomness (through this thread's buffer).
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    if out.len() > BLOCK {
        return crate::random::fill(out);
    }
    let forks = forks()?;
    // `try_with`: during thread teardown the buffer may be gone; fall back to the OS.
    let buffered = BUFFER.try_with(|cell| {
        let mut b = cell.borrow_mut();
        if b.forks != forks || BLOCK - b.used < out.len() {
            crate::random::fill(&mut b.buf)?;
            b.used = 0;
            b.forks = forks;
        }
        let (start, end) = (b.used, b.used + out.len());
        out.copy_from_slice(&b.buf[start..end]);
        b.buf[start..end].fill(0);
        b.used = end;
        Ok(())
    });
    buffered.unwrap_or_else(|_| crate::random::fill(out))
}

/// Forks this process has gone through, as seen from the current process: every child
/// starts with its parent's count plus one.
#[cfg(unix)]
fn forks() -> Result<u64> {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static FORKS: AtomicU64 = AtomicU64::new(0);
    static REGISTERED: OnceLock<bool> = OnceLock::new();

    extern "C" fn in_child() {
        // Async-signal-safe: one atomic increment.
        FORKS.fetch_add(1, Ordering::Relaxed);
    }
    // Registered before the first buffer is filled, so no fork can go unseen.
    // SAFETY: `pthread_atfork` with a child handler that touches only an atomic.
    let registered = *REGISTERED
        .get_or_init(|| unsafe { libc::pthread_atfork(None, None, Some(in_child)) } == 0);
    if !registered {
        return Err(crate::error::Error::Internal(
            "cannot register the fork handler the audit log's nonce buffer needs".into(),
        ));
    }
    Ok(FORKS.load(Ordering::Relaxed))
}

/// No `fork` here.
#[cfg(not(unix))]
fn forks() -> Result<u64> {
    Ok(0)
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

    /// A forked child inherits the parent's half-used buffer; it must not hand out the
    /// bytes the parent hands out next.
    #[cfg(unix)]
    #[test]
    fn a_forked_child_does_not_repeat_the_parent() {
        let mut first = [0u8; 112];
        fill(&mut first).unwrap(); // the buffer now has unused bytes
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: plain pipe/fork/write/_exit; the child only draws and writes.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let mut x = [0u8; 112];
                let ok = fill(&mut x).is_ok();
                let n = libc::write(fds[1], x.as_ptr().cast(), x.len());
                libc::_exit(if ok && n == 112 { 0 } else { 1 });
            }
            libc::close(fds[1]);
            let mut child = [0u8; 112];
            let mut got = 0usize;
            while got < child.len() {
                let n = libc::read(fds[0], child[got..].as_mut_ptr().cast(), child.len() - got);
                assert!(n > 0, "the child wrote nothing");
                got += n as usize;
            }
            libc::close(fds[0]);
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
            let mut parent = [0u8; 112];
            fill(&mut parent).unwrap();
            assert_ne!(child, parent, "the child repeated the parent's next draw");
        }
    }
}
