//! Ward's approval queue (`$WARD_HOME/approvals.json`): the requests that rules
//! with `approval.mode = "queue"` or `"wait"` make, the approvals and denials
//! people give with `ward approvals`, and the single use of an approval by the
//! call it was for.
//!
//! An approval is a grant for one call: the same rule, session, tool and input
//! digest (the SHA-256 of the canonical unredacted input, as the record keeps it),
//! used once, before it expires. Every decision is a `ward-host` record; the
//! hook's own record of each call names the request.

use anyhow::{Result, anyhow};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ward_core::policy::{ApprovalMode, ApprovalPlan};
use ward_core::{Decision, Event, Verdict};

use crate::home::Home;
use crate::home_state::{HostEvent, StateFile};

/// Settled requests stay listed this long, then leave the file (the ledger keeps
/// them).
const KEEP_SETTLED_DAYS: i64 = 7;

/// How often a waiting hook looks for the approval.
const POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// One person's approval or denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Vote {
    pub(crate) by: String,
    pub(crate) at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

/// One request for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Request {
    pub(crate) id: String,
    pub(crate) rule: String,
    /// The rule's reason.
    pub(crate) why: String,
    pub(crate) session: String,
    pub(crate) tool: String,
    /// A short, redacted view of the call for the approver.
    pub(crate) summary: String,
    pub(crate) input_digest: String,
    /// The identity the agent ran under.
    pub(crate) requester: String,
    pub(crate) requested_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) plan: ApprovalPlan,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) approvals: Vec<Vote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) denied: Option<Vote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) used_at: Option<Timestamp>,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Pending,
    Approved,
    Denied,
    Used,
    Expired,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::Used => "used",
            Status::Expired => "expired",
        }
    }
}

impl Request {
    pub(crate) fn status(&self, now: Timestamp) -> Status {
        if self.used_at.is_some() {
            Status::Used
        } else if self.denied.is_some() {
            Status::Denied
        } else if now >= self.expires_at {
            Status::Expired
        } else if self.approvals.len() >= usize::try_from(self.plan.required).unwrap_or(1) {
            Status::Approved
        } else {
            Status::Pending
        }
    }

    fn is_for(&self, call: &Call<'_>) -> bool {
        self.rule == call.rule
            && self.session == call.session
            && self.tool == call.tool
            && self.input_digest == call.input_digest
    }

    /// When it stopped mattering, for pruning the file.
    fn settled_at(&self) -> Option<Timestamp> {
        self.used_at
            .or(self.denied.as_ref().map(|vote| vote.at))
            .or(Some(self.expires_at))
    }
}

/// What the file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) requests: Vec<Request>,
    /// Requests whose expiry is already in the ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    expiry_recorded: Vec<String>,
    /// Requests whose escalation is already in the ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    escalation_recorded: Vec<String>,
}

fn file(home: &Home) -> StateFile<'_> {
    StateFile::new(
        home,
        "approvals",
        "delete it to drop every open request (the ledger keeps their history)",
    )
}

/// Runs `change` on the requests under their lock, records what it returns, and
/// writes them back; expiries since the last change are recorded first.
pub(crate) fn change<T>(
    home: &Home,
    change: impl FnOnce(&mut State, Timestamp) -> Result<(T, Vec<HostEvent>)>,
) -> Result<(T, Vec<u64>)> {
    file(home).change(|state: &mut State, now| {
        let mut events = Vec::new();
        for request in &state.requests {
            if request.status(now) == Status::Expired
                && !state.expiry_recorded.contains(&request.id)
            {
                state.expiry_recorded.push(request.id.clone());
                events.push(HostEvent {
                    event: "ApprovalExpired",
                    input: json!({
                        "id": request.id,
                        "rule": request.rule,
                        "requested_at": ward_ledger::format_time(request.requested_at),
                        "expires_at": ward_ledger::format_time(request.expires_at),
                        "approvals": request.approvals.len(),
                        "required": request.plan.required,
                    }),
                });
            }
        }
        for request in &state.requests {
            let waited = now.duration_since(request.requested_at).as_secs();
            if request.status(now) == Status::Pending
                && request.plan.escalated(waited)
                && !state.escalation_recorded.contains(&request.id)
            {
                state.escalation_recorded.push(request.id.clone());
                events.push(HostEvent {
                    event: "ApprovalEscalated",
                    input: json!({
                        "id": request.id,
                        "rule": request.rule,
                        "to": request.plan.escalate_to,
                        "requested_at": ward_ledger::format_time(request.requested_at),
                        "waited_seconds": waited,
                    }),
                });
            }
        }
        let (value, more) = change(state, now)?;
        events.extend(more);
        let keep_after = now
            .checked_sub(SignedDuration::from_hours(24 * KEEP_SETTLED_DAYS))
            .unwrap_or(now);
        state
            .requests
            .retain(|r| r.settled_at().is_none_or(|at| at > keep_after));
        let kept = &state.requests;
        state
            .expiry_recorded
            .retain(|id| kept.iter().any(|r| &r.id == id));
        state
            .escalation_recorded
            .retain(|id| kept.iter().any(|r| &r.id == id));
        Ok((value, events))
    })
}

/// Records the expiries nobody has recorded yet (called by the background ingest).
pub(crate) fn record_expiries(home: &Home) -> Result<()> {
    if !file(home).path().is_file() {
        return Ok(());
    }
    change(home, |_, _| Ok(((), Vec::new()))).map(|_| ())
}

/// The requests, without the lock.
pub(crate) fn read(home: &Home) -> Result<Vec<Request>> {
    Ok(file(home).read::<State>()?.requests)
}

/// The call a request is for.
struct Call<'a> {
    rule: &'a str,
    session: &'a str,
    tool: &'a str,
    input_digest: String,
}

/// What the queue made of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Approved: the call goes ahead, once.
    Granted { id: String, by: Vec<String> },
    /// Waiting for people (new, or asked again, or waited for in vain).
    Pending { id: String, expires_at: Timestamp },
    /// Someone denied it.
    Denied {
        id: String,
        by: String,
        reason: String,
    },
}

/// For a verdict whose deciding rule asks through the queue: uses an approval of
/// this exact call if one is granted, or files (or finds) its request and, in
/// `wait` mode, waits for people to decide. `None` when the queue is not involved.
pub(crate) fn answer(
    home: &Home,
    verdict: &Verdict,
    event: &Event,
    requester: &str,
) -> Result<Option<Answer>> {
    // Only before a call: an `ask` at a permission prompt is the prompt itself.
    let before_the_call = event.kind == ward_core::EventKind::PreToolUse;
    if !before_the_call || !verdict.enforced || verdict.decision != Some(Decision::Ask) {
        return Ok(None);
    }
    let Some(rule) = verdict.deciding_rule() else {
        return Ok(None);
    };
    let Some(plan) = rule.approval.clone() else {
        return Ok(None);
    };
    let Some(tool) = &event.tool else {
        return Ok(None);
    };
    let (input_digest, _) = ward_ledger::hash::digest_value(&tool.input)
        .map_err(|error| anyhow!("cannot digest the call's input: {error}"))?;
    let call = Call {
        rule: &rule.rule_id,
        session: &event.session_id,
        tool: &tool.name,
        input_digest,
    };
    let (first, _) = change(home, |state, now| {
        // A granted approval of this very call: use it up.
        if let Some(request) = state
            .requests
            .iter_mut()
            .find(|r| r.is_for(&call) && r.status(now) == Status::Approved)
        {
            request.used_at = Some(now);
            let by = request.approvals.iter().map(|v| v.by.clone()).collect();
            return Ok((
                Answer::Granted {
                    id: request.id.clone(),
                    by,
                },
                Vec::new(),
            ));
        }
        if let Some(request) = state
            .requests
            .iter()
            .find(|r| r.is_for(&call) && r.status(now) == Status::Pending)
        {
            return Ok((
                Answer::Pending {
                    id: request.id.clone(),
                    expires_at: request.expires_at,
                },
                Vec::new(),
            ));
        }
        // Denied: the same call stays denied until the request would have expired.
        if let Some(request) = state
            .requests
            .iter()
            .rev()
            .find(|r| r.is_for(&call) && r.status(now) == Status::Denied && now < r.expires_at)
        {
            let vote = request.denied.clone();
            return Ok((
                Answer::Denied {
                    id: request.id.clone(),
                    by: vote.as_ref().map(|v| v.by.clone()).unwrap_or_default(),
                    reason: vote.and_then(|v| v.reason).unwrap_or_default(),
                },
                Vec::new(),
            ));
        }
        let request = new_request(&call, rule, &plan, event, requester, now)?;
        let answer = Answer::Pending {
            id: request.id.clone(),
            expires_at: request.expires_at,
        };
        // Its own record, so that notifications and latency need nothing but the
        // ledger (the hook's record of the call only names the request).
        let requested = HostEvent {
            event: "ApprovalRequested",
            input: json!({
                "id": request.id,
                "rule": request.rule,
                "why": request.why,
                "severity": rule.severity.as_str(),
                "session": request.session,
                "tool": request.tool,
                "summary": request.summary,
                "input_digest": request.input_digest,
                "requester": request.requester,
                "requested_at": ward_ledger::format_time(request.requested_at),
                "expires_at": ward_ledger::format_time(request.expires_at),
                "pool": request.plan.pool,
                "required": request.plan.required,
                "mode": request.plan.mode,
            }),
        };
        state.requests.push(request);
        Ok((answer, vec![requested]))
    })?;
    match (&first, plan.mode) {
        (Answer::Pending { id, .. }, ApprovalMode::Wait) => {
            let deadline = std::time::Instant::now()
                + std::time::Duration::from_secs(u64::try_from(plan.wait_seconds).unwrap_or(0));
            wait_for(home, id, &call, deadline).map(|waited| Some(waited.unwrap_or(first)))
        }
        _ => Ok(Some(first)),
    }
}

fn new_request(
    call: &Call<'_>,
    rule: &ward_core::decision::RuleMatch,
    plan: &ApprovalPlan,
    event: &Event,
    requester: &str,
    now: Timestamp,
) -> Result<Request> {
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|error| anyhow!("cannot get randomness: {error}"))?;
    let input = event
        .tool
        .as_ref()
        .map(|tool| ward_core::redact::redactor().redact_value(&tool.input).0)
        .unwrap_or_default();
    Ok(Request {
        id: format!("apr-{}", ward_ledger::hash::hex(&random)),
        rule: call.rule.to_owned(),
        why: rule.reason.clone(),
        session: call.session.to_owned(),
        tool: call.tool.to_owned(),
        summary: crate::timeline::input_summary(call.tool, &input),
        input_digest: call.input_digest.clone(),
        requester: requester.to_owned(),
        requested_at: now,
        expires_at: now.checked_add(SignedDuration::from_secs(plan.expires_seconds))?,
        plan: plan.clone(),
        approvals: Vec::new(),
        denied: None,
        used_at: None,
    })
}

/// Polls the file (without the lock, which people's approvals need) until the
/// request is decided or the deadline passes; an approval is then used under
/// the lock. `None`: still pending at the deadline.
fn wait_for(
    home: &Home,
    id: &str,
    call: &Call<'_>,
    deadline: std::time::Instant,
) -> Result<Option<Answer>> {
    loop {
        let now = Timestamp::now();
        let status = read(home)?
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.status(now));
        match status {
            Some(Status::Approved) => {
                let (granted, _) = change(home, |state, now| {
                    let request = state.requests.iter_mut().find(|r| {
                        r.id == id && r.is_for(call) && r.status(now) == Status::Approved
                    });
                    Ok((
                        request.map(|request| {
                            request.used_at = Some(now);
                            Answer::Granted {
                                id: request.id.clone(),
                                by: request.approvals.iter().map(|v| v.by.clone()).collect(),
                            }
                        }),
                        Vec::new(),
                    ))
                })?;
                if granted.is_some() {
                    return Ok(granted);
                }
            }
            Some(Status::Denied) => {
                let request = read(home)?.into_iter().find(|r| r.id == id);
                let vote = request.and_then(|r| r.denied);
                return Ok(Some(Answer::Denied {
                    id: id.to_owned(),
                    by: vote.as_ref().map(|v| v.by.clone()).unwrap_or_default(),
                    reason: vote.and_then(|v| v.reason).unwrap_or_default(),
                }));
            }
            Some(Status::Pending) => {}
            // Used by a parallel retry, expired, or removed: stop waiting.
            _ => return Ok(None),
        }
        if std::time::Instant::now() + POLL > deadline {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Turns the verdict into what the queue answered, and says why.
pub(crate) fn apply(verdict: &mut Verdict, answer: &Answer) {
    let Some(rule) = verdict.matched.first_mut() else {
        return;
    };
    match answer {
        Answer::Granted { id, by } => {
            verdict.decision = Some(Decision::Allow);
            rule.reason = format!(
                "approved by {} (approval {id}, used by this call). {}",
                by.join(", "),
                rule.reason
            );
            rule.alternative = None;
        }
        Answer::Pending { id, expires_at } => {
            verdict.decision = Some(Decision::Deny);
            rule.reason = format!(
                "{} This call waits for a person's approval: request {id}. Do not retry it until the user says it is approved (they run `ward approvals approve {id}` in their own terminal); the same call then runs once. The request expires at {}.",
                rule.reason,
                ward_ledger::format_time(*expires_at)
            );
            rule.alternative = None;
        }
        Answer::Denied { id, by, reason } => {
            verdict.decision = Some(Decision::Deny);
            rule.reason = format!(
                "{} {by} denied approval request {id}: {reason}",
                rule.reason
            );
        }
    }
}

/// The id an answer is about.
pub(crate) fn answer_id(answer: &Answer) -> &str {
    match answer {
        Answer::Granted { id, .. } | Answer::Pending { id, .. } | Answer::Denied { id, .. } => id,
    }
}
