//! Finding the policy layers on disk and building the effective policy.
//!
//! Managed: `$WARD_MANAGED_POLICY` or `/etc/ward/policy.toml`, if it exists. Project:
//! the nearest `.ward/policy.toml` from the call's cwd upward. User:
//! `$WARD_HOME/policy.toml`, which must exist (a missing user policy is an error,
//! so a deleted file fails closed instead of silently dropping every rule).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ward_core::policy::{Layer, LedgerSettings, Placeholders, Policy, PolicySource};

use crate::env;
use crate::home::Home;

/// The effective policy and where it came from.
pub(crate) struct LoadedPolicy {
    pub(crate) policy: Policy,
    pub(crate) sources: Vec<PolicySource>,
}

/// The project root of a directory: the nearest ancestor (or itself) holding `.git`
/// or `.ward`; `None` when there is none.
pub(crate) fn project_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists() || dir.join(".ward").is_dir())
        .map(Path::to_path_buf)
}

pub(crate) fn managed_policy_path() -> PathBuf {
    PathBuf::from(
        env::var(env::WARD_MANAGED_POLICY)
            .unwrap_or_else(|| env::DEFAULT_MANAGED_POLICY.to_owned()),
    )
}

/// Reads every layer that applies to a call made in `cwd`. `locate`: look up each
/// rule's line, for output people read (the hook does not need it).
pub(crate) fn load(home: &Home, cwd: &Path, user_home: &str, locate: bool) -> Result<LoadedPolicy> {
    load_with(home, cwd, user_home, locate, None)
}

/// [`load`], with `replacement` in place of the layer of its kind (the user's or
/// the project's): what `ward policy replay` evaluates.
pub(crate) fn load_with(
    home: &Home,
    cwd: &Path,
    user_home: &str,
    locate: bool,
    replacement: Option<&PolicySource>,
) -> Result<LoadedPolicy> {
    let mut sources = Vec::with_capacity(3);
    sources.extend(managed_source()?);
    let project = project_root(cwd);
    let replaces = |layer| replacement.filter(|source| source.layer == layer);
    if let Some(source) = replaces(Layer::Project) {
        sources.push(source.clone());
    } else if let Some(root) = &project {
        let path = root.join(".ward").join("policy.toml");
        if let Some(text) = read_if_exists(&path)? {
            sources.push(PolicySource {
                layer: Layer::Project,
                path: path.display().to_string(),
                text,
            });
        }
    }
    if let Some(source) = replaces(Layer::User) {
        sources.push(source.clone());
    } else {
        let user = home.policy();
        let text = std::fs::read_to_string(&user).with_context(|| {
            format!(
                "cannot read the user policy `{}`; run `ward init` to create it",
                user.display()
            )
        })?;
        sources.push(PolicySource {
            layer: Layer::User,
            path: user.display().to_string(),
            text,
        });
    }
    let placeholders = Placeholders {
        home: user_home.to_owned(),
        ward_home: home.root.display().to_string(),
        project: project
            .unwrap_or_else(|| cwd.to_path_buf())
            .display()
            .to_string(),
        cwd: cwd.display().to_string(),
    };
    let policy = if locate {
        Policy::load_located(&sources, &placeholders)
    } else {
        Policy::load(&sources, &placeholders)
    }
    .map_err(crate::error::policy)?;
    Ok(LoadedPolicy { policy, sources })
}

/// The `[ledger]` settings: from the managed and user layers only (the ledger
/// belongs to the home, so no project is read), without building any rule.
pub(crate) fn ledger_settings(home: &Home) -> Result<LedgerSettings> {
    let (settings, _) =
        LedgerSettings::from_sources(&home_sources(home)?).map_err(crate::error::policy)?;
    Ok(settings)
}

/// The layers that configure the home rather than a project: the managed policy
/// and the user's, those that exist, managed first.
pub(crate) fn home_sources(home: &Home) -> Result<Vec<PolicySource>> {
    let mut sources = Vec::with_capacity(2);
    sources.extend(managed_source()?);
    let user = home.policy();
    if let Some(text) = read_if_exists(&user)? {
        sources.push(PolicySource {
            layer: Layer::User,
            path: user.display().to_string(),
            text,
        });
    }
    Ok(sources)
}

/// The managed layer, if its file exists.
pub(crate) fn managed_source() -> Result<Option<PolicySource>> {
    let managed = managed_policy_path();
    Ok(read_if_exists(&managed)?.map(|text| PolicySource {
        layer: Layer::Managed,
        path: managed.display().to_string(),
        text,
    }))
}

fn read_if_exists(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => {
            Err(error).with_context(|| format!("cannot read the policy `{}`", path.display()))
        }
    }
}
