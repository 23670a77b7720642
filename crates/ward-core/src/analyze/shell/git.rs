//! `git`: the files a subcommand touches (`rm`, `clean`, `checkout .`, `reset
//! --hard`), the remotes it talks to, and the branches a push changes. Pushes give
//! findings a policy can weigh against its protected branches: `git.push`,
//! `git.force-push` (`--force`, `--force-with-lease`, `+refspec`, `--mirror`),
//! `git.push-delete` (`--delete`, `:branch`, `--prune`, `--mirror`), and
//! `git.no-verify` for commits and pushes that skip the repository's hooks. Each
//! names its branch; `?` when Ward cannot tell which (a push of the current branch
//! when the caller does not know it), `*` for every branch.

use super::args::{OptionSpec, parse};
use super::code;
use super::network::{is_remote_path, remote_or_local};
use super::walk::{Stream, Walker, base_name};
use super::words::Arg;
use crate::{Category, TargetKind};

const GIT: OptionSpec = OptionSpec::new(
    "Cc",
    &[
        "git-dir",
        "work-tree",
        "namespace",
        "config-env",
        "super-prefix",
    ],
)
.stopping();
const GIT_CLONE: OptionSpec = OptionSpec::new(
    "bcjou",
    &[
        "branch",
        "config",
        "jobs",
        "origin",
        "upload-pack",
        "depth",
        "reference",
        "separate-git-dir",
        "template",
        "filter",
        "shallow-since",
        "shallow-exclude",
    ],
);
const GIT_CLEAN: OptionSpec = OptionSpec::new("e", &["exclude"]);
const GIT_RESTORE: OptionSpec = OptionSpec::new("s", &["source", "pathspec-from-file"]);
/// `--force-with-lease` and `--signed` take a value only when it is attached with
/// `=`, so they are not listed.
const GIT_PUSH: OptionSpec = OptionSpec::new("o", &["repo", "receive-pack", "exec", "push-option"]);
const GIT_COMMIT: OptionSpec = OptionSpec::new(
    "mFCcSut",
    &[
        "message",
        "file",
        "reuse-message",
        "reedit-message",
        "fixup",
        "squash",
        "author",
        "date",
        "template",
        "cleanup",
        "trailer",
        "pathspec-from-file",
        "untracked-files",
    ],
);

/// `git [-C DIR] [-c KEY=VALUE] SUBCOMMAND ...`.
pub(super) fn run(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let parsed = parse(args, &GIT);
    let mut skips_hooks = false;
    // `-c alias.p='push --force'`: `git p` is `git push --force`.
    let mut aliases: Vec<(String, Vec<Arg>)> = Vec::new();
    for setting in parsed.values(&["c"]) {
        // `-c alias.x='!cmd'` and `-c core.sshCommand=cmd` run shell commands.
        let Some((key, value)) = setting.text.split_once('=') else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        if key == "core.hookspath" {
            skips_hooks = true;
        }
        if let Some(name) = key.strip_prefix("alias.")
            && !value.starts_with('!')
        {
            let words = value
                .split_whitespace()
                .map(|word| Arg {
                    text: word.to_owned(),
                    origin: setting.origin,
                })
                .collect();
            aliases.push((name.to_owned(), words));
        }
        let command = if key.starts_with("alias.") {
            value.strip_prefix('!')
        } else if matches!(
            key.as_str(),
            "core.sshcommand" | "core.fsmonitor" | "core.pager" | "core.editor" | "sequence.editor"
        ) {
            Some(value)
        } else {
            None
        };
        if let Some(command) = command {
            let command = Arg {
                text: command.to_owned(),
                origin: setting.origin,
            };
            code::run_code(walker, &command, "git -c", &Stream::Inherited);
        }
    }
    let directories: Vec<Arg> = parsed.values(&["C"]).map(|value| value.to_arg()).collect();
    let mut subcommand = parsed
        .operands
        .first()
        .map(|subcommand| subcommand.text.clone());
    let mut rest = args.get(parsed.rest + 1..).unwrap_or_default().to_vec();
    let alias = subcommand.as_deref().and_then(|name| {
        let name = name.to_ascii_lowercase();
        aliases.iter().rev().find(|(alias, _)| *alias == name)
    });
    if let Some((_, words)) = alias
        && let Some((first, options)) = words.split_first()
    {
        subcommand = Some(first.text.clone());
        rest = options.iter().cloned().chain(rest).collect();
    }
    let saved = (
        walker.scope.context.cwd.clone(),
        walker.scope.cwd_known,
        walker.scope.context.branch.clone(),
    );
    for directory in &directories {
        walker.scope.change_directory(directory);
    }
    if !directories.is_empty() || parsed.has(&["git-dir", "work-tree"]) {
        // Another repository: its checked-out branch is not the one Ward was told.
        walker.scope.context.branch = None;
    }
    let subcommand = subcommand.as_deref().unwrap_or("");
    if skips_hooks && matches!(subcommand, "commit" | "push" | "merge" | "rebase" | "am") {
        let branch = current_branch(walker);
        walker.action.add_finding(
            "git.no-verify",
            Some(&branch),
            format!("git {subcommand} on {branch} with hooks switched off (core.hooksPath)"),
        );
    }
    git_subcommand(walker, subcommand, &rest);
    (
        walker.scope.context.cwd,
        walker.scope.cwd_known,
        walker.scope.context.branch,
    ) = saved;
    Stream::output_of("git")
}

fn git_subcommand(walker: &mut Walker<'_>, subcommand: &str, args: &[Arg]) {
    match subcommand {
        "clone" => {
            walker.action.add_category(Category::Network);
            let parsed = parse(args, &GIT_CLONE);
            let mut operands = parsed.operands.iter();
            let repository = operands.next();
            if let Some(repository) = repository {
                remote_or_local(walker, "git", repository, TargetKind::Read);
            }
            let directory = operands
                .next()
                .map(|directory| (*directory).clone())
                .or_else(|| {
                    let repository = repository?;
                    let name = base_name(repository.text.trim_end_matches('/'));
                    let name = name.rsplit(':').next().unwrap_or(name);
                    let name = name.strip_suffix(".git").unwrap_or(name);
                    Some(Arg {
                        text: name.to_owned(),
                        origin: repository.origin,
                    })
                });
            if let Some(directory) = directory {
                walker.add_path(&directory, TargetKind::Write, "git");
            }
        }
        "push" => push(walker, args),
        "config" => config(walker, args),
        "commit" | "merge" | "rebase" | "am" | "cherry-pick" | "revert" => {
            commit(walker, subcommand, args);
        }
        "fetch" | "pull" | "ls-remote" => {
            walker.action.add_category(Category::Network);
            for operand in args {
                if operand.is_literal()
                    && is_remote_path(&operand.text)
                    && !operand.text.starts_with('-')
                {
                    walker.add_network(operand, "git");
                }
            }
        }
        "remote" | "submodule"
            if args
                .iter()
                .any(|arg| matches!(arg.text.as_str(), "update" | "add" | "prune" | "sync")) =>
        {
            walker.action.add_category(Category::Network);
        }
        "rm" => {
            let parsed = parse(args, &OptionSpec::new("", &["pathspec-from-file"]));
            if !parsed.has(&["cached", "n", "dry-run"]) {
                for path in &parsed.operands {
                    walker.add_path(path, TargetKind::Delete, "git");
                }
            }
        }
        "clean" => {
            let parsed = parse(args, &GIT_CLEAN);
            if !parsed.has(&["n", "dry-run"]) {
                // Without paths, git clean deletes the untracked files under the
                // current directory, not the directory itself: the category is
                // enough (the `git.clean-force` rule asks), a target of `.` would
                // read as deleting the whole project.
                walker.action.add_category(Category::FileDelete);
                for path in &parsed.operands {
                    walker.add_path(path, TargetKind::Delete, "git");
                }
            }
        }
        "reset" if args.iter().any(|arg| arg.text == "--hard") => {
            walker.add_path(&Arg::literal("."), TargetKind::Write, "git");
        }
        "checkout" | "restore" => {
            let parsed = parse(args, &GIT_RESTORE);
            let after_dashes = args.iter().position(|arg| arg.text == "--");
            for path in &parsed.operands {
                let is_path = subcommand == "restore"
                    || path.text == "."
                    || after_dashes.is_some_and(|dashes| {
                        args.iter()
                            .position(|arg| std::ptr::eq(arg, *path))
                            .is_some_and(|at| at > dashes)
                    });
                if is_path {
                    walker.add_path(path, TargetKind::Write, "git");
                }
            }
        }
        _ => {}
    }
}

/// A branch a push changes, and how.
struct Destination {
    branch: String,
    force: bool,
    delete: bool,
}

/// `git push [OPTIONS] [REMOTE [REFSPEC...]]`: the remote is a network target; each
/// branch it changes is a finding.
fn push(walker: &mut Walker<'_>, args: &[Arg]) {
    walker.action.add_category(Category::Network);
    let parsed = parse(args, &GIT_PUSH);
    let mut operands = parsed.operands.iter();
    if let Some(remote) = operands.next()
        && remote.is_literal()
        && is_remote_path(&remote.text)
    {
        walker.add_network(remote, "git");
    }
    if parsed.has(&["n", "dry-run"]) {
        return;
    }
    let force = parsed.has(&["f", "force", "force-with-lease"]);
    let delete = parsed.has(&["d", "delete"]);
    let mirror = parsed.has(&["mirror"]);
    let mut destinations = Vec::new();
    if mirror || parsed.has(&["all", "branches"]) {
        destinations.push(Destination {
            branch: "*".to_owned(),
            force: force || mirror,
            delete: mirror || parsed.has(&["prune"]),
        });
    }
    let refspecs: Vec<&Arg> = operands.copied().collect();
    let mut tag_next = false;
    for refspec in &refspecs {
        if std::mem::take(&mut tag_next) {
            continue;
        }
        if refspec.text == "tag" {
            tag_next = true;
            continue;
        }
        if let Some(destination) = destination(walker, refspec, force, delete) {
            destinations.push(destination);
        }
    }
    let tags_only = parsed.has(&["tags", "follow-tags"]) && refspecs.is_empty();
    if refspecs.is_empty() && destinations.is_empty() && !tags_only {
        destinations.push(Destination {
            branch: current_branch(walker),
            force,
            delete,
        });
    }
    let skips_hooks = parsed.has(&["no-verify"]);
    for Destination {
        branch,
        force,
        delete,
    } in destinations
    {
        let subject = Some(branch.as_str());
        walker
            .action
            .add_finding("git.push", subject, format!("git push to {branch}"));
        if force {
            walker.action.add_finding(
                "git.force-push",
                subject,
                format!("git force push to {branch}"),
            );
        }
        if delete {
            walker.action.add_finding(
                "git.push-delete",
                subject,
                format!("git push deleting {branch} on the remote"),
            );
        }
        if skips_hooks {
            walker.action.add_finding(
                "git.no-verify",
                subject,
                format!("git push to {branch} skipping hooks"),
            );
        }
    }
}

/// The branch one refspec changes on the remote (`None` for tags).
fn destination(
    walker: &Walker<'_>,
    refspec: &Arg,
    force: bool,
    delete: bool,
) -> Option<Destination> {
    if !refspec.is_literal() {
        return Some(Destination {
            branch: "?".to_owned(),
            force,
            delete,
        });
    }
    let (forced, text) = match refspec.text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, refspec.text.as_str()),
    };
    let (source, target, deletes) = match text.split_once(':') {
        Some(("", target)) => ("", target, true),
        Some((source, "")) => (source, source, delete),
        Some((source, target)) => (source, target, delete),
        None => (text, text, delete),
    };
    let target = if target == "HEAD" || target == "@" {
        current_branch(walker)
    } else if target.starts_with("refs/tags/")
        || (source.starts_with("refs/tags/") && target == source)
    {
        return None;
    } else {
        target
            .strip_prefix("refs/heads/")
            .unwrap_or(target)
            .to_owned()
    };
    Some(Destination {
        branch: target,
        force: force || forced,
        delete: deletes,
    })
}

/// The branch checked out where the command runs, or `?`.
fn current_branch(walker: &Walker<'_>) -> String {
    walker
        .scope
        .context
        .branch
        .clone()
        .unwrap_or_else(|| "?".to_owned())
}

/// Commits and the like: `--no-verify` (`-n` for `commit`) skips the hooks of the
/// current branch.
fn commit(walker: &mut Walker<'_>, subcommand: &str, args: &[Arg]) {
    let parsed = parse(args, &GIT_COMMIT);
    let skips = parsed.has(&["no-verify"]) || (subcommand == "commit" && parsed.has(&["n"]));
    if skips {
        let branch = current_branch(walker);
        walker.action.add_finding(
            "git.no-verify",
            Some(&branch),
            format!("git {subcommand} on {branch} skipping hooks"),
        );
    }
}

/// `git config`: setting a value writes the config file of its scope
/// (`--global`: `~/.gitconfig`, `--system`: `/etc/gitconfig`, else `.git/config`).
fn config(walker: &mut Walker<'_>, args: &[Arg]) {
    let reads_only = args.iter().any(|arg| {
        matches!(
            arg.text.as_str(),
            "--get"
                | "--get-all"
                | "--get-regexp"
                | "-l"
                | "--list"
                | "--show-origin"
                | "get"
                | "list"
        )
    });
    let operands = args.iter().filter(|arg| !arg.text.starts_with('-')).count();
    if reads_only || operands < 2 {
        return;
    }
    let has = |flag: &str| args.iter().any(|arg| arg.text == flag);
    let file = if has("--global") {
        format!("{}/.gitconfig", walker.scope.context.home)
    } else if has("--system") {
        "/etc/gitconfig".to_owned()
    } else {
        ".git/config".to_owned()
    };
    walker.add_path(&Arg::literal(file), TargetKind::Write, "git");
}
