//! `ward override`: start, list and end break-glass overrides.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use ward_core::break_glass::{MAX_TTL_SECONDS, Override};

use crate::cli::OverrideArgs;
use crate::home::Home;
use crate::output;
use crate::overrides;

/// One override as `--list` and `--json` show it.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    entry: &'a Override,
    /// `active`, `ended` or `expired`.
    status: &'static str,
    scope: String,
}

fn shown(entry: &Override, now: Timestamp) -> Shown<'_> {
    let status = if entry.is_active(now) {
        "active"
    } else if entry.ended_at.is_some_and(|ended| ended < entry.expires_at) {
        "ended"
    } else {
        "expired"
    };
    Shown {
        entry,
        status,
        scope: entry.scope(),
    }
}

pub(crate) fn run(home: &Home, args: &OverrideArgs) -> Result<ExitCode> {
    if !home.is_initialised() {
        bail!(
            "Ward's home `{}` is not initialised; run `ward init`",
            home.root.display()
        );
    }
    if let Some(ttl) = &args.ttl {
        return start(home, args, ttl);
    }
    if let Some(id) = &args.end {
        return end(home, id, args.reason.as_deref(), args.json);
    }
    list(home, args.json)
}

fn parse_ttl(text: &str) -> Result<SignedDuration> {
    let ttl: SignedDuration = text.trim().parse().map_err(|_| {
        anyhow!("`--ttl {text}` is not a duration: write e.g. `15m`, `2h` or `1h 30m`")
    })?;
    if ttl <= SignedDuration::ZERO {
        bail!("`--ttl {text}` must be longer than zero");
    }
    if ttl.as_secs() > MAX_TTL_SECONDS {
        bail!(
            "`--ttl {text}` is longer than 24h: an override is for an emergency; change the policy for anything longer"
        );
    }
    Ok(ttl)
}

fn start(home: &Home, args: &OverrideArgs, ttl: &str) -> Result<ExitCode> {
    let ttl = parse_ttl(ttl)?;
    let reason = args.reason.as_deref().unwrap_or_default().trim().to_owned();
    if reason.is_empty() {
        bail!("`--reason` is empty: say why enforcement is suspended (it is recorded)");
    }
    if args.session.as_deref().is_some_and(|s| s.trim().is_empty())
        || args.rules.iter().any(|rule| rule.trim().is_empty())
    {
        bail!("`--session` and `--rule` need a value; leave them out to cover everything");
    }
    let session = args
        .session
        .as_deref()
        .map(|prefix| resolve_session(home, prefix))
        .transpose()?;
    warn_unknown_rules(home, &args.rules);
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|error| anyhow!("cannot get randomness: {error}"))?;
    let id = format!("ovr-{}", ward_ledger::hash::hex(&random));
    let by = crate::home::os_user();
    let ((started, _), seqs) = overrides::change(home, |state, now| {
        let entry = Override {
            id: id.clone(),
            by: by.clone(),
            reason: reason.clone(),
            started_at: now,
            expires_at: now.checked_add(ttl)?,
            session: session.clone(),
            rules: args.rules.clone(),
            ended_at: None,
        };
        let event = overrides::started(&entry);
        state.overrides.push(entry.clone());
        Ok(((entry, now), vec![event]))
    })?;
    let seq = seqs.last().copied().unwrap_or_default();
    if args.json {
        let mut value = serde_json::to_value(shown(&started, started.started_at))?;
        value["record"] = serde_json::Value::from(seq);
        output::json(&value)?;
    } else {
        output::data(&format!(
            "Override {id} is active until {} ({}): Ward will not block {}.\n\
             Denies and asks there go to the agent's own prompt. Recorded as record {seq}.\n\
             End it early: ward override --end {id}",
            local_time(started.expires_at),
            friendly(ttl),
            started.scope(),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn end(home: &Home, id: &str, reason: Option<&str>, json: bool) -> Result<ExitCode> {
    let by = crate::home::os_user();
    let (ended, seqs) = overrides::change(home, |state, now| {
        let Some(entry) = state.overrides.iter_mut().find(|o| o.id == id) else {
            bail!("no override `{id}`; `ward override --list` shows them");
        };
        if !entry.is_active(now) {
            bail!(
                "override `{id}` is not active (it ended at {}); nothing to end",
                local_time(entry.end())
            );
        }
        entry.ended_at = Some(now);
        let event = overrides::ended(entry, &by, reason);
        Ok((entry.clone(), vec![event]))
    })?;
    let seq = seqs.last().copied().unwrap_or_default();
    if json {
        let mut value = serde_json::to_value(shown(&ended, Timestamp::now()))?;
        value["record"] = serde_json::Value::from(seq);
        output::json(&value)?;
    } else {
        output::data(&format!(
            "Override {id} ended; Ward enforces {} again. Recorded as record {seq}.",
            ended.scope()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn list(home: &Home, json: bool) -> Result<ExitCode> {
    // Through `change`, so that expiries since the last run are recorded first.
    let (entries, _) =
        overrides::change(home, |state, _| Ok((state.overrides.clone(), Vec::new())))?;
    let now = Timestamp::now();
    let shown: Vec<Shown<'_>> = entries.iter().map(|entry| shown(entry, now)).collect();
    if json {
        return output::json(&shown).map(|()| ExitCode::SUCCESS);
    }
    if shown.is_empty() {
        output::data("No overrides in the last 7 days.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for item in &shown {
        let when = match item.status {
            "active" => format!("until {}", local_time(item.entry.expires_at)),
            _ => format!("{} at {}", item.status, local_time(item.entry.end())),
        };
        text.push_str(&format!(
            "{}  {:<7}  {}  by {}: {}\n    {}\n",
            item.entry.id, item.status, when, item.entry.by, item.entry.reason, item.scope
        ));
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}

/// A session id or a prefix of one, as `ward audit show` takes it. A session the
/// ledger has no record of yet is taken as given, with a warning.
fn resolve_session(home: &Home, prefix: &str) -> Result<String> {
    match super::audit::open(home)?.find_session(prefix) {
        Ok(id) => Ok(id),
        Err(ward_ledger::LedgerError::SessionNotFound { .. }) => {
            output::status(&format!(
                "warning: no session `{prefix}…` is recorded yet; the override covers only a session with exactly this id"
            ));
            Ok(prefix.to_owned())
        }
        Err(error) => Err(error.into()),
    }
}

/// Says so when a `--rule` names no rule of the policy that applies here (a typo
/// would otherwise give an override that reaches nothing). Only a warning: the
/// rule may come from another project's policy.
fn warn_unknown_rules(home: &Home, rules: &[String]) {
    if rules.is_empty() {
        return;
    }
    let user_home = crate::env::var(crate::env::HOME).unwrap_or_else(|| "/".to_owned());
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("/"));
    let Ok(loaded) = crate::layers::load(home, &cwd, &user_home, false) else {
        return;
    };
    for rule in rules {
        let known = loaded.policy.rules().iter().any(|r| r.id() == rule);
        let builtin = loaded
            .policy
            .rules()
            .iter()
            .any(|r| r.id() == rule && r.origin.layer == ward_core::policy::Layer::Builtin);
        if builtin {
            output::status(&format!(
                "warning: `{rule}` is one of Ward's self-protection rules, which an override never sets aside"
            ));
        } else if !known {
            output::status(&format!(
                "warning: the policy here has no rule `{rule}` (`ward policy show` lists them); the override reaches it only where a policy defines it"
            ));
        }
    }
}

/// A time as the person reading it would: the machine's zone, to the minute.
fn local_time(at: Timestamp) -> String {
    at.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn friendly(ttl: SignedDuration) -> String {
    format!("{ttl:#}")
}
