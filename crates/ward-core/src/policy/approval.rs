//! How a rule's `ask` is answered (`[rules.approval]`): by the agent's own
//! permission prompt (`native`, the default), or by Ward's approval queue
//! (`queue`: the call is denied with a request id until people approve it;
//! `wait`: the hook waits a while for the approval first). Approver pools are
//! named lists of identities (`[approvals] pools`).
//!
//! This module only reads and checks the settings; the queue itself is the CLI's
//! (it keeps state in Ward's home).

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

/// A rule's approval settings, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSpec {
    /// `native` (the default), `queue` or `wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The pool whose members may approve; none: anyone who can run `ward`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// How many different approvers it takes (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<u32>,
    /// How long a request, and then its approval, stays valid (default `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// With `wait`: how long the hook waits for the approval (default `30s`; at
    /// most 50s, below the hook timeout `ward install` sets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<String>,
    /// Whether the identity the agent runs under may approve its own request
    /// (default `false`; a single-person machine sets `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_may_approve: Option<bool>,
    /// After this long undecided (`15m`), the `escalate_to` pool may approve too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<String>,
    /// The pool a request escalates to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
}

/// The `[approvals]` table, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsSection {
    /// Pool name to the identities (OS user names) in it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pools: BTreeMap<String, Vec<String>>,
}

/// How an `ask` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalMode {
    /// The agent's own permission prompt.
    Native,
    /// Deny with a request id; the same call passes once after approval.
    Queue,
    /// As `queue`, but the hook first waits for the approval.
    Wait,
}

/// A rule's approval settings, checked, with the pool's members resolved: what
/// the hook needs to run the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPlan {
    /// How the `ask` is answered.
    pub mode: ApprovalMode,
    /// The pool's name, if the rule names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Who may approve; empty: anyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    /// How many different approvers it takes.
    pub required: u32,
    /// How long a request, and then its approval, stays valid, in seconds.
    pub expires_seconds: i64,
    /// With `wait`: how long the hook waits, in seconds.
    pub wait_seconds: i64,
    /// Whether the requesting identity may approve.
    pub requester_may_approve: bool,
    /// Escalation: after this many seconds undecided, `escalation_approvers` may
    /// approve too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_seconds: Option<i64>,
    /// The pool it escalates to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// That pool's members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation_approvers: Vec<String>,
}

/// The longest a `wait` may be: Claude Code's hook timeout that `ward install`
/// sets is 60 s, and the hook must answer before it.
const MAX_WAIT_SECONDS: i64 = 50;

fn duration(field: &str, text: &str) -> Result<SignedDuration, String> {
    text.trim()
        .parse::<jiff::Span>()
        .and_then(|span| span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()))
        .ok()
        .filter(|d| *d > SignedDuration::ZERO)
        .ok_or_else(|| {
            format!(
                "`approval.{field} = \"{text}\"` is not a duration: write e.g. `30s`, `15m` or `1h`"
            )
        })
}

impl ApprovalPlan {
    /// Checks a rule's settings; the pool is resolved later (the rule does not
    /// know the other layers' pools), so `approvers` is empty here.
    pub(crate) fn new(spec: &ApprovalSpec) -> Result<ApprovalPlan, String> {
        let mode = match spec.mode.as_deref().unwrap_or("native") {
            "native" => ApprovalMode::Native,
            "queue" => ApprovalMode::Queue,
            "wait" => ApprovalMode::Wait,
            other => {
                return Err(format!(
                    "`approval.mode = \"{other}\"`: use native (the agent's prompt), queue or wait"
                ));
            }
        };
        let required = spec.required.unwrap_or(1);
        if required == 0 {
            return Err("`approval.required` is 0: it takes at least one approver".to_owned());
        }
        let expires = duration("expires", spec.expires.as_deref().unwrap_or("1h"))?;
        let wait = duration("wait", spec.wait.as_deref().unwrap_or("30s"))?;
        if wait.as_secs() > MAX_WAIT_SECONDS {
            return Err(format!(
                "`approval.wait` is longer than {MAX_WAIT_SECONDS}s: the agent's hook times out at 60s; use `queue` for longer"
            ));
        }
        if spec.wait.is_some() && mode != ApprovalMode::Wait {
            return Err("`approval.wait` needs `mode = \"wait\"`".to_owned());
        }
        let escalate_after_seconds = match (&spec.escalate_after, &spec.escalate_to) {
            (Some(after), Some(_)) => Some(duration("escalate_after", after)?.as_secs()),
            (None, None) => None,
            _ => {
                return Err(
                    "`approval.escalate_after` and `approval.escalate_to` go together: how long, and to which pool".to_owned(),
                );
            }
        };
        Ok(ApprovalPlan {
            mode,
            pool: spec.pool.clone(),
            approvers: Vec::new(),
            required,
            expires_seconds: expires.as_secs(),
            wait_seconds: wait.as_secs(),
            requester_may_approve: spec.requester_may_approve.unwrap_or(false),
            escalate_after_seconds,
            escalate_to: spec.escalate_to.clone(),
            escalation_approvers: Vec::new(),
        })
    }

    /// Fills in the pool's members; a pool no layer defines, or one too small for
    /// `required`, is an error.
    pub(crate) fn resolve(&mut self, pools: &BTreeMap<String, Vec<String>>) -> Result<(), String> {
        if let Some(name) = &self.escalate_to {
            self.escalation_approvers = pools.get(name).cloned().ok_or_else(|| {
                format!(
                    "`approval.escalate_to = \"{name}\"`: no `[approvals] pools` defines `{name}`"
                )
            })?;
        }
        let Some(name) = &self.pool else {
            return Ok(());
        };
        let members = pools.get(name).ok_or_else(|| {
            format!("`approval.pool = \"{name}\"`: no `[approvals] pools` defines `{name}`")
        })?;
        if members.len() < usize::try_from(self.required).unwrap_or(usize::MAX) {
            return Err(format!(
                "`approval.required = {}` but pool `{name}` has {} member(s)",
                self.required,
                members.len()
            ));
        }
        self.approvers = members.clone();
        Ok(())
    }

    /// Whether the request, made `waited_seconds` ago, has escalated.
    pub fn escalated(&self, waited_seconds: i64) -> bool {
        self.escalate_after_seconds
            .is_some_and(|after| waited_seconds >= after)
    }

    /// Whether `who` may approve a request `requester` made `waited_seconds` ago.
    pub fn may_approve(
        &self,
        who: &str,
        requester: &str,
        waited_seconds: i64,
    ) -> Result<(), String> {
        let in_pool = self.approvers.is_empty() || self.approvers.iter().any(|a| a == who);
        let escalated_to =
            self.escalated(waited_seconds) && self.escalation_approvers.iter().any(|a| a == who);
        if !in_pool && !escalated_to {
            let escalation = match (&self.escalate_to, self.escalate_after_seconds) {
                (Some(pool), Some(after)) if !self.escalated(waited_seconds) => {
                    format!("; it escalates to pool `{pool}` after {after}s undecided")
                }
                _ => String::new(),
            };
            return Err(format!(
                "`{who}` is not in the approver pool `{}` ({}){escalation}",
                self.pool.as_deref().unwrap_or("?"),
                self.approvers.join(", ")
            ));
        }
        if who == requester && !self.requester_may_approve {
            return Err(format!(
                "`{who}` made this request (the agent runs as `{who}`) and the rule does not let the requester approve; another approver must, or the rule sets `requester_may_approve = true`"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: &str) -> ApprovalSpec {
        ApprovalSpec {
            mode: Some(mode.to_owned()),
            ..ApprovalSpec::default()
        }
    }

    #[test]
    fn defaults_and_errors() {
        let plan = ApprovalPlan::new(&spec("queue")).unwrap();
        assert_eq!(plan.required, 1);
        assert_eq!(plan.expires_seconds, 3600);
        assert!(!plan.requester_may_approve);
        let error = |spec: ApprovalSpec| ApprovalPlan::new(&spec).unwrap_err();
        assert!(error(spec("email")).contains("native"));
        assert!(
            error(ApprovalSpec {
                wait: Some("2m".to_owned()),
                ..spec("wait")
            })
            .contains("longer than 50s")
        );
        assert!(
            error(ApprovalSpec {
                wait: Some("10s".to_owned()),
                ..spec("queue")
            })
            .contains("needs `mode = \"wait\"`")
        );
        assert!(
            error(ApprovalSpec {
                required: Some(0),
                ..spec("queue")
            })
            .contains("at least one")
        );
    }

    #[test]
    fn pools_resolve_and_bound_who_approves() {
        let pools = BTreeMap::from([(
            "leads".to_owned(),
            vec!["alice".to_owned(), "bob".to_owned()],
        )]);
        let mut plan = ApprovalPlan::new(&ApprovalSpec {
            pool: Some("leads".to_owned()),
            required: Some(2),
            ..spec("queue")
        })
        .unwrap();
        plan.resolve(&pools).unwrap();
        assert!(plan.may_approve("alice", "dev", 0).is_ok());
        assert!(
            plan.may_approve("mallory", "dev", 0)
                .unwrap_err()
                .contains("not in")
        );
        assert!(
            plan.may_approve("alice", "alice", 0)
                .unwrap_err()
                .contains("made this request")
        );
        plan.required = 3;
        assert!(plan.resolve(&pools).unwrap_err().contains("2 member(s)"));
        let mut unknown = ApprovalPlan::new(&ApprovalSpec {
            pool: Some("ops".to_owned()),
            ..spec("queue")
        })
        .unwrap();
        assert!(
            unknown
                .resolve(&pools)
                .unwrap_err()
                .contains("no `[approvals] pools`")
        );
    }
}
