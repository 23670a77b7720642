//! Checking the stored Merkle tree against the records' content.
//!
//! `verify` hands over the leaf hash of every record's stored body, in `seq` order.
//! The tree is rebuilt from them level by level and every stored perfect-subtree
//! node is compared with the rebuilt one, streaming each level of `merkle_nodes` in
//! index order. A stored node that differs, one that is missing, and one beyond the
//! records (a tail deleted from `records` but not from the tree) are all named.
//! The root recomputed here from content, never the stored nodes, is what
//! checkpoints are compared with.

use rusqlite::Connection;

use crate::merkle::{self, Hash};

/// What is wrong with the stored tree, in `(level, index)` order of discovery.
#[derive(Debug, Default)]
pub(crate) struct TreeCheck {
    /// The root of the tree rebuilt from the records.
    pub(crate) root: Hash,
    /// The roots of the first `n` records for each size asked for that the records
    /// reach, in the order asked.
    pub(crate) roots_at: Vec<(u64, Hash)>,
    /// The problems: the first record (seq) concerned, if any, and a message.
    pub(crate) problems: Vec<(Option<u64>, String)>,
}

/// At most this many node problems are listed per level; one bad record breaks a
/// node at every level above it, which says nothing more.
const PROBLEMS_PER_LEVEL: usize = 3;

/// Rebuilds the tree over `leaves` and compares it with `merkle_nodes`; also gives
/// the roots of the prefixes of `sizes` (ascending), for checkpoints.
pub(crate) fn check(
    conn: &Connection,
    leaves: Vec<Hash>,
    sizes: &[u64],
) -> rusqlite::Result<TreeCheck> {
    let mut frontier = merkle::Frontier::empty();
    let mut roots_at = Vec::new();
    let mut wanted = sizes.iter().copied().peekable();
    while wanted.next_if_eq(&0).is_some() {
        roots_at.push((0, merkle::empty_root()));
    }
    for leaf in &leaves {
        frontier.push(*leaf);
        while wanted.next_if_eq(&frontier.size()).is_some() {
            roots_at.push((frontier.size(), frontier.root()));
        }
    }
    let mut result = TreeCheck {
        root: frontier.root(),
        roots_at,
        problems: Vec::new(),
    };
    let mut statement =
        conn.prepare("SELECT idx, hash FROM merkle_nodes WHERE level = ?1 ORDER BY idx")?;
    let mut level_nodes = leaves;
    let mut level: u32 = 0;
    loop {
        let mut found = Vec::new();
        let mut note = |problem| {
            if found.len() < PROBLEMS_PER_LEVEL {
                found.push(problem);
            }
        };
        let mut expected = level_nodes.iter().enumerate();
        let mut next_expected = expected.next();
        let mut rows = statement.query([level])?;
        while let Some(row) = rows.next()? {
            let index: u64 = row.get(0)?;
            let stored: Vec<u8> = row.get(1)?;
            // Nodes the records say should exist but the table skips.
            while let Some((want, _)) = next_expected
                && (want as u64) < index
            {
                note(describe(level, want as u64, Fault::Missing));
                next_expected = expected.next();
            }
            match next_expected {
                Some((want, hash)) if want as u64 == index => {
                    if stored.as_slice() != hash.as_slice() {
                        note(describe(level, index, Fault::Differs));
                    }
                    next_expected = expected.next();
                }
                _ => note((
                    None,
                    format!(
                        "the tree holds a node (level {level}, index {index}) beyond the \
                         records: records were deleted from the end?"
                    ),
                )),
            }
        }
        while let Some((want, _)) = next_expected {
            note(describe(level, want as u64, Fault::Missing));
            next_expected = expected.next();
        }
        if !found.is_empty() {
            // The lowest damaged level names the records; every level above it is
            // damaged over the same records, which says nothing more.
            result.problems.extend(found);
            break;
        }
        if level_nodes.len() < 2 {
            // Stored nodes above the top of the rebuilt tree are extra too.
            let extra: u64 = conn.query_row(
                "SELECT count(*) FROM merkle_nodes WHERE level > ?1",
                [level],
                |row| row.get(0),
            )?;
            if extra > 0 {
                result.problems.push((
                    None,
                    format!(
                        "the tree holds {extra} node(s) above its top: records were deleted \
                         from the end?"
                    ),
                ));
            }
            break;
        }
        level_nodes = level_nodes
            .chunks_exact(2)
            .map(|pair| merkle::node_hash(&pair[0], &pair[1]))
            .collect();
        level += 1;
    }
    Ok(result)
}

/// What is wrong with one stored node.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Missing,
    Differs,
}

/// A problem with node `(level, index)`, named by the records it covers.
fn describe(level: u32, index: u64, fault: Fault) -> (Option<u64>, String) {
    let width = 1u64 << level.min(63);
    let first = index.saturating_mul(width).saturating_add(1);
    let message = match (level, fault) {
        (0, Fault::Missing) => format!("record {first}: its leaf is missing from the Merkle tree"),
        (0, Fault::Differs) => {
            format!("record {first}: its leaf in the Merkle tree is not the hash of its body")
        }
        (_, fault) => {
            let last = first.saturating_add(width - 1);
            let what = match fault {
                Fault::Missing => "is missing",
                Fault::Differs => "does not match their content",
            };
            format!("records {first} to {last}: the Merkle tree node over them {what}")
        }
    };
    (Some(first), message)
}
