//! `ward install` / `ward uninstall`: register Ward's hook in a Claude Code settings
//! file (or write a plugin). The text edit itself lives in `ward-agents`; this module
//! picks the file, reads it, and writes the result atomically, keeping its mode.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ward_agents::claude_code::{self, Edit};

use crate::cli::{InstallArgs, Scope};
use crate::env;
use crate::home::{Home, write_atomically};
use crate::output;

pub(crate) fn install(home: &Home, args: &InstallArgs) -> Result<ExitCode> {
    if let Some(dir) = &args.plugin {
        return write_plugin(home, dir, args.dry_run);
    }
    let path = settings_path(args)?;
    let command = hook_command(args)?;
    let original = read_settings(&path)?;
    let edit = claude_code::install(original.as_deref(), &command)
        .with_context(|| left_unchanged(&path))?;
    if args.dry_run {
        print_dry_run(&path, &edit);
        return Ok(ExitCode::SUCCESS);
    }
    if !home.is_initialised() {
        crate::commands::init::init_home(home, "safety")?;
        output::status(&format!(
            "Initialised Ward in {} with the safety preset.",
            home.root.display()
        ));
    }
    if !edit.changed {
        output::data(&format!(
            "Ward's hook is already registered in {}; nothing changed.",
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    write_settings(&path, &edit.after)?;
    output::data(&format!(
        "Registered Ward for {} Claude Code events in {} (guarding events fail closed).\n\
         Claude Code snapshots hooks at startup: restart it, or review them in `/hooks`.",
        claude_code::HANDLED_EVENTS.len(),
        path.display()
    ));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn uninstall(args: &InstallArgs) -> Result<ExitCode> {
    if args.plugin.is_some() {
        bail!("to remove a plugin, delete its directory (Ward did not register it anywhere)");
    }
    let path = settings_path(args)?;
    let Some(original) = read_settings(&path)? else {
        output::data(&format!(
            "{} does not exist; nothing to remove.",
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    };
    let edit = claude_code::uninstall(&original).with_context(|| left_unchanged(&path))?;
    if args.dry_run {
        print_dry_run(&path, &edit);
        return Ok(ExitCode::SUCCESS);
    }
    if !edit.changed {
        output::data(&format!(
            "Ward's hook is not registered in {}; nothing changed.",
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    write_settings(&path, &edit.after)?;
    output::data(&format!("Removed Ward's hooks from {}.", path.display()));
    Ok(ExitCode::SUCCESS)
}

fn left_unchanged(path: &Path) -> String {
    format!(
        "`{}` was left unchanged because Ward cannot edit it",
        path.display()
    )
}

fn print_dry_run(path: &Path, edit: &Edit) {
    if edit.changed {
        output::data(&claude_code::unified_diff(
            &path.display().to_string(),
            edit,
        ));
    } else {
        output::data(&format!("{}: no change.", path.display()));
    }
}

/// The settings file of a scope (agent-hooks.md §1.9).
fn settings_path(args: &InstallArgs) -> Result<PathBuf> {
    let project = || -> Result<PathBuf> {
        match &args.project {
            Some(dir) => Ok(dir.clone()),
            None => std::env::current_dir().context("cannot find the current directory"),
        }
    };
    Ok(match args.scope {
        Scope::User => {
            let Some(home) = env::var(env::HOME) else {
                bail!("HOME is not set, so the user settings file cannot be found");
            };
            Path::new(&home).join(".claude").join("settings.json")
        }
        Scope::Project => project()?.join(".claude").join("settings.json"),
        Scope::Local => project()?.join(".claude").join("settings.local.json"),
        Scope::Managed => PathBuf::from(
            env::var(env::WARD_CLAUDE_MANAGED_SETTINGS)
                .unwrap_or_else(|| env::DEFAULT_CLAUDE_MANAGED_SETTINGS.to_owned()),
        ),
    })
}

/// The command Claude Code runs: this binary's absolute path, quoted for the shell.
fn hook_command(args: &InstallArgs) -> Result<String> {
    if let Some(command) = &args.command {
        return Ok(command.clone());
    }
    let exe = std::env::current_exe().context("cannot find the path of the ward binary")?;
    let exe = exe.display().to_string();
    let quoted = if exe
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        exe
    } else {
        format!("'{}'", exe.replace('\'', r"'\''"))
    };
    Ok(format!("{quoted} hook claude-code"))
}

fn read_settings(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

fn write_settings(path: &Path, text: &str) -> Result<()> {
    let mode = fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o644);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    write_atomically(path, text.as_bytes(), mode)
}

/// Writes a Claude Code plugin: its manifest, its hooks file, and this binary as
/// `bin/ward`, so the plugin is self-contained.
fn write_plugin(home: &Home, dir: &Path, dry_run: bool) -> Result<ExitCode> {
    let files = claude_code::plugin_files(claude_code::PLUGIN_COMMAND);
    if dry_run {
        for (path, text) in &files {
            output::data(&format!("--- {}\n{text}", dir.join(path).display()));
        }
        output::data(&format!(
            "--- {} (this binary)",
            dir.join("bin/ward").display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    for (relative, text) in &files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        write_atomically(&path, text.as_bytes(), 0o644)?;
    }
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).with_context(|| format!("cannot create `{}`", bin.display()))?;
    let exe = std::env::current_exe().context("cannot find the path of the ward binary")?;
    let target = bin.join("ward");
    fs::copy(&exe, &target)
        .with_context(|| format!("cannot copy `{}` to `{}`", exe.display(), target.display()))?;
    fs::set_permissions(&target, fs::Permissions::from_mode(0o755))?;
    if !home.is_initialised() {
        crate::commands::init::init_home(home, "safety")?;
    }
    output::data(&format!(
        "Wrote the Ward plugin to {}.\nEnable it in Claude Code (`/plugin`), or from managed settings for everyone.",
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
