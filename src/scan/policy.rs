//! The secret policy: given what was found and whether a person can be asked, what to do.
//! It decides only; asking is the caller's (through [`crate::pipeline::Interact`]).

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

/// What the guard does with findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Put the choice to a person: redact, send anyway, or abort.
    Ask,
    Block,
    Redact,
    Allow,
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

/// The flag wins over the config file; with neither, a person is asked when there is one
/// and the handoff is blocked when there is not. `ask` never waits for an answer that
/// cannot come: without a terminal it blocks.
pub fn decide(flag: Option<Policy>, config: Option<Policy>, can_ask: bool) -> Decision {
    match flag.or(config).unwrap_or(Policy::Ask) {
        Policy::Ask if can_ask => Decision::Ask,
        Policy::Ask | Policy::Block => Decision::Block,
        Policy::Redact => Decision::Redact,
        Policy::Allow => Decision::Allow,
        Policy::Session => Decision::Session,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ask_blocks_without_a_person() {
        assert_eq!(decide(None, None, true), Decision::Ask);
        assert_eq!(decide(None, None, false), Decision::Block);
        assert_eq!(decide(Some(Policy::Ask), None, false), Decision::Block);
        assert_eq!(
            decide(Some(Policy::Redact), Some(Policy::Allow), false),
            Decision::Redact
        );
        assert_eq!(decide(None, Some(Policy::Allow), true), Decision::Allow);
    }
}
