//! Tests of the Merkle tree: published vectors, ct-merkle as an independent oracle,
//! a naive transcription of the RFC's recursive definitions, and property tests that
//! tamper with proofs.

use super::*;
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use proptest::prelude::*;
use sha2::Sha256;

type CtTree = MemoryBackedTree<Sha256, Vec<u8>>;

/// The Certificate Transparency test leaves (also in transparency-dev/merkle's
/// reference tests).
fn ct_leaves() -> Vec<Vec<u8>> {
    vec![
        vec![],
        vec![0x00],
        vec![0x10],
        vec![0x20, 0x21],
        vec![0x30, 0x31],
        vec![0x40, 0x41, 0x42, 0x43],
        (0x50..=0x57).collect(),
        (0x60..=0x6f).collect(),
    ]
}

/// The roots of the first 1..=8 CT test leaves. All eight agree with ct-merkle and
/// with the naive recursive definition below; none needed correcting.
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const EMPTY_ROOT: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hex(text: &str) -> Hash {
    from_hex(text).unwrap()
}

/// A store and frontier holding exactly `leaves`.
fn build(leaves: &[Vec<u8>]) -> (MemoryStore, Frontier) {
    let mut store = MemoryStore::new();
    let mut frontier = Frontier::empty();
    for leaf in leaves {
        store.push_all(&mut frontier, leaf_hash(leaf));
    }
    (store, frontier)
}

/// `n` distinct leaves (distinct so that a proof for one leaf or position can never
/// verify for another by accident of equal hashes).
fn distinct_leaves(n: u64) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
}

/// RFC 9162 MTH, transcribed literally and recursively (the reference, not the code
/// under test).
fn ref_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = ref_split(n);
            node_hash(&ref_mth(&leaves[..k]), &ref_mth(&leaves[k..]))
        }
    }
}

/// Largest power of two strictly below `n`, written differently from the module's.
fn ref_split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 PATH(m, D[n]) as `(hash, sibling is on the left)`, literally.
fn ref_path(m: usize, leaves: &[Hash]) -> Vec<(Hash, bool)> {
    let n = leaves.len();
    if n == 1 {
        return Vec::new();
    }
    let k = ref_split(n);
    if m < k {
        let mut path = ref_path(m, &leaves[..k]);
        path.push((ref_mth(&leaves[k..]), false));
        path
    } else {
        let mut path = ref_path(m - k, &leaves[k..]);
        path.push((ref_mth(&leaves[..k]), true));
        path
    }
}

/// Only the left/right pattern of PATH(m, D[n]): the thing the verifier derives
/// from the index and size.
fn ref_shape(m: u64, n: u64) -> Vec<bool> {
    if n == 1 {
        return Vec::new();
    }
    let k = ref_split(usize::try_from(n).unwrap()) as u64;
    let (mut shape, left) = if m < k {
        (ref_shape(m, k), false)
    } else {
        (ref_shape(m - k, n - k), true)
    };
    shape.push(left);
    shape
}

/// RFC 9162 PROOF(m, D[n]) via SUBPROOF, literally.
fn ref_consistency(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole {
                Vec::new()
            } else {
                vec![ref_mth(leaves)]
            };
        }
        let k = ref_split(n);
        if m <= k {
            let mut proof = subproof(m, &leaves[..k], whole);
            proof.push(ref_mth(&leaves[k..]));
            proof
        } else {
            let mut proof = subproof(m - k, &leaves[k..], false);
            proof.push(ref_mth(&leaves[..k]));
            proof
        }
    }
    if m == 0 || m >= leaves.len() {
        return Vec::new();
    }
    subproof(m, leaves, true)
}

fn ct_root(tree: &CtTree) -> Hash {
    tree.root().as_bytes().as_slice().try_into().unwrap()
}

fn ct_root_hash(hash: &Hash, size: u64) -> RootHash<Sha256> {
    RootHash::new(ct_merkle::array::Array::from(*hash), size)
}

fn flatten(proof: &[Hash]) -> Vec<u8> {
    proof.concat()
}

#[test]
fn hashes_are_domain_separated_sha256() {
    assert_eq!(to_hex(&empty_root()), EMPTY_ROOT);
    // SHA-256 of the single byte 0x00 (the empty leaf) is a published CT value.
    assert_eq!(to_hex(&leaf_hash(b"")), CT_ROOTS[0]);
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let mut joined = vec![0x01];
    joined.extend_from_slice(&a);
    joined.extend_from_slice(&b);
    let expected: Hash = Sha256::digest(&joined).into();
    assert_eq!(node_hash(&a, &b), expected);
    assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
}

#[test]
fn known_roots_match_ct_vectors_and_ct_merkle() {
    let leaves = ct_leaves();
    let (store, _) = build(&leaves);
    let mut frontier = Frontier::empty();
    let mut ct = CtTree::new();
    assert_eq!(to_hex(&frontier.root()), EMPTY_ROOT);
    assert_eq!(to_hex(&root_at(&store, 0).unwrap()), EMPTY_ROOT);
    for (n, leaf) in leaves.iter().enumerate() {
        frontier.push(leaf_hash(leaf));
        ct.push(leaf.clone());
        let size = n as u64 + 1;
        let expected = hex(CT_ROOTS[n]);
        assert_eq!(frontier.root(), expected, "frontier root at size {size}");
        assert_eq!(root_at(&store, size).unwrap(), expected, "root_at {size}");
        assert_eq!(ct_root(&ct), expected, "ct-merkle root at size {size}");
        let hashes: Vec<Hash> = leaves[..=n].iter().map(|l| leaf_hash(l)).collect();
        assert_eq!(ref_mth(&hashes), expected, "reference root at size {size}");
    }
}

#[test]
fn known_proofs_match_published_vectors() {
    // From transparency-dev/merkle's reference tests over the same eight leaves.
    let (store, _) = build(&ct_leaves());
    let inclusion: [(u64, u64, &[&str]); 3] = [
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (0, 1, &[]),
    ];
    for (index, size, expected) in inclusion {
        let expected: Vec<Hash> = expected.iter().map(|h| hex(h)).collect();
        assert_eq!(inclusion_proof(&store, index, size).unwrap(), expected);
    }
    let consistency: [(u64, u64, &[&str]); 3] = [
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (1, 1, &[]),
    ];
    for (old, new, expected) in consistency {
        let expected: Vec<Hash> = expected.iter().map(|h| hex(h)).collect();
        let proof = consistency_proof(&store, old, new).unwrap();
        assert_eq!(proof, expected);
        let old_root = hex(CT_ROOTS[old as usize - 1]);
        let new_root = hex(CT_ROOTS[new as usize - 1]);
        verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();
    }
}

/// Every size 1..=70, every index and every old size, against ct-merkle, using one
/// store grown to 70 leaves: proofs for a past size must only use that size's nodes.
#[test]
fn oracle_ct_merkle_every_size_up_to_70() {
    const MAX: u64 = 70;
    let leaves = distinct_leaves(MAX);
    let (store, full) = build(&leaves);
    assert_eq!(full.size(), MAX);
    let mut ct = CtTree::new();
    let mut ct_roots = vec![empty_root()];
    for (n, leaf) in leaves.iter().enumerate() {
        ct.push(leaf.clone());
        let size = n as u64 + 1;
        let root = ct_root(&ct);
        ct_roots.push(root);
        assert_eq!(root_at(&store, size).unwrap(), root, "root at {size}");
        assert_eq!(subtree_root(&store, 0, size).unwrap(), root);
        let ct_rh = ct_root_hash(&root, size);

        for index in 0..size {
            let ours = inclusion_proof(&store, index, size).unwrap();
            let theirs = ct.prove_inclusion(index as usize);
            assert_eq!(flatten(&ours), theirs.as_bytes(), "PATH({index}, {size})");
            verify_inclusion(
                &leaf_hash(&leaves[index as usize]),
                index,
                size,
                &ours,
                &root,
            )
            .unwrap();
            let ours_for_ct = InclusionProof::<Sha256>::from_bytes(flatten(&ours));
            ct_rh
                .verify_inclusion(&leaves[index as usize], index, &ours_for_ct)
                .unwrap();
        }

        for old in 1..=size {
            let ours = consistency_proof(&store, old, size).unwrap();
            let theirs = ct.prove_consistency((size - old) as usize);
            assert_eq!(flatten(&ours), theirs.as_bytes(), "PROOF({old}, {size})");
            let old_root = ct_roots[old as usize];
            verify_consistency(old, size, &old_root, &root, &ours).unwrap();
            let theirs_for_us: Vec<Hash> = theirs
                .as_bytes()
                .chunks_exact(32)
                .map(|c| c.try_into().unwrap())
                .collect();
            verify_consistency(old, size, &old_root, &root, &theirs_for_us).unwrap();
            let ours_for_ct = ConsistencyProof::<Sha256>::try_from_bytes(flatten(&ours)).unwrap();
            ct_rh
                .verify_consistency(&ct_root_hash(&old_root, old), &ours_for_ct)
                .unwrap();
        }
        assert!(consistency_proof(&store, 0, size).unwrap().is_empty());
    }
    for size in 0..=MAX {
        let past = Frontier::load(&store, size).unwrap();
        let (_, rebuilt) = build(&leaves[..size as usize]);
        assert_eq!(past, rebuilt, "frontier at {size}");
        assert_eq!(past.root(), ct_roots[size as usize]);
    }
}

/// Against the literal RFC recursion, including ranges that do not start on a
/// subtree boundary (which need leaf reads).
#[test]
fn subtree_root_equals_fresh_tree_for_every_range() {
    const MAX: u64 = 45;
    let leaves = distinct_leaves(MAX);
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let (store, _) = build(&leaves);
    for start in 0..MAX {
        assert_eq!(subtree_root(&store, start, start).unwrap(), empty_root());
        for end in start + 1..=MAX {
            let expected = ref_mth(&hashes[start as usize..end as usize]);
            let (fresh, frontier) = build(&leaves[start as usize..end as usize]);
            assert_eq!(frontier.root(), expected);
            assert_eq!(root_at(&fresh, end - start).unwrap(), expected);
            assert_eq!(
                subtree_root(&store, start, end).unwrap(),
                expected,
                "[{start}, {end})"
            );
        }
    }
    assert_eq!(subtree_root(&store, 9, 3).unwrap(), empty_root());
}

#[test]
fn push_reports_completed_nodes_lowest_first() {
    let leaves = distinct_leaves(8);
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let mut frontier = Frontier::empty();
    for hash in &hashes[..7] {
        frontier.push(*hash);
    }
    let completed = frontier.push(hashes[7]);
    let positions: Vec<(u32, u64)> = completed.iter().map(|&(l, i, _)| (l, i)).collect();
    assert_eq!(positions, [(0, 7), (1, 3), (2, 1), (3, 0)]);
    for (level, index, hash) in completed {
        let width = 1usize << level;
        let start = index as usize * width;
        assert_eq!(hash, ref_mth(&hashes[start..start + width]));
    }
    assert_eq!(frontier.size(), 8);
    // An even size completes only the leaf.
    let completed = frontier.push(leaf_hash(b"ninth"));
    assert_eq!(completed, [(0, 8, leaf_hash(b"ninth"))]);
    // Every node stored is a perfect subtree; a tree of n leaves has 2n - popcount(n).
    let (store, _) = build(&distinct_leaves(1000));
    assert_eq!(store.nodes.len(), 2 * 1000 - 1000u64.count_ones() as usize);
}

#[test]
fn missing_nodes_are_the_stores_error() {
    let (mut store, _) = build(&distinct_leaves(5));
    assert_eq!(
        Frontier::load(&MemoryStore::new(), 5),
        Err(MissingNode { level: 2, index: 0 })
    );
    store.nodes.remove(&(1, 1));
    let missing = Some(MissingNode { level: 1, index: 1 });
    assert_eq!(subtree_root(&store, 2, 4).err(), missing);
    assert_eq!(root_at(&store, 4).unwrap(), store.nodes[&(2, 0)]);
    assert_eq!(inclusion_proof(&store, 0, 4).err(), missing);
    assert_eq!(consistency_proof(&store, 1, 4).err(), missing);
    // Sizes whose proofs do not touch that node still work.
    assert_eq!(inclusion_proof(&store, 0, 3).unwrap().len(), 2);
    assert_eq!(
        root_at(&store, 6),
        Err(MissingNode { level: 1, index: 2 }),
        "a size beyond the store"
    );
    assert_eq!(
        MissingNode { level: 1, index: 1 }.to_string(),
        "Merkle node at level 1, index 1 is missing from the store"
    );
}

#[test]
fn hex_round_trips_and_refuses_anything_but_64_digits() {
    let hash = leaf_hash(b"x");
    let text = to_hex(&hash);
    assert_eq!(text.len(), 64);
    assert_eq!(text, text.to_lowercase());
    assert_eq!(from_hex(&text), Some(hash));
    assert_eq!(from_hex(&text.to_uppercase()), Some(hash));
    assert_eq!(from_hex(&text[..62]), None);
    assert_eq!(from_hex(&format!("{text}0")), None);
    assert_eq!(from_hex(&format!("0x{}", &text[2..])), None);
    assert_eq!(from_hex(&format!(" {}", &text[1..])), None);
    assert_eq!(from_hex(&format!("{}g", &text[..63])), None);
    // 62 digits and a two-byte character: 64 bytes, still refused.
    assert_eq!(from_hex(&format!("{}é", &text[..62])), None);
    assert_eq!(from_hex(""), None);
    assert_eq!(to_hex(&[0xab; 32]), "ab".repeat(32));
}

#[test]
fn verify_inclusion_rejects_bad_requests_with_actionable_errors() {
    let leaves = distinct_leaves(5);
    let (store, frontier) = build(&leaves);
    let root = frontier.root();
    let leaf = leaf_hash(&leaves[1]);
    let proof = inclusion_proof(&store, 1, 5).unwrap();
    assert_eq!(
        verify_inclusion(&leaf, 0, 0, &[], &empty_root()),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        verify_inclusion(&leaf, 5, 5, &proof, &root),
        Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        verify_inclusion(&leaf, 1, 5, &proof[..2], &root),
        Err(ProofError::WrongProofLength {
            expected: 3,
            actual: 2
        })
    );
    let wrong = leaf_hash(b"not a leaf");
    let err = verify_inclusion(&wrong, 1, 5, &proof, &root).unwrap_err();
    let ProofError::RootMismatch {
        size,
        computed,
        expected,
    } = err.clone()
    else {
        panic!("expected a root mismatch, got {err:?}");
    };
    assert_eq!((size, expected), (5, root));
    assert_ne!(computed, root);
    let message = err.to_string();
    assert!(message.contains(&to_hex(&root)), "{message}");
    assert!(message.contains(&to_hex(&computed)), "{message}");
    // The builder gives no proof for an index outside the tree.
    assert!(inclusion_proof(&store, 5, 5).unwrap().is_empty());
    assert!(inclusion_proof(&store, 0, 0).unwrap().is_empty());
}

#[test]
fn verify_consistency_edge_sizes() {
    let leaves = distinct_leaves(9);
    let (store, _) = build(&leaves);
    let roots: Vec<Hash> = (0..=9).map(|n| root_at(&store, n).unwrap()).collect();
    // old > new.
    assert_eq!(
        verify_consistency(5, 4, &roots[5], &roots[4], &[]),
        Err(ProofError::OldSizeLarger { old: 5, new: 4 })
    );
    assert!(consistency_proof(&store, 5, 4).unwrap().is_empty());
    // old == new: empty proof, equal roots.
    for n in 0..=9 {
        assert!(consistency_proof(&store, n, n).unwrap().is_empty());
        verify_consistency(n, n, &roots[n as usize], &roots[n as usize], &[]).unwrap();
    }
    assert!(matches!(
        verify_consistency(4, 4, &roots[4], &roots[5], &[]),
        Err(ProofError::RootMismatch { size: 4, .. })
    ));
    assert_eq!(
        verify_consistency(4, 4, &roots[4], &roots[4], &[roots[1]]),
        Err(ProofError::WrongProofLength {
            expected: 0,
            actual: 1
        })
    );
    // old == 0: the empty tree is a prefix of anything, but its root must be the
    // empty root and the proof empty.
    verify_consistency(0, 9, &empty_root(), &roots[9], &[]).unwrap();
    verify_consistency(0, 0, &empty_root(), &empty_root(), &[]).unwrap();
    assert!(matches!(
        verify_consistency(0, 9, &roots[1], &roots[9], &[]),
        Err(ProofError::RootMismatch { size: 0, .. })
    ));
    assert!(matches!(
        verify_consistency(0, 9, &empty_root(), &roots[9], &[roots[1]]),
        Err(ProofError::WrongProofLength { expected: 0, .. })
    ));
    // A wrong old root is reported against the old size, a wrong new root against
    // the new one.
    let proof = consistency_proof(&store, 3, 9).unwrap();
    verify_consistency(3, 9, &roots[3], &roots[9], &proof).unwrap();
    assert!(matches!(
        verify_consistency(3, 9, &roots[4], &roots[9], &proof),
        Err(ProofError::RootMismatch { size: 3, .. })
    ));
    assert!(matches!(
        verify_consistency(3, 9, &roots[3], &roots[8], &proof),
        Err(ProofError::RootMismatch { size: 9, .. })
    ));
    let message = verify_consistency(3, 9, &roots[3], &roots[9], &[])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("0 hashes") && message.contains("exactly"),
        "{message}"
    );
}

/// Sizes 1, 2^k and 2^k ± 1, the first and last index, and the consistency edges
/// (old 1, old n-1, old == n, old 0), against ct-merkle and the literal RFC.
#[test]
fn edge_sizes_against_ct_merkle_and_reference() {
    let max = (1u64 << 10) + 1;
    let leaves = distinct_leaves(max);
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let (store, _) = build(&leaves);
    let mut sizes = vec![1u64];
    for k in 1..=10 {
        let p = 1u64 << k;
        sizes.extend([p - 1, p, p + 1]);
    }
    sizes.sort_unstable();
    sizes.dedup();
    let mut ct = CtTree::new();
    let mut ct_size = 0u64;
    for &n in &sizes {
        while ct_size < n {
            ct.push(leaves[ct_size as usize].clone());
            ct_size += 1;
        }
        let root = root_at(&store, n).unwrap();
        assert_eq!(root, ct_root(&ct), "root {n}");
        assert_eq!(root, ref_mth(&hashes[..n as usize]), "root {n}");
        for index in [0, n / 2, n - 1] {
            let proof = inclusion_proof(&store, index, n).unwrap();
            assert_eq!(
                flatten(&proof),
                ct.prove_inclusion(index as usize).as_bytes()
            );
            let reference: Vec<Hash> = ref_path(index as usize, &hashes[..n as usize])
                .into_iter()
                .map(|(h, _)| h)
                .collect();
            assert_eq!(proof, reference, "PATH({index}, {n})");
            verify_inclusion(&hashes[index as usize], index, n, &proof, &root).unwrap();
        }
        for old in [1, n / 2, n - 1, n] {
            if old == 0 {
                continue;
            }
            let proof = consistency_proof(&store, old, n).unwrap();
            assert_eq!(
                flatten(&proof),
                ct.prove_consistency((n - old) as usize).as_bytes()
            );
            assert_eq!(
                proof,
                ref_consistency(old as usize, &hashes[..n as usize]),
                "PROOF({old}, {n})"
            );
            let old_root = root_at(&store, old).unwrap();
            verify_consistency(old, n, &old_root, &root, &proof).unwrap();
        }
        assert!(consistency_proof(&store, 0, n).unwrap().is_empty());
        verify_consistency(0, n, &empty_root(), &root, &[]).unwrap();
    }
}

/// Random distinct leaves: random bytes, made distinct by their position.
fn leaves_strategy(max: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..=max).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, mut bytes)| {
                bytes.extend_from_slice(&(i as u64).to_le_bytes());
                bytes
            })
            .collect()
    })
}

/// Every way this test tampers with a proof; each must make verification fail.
fn tampered(proof: &[Hash], pick: usize, bit: u8, extra: Hash) -> Vec<Vec<Hash>> {
    let mut out = Vec::new();
    if !proof.is_empty() {
        let at = pick % proof.len();
        let mut flipped = proof.to_vec();
        flipped[at][usize::from(bit / 8) % 32] ^= 1 << (bit % 8);
        out.push(flipped);
        let mut dropped = proof.to_vec();
        dropped.remove(at);
        out.push(dropped);
        let mut swapped = proof.to_vec();
        swapped.swap(at, (at + 1) % proof.len());
        if swapped != proof {
            out.push(swapped);
        }
    }
    let mut added = proof.to_vec();
    added.insert(pick % (proof.len() + 1), extra);
    out.push(added);
    let mut appended = proof.to_vec();
    appended.push(extra);
    out.push(appended);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn inclusion_proofs_verify_and_tampering_fails(
        leaves in leaves_strategy(2000),
        pick in any::<usize>(),
        other in any::<u64>(),
        bit in any::<u8>(),
        extra in any::<[u8; 32]>(),
    ) {
        let (store, frontier) = build(&leaves);
        let size = frontier.size();
        let root = frontier.root();
        let index = (pick as u64) % size;
        let leaf = leaf_hash(&leaves[index as usize]);
        let proof = inclusion_proof(&store, index, size).unwrap();
        prop_assert!(proof.len() <= 11);
        verify_inclusion(&leaf, index, size, &proof, &root).unwrap();

        for bad in tampered(&proof, pick, bit, extra) {
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
        }
        // Another leaf's hash, or this leaf at another position, fails.
        let wrong_leaf = leaf_hash(&leaves[((index + 1) % size) as usize]);
        if size > 1 {
            prop_assert!(verify_inclusion(&wrong_leaf, index, size, &proof, &root).is_err());
            let wrong_index = (index + 1 + other % (size - 1)) % size;
            prop_assert_ne!(wrong_index, index);
            prop_assert!(verify_inclusion(&leaf, wrong_index, size, &proof, &root).is_err());
        }
        // Another size: the RFC verifier only sees the size through the left/right
        // pattern it implies, so it must fail exactly when that pattern differs.
        let wrong_size = index + 1 + other % 2100;
        if wrong_size != size {
            let same_shape = ref_shape(index, wrong_size) == ref_shape(index, size);
            let result = verify_inclusion(&leaf, index, wrong_size, &proof, &root);
            prop_assert_eq!(result.is_ok(), same_shape, "size {} as {}", size, wrong_size);
        }
        prop_assert!(verify_inclusion(&leaf, index, index, &proof, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_tampering_fails(
        leaves in leaves_strategy(2000),
        a in any::<u64>(),
        b in any::<u64>(),
        pick in any::<usize>(),
        bit in any::<u8>(),
        extra in any::<[u8; 32]>(),
    ) {
        let (store, frontier) = build(&leaves);
        let top = frontier.size();
        let new = 1 + b % top;
        let old = a % (new + 1);
        let old_root = root_at(&store, old).unwrap();
        let new_root = root_at(&store, new).unwrap();
        prop_assert_eq!(new_root, Frontier::load(&store, new).unwrap().root());
        let proof = consistency_proof(&store, old, new).unwrap();
        verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();

        if old > 0 && old < new {
            // ct-merkle accepts our proof too.
            let ct_proof = ConsistencyProof::<Sha256>::try_from_bytes(flatten(&proof)).unwrap();
            ct_root_hash(&new_root, new)
                .verify_consistency(&ct_root_hash(&old_root, old), &ct_proof)
                .unwrap();
        }
        for bad in tampered(&proof, pick, bit, extra) {
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
        }
        // A root of another size in place of either root fails.
        let other_new = root_at(&store, if new == top { new - 1 } else { new + 1 }).unwrap();
        prop_assert!(verify_consistency(old, new, &old_root, &other_new, &proof).is_err() || old == 0);
        if old > 0 {
            let other_old = root_at(&store, old - 1).unwrap();
            prop_assert!(verify_consistency(old, new, &other_old, &new_root, &proof).is_err());
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());
        }
        if old < new {
            prop_assert_eq!(
                verify_consistency(new, old, &new_root, &old_root, &proof),
                Err(ProofError::OldSizeLarger { old: new, new: old })
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The stored tree at every past size: the frontier after n pushes is what
    /// `Frontier::load` rebuilds from the store, and every inclusion proof of the
    /// final tree verifies.
    #[test]
    fn every_size_loads_and_every_proof_verifies(leaves in leaves_strategy(2000)) {
        let mut store = MemoryStore::new();
        let mut frontier = Frontier::empty();
        let mut history = vec![frontier.clone()];
        for leaf in &leaves {
            store.push_all(&mut frontier, leaf_hash(leaf));
            history.push(frontier.clone());
        }
        for (n, expected) in history.iter().enumerate() {
            let n = n as u64;
            prop_assert_eq!(&Frontier::load(&store, n).unwrap(), expected);
            prop_assert_eq!(root_at(&store, n).unwrap(), expected.root());
        }
        let size = frontier.size();
        let root = frontier.root();
        for (index, leaf) in leaves.iter().enumerate() {
            let index = index as u64;
            let proof = inclusion_proof(&store, index, size).unwrap();
            prop_assert_eq!(
                verify_inclusion(&leaf_hash(leaf), index, size, &proof, &root),
                Ok(())
            );
        }
    }
}
