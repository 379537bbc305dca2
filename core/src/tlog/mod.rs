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
