//! The Certificate Transparency Merkle tree (RFC 9162 §2.1) over the ledger's records.
//!
//! A hash chain per session shows that a session was not edited in the middle, but a
//! writer with the file can still drop whole sessions or rewrite a tail consistently.
//! A Merkle tree over *all* records fixes that: a signed root of size `n` commits to
//! every one of the first `n` records, an inclusion proof shows one record is among
//! them, and a consistency proof shows that a later root only appended to an earlier
//! one. Anyone can check both proofs with nothing but the two roots.
//!
//! # Storage
//!
//! The tree is never held in memory. The store keeps every *perfect* subtree node:
//! node `(level, index)` is the hash of leaves `[index·2^level, (index+1)·2^level)`,
//! and level 0 holds the leaf hashes. Such a node never changes once its last leaf is
//! in, so the store only ever inserts. An append completes at most `log2(n) + 1`
//! nodes ([`Frontier::push`]). The tree of any past size is a sequence of perfect
//! subtrees plus hashing on the way up, so roots of past sizes ([`root_at`]) and both
//! kinds of proof take `O(log n)` reads and no rebuilding.
//!
//! # Hashing
//!
//! Leaves and inner nodes are hashed with different one-byte prefixes (`0x00` and
//! `0x01`), so a leaf can never be passed off as an inner node or the other way round
//! (the second-preimage attack on plain Merkle trees). The empty tree's root is the
//! SHA-256 of nothing, as the RFC says.
//!
//! # Untrusted input
//!
//! The proof *builders* take sizes the caller has already checked against the ledger.
//! The *verifiers* take everything from outside: they check sizes and the exact proof
//! length before hashing, and walk the proof in a loop that is bounded by 64 shifts of
//! a `u64`, never by recursion.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Domain-separation prefix of a leaf hash (RFC 9162 §2.1.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an inner node hash (RFC 9162 §2.1.1).
const NODE_PREFIX: u8 = 0x01;

/// The hash of one leaf: `SHA-256(0x00 ‖ data)`.
///
/// The prefix keeps a leaf's hash from ever equalling an inner node's hash.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an inner node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_PREFIX]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the tree with no leaves: the SHA-256 of the empty string (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A hash as 64 lowercase hex digits, the form roots and proofs take in text.
pub fn to_hex(hash: &Hash) -> String {
    crate::hash::hex(hash)
}

/// Parses exactly 64 hex digits, either case, into a hash; `None` for anything else
/// (other lengths, a `0x` or `sha256:` prefix, whitespace), so a truncated or padded
/// root is refused rather than guessed at.
pub fn from_hex(text: &str) -> Option<Hash> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (out, pair) in hash.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (hex_digit(pair[0])?, hex_digit(pair[1])?);
        *out = (high << 4) | low;
    }
    Some(hash)
}

/// The value of one ASCII hex digit.
fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Where perfect-subtree nodes are read from. A node that should exist but is missing is the store's error.
///
/// Node `(level, index)` is the root of the perfect subtree over leaves
/// `[index·2^level, (index+1)·2^level)`; level 0 is the leaf hashes. The functions of
/// this module only ask for nodes whose leaves are all below the size they were given,
/// so a missing one means the store is damaged or behind, never a caller's mistake.
pub trait NodeStore {
    /// Why a node could not be read (missing, or the storage failed).
    type Error;
    /// The stored hash of node `(level, index)`.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The right edge of a tree: the roots of the perfect subtrees of a tree of `size` leaves, largest (leftmost) first.
///
/// A tree of `n` leaves is exactly one perfect subtree per set bit of `n`, so this is
/// all an appender needs: the next leaf only ever combines with the smallest of them.
/// Keeping it avoids reading the store on every append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontier {
    /// How many leaves the tree has.
    size: u64,
    /// One root per set bit of `size`, highest bit (leftmost subtree) first.
    roots: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Frontier {
        Frontier {
            size: 0,
            roots: Vec::new(),
        }
    }

    /// The frontier of the stored tree's first `size` leaves: reads `popcount(size)`
    /// nodes, one per perfect subtree, so opening a ledger does not replay it.
    pub fn load<S: NodeStore>(store: &S, size: u64) -> Result<Frontier, S::Error> {
        let mut roots = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..u64::BITS).rev() {
            let width = 1u64 << level;
            if size & width != 0 {
                roots.push(store.node(level, start >> level)?);
                start += width;
            }
        }
        Ok(Frontier { size, roots })
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns the nodes this completes, to be stored: the leaf itself as (0, index, hash) first, then each parent it completes, lowest level first.
    ///
    /// The new leaf merges with the smallest subtree as long as the two are the same
    /// size, exactly like carrying in binary addition: one merge per trailing one bit
    /// of the old size, so at most 64 nodes.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let index = self.size;
        let mut completed = Vec::with_capacity(index.trailing_ones() as usize + 1);
        completed.push((0, index, leaf));
        let mut hash = leaf;
        let mut level = 0u32;
        while level < u64::BITS && (index >> level) & 1 == 1 {
            // A set bit at `level` is a perfect subtree of that height, and it is the
            // last entry because lower bits were merged away in earlier rounds.
            let Some(left) = self.roots.pop() else { break };
            hash = node_hash(&left, &hash);
            level += 1;
            completed.push((level, index >> level, hash));
        }
        self.roots.push(hash);
        // A ledger cannot reach 2^64 records; wrapping keeps this panic-free anyway.
        self.size = index.wrapping_add(1);
        completed
    }

    /// MTH of the whole tree (`empty_root()` for size 0).
    ///
    /// RFC 9162 splits a tree at the largest power of two below its size, which is
    /// exactly the leftmost perfect subtree; so the root is the perfect roots folded
    /// together from the right.
    pub fn root(&self) -> Hash {
        let mut roots = self.roots.iter().rev();
        let Some(&last) = roots.next() else {
            return empty_root();
        };
        roots.fold(last, |right, left| node_hash(left, &right))
    }
}

/// The largest power of two strictly smaller than `n` (`n >= 2`): where RFC 9162 splits a tree.
fn split_point(n: u64) -> u64 {
    1u64 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// The hash of the `2^level` leaves from `start`. When `start` is a multiple of the
/// width this is one stored node; otherwise (only for ranges that RFC recursion from
/// leaf 0 never produces) it is computed from its two halves, down to the leaves.
fn perfect_root<S: NodeStore>(store: &S, start: u64, level: u32) -> Result<Hash, S::Error> {
    if level == 0 || start.trailing_zeros() >= level {
        return store.node(level, start >> level);
    }
    let half = 1u64 << (level - 1);
    let left = perfect_root(store, start, level - 1)?;
    let right = perfect_root(store, start + half, level - 1)?;
    Ok(node_hash(&left, &right))
}

/// MTH of leaves [start, end) (start < end) from stored perfect nodes, per RFC 9162's recursive definition (split at the largest power of two smaller than the length).
///
/// Every range that the RFC's recursion reaches from a whole tree `[0, n)` starts at
/// a multiple of its split point, so it is at most 64 stored nodes hashed together
/// from the right. Other ranges are still hashed correctly, but may read down to
/// their leaves. An empty or inverted range is the empty list, whose hash is
/// [`empty_root`].
pub fn subtree_root<S: NodeStore>(store: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    if start >= end {
        return Ok(empty_root());
    }
    // Walk the right spine of the recursion: each step peels off the left half, a
    // perfect subtree, until what is left is itself a power of two.
    let mut lefts = Vec::new();
    let mut start = start;
    while !(end - start).is_power_of_two() {
        let k = split_point(end - start);
        lefts.push(perfect_root(store, start, k.trailing_zeros())?);
        start += k;
    }
    let mut hash = perfect_root(store, start, (end - start).trailing_zeros())?;
    for left in lefts.iter().rev() {
        hash = node_hash(left, &hash);
    }
    Ok(hash)
}

/// The root of the stored tree as it was at `size` leaves (`empty_root()` for 0): what
/// a checkpoint of that size signed, without rebuilding anything.
pub fn root_at<S: NodeStore>(store: &S, size: u64) -> Result<Hash, S::Error> {
    subtree_root(store, 0, size)
}

/// RFC 9162 §2.1.3.1 `PATH(m, D[n])` for leaf `index` in a tree of `size` leaves (index < size; caller checks).
///
/// The path lists the sibling of every subtree on the way from the leaf to the root,
/// lowest first. The recursion is walked top-down in a loop and the result reversed.
/// With `index >= size` there is no path; this returns an empty one, which
/// [`verify_inclusion`] rejects for such an index.
pub fn inclusion_proof<S: NodeStore>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, S::Error> {
    if index >= size {
        return Ok(Vec::new());
    }
    let mut path = Vec::new();
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let mid = start + split_point(end - start);
        if index < mid {
            path.push(subtree_root(store, mid, end)?);
            end = mid;
        } else {
            path.push(subtree_root(store, start, mid)?);
            start = mid;
        }
    }
    path.reverse();
    Ok(path)
}

/// RFC 9162 §2.1.4.1 `PROOF(m, D[n])` between sizes old <= new (empty when old == new or old == 0; caller checks old <= new).
///
/// The proof holds just enough subtree roots to recompute both the old root and the
/// new one, which shows the old tree is a prefix of the new. The RFC's SUBPROOF
/// recursion is walked top-down in a loop: the siblings met on the way come out in
/// reverse, after the one node where the walk stops (if the RFC includes it).
pub fn consistency_proof<S: NodeStore>(
    store: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, S::Error> {
    if old == 0 || old >= new {
        return Ok(Vec::new());
    }
    let mut siblings = Vec::new();
    let (mut start, mut end) = (0u64, new);
    // `m` is how many leaves of the old tree fall in [start, end); `whole` is the
    // RFC's flag `b`: true while [start, end) still begins at leaf 0, where the
    // verifier already knows the old root and needs no node for it.
    let mut m = old;
    let mut whole = true;
    let mut proof = loop {
        if m == end - start {
            break if whole {
                Vec::new()
            } else {
                vec![subtree_root(store, start, end)?]
            };
        }
        let k = split_point(end - start);
        let mid = start + k;
        if m <= k {
            siblings.push(subtree_root(store, mid, end)?);
            end = mid;
        } else {
            siblings.push(subtree_root(store, start, mid)?);
            start = mid;
            m -= k;
            whole = false;
        }
    };
    proof.extend(siblings.into_iter().rev());
    Ok(proof)
}

/// Why a proof did not verify, worded so the reader knows which input to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree (this includes every index of an empty tree).
    #[error("leaf index {index} is out of range for a tree of {size} leaves")]
    IndexOutOfRange {
        /// The index that was asked about.
        index: u64,
        /// The tree size it was checked against.
        size: u64,
    },
    /// A consistency proof was asked for from a larger tree to a smaller one.
    #[error(
        "old tree size {old} is larger than new tree size {new}; a log only grows, so check the order of the two checkpoints"
    )]
    OldSizeLarger {
        /// The size claimed for the old tree.
        old: u64,
        /// The size claimed for the new tree.
        new: u64,
    },
    /// The proof has a different number of hashes than these sizes require: it was
    /// made for other sizes, or was truncated or padded.
    #[error(
        "proof has {actual} hashes but these tree sizes need exactly {expected}; was it made for other sizes?"
    )]
    WrongProofLength {
        /// How many hashes the sizes require.
        expected: usize,
        /// How many the proof has.
        actual: usize,
    },
    /// Hashing the proof gave a different root than the one claimed for a tree size:
    /// the leaf, the proof or the root is not what it should be.
    #[error(
        "proof gives root {} for the tree of {size} leaves, but the expected root is {}",
        to_hex(.computed),
        to_hex(.expected)
    )]
    RootMismatch {
        /// The size of the tree whose root did not match.
        size: u64,
        /// The root the proof leads to.
        computed: Hash,
        /// The root the caller expected.
        expected: Hash,
    },
}

/// The RFC 9162 §2.1.3.2 walk as a pure function of the two sizes: how many proof
/// hashes it consumes. Knowing this up front lets verification refuse a proof of the
/// wrong length before hashing it. Needs `index < size`.
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (mut f, mut s) = (index, size - 1);
    let mut len = 0;
    while s != 0 {
        if f & 1 == 0 && f == s {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
        len += 1;
    }
    len
}

/// RFC 9162 §2.1.3.2 verification.
///
/// Shows that `leaf` (a [`leaf_hash`]) is leaf number `index` of the tree of `size`
/// leaves whose root is `root`. The walk is bounded by the bits of `size`, whatever
/// the proof holds, and a proof of any other length is refused before hashing.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut hash = *leaf;
    for sibling in proof {
        if s == 0 {
            // Unreachable after the length check; kept as the RFC's own guard.
            return Err(ProofError::WrongProofLength {
                expected,
                actual: proof.len(),
            });
        }
        if f & 1 == 1 || f == s {
            hash = node_hash(sibling, &hash);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        f >>= 1;
        s >>= 1;
    }
    if hash != *root {
        return Err(ProofError::RootMismatch {
            size,
            computed: hash,
            expected: *root,
        });
    }
    Ok(())
}

/// How many hashes RFC 9162 §2.1.4.2 consumes for sizes `0 < old < new`: one for
/// the old tree's own node unless the old size is a power of two (then the verifier
/// starts from the old root it was given), plus one per step of the walk.
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let mut len = usize::from(!old.is_power_of_two());
    while s != 0 {
        if f & 1 == 0 && f == s {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
        len += 1;
    }
    len
}

/// RFC 9162 §2.1.4.2 verification.
///
/// Shows that the tree of `old_size` leaves with root `old_root` is a prefix of the
/// tree of `new_size` leaves with root `new_root`: nothing was changed or removed,
/// only appended. Two cases the RFC leaves out are answered here the way
/// [`consistency_proof`] builds them, with an empty proof: equal sizes are consistent
/// when the roots are equal, and the empty tree is a prefix of every tree (its root
/// must be [`empty_root`]; nothing is learned about `new_root` then).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeLarger {
            old: old_size,
            new: new_size,
        });
    }
    let expected = if old_size == 0 || old_size == new_size {
        0
    } else {
        consistency_proof_len(old_size, new_size)
    };
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    if old_size == 0 {
        let empty = empty_root();
        return check_root(0, &empty, old_root);
    }
    if old_size == new_size {
        return check_root(new_size, old_root, new_root);
    }

    // With a power-of-two old size the old root is itself a node of the new tree and
    // the RFC prepends it to the path; chaining it in front avoids copying the proof.
    let seed: Option<&Hash> = old_size.is_power_of_two().then_some(old_root);
    let mut path = seed.into_iter().chain(proof);
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let Some(&first) = path.next() else {
        // Unreachable: the length check guarantees at least one hash here.
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    };
    let (mut old_hash, mut new_hash) = (first, first);
    for node in path {
        if s == 0 {
            // Unreachable after the length check; kept as the RFC's own guard.
            return Err(ProofError::WrongProofLength {
                expected,
                actual: proof.len(),
            });
        }
        if f & 1 == 1 || f == s {
            old_hash = node_hash(node, &old_hash);
            new_hash = node_hash(node, &new_hash);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            new_hash = node_hash(&new_hash, node);
        }
        f >>= 1;
        s >>= 1;
    }
    check_root(old_size, &old_hash, old_root)?;
    check_root(new_size, &new_hash, new_root)
}

/// `RootMismatch` unless `computed == expected`.
fn check_root(size: u64, computed: &Hash, expected: &Hash) -> Result<(), ProofError> {
    if computed == expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch {
            size,
            computed: *computed,
            expected: *expected,
        })
    }
}

/// A node the store does not have: the tree is damaged, or a caller asked about a
/// size beyond what was appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Merkle node at level {level}, index {index} is missing from the store")]
pub struct MissingNode {
    /// The node's level (0 = leaf).
    pub level: u32,
    /// The node's index within its level.
    pub index: u64,
}

/// A NodeStore in memory (tests, benches, and building a tree from a bundle): a HashMap plus `insert`.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    /// Every stored node by `(level, index)`.
    nodes: HashMap<(u32, u64), Hash>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores node `(level, index)`, replacing any earlier value.
    pub fn insert(&mut self, level: u32, index: u64, hash: Hash) {
        self.nodes.insert((level, index), hash);
    }

    /// Pushes `leaf` onto `frontier` and stores every node that completes, so the
    /// store and the frontier stay in step.
    pub fn push_all(&mut self, frontier: &mut Frontier, leaf: Hash) {
        for (level, index, hash) in frontier.push(leaf) {
            self.insert(level, index, hash);
        }
    }
}

impl NodeStore for MemoryStore {
    type Error = MissingNode;

    fn node(&self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        self.nodes
            .get(&(level, index))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests;
