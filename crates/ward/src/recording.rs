//! Building the R6 record of one event: redacting its input, digesting the
//! unredacted input and output, and naming the policy, the actor and the decision.

use std::borrow::Cow;

use serde_json::{Map, Value, json};
use ward_core::{Action, Event, EventKind, Verdict};
use ward_ledger::hash::digest_value;
use ward_ledger::record::{Outcome, Record, Reference, Request, Resource, Role, Rules};

/// Which policy decided, for the `rules` part.
pub(crate) struct PolicyInfo {
    pub(crate) hash: String,
    pub(crate) preset: Option<String>,
    pub(crate) enforce: bool,
}

/// Who ran Ward, for the `role` part.
pub(crate) struct Actor {
    pub(crate) os_user: Option<String>,
    pub(crate) host_key_id: Option<String>,
}

/// The current time as records write it: RFC 3339 UTC with microseconds.
pub(crate) fn now() -> String {
    ward_ledger::format_time(jiff::Timestamp::now())
}

/// Detail fields that carry cost or token figures, kept in `resource.usage`.
fn is_usage_field(name: &str) -> bool {
    name.contains("tokens") || name.contains("usd") || name.contains("cost")
}

/// The record of an event. `verdict` is `None` when no policy was evaluated
/// (non-tool events, outcomes); `error` says what broke inside Ward, if anything.
pub(crate) fn build(
    event: &Event,
    action: Option<&Action>,
    verdict: Option<&Verdict>,
    policy: Option<&PolicyInfo>,
    actor: &Actor,
    error: Option<&str>,
) -> Record {
    let redactor = ward_core::redact::redactor();
    let raw_input = raw_input(event);
    let (input_digest, input_bytes) = match digest_value(&raw_input) {
        Ok((digest, bytes)) => (Some(digest), bytes),
        Err(_) => (None, 0),
    };
    // An event Ward does not know is recorded minimally: which fields it had, and
    // the digest of their content, not the content itself.
    let (input, _) = match (&event.kind, raw_input.as_ref()) {
        (EventKind::Other(_), Value::Object(fields)) => (
            json!({ "fields": fields.keys().collect::<Vec<_>>() }),
            Vec::new(),
        ),
        _ => redactor.redact_value(&raw_input),
    };
    let usage: Map<String, Value> = event
        .details
        .iter()
        .filter(|(name, _)| is_usage_field(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();

    let mut resource = Resource {
        input_bytes,
        usage: (!usage.is_empty()).then(|| Value::Object(usage)),
        ..Resource::default()
    };
    let mut result = Outcome::default();
    if let Some(verdict) = verdict {
        result.decision = verdict.decision.map(|d| d.as_str().to_owned());
        result.severity = verdict
            .decision
            .and(verdict.deciding_rule())
            .map(|rule| rule.severity.as_str().to_owned());
        result.enforced = verdict.enforced && verdict.decision.is_some();
        result.reason = verdict.explanation();
        result.rate = verdict
            .rate_counts
            .iter()
            .map(|count| ward_ledger::record::RateCount {
                rule: count.rule_id.clone(),
                key: count.key.clone(),
                count: count.count,
                max: count.max,
                per_seconds: count.per_seconds,
            })
            .collect();
    }
    if let Some(outcome) = &event.outcome {
        result.outcome = Some(outcome.status.as_str().to_owned());
        if let Ok((digest, bytes)) = digest_value(&outcome.output) {
            result.output_digest = Some(digest);
            resource.output_bytes = Some(bytes);
        }
        resource.duration_ms = outcome.duration_ms;
        if let Some(message) = &outcome.error {
            result.reason = Some(redactor.redact_str(message).text.into_owned());
        }
    }
    result.error = error.map(str::to_owned);

    let tool = event.tool.as_ref();
    Record {
        version: ward_ledger::record::RECORD_VERSION,
        time: now(),
        rules: Rules {
            policy_hash: policy.map(|p| p.hash.clone()).unwrap_or_default(),
            preset: policy.and_then(|p| p.preset.clone()),
            enforce: policy.is_none_or(|p| p.enforce),
            matched: verdict
                .map(|v| v.matched.iter().map(|m| m.rule_id.clone()).collect())
                .unwrap_or_default(),
        },
        role: Role {
            agent: event.agent.clone(),
            session_id: event.session_id.clone(),
            subagent_id: event.subagent.as_ref().map(|s| s.id.clone()),
            subagent_type: event.subagent.as_ref().and_then(|s| s.agent_type.clone()),
            permission_mode: event.permission_mode.clone(),
            os_user: actor.os_user.clone(),
            host_key_id: actor.host_key_id.clone(),
        },
        request: Request {
            event: event.kind.as_str().to_owned(),
            tool: tool.map(|t| t.name.clone()),
            category: action.map(|a| a.category().as_str().to_owned()),
            categories: action
                .map(|a| a.categories.iter().map(|c| c.as_str().to_owned()).collect())
                .unwrap_or_default(),
            targets: action.map(|a| a.targets.clone()).unwrap_or_default(),
            programs: action
                .map(|a| a.commands.iter().map(|c| c.program.clone()).collect())
                .unwrap_or_default(),
            findings: action.map(|a| a.findings.clone()).unwrap_or_default(),
            tags: action.map(|a| a.tags.clone()).unwrap_or_default(),
            opaque: action.is_some_and(|a| a.opaque),
            notes: action.map(|a| a.notes.clone()).unwrap_or_default(),
            input_digest,
            input,
            cwd: event.cwd.clone(),
            tool_use_id: tool.and_then(|t| t.tool_use_id.clone()),
        },
        reference: Reference::default(),
        resource,
        result,
    }
}

/// What the event asked, unredacted: the tool input (borrowed: it can be megabytes),
/// the prompt, or the other fields.
fn raw_input(event: &Event) -> Cow<'_, Value> {
    if let Some(tool) = &event.tool {
        return Cow::Borrowed(&tool.input);
    }
    let mut details = event.details.clone();
    details.retain(|name, _| !is_usage_field(name));
    if event.kind == EventKind::UserPromptSubmit {
        let prompt = event.prompt.clone().unwrap_or_default();
        details.insert("prompt".to_owned(), Value::String(prompt));
    }
    Cow::Owned(if details.is_empty() {
        Value::Null
    } else {
        Value::Object(details)
    })
}
