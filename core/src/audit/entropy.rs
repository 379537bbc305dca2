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
//! thread has its own buffer, and a child process (which inherits a copy of the
//! parent's buffer) refills before taking anything. Two mechanisms recognise the child,
//! neither costing a system call per draw (`getpid` is one, ~0.2 µs on a VM, as much as
//! the whole draw):
//!
//! - On Linux the buffer lives in its own mapping marked `MADV_WIPEONFORK`: the kernel
//!   hands every child made by copying the address space (`fork`, and `clone` without
//!   `CLONE_VM` even when called directly, bypassing libc's fork handlers) a zero-filled
//!   copy, which reads as "not filled".
//! - Everywhere on Unix, a fork counter that a `pthread_atfork` handler bumps in every
//!   child of `fork()`.
//!
//! What neither sees (a snapshot of a whole virtual machine restored twice) is beyond
//! what a process can detect. Keys and secrets never come from here (they use
//! [`crate::random`] directly).

use std::cell::RefCell;

use crate::error::Result;

const BLOCK: usize = 4096;

/// A thread's block. All zeros (what a wiped copy reads as) is a valid, unfilled state.
struct Buffered {
    buf: [u8; BLOCK],
    /// Bytes of `buf` already handed out.
    used: usize,
    /// [`forks`] when `buf` was filled.
    forks: u64,
    /// Whether `buf` holds bytes from the OS (false in a wiped copy).
    filled: bool,
}

thread_local! {
    static BUFFER: RefCell<Option<Home>> = const { RefCell::new(None) };
}

/// Where a thread's block lives: a mapping the kernel wipes in child processes where
/// that is available, else the heap.
enum Home {
    #[cfg(target_os = "linux")]
    Wiped(wiped::Mapping),
    Heap(Box<Buffered>),
}

impl Home {
    fn new() -> Home {
        #[cfg(target_os = "linux")]
        if let Some(m) = wiped::Mapping::new() {
            return Home::Wiped(m);
        }
        Home::Heap(Box::new(Buffered {
            buf: [0; BLOCK],
            used: 0,
            forks: 0,
            filled: false,
        }))
    }

    fn buffered(&mut self) -> &mut Buffered {
        match self {
            #[cfg(target_os = "linux")]
            Home::Wiped(m) => m.buffered(),
            Home::Heap(b) => b,
        }
    }
}

#[cfg(target_os = "linux")]
mod wiped {
    use std::ptr::NonNull;

    use super::Buffered;

    /// An anonymous private mapping holding one [`Buffered`], marked
    /// `MADV_WIPEONFORK` (Linux 4.14+).
    pub struct Mapping(NonNull<Buffered>);

    const SIZE: usize = std::mem::size_of::<Buffered>();

    impl Mapping {
        /// `None` when the kernel cannot wipe it (then the caller uses the heap).
        pub fn new() -> Option<Mapping> {
            // SAFETY: a fresh anonymous mapping (zero-filled: a valid `Buffered`, see
            // its docs), released on every failure path and in `Drop`.
            unsafe {
                let ptr = libc::mmap(
                    std::ptr::null_mut(),
                    SIZE,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                if ptr == libc::MAP_FAILED {
                    return None;
                }
                if libc::madvise(ptr, SIZE, libc::MADV_WIPEONFORK) != 0 {
                    libc::munmap(ptr, SIZE);
                    return None;
                }
                NonNull::new(ptr.cast()).map(Mapping).or_else(|| {
                    libc::munmap(ptr, SIZE);
                    None
                })
            }
        }

        pub fn buffered(&mut self) -> &mut Buffered {
            // SAFETY: the mapping is ours, sized and aligned (page-aligned) for one
            // `Buffered`, and every bit pattern the kernel leaves in it (its contents,
            // or zeros after a fork) is a valid `Buffered`.
            unsafe { self.0.as_mut() }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: mapped in `new` with this size, unmapped once.
            unsafe {
                libc::munmap(self.0.as_ptr().cast(), SIZE);
            }
        }
    }
}

/// Fills `out` with fresh OS randomness (through this thread's buffer).
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    if out.len() > BLOCK {
        return crate::random::fill(out);
    }
    let forks = forks()?;
    // `try_with`: during thread teardown the buffer may be gone; fall back to the OS.
    let buffered = BUFFER.try_with(|cell| {
        let mut home = cell.borrow_mut();
        let b = home.get_or_insert_with(Home::new).buffered();
        if !b.filled || b.forks != forks || BLOCK - b.used < out.len() {
            crate::random::fill(&mut b.buf)?;
            b.used = 0;
            b.forks = forks;
            b.filled = true;
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

    /// Draws once (so the buffer has unused bytes), makes a child with `spawn` (which
    /// returns 0 in the child, its pid in the parent), and checks that the child's
    /// first draw differs from the parent's next one: the child inherited the parent's
    /// half-used buffer and must not hand out the same bytes.
    #[cfg(unix)]
    fn child_does_not_repeat_the_parent(spawn: unsafe fn() -> libc::pid_t) {
        let mut first = [0u8; 112];
        fill(&mut first).unwrap();
        let mut fds = [0 as libc::c_int; 2];
        let mut child = [0u8; 112];
        // SAFETY: plain pipe/write/_exit/waitpid around `spawn`; the child only draws,
        // writes and exits.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let pid = spawn();
            assert!(pid >= 0, "creating the child failed");
            if pid == 0 {
                let mut x = [0u8; 112];
                let ok = fill(&mut x).is_ok();
                let n = libc::write(fds[1], x.as_ptr().cast(), x.len());
                libc::_exit(if ok && n == 112 { 0 } else { 1 });
            }
            libc::close(fds[1]);
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
        }
        let mut parent = [0u8; 112];
        fill(&mut parent).unwrap();
        assert_ne!(child, parent, "the child repeated the parent's next draw");
    }

    #[cfg(unix)]
    #[test]
    fn a_forked_child_does_not_repeat_the_parent() {
        unsafe fn fork() -> libc::pid_t {
            // SAFETY: see `child_does_not_repeat_the_parent`.
            unsafe { libc::fork() }
        }
        child_does_not_repeat_the_parent(fork);
    }

    /// A child made by the raw `clone` system call runs no `pthread_atfork` handler:
    /// the wiped mapping alone must keep it from repeating the parent.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_raw_clone_child_does_not_repeat_the_parent() {
        unsafe fn raw_clone() -> libc::pid_t {
            // SAFETY: clone without CLONE_VM (and no new stack) is fork without libc's
            // handlers.
            unsafe {
                libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_long, 0, 0, 0, 0)
                    as libc::pid_t
            }
        }
        child_does_not_repeat_the_parent(raw_clone);
    }
}
