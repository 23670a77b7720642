//! Protected git branches: the branches force pushes, remote deletes and skipped
//! hooks must not touch. Policies name them as globs; analysis names the branch a
//! finding is about (see [`crate::Finding::subject`]).

use glob::{MatchOptions, Pattern};

use super::PolicyError;

/// The protected branches when no layer names any.
pub const DEFAULT_PROTECTED_BRANCHES: [&str; 4] = ["main", "master", "production", "release/*"];

/// Branch names may contain `/`; `release/*` covers `release/1.2` and `release/1/hotfix`.
const BRANCH_MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

/// The compiled set of protected branch globs.
#[derive(Debug, Clone)]
pub struct ProtectedBranches {
    globs: Vec<String>,
    patterns: Vec<Pattern>,
}

impl ProtectedBranches {
    /// Compiles the globs every layer named (or the defaults when none did).
    pub(crate) fn new(mut globs: Vec<String>, file: &str) -> Result<Self, PolicyError> {
        if globs.is_empty() {
            globs = DEFAULT_PROTECTED_BRANCHES.map(str::to_owned).to_vec();
        }
        globs.dedup();
        let patterns = globs
            .iter()
            .map(|glob| {
                Pattern::new(glob).map_err(|error| PolicyError::Invalid {
                    file: file.to_owned(),
                    line: 0,
                    rule: String::new(),
                    message: format!("bad glob `{glob}` in `protected_branches`: {error}"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ProtectedBranches { globs, patterns })
    }

    /// The globs, as written.
    pub fn globs(&self) -> &[String] {
        &self.globs
    }

    /// Whether a finding's branch is protected. A branch Ward cannot tell (`None`
    /// or `?`) and every branch at once (`*`, from `git push --all`) count as
    /// protected: the worst case is assumed, never the best.
    pub fn covers(&self, branch: Option<&str>) -> bool {
        match branch {
            None | Some("?" | "*" | "") => true,
            Some(branch) => {
                let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
                self.patterns
                    .iter()
                    .any(|pattern| pattern.matches_with(branch, BRANCH_MATCH))
            }
        }
    }
}
