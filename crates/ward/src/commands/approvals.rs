//! `ward approvals list|show|approve|deny`: people decide the queued calls.

use std::process::ExitCode;

use anyhow::{Result, bail};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use crate::approvals::{self, Request, Status, Vote};
use crate::cli::ApprovalsCommand;
use crate::home::Home;
use crate::home_state::HostEvent;
use crate::output;

/// A request as `list`, `show` and `--json` show it.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    request: &'a Request,
    status: Status,
}

pub(crate) fn run(home: &Home, command: ApprovalsCommand) -> Result<ExitCode> {
    if !home.is_initialised() {
        bail!(
            "Ward's home `{}` is not initialised; run `ward init`",
            home.root.display()
        );
    }
    match command {
        ApprovalsCommand::List { all, json } => list(home, all, json),
        ApprovalsCommand::Show { id, json } => show(home, &id, json),
        ApprovalsCommand::Approve { id, reason, json } => {
            decide(home, &id, Verdict::Approve, reason, json)
        }
        ApprovalsCommand::Deny { id, reason, json } => {
            if reason.trim().is_empty() {
                bail!("`--reason` is empty: say why (the agent is told)");
            }
            decide(home, &id, Verdict::Deny, Some(reason), json)
        }
    }
}

fn list(home: &Home, all: bool, json: bool) -> Result<ExitCode> {
    // Through the lock, so that expiries since the last look are recorded.
    let (requests, _) =
        approvals::change(home, |state, _| Ok((state.requests.clone(), Vec::new())))?;
    let now = Timestamp::now();
    let shown: Vec<Shown<'_>> = requests
        .iter()
        .map(|request| Shown {
            request,
            status: request.status(now),
        })
        .filter(|item| all || matches!(item.status, Status::Pending | Status::Approved))
        .collect();
    if json {
        return output::json(&shown).map(|()| ExitCode::SUCCESS);
    }
    if shown.is_empty() {
        output::data(if all {
            "No approval requests in the last 7 days."
        } else {
            "No approval requests are waiting."
        });
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for item in &shown {
        let r = item.request;
        text.push_str(&format!(
            "{}  {:<8}  {} {}  rule {}  ({} of {} approvals; session {}, by {})\n",
            r.id,
            item.status.as_str(),
            r.tool,
            r.summary,
            r.rule,
            r.approvals.len(),
            r.plan.required,
            r.session,
            r.requester
        ));
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}

fn find<'a>(requests: &'a [Request], id: &str) -> Result<&'a Request> {
    requests.iter().find(|r| r.id == id).ok_or_else(|| {
        anyhow::anyhow!("no approval request `{id}`; `ward approvals list --all` shows them")
    })
}

fn show(home: &Home, id: &str, json: bool) -> Result<ExitCode> {
    let requests = approvals::read(home)?;
    let request = find(&requests, id)?;
    let status = request.status(Timestamp::now());
    if json {
        return output::json(&Shown { request, status }).map(|()| ExitCode::SUCCESS);
    }
    let who = if request.plan.approvers.is_empty() {
        "anyone".to_owned()
    } else {
        format!(
            "pool {} ({})",
            request.plan.pool.as_deref().unwrap_or("?"),
            request.plan.approvers.join(", ")
        )
    };
    let mut text = format!(
        "Request    {}  ({})\nCall       {} {}\nInput      {}\nRule       {}: {}\nSession    {} (agent running as {})\nRequested  {}\nExpires    {}\nApprovers  {who}; {} of {} needed{}\n",
        request.id,
        status.as_str(),
        request.tool,
        request.summary,
        request.input_digest,
        request.rule,
        request.why,
        request.session,
        request.requester,
        ward_ledger::format_time(request.requested_at),
        ward_ledger::format_time(request.expires_at),
        request.approvals.len(),
        request.plan.required,
        if request.plan.requester_may_approve {
            ""
        } else {
            "; the requester may not approve"
        },
    );
    if let (Some(pool), Some(after)) = (
        &request.plan.escalate_to,
        request.plan.escalate_after_seconds,
    ) {
        text.push_str(&format!(
            "Escalates  to pool {pool} ({}) after {after}s undecided\n",
            request.plan.escalation_approvers.join(", ")
        ));
    }
    for vote in &request.approvals {
        text.push_str(&format!(
            "Approved   by {} at {}{}\n",
            vote.by,
            ward_ledger::format_time(vote.at),
            because(vote)
        ));
    }
    if let Some(vote) = &request.denied {
        text.push_str(&format!(
            "Denied     by {} at {}{}\n",
            vote.by,
            ward_ledger::format_time(vote.at),
            because(vote)
        ));
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}

fn because(vote: &Vote) -> String {
    vote.reason
        .as_deref()
        .map(|reason| format!(": {reason}"))
        .unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Approve,
    Deny,
}

fn decide(
    home: &Home,
    id: &str,
    verdict: Verdict,
    reason: Option<String>,
    json: bool,
) -> Result<ExitCode> {
    let who = crate::home::os_user();
    let (request, seqs) = approvals::change(home, |state, now| {
        let Some(request) = state.requests.iter_mut().find(|r| r.id == id) else {
            bail!("no approval request `{id}`; `ward approvals list --all` shows them");
        };
        let status = request.status(now);
        let open = match verdict {
            Verdict::Approve => status == Status::Pending,
            Verdict::Deny => matches!(status, Status::Pending | Status::Approved),
        };
        if !open {
            bail!(
                "approval request `{id}` is {}; there is nothing to decide",
                status.as_str()
            );
        }
        if verdict == Verdict::Approve {
            request
                .plan
                .may_approve(
                    &who,
                    &request.requester,
                    now.duration_since(request.requested_at).as_secs(),
                )
                .map_err(|message| anyhow::anyhow!("{message}"))?;
            if request.approvals.iter().any(|vote| vote.by == who) {
                bail!("`{who}` has already approved `{id}`; it needs a different approver");
            }
        }
        let vote = Vote {
            by: who.clone(),
            at: now,
            reason: reason.clone(),
        };
        let event = match verdict {
            Verdict::Approve => {
                request.approvals.push(vote);
                "ApprovalGranted"
            }
            Verdict::Deny => {
                request.denied = Some(vote);
                "ApprovalDenied"
            }
        };
        let latency = now.duration_since(request.requested_at).as_secs();
        let record = HostEvent {
            event,
            input: json!({
                "id": request.id,
                "by": who,
                "reason": reason,
                "rule": request.rule,
                "session": request.session,
                "tool": request.tool,
                "input_digest": request.input_digest,
                "requested_at": ward_ledger::format_time(request.requested_at),
                "latency_seconds": latency,
                "approvals": request.approvals.len(),
                "required": request.plan.required,
            }),
        };
        Ok((request.clone(), vec![record]))
    })?;
    let seq = seqs.last().copied().unwrap_or_default();
    let status = request.status(Timestamp::now());
    if json {
        let mut value = serde_json::to_value(Shown {
            request: &request,
            status,
        })?;
        value["record"] = serde_json::Value::from(seq);
        return output::json(&value).map(|()| ExitCode::SUCCESS);
    }
    let line = match (verdict, status) {
        (Verdict::Deny, _) => {
            format!("{id} denied; the agent is told why. Recorded as record {seq}.")
        }
        (_, Status::Approved) => format!(
            "{id} approved ({} of {}): the same call runs once when the agent retries it, until {}. Recorded as record {seq}.",
            request.approvals.len(),
            request.plan.required,
            ward_ledger::format_time(request.expires_at)
        ),
        _ => format!(
            "{id}: approval {} of {} recorded (record {seq}); it needs {} more.",
            request.approvals.len(),
            request.plan.required,
            request.plan.required as usize - request.approvals.len()
        ),
    };
    output::data(&line);
    Ok(ExitCode::SUCCESS)
}
