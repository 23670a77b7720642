//! The action: what analysis found a call would do.

use serde::{Deserialize, Serialize};

use crate::Category;

/// How a call touches a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Reads it.
    Read,
    /// Creates or modifies it.
    Write,
    /// Deletes it.
    Delete,
    /// Changes its mode or owner.
    Chmod,
    /// Sends to or fetches from it over the network.
    Network,
    /// Runs it as a program or script.
    Execute,
}

impl TargetKind {
    /// The category a target of this kind puts the call in.
    pub fn category(self) -> Category {
        match self {
            TargetKind::Read | TargetKind::Execute => Category::FileRead,
            TargetKind::Write | TargetKind::Chmod => Category::FileWrite,
            TargetKind::Delete => Category::FileDelete,
            TargetKind::Network => Category::Network,
        }
    }

    /// The lowercase name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Read => "read",
            TargetKind::Write => "write",
            TargetKind::Delete => "delete",
            TargetKind::Chmod => "chmod",
            TargetKind::Network => "network",
            TargetKind::Execute => "execute",
        }
    }
}

/// A path or URL a call touches. Paths are absolute and normalised (`~` expanded,
/// `..` resolved lexically) so that globs test what the call really touches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    /// The absolute path, or the URL / host for network targets.
    pub path: String,
    /// How the call touches it.
    pub kind: TargetKind,
}

/// One simple command a shell line would run, after wrappers (`sudo`, `env`, ...)
/// are seen through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandInvocation {
    /// The program's base name (`rm` for `/bin/rm` or `\rm`).
    pub program: String,
    /// The arguments after the program, unquoted.
    pub args: Vec<String>,
    /// Option flags, normalised: short clusters split into letters (`-rf` gives `r`
    /// and `f`), long options without dashes and values (`--force` gives `force`).
    pub flags: Vec<String>,
    /// Wrappers seen through on the way to the program (`sudo`, `xargs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrappers: Vec<String>,
}

impl CommandInvocation {
    /// Whether any of the given flag names is set.
    pub fn has_flag(&self, names: &[&str]) -> bool {
        self.flags.iter().any(|f| names.contains(&f.as_str()))
    }

    /// Whether any of the given flag names is set (owned names, as policies hold them).
    pub fn has_flag_in(&self, names: &[String]) -> bool {
        self.flags.iter().any(|f| names.contains(f))
    }
}

/// Something analysis found inside a call that a rule may act on: a destructive SQL
/// statement, a secret written to a file, a force push. Rules select findings by
/// `kind` (`findings = ["db.*"]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// What was found, as a dotted kind: `db.drop-table`, `secret.aws-access-key`,
    /// `git.force-push`.
    pub kind: String,
    /// What it applies to, when there is one: the table, the branch (`main`; `*`
    /// for every branch, `?` when Ward cannot tell which), the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A short description for people (`DROP TABLE users`). Never a secret's value.
    pub detail: String,
}

/// What analysis found a call would do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Action {
    /// The tool's name as the agent gave it.
    pub tool: String,
    /// Every category the call falls into, primary first, no duplicates.
    pub categories: Vec<Category>,
    /// Every path or URL it touches.
    pub targets: Vec<Target>,
    /// Every simple command it runs (shell tools only).
    pub commands: Vec<CommandInvocation>,
    /// Risk tags analysis attached (`remote-code`: code fetched from the network is
    /// run; `inline-script`: code in another language is run from the command line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// What analysis found inside the call: destructive SQL, secrets, force pushes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Whether part of the call could not be analysed (a parse error, a script in
    /// another language, a dynamic program name). Policies may ask for such calls.
    pub opaque: bool,
    /// Why analysis gave up on a part, for people reading the record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Action {
    /// The primary category (`other` when none).
    pub fn category(&self) -> Category {
        self.categories.first().copied().unwrap_or(Category::Other)
    }

    /// Adds a category unless it is already present.
    pub fn add_category(&mut self, category: Category) {
        if !self.categories.contains(&category) {
            self.categories.push(category);
        }
    }

    /// Adds a risk tag unless it is already present.
    pub fn add_tag(&mut self, tag: &str) {
        if !self.tags.iter().any(|t| t == tag) {
            self.tags.push(tag.to_owned());
        }
    }

    /// Adds a finding unless an equal one is already present.
    pub fn add_finding(&mut self, kind: &str, subject: Option<&str>, detail: String) {
        let finding = Finding {
            kind: kind.to_owned(),
            subject: subject.map(str::to_owned),
            detail,
        };
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    /// Adds a target, and the category its kind implies, unless already present.
    pub fn add_target(&mut self, path: String, kind: TargetKind) {
        let target = Target { path, kind };
        if !self.targets.contains(&target) {
            self.targets.push(target);
        }
        self.add_category(kind.category());
    }
}
