//! `ward audit list|show|query|verify|export`: reading the ledger (`prove`,
//! `consistency` and `verify-proof` are in `proofs`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use globset::GlobBuilder;
use serde_json::json;
use ward_ledger::Ledger;
use ward_ledger::{RecordFilter, StoredRecord};

use crate::cli::{AuditCommand, ExportFormat, FilterArgs, QueryArgs};
use crate::home::Home;
use crate::output;
use crate::timeline;

use super::{proofs, sinks};

pub(crate) fn run(home: &Home, command: AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Ingest { quiet } => return ingest(home, quiet),
        AuditCommand::VerifyProof { file, root, json } => {
            return proofs::verify_proof(&file, root.as_deref(), json);
        }
        AuditCommand::Verify {
            bundle: Some(dir),
            witness,
            trust_key,
            json,
        } => return proofs::verify_bundle(&dir, &witness, &trust_key, json),
        AuditCommand::Sinks { json } => return sinks::status(home, json),
        AuditCommand::Deliver { sink, json } => {
            return sinks::deliver_now(home, sink.as_deref(), json);
        }
        _ => {}
    }
    let ledger = open(home)?;
    match command {
        AuditCommand::List { json } => list(&ledger, json),
        AuditCommand::Show { session, json } => show(&ledger, &session, json),
        AuditCommand::Query(args) => query(&ledger, &args),
        AuditCommand::Verify { json, witness, .. } => verify(home, &ledger, &witness, json),
        AuditCommand::Ingest { .. }
        | AuditCommand::VerifyProof { .. }
        | AuditCommand::Sinks { .. }
        | AuditCommand::Deliver { .. } => Ok(ExitCode::SUCCESS),
        AuditCommand::Checkpoint { quiet, out, json } => {
            let mut ledger = ledger;
            let code = proofs::checkpoint(home, &mut ledger, quiet, out.as_deref(), json);
            if quiet {
                // Started by a hook at a session's end: the session's last records
                // and its checkpoint go to the sinks now, not at the next session.
                drop(ledger);
                sinks::deliver_in_background(home, true);
            }
            code
        }
        AuditCommand::AddCosignature {
            file,
            witness,
            json,
        } => {
            let mut ledger = ledger;
            proofs::add_cosignature(home, &mut ledger, &file, &witness, json)
        }
        AuditCommand::Prune {
            before,
            dry_run,
            yes,
            json,
        } => {
            let mut ledger = ledger;
            super::prune::run(home, &mut ledger, before.as_deref(), dry_run, yes, json)
        }
        AuditCommand::Prove { seq, size, out } => proofs::prove(&ledger, seq, size, out.as_deref()),
        AuditCommand::Consistency { old, new, out } => {
            proofs::consistency(&ledger, old, new, out.as_deref())
        }
        AuditCommand::Export {
            bundle: Some(dir),
            session,
            since,
            ..
        } => {
            let mut ledger = ledger;
            proofs::export_bundle(
                home,
                &mut ledger,
                &dir,
                session.as_deref(),
                since.as_deref(),
            )
        }
        AuditCommand::Export {
            format,
            session,
            out,
            ..
        } => export(&ledger, format, session.as_deref(), out.as_deref()),
    }
}

pub(crate) fn open(home: &Home) -> Result<Ledger> {
    let path = home.ledger();
    if !path.exists() {
        bail!(
            "there is no ledger at `{}`; run `ward init` (or `ward demo` to try Ward)",
            path.display()
        );
    }
    let mut ledger = Ledger::open(&path)
        .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
    // Hooks write through a journal that the ledger takes in batches; take what
    // waits, so that what is shown is complete. If it cannot, `verify` counts it.
    if let Err(error) = ledger.ingest_pending() {
        output::status(&format!(
            "warning: records waiting in the journal could not be added yet: {error}"
        ));
    }
    Ok(ledger)
}

/// The lock one ingester holds, so that hooks that all see a full journal start one
/// background ingest between them, not one each.
pub(crate) fn ingest_lock_path(home: &Home) -> std::path::PathBuf {
    home.root.join("ingest.lock")
}

/// Whether no ingest is running now (a cheap check before starting one).
pub(crate) fn ingest_idle(home: &Home) -> bool {
    let Ok(file) = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(ingest_lock_path(home))
    else {
        return false;
    };
    file.try_lock().is_ok()
}

fn ingest(home: &Home, quiet: bool) -> Result<ExitCode> {
    let path = ingest_lock_path(home);
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    if lock.try_lock().is_err() {
        if !quiet {
            output::data("Another ingest is running; it will take the waiting records.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let before = ward_ledger::pending_spooled(&home.ledger()).unwrap_or(0);
    let mut ledger = open(home)?;
    let after = ward_ledger::pending_spooled(&home.ledger()).unwrap_or(0);
    // The background ingest is also where checkpoints get signed as the log grows,
    // off the hooks' path.
    let due = crate::layers::ledger_settings(home)
        .and_then(|settings| proofs::checkpoint_due(&ledger, &settings));
    if due.unwrap_or(false)
        && let Err(error) = proofs::sign(home, &mut ledger)
    {
        let message = format!("cannot sign a checkpoint: {error:#}");
        if quiet {
            // A background ingest has no terminal: its failures go to the log.
            super::hook::log(home, &message);
        } else {
            output::status(&format!("warning: {message}"));
        }
    }
    drop(ledger);
    // An override that expired since anyone last looked is recorded here, so that
    // its end is in the ledger without a person running `ward override`.
    let expiries = crate::overrides::record_expiries(home)
        .and_then(|()| crate::approvals::record_expiries(home));
    if let Err(error) = expiries {
        let message = format!("cannot record an expiry: {error:#}");
        if quiet {
            super::hook::log(home, &message);
        } else {
            output::status(&format!("warning: {message}"));
        }
    }
    // Hooks may start the next ingest while this one delivers.
    drop(lock);
    sinks::deliver_in_background(home, quiet);
    if !quiet {
        output::data(&format!(
            "Moved {} waiting record(s) into the ledger; {after} still waiting.",
            before.saturating_sub(after)
        ));
    }
    Ok(if after == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn list(ledger: &Ledger, json: bool) -> Result<ExitCode> {
    let mut sessions = ledger.sessions()?;
    sessions.reverse();
    // The host's own records (its identity, key rotations) are not an agent's
    // session; `ward audit show ward-host` shows them.
    let host = sessions
        .iter()
        .position(|s| s.session_id == crate::keyring::HOST_SESSION)
        .map(|at| sessions.remove(at));
    if json {
        output::json(&sessions)?;
        return Ok(ExitCode::SUCCESS);
    }
    if sessions.is_empty() {
        output::data("No sessions recorded yet.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{:<38} {:<12} {:<20} {:>7} {:>6} {:>4} {:>4} {:>4}  {}\n",
        "SESSION", "AGENT", "LAST ACTIVE", "RECORDS", "CALLS", "DENY", "ASK", "WARN", "CWD"
    );
    for s in &sessions {
        out.push_str(&format!(
            "{:<38} {:<12} {:<20} {:>7} {:>6} {:>4} {:>4} {:>4}  {}\n",
            s.session_id,
            s.agent,
            s.last_time.get(..19).unwrap_or(&s.last_time),
            s.records,
            s.tool_calls,
            s.denied,
            s.asked,
            s.warned,
            s.cwd
        ));
    }
    if let Some(host) = host {
        out.push_str(&format!(
            "(and {} record(s) of the host's own: identity and key changes; `ward audit show {}`)\n",
            host.records,
            crate::keyring::HOST_SESSION
        ));
    }
    output::data(&out);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn show(ledger: &Ledger, session: &str, json: bool) -> Result<ExitCode> {
    let session_id = ledger.find_session(session)?;
    let filter = RecordFilter {
        session_id: Some(session_id.clone()),
        ..RecordFilter::default()
    };
    let records = ledger.records(&filter)?;
    if json {
        let values: Vec<serde_json::Value> = records
            .iter()
            .map(|r| json!({"seq": r.seq, "hash": r.hash, "record": r.record}))
            .collect();
        output::json(&values)?;
        return Ok(ExitCode::SUCCESS);
    }
    let summary = ledger
        .sessions()?
        .into_iter()
        .find(|s| s.session_id == session_id)
        .context("the session disappeared while reading it")?;
    output::data(&timeline::render_session(&summary, &records));
    Ok(ExitCode::SUCCESS)
}

/// `--since`: a duration back from now (`30m`, `2h`, `7d`) or a date/time.
pub(crate) fn since(text: &str) -> Result<String> {
    let text = text.trim();
    if let Some((number, unit)) = text
        .find(|c: char| !c.is_ascii_digit())
        .map(|index| text.split_at(index))
        && !number.is_empty()
    {
        let amount: i64 = number
            .parse()
            .context("the number in --since is too large")?;
        let seconds = match unit {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ if unit.starts_with('-') || unit.starts_with('T') => 0,
            _ => bail!("--since `{text}`: unknown unit `{unit}` (use s, m, h, d or w, or a date)"),
        };
        if seconds > 0 {
            let span = jiff::SignedDuration::from_secs(amount.saturating_mul(seconds));
            let then = jiff::Timestamp::now()
                .checked_sub(span)
                .context("--since reaches too far back")?;
            return Ok(ward_ledger::format_time(then));
        }
    }
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(ward_ledger::format_time(timestamp));
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Ok(format!("{date}T00:00:00.000000Z"));
    }
    bail!(
        "--since `{text}` is neither a duration (30m, 2h, 7d) nor a date (2026-11-01) or RFC 3339 time"
    )
}

/// The SQL filter of `--tool`, `--decision`, … and the `--target` glob, which is
/// applied to the records after the SQL filters.
pub(crate) fn record_filter(
    ledger: &Ledger,
    args: &FilterArgs,
) -> Result<(RecordFilter, Option<globset::GlobMatcher>)> {
    let session_id = match &args.session {
        Some(prefix) => Some(ledger.find_session(prefix)?),
        None => None,
    };
    if let Some(category) = &args.category
        && ward_core::Category::parse(category).is_none()
    {
        bail!("unknown category `{category}` (`ward policy categories` lists them)");
    }
    let decision = match args.decision.as_deref() {
        None => None,
        Some("none") => Some("none".to_owned()),
        Some(name) if ward_core::Decision::parse(name).is_some() => Some(name.to_owned()),
        Some(name) => bail!("unknown decision `{name}` (use allow, warn, ask, deny or none)"),
    };
    let target = match &args.target {
        Some(glob) => Some(
            GlobBuilder::new(glob)
                .literal_separator(false)
                .build()
                .with_context(|| format!("--target `{glob}` is not a valid glob"))?
                .compile_matcher(),
        ),
        None => None,
    };
    let filter = RecordFilter {
        session_id,
        tool: args.tool.clone(),
        category: args.category.clone(),
        decision,
        agent: args.agent.clone(),
        event: args.event.clone(),
        ..RecordFilter::default()
    };
    Ok((filter, target))
}

/// Whether a record has a target the glob matches (no glob: every record).
pub(crate) fn has_target(record: &StoredRecord, target: Option<&globset::GlobMatcher>) -> bool {
    target.is_none_or(|matcher| {
        record
            .record
            .request
            .targets
            .iter()
            .any(|t| matcher.is_match(&t.path))
    })
}

/// A record as one JSON line: `{"seq","hash","record"}`.
pub(crate) fn json_line(r: &StoredRecord) -> String {
    json!({"seq": r.seq, "hash": r.hash, "record": r.record}).to_string()
}

/// The header of [`table_row`]s.
pub(crate) fn table_header() -> String {
    format!(
        "{:>6}  {:<23}  {:<18} {:<8} {:<12} {:<6}  {}",
        "SEQ", "TIME", "EVENT", "TOOL", "CATEGORY", "DECIS.", "CALL"
    )
}

/// A record as one readable line.
pub(crate) fn table_row(r: &StoredRecord) -> String {
    let record = &r.record;
    let tool = record.request.tool.as_deref().unwrap_or("-");
    format!(
        "{:>6}  {:<23}  {:<18} {:<8} {:<12} {:<6}  {}",
        r.seq,
        record.time.get(..23).unwrap_or(&record.time),
        record.request.event,
        tool,
        record.request.category.as_deref().unwrap_or("-"),
        record.result.decision.as_deref().unwrap_or("-"),
        timeline::input_summary(tool, &record.request.input)
    )
}

fn query(ledger: &Ledger, args: &QueryArgs) -> Result<ExitCode> {
    let (mut filter, target) = record_filter(ledger, &args.filter)?;
    filter.since = args.since.as_deref().map(since).transpose()?;
    // The target glob is applied here, after the SQL filters, so no SQL limit.
    filter.limit = if target.is_some() {
        None
    } else {
        Some(args.limit)
    };
    filter.tail = true;
    let mut records = ledger.records(&filter)?;
    if target.is_some() {
        records.retain(|r| has_target(r, target.as_ref()));
        let excess = records.len().saturating_sub(args.limit);
        records.drain(..excess);
    }
    if args.json {
        let mut out = String::new();
        for r in &records {
            out.push_str(&json_line(r));
            out.push('\n');
        }
        if !out.is_empty() {
            output::data(&out);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        output::data("No records match.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = table_header();
    out.push('\n');
    for r in &records {
        out.push_str(&table_row(r));
        out.push('\n');
    }
    out.push_str(&format!("{} records.", records.len()));
    output::data(&out);
    Ok(ExitCode::SUCCESS)
}

/// `verify --json`: the ledger's report and the witnesses'.
#[derive(serde::Serialize)]
struct VerifyOutput<'a> {
    #[serde(flatten)]
    report: &'a ward_ledger::VerifyReport,
    witnesses: &'a ward_ledger::WitnessReport,
}

pub(crate) fn verify(
    home: &Home,
    ledger: &Ledger,
    witnesses: &[String],
    json: bool,
) -> Result<ExitCode> {
    let mut progress = crate::progress::Progress::new("records", json);
    let keys = home.trusted_keys()?;
    let witness_keys = proofs::witness_keys(&crate::layers::ledger_settings(home)?, witnesses)?;
    let mut report = ledger.verify_with(&keys, &mut |done, total| {
        progress.update("verifying", done, total);
    })?;
    let witnessed = ledger.witnessed(&witness_keys)?;
    if !witnessed.problems.is_empty() {
        report.ok = false;
    }
    if json {
        output::json(&VerifyOutput {
            report: &report,
            witnesses: &witnessed,
        })?;
    } else {
        let mut text = render_verify(&report);
        text.push_str(&render_witnesses(&witnessed));
        output::data(&text);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// How many independent witnesses saw the checkpoints.
fn render_witnesses(report: &ward_ledger::WitnessReport) -> String {
    let mut out = String::new();
    for problem in &report.problems {
        out.push_str(&format!("witness problem: {problem}\n"));
    }
    if report.configured == 0 {
        if report.checkpoints.is_empty() {
            return out;
        }
        out.push_str("Witnesses: none configured (`witnesses` under `[ledger]`, or --witness).\n");
        return out;
    }
    let latest = report.checkpoints.last();
    match latest {
        None => out.push_str(&format!(
            "Witnesses: {} configured; no checkpoint to cosign yet.\n",
            report.configured
        )),
        Some(latest) => {
            out.push_str(&format!(
                "Witnesses: the latest checkpoint ({} records) is cosigned by {} of {} \
                 configured{}.\n",
                latest.tree_size,
                latest.witnesses.len(),
                report.configured,
                if latest.witnesses.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", latest.witnesses.join(", "))
                }
            ));
            if latest.witnesses.is_empty()
                && let Some(witnessed) = report.latest_with(1)
            {
                out.push_str(&format!(
                    "  the latest witnessed checkpoint is of {} records, cosigned by {}.\n",
                    witnessed.tree_size,
                    witnessed.witnesses.join(", ")
                ));
            }
        }
    }
    out
}

pub(crate) fn render_verify(report: &ward_ledger::VerifyReport) -> String {
    let mut out = String::new();
    if report.ok {
        out.push_str(&format!(
            "ok: {} records in {} sessions verified; every hash recomputed from content, every chain intact.\n",
            report.records, report.sessions
        ));
        out.push_str(&format!(
            "Merkle tree: {} leaves rebuilt from content, root {}\n",
            report.tree_size, report.tree_root
        ));
        match report.checkpointed_size {
            Some(size) => out.push_str(&format!(
                "Checkpoints: {} signed, all hold; the latest covers {size} of {} records.\n",
                report.checkpoints, report.records
            )),
            None => out.push_str("Checkpoints: none signed yet (`ward audit checkpoint`).\n"),
        }
    } else {
        out.push_str(&format!(
            "FAILED: {} problem(s) in {} records.\n",
            report.problems.len() as u64 + report.problems_omitted,
            report.records
        ));
        if let Some(first) = report.problems.first() {
            out.push_str(&format!("first bad record: {}\n", first.message));
        }
        for problem in report.problems.iter().skip(1) {
            out.push_str(&format!("  {}\n", problem.message));
        }
        if report.problems_omitted > 0 {
            out.push_str(&format!("  … and {} more\n", report.problems_omitted));
        }
    }
    if report.pending_spooled > 0 {
        out.push_str(&format!(
            "note: {} record(s) wait in the spool and will be added by the next write.\n",
            report.pending_spooled
        ));
    }
    out
}

fn export(
    ledger: &Ledger,
    format: ExportFormat,
    session: Option<&str>,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let ExportFormat::Jsonl = format;
    let session_id = session.map(|s| ledger.find_session(s)).transpose()?;
    let filter = RecordFilter {
        session_id,
        ..RecordFilter::default()
    };
    let records = ledger.records(&filter)?;
    let mut text = String::new();
    for r in &records {
        // The stored canonical body is exported verbatim so its hash can be rechecked.
        text.push_str(&format!(
            "{{\"seq\":{},\"hash\":\"{}\",\"record\":{}}}\n",
            r.seq, r.hash, r.body
        ));
    }
    match out {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?;
            file.write_all(text.as_bytes())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            output::status(&format!(
                "Exported {} records to {}",
                records.len(),
                path.display()
            ));
        }
        None => {
            if !text.is_empty() {
                output::data(&text);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
