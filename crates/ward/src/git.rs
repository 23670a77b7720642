//! The git branch checked out where a call runs, read straight from `HEAD`.
//!
//! Analysis needs it to tell whether `git push --force` (no branch named) pushes a
//! protected branch. Running `git` would cost milliseconds on every tool call; the
//! file read costs microseconds. Worktrees and submodules, whose `.git` is a file
//! pointing at the real git directory, are followed.

use std::path::{Path, PathBuf};

/// The branch analysis of `event` may need: only calls that can run shell commands
/// (`Bash`, and MCP tools, which may run one) can push or commit, so other events
/// skip the file reads.
pub(crate) fn branch_for(event: &ward_core::Event, cwd: &Path) -> Option<String> {
    let tool = event.tool.as_ref()?;
    let runs_shell =
        matches!(tool.name.as_str(), "Bash" | "PowerShell") || tool.name.starts_with("mcp__");
    runs_shell.then(|| checked_out_branch(cwd)).flatten()
}

/// The short name of the branch checked out in the repository holding `cwd`;
/// `None` outside a repository, on a detached `HEAD`, or when `HEAD` is unreadable
/// (analysis then treats the branch as unknown, which counts as protected).
pub(crate) fn checked_out_branch(cwd: &Path) -> Option<String> {
    let (worktree, dot_git) = cwd
        .ancestors()
        .map(|dir| (dir, dir.join(".git")))
        .find(|(_, dot_git)| dot_git.exists())?;
    let git_dir = if dot_git.is_file() {
        linked_git_dir(worktree, &dot_git)?
    } else {
        dot_git
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_owned)
}

/// The git directory a `.git` file (`gitdir: PATH`) points to.
fn linked_git_dir(worktree: &Path, dot_git: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dot_git).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    Some(worktree.join(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_are_read_from_head_worktrees_included() -> std::io::Result<()> {
        let root = tempfile::tempdir()?;
        let repo = root.path().join("repo");
        std::fs::create_dir_all(repo.join(".git"))?;
        std::fs::create_dir_all(repo.join("src/deep"))?;
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/release/1.2\n")?;
        assert_eq!(
            checked_out_branch(&repo.join("src/deep")).as_deref(),
            Some("release/1.2")
        );

        std::fs::write(
            repo.join(".git/HEAD"),
            "0123456789abcdef0123456789abcdef01234567\n",
        )?;
        assert_eq!(checked_out_branch(&repo), None, "detached HEAD");

        let worktree = root.path().join("wt");
        let linked = root.path().join("repo/.git/worktrees/wt");
        std::fs::create_dir_all(&worktree)?;
        std::fs::create_dir_all(&linked)?;
        std::fs::write(linked.join("HEAD"), "ref: refs/heads/feature\n")?;
        std::fs::write(
            worktree.join(".git"),
            format!("gitdir: {}\n", linked.display()),
        )?;
        assert_eq!(checked_out_branch(&worktree).as_deref(), Some("feature"));

        assert_eq!(checked_out_branch(Path::new("/")), None);
        Ok(())
    }
}
