//! Transparency-log building blocks, following the public standards so that the tools
//! people already use for transparency logs can check Magnetar's output:
//!
//! - [`merkle`]: RFC 9162 Merkle tree hashes, inclusion and consistency proofs, and
//!   their verification, over stored complete-subtree hashes;
//! - [`note`]: C2SP signed notes with Ed25519 signatures, in Go's key formats;
//! - [`checkpoint`]: C2SP tlog checkpoints (origin, tree size, root hash).
//!
//! Verification needs no secret: a verifier key, a checkpoint and public leaf data are
//! enough.

pub mod checkpoint;
pub mod merkle;
pub mod note;

pub use checkpoint::Checkpoint;
pub use merkle::{Frontier, Hash, NodeId, NodeSource};
pub use note::{NoteSigner, NoteVerifier, VerifiedSignature};

use crate::error::{ErrorKind, Result};

/// The one rule for answering a verification with a boolean (bindings that return
/// `bool` use it): `false` when what was checked does not verify (a `Tampered` error: a
/// bad signature, proof or root), the error itself otherwise (malformed arguments).
pub fn verified<T>(result: Result<T>) -> Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::Tampered => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn only_a_failed_check_is_false() {
        assert!(verified(Ok(())).unwrap());
        assert!(!verified::<()>(Err(Error::Tampered("bad signature".into()))).unwrap());
        let err = verified::<()>(Err(Error::InvalidInput("bad size".into()))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
