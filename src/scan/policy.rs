//! The secret policy: one type for what was asked (the CLI, the hook, MCP and the config file
//! map their input onto [`Policy`] at the edge), and one [`decide`] that holds every guard
//! rule. It decides only; asking is the caller's (through [`crate::pipeline::Interact`]).

/// What the user (or config) asked for when a secret is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Ask a person; where no one can be asked, block.
    Ask,
    /// Send nothing (exit 3).
    Block,
    /// Replace each secret with a placeholder and withhold sensitive files.
    Redact,
    /// Send as is, with a warning.
    Allow,
    /// `NAME=value` secrets go to the session as session secrets; the rest is redacted.
    Session,
}

impl Policy {
    /// The stable name used in the manifest, the config file and `--secrets`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Ask => "ask",
            Policy::Block => "block",
            Policy::Redact => "redact",
            Policy::Allow => "allow",
            Policy::Session => "session",
        }
    }
}

/// Everything the rules depend on besides the policy asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Situation {
    /// A person can answer a question now.
    pub can_ask: bool,
    /// What is sent can carry session secrets (a handoff's create; not another API write).
    pub carries_session_secrets: bool,
    /// The key is a legacy v1 key, whose API has no session secrets.
    pub v1_key: bool,
    /// Some findings are in unpushed commits that travel as commits.
    pub in_history: bool,
}

/// Why a policy cannot be carried out here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `session` with a v1 key.
    SessionNeedsV3,
    /// `redact` or `session` with secrets in commits: redacting them would change their IDs.
    HistoryCannotBeRedacted,
}

/// The policy asked for: the flag wins over the config file; with neither, `ask`.
pub fn requested(flag: Option<Policy>, config: Option<Policy>) -> Policy {
    flag.or(config).unwrap_or(Policy::Ask)
}

/// Every guard rule, in one place: what to do with findings under `policy` in `situation`.
/// `Ok(None)`: ask a person (then decide again with the answer). `ask` never waits for an
/// answer that cannot come: without a person it blocks. Where nothing can carry session
/// secrets, `session` redacts. `session` needs a v3 key; secrets in commits cannot be
/// redacted.
pub fn decide(policy: Policy, situation: &Situation) -> Result<Option<Policy>, Refusal> {
    let policy = match policy {
        Policy::Ask if situation.can_ask => return Ok(None),
        Policy::Ask => Policy::Block,
        Policy::Session if !situation.carries_session_secrets => Policy::Redact,
        other => other,
    };
    if policy == Policy::Session && situation.v1_key {
        return Err(Refusal::SessionNeedsV3);
    }
    if matches!(policy, Policy::Redact | Policy::Session) && situation.in_history {
        return Err(Refusal::HistoryCannotBeRedacted);
    }
    Ok(Some(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ask_blocks_without_a_person() {
        let person = Situation {
            can_ask: true,
            carries_session_secrets: true,
            ..Situation::default()
        };
        let nobody = Situation {
            can_ask: false,
            ..person
        };
        assert_eq!(decide(requested(None, None), &person), Ok(None));
        assert_eq!(
            decide(requested(None, None), &nobody),
            Ok(Some(Policy::Block))
        );
        assert_eq!(
            decide(
                requested(Some(Policy::Redact), Some(Policy::Allow)),
                &nobody
            ),
            Ok(Some(Policy::Redact))
        );
        assert_eq!(
            decide(requested(None, Some(Policy::Allow)), &person),
            Ok(Some(Policy::Allow))
        );
    }

    #[test]
    fn every_rule_holds_whoever_asks() {
        let handoff = Situation {
            carries_session_secrets: true,
            ..Situation::default()
        };
        let body = Situation::default();
        assert_eq!(decide(Policy::Session, &body), Ok(Some(Policy::Redact)));
        assert_eq!(decide(Policy::Session, &handoff), Ok(Some(Policy::Session)));
        let v1 = Situation {
            v1_key: true,
            ..handoff
        };
        assert_eq!(decide(Policy::Session, &v1), Err(Refusal::SessionNeedsV3));
        assert_eq!(
            decide(
                Policy::Session,
                &Situation {
                    v1_key: true,
                    ..body
                }
            ),
            Ok(Some(Policy::Redact))
        );
        let history = Situation {
            in_history: true,
            ..handoff
        };
        assert_eq!(
            decide(Policy::Redact, &history),
            Err(Refusal::HistoryCannotBeRedacted)
        );
        assert_eq!(
            decide(Policy::Session, &history),
            Err(Refusal::HistoryCannotBeRedacted)
        );
        assert_eq!(decide(Policy::Allow, &history), Ok(Some(Policy::Allow)));
        assert_eq!(decide(Policy::Block, &history), Ok(Some(Policy::Block)));
    }
}
