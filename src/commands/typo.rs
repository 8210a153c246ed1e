//! Guards against a mistyped command becoming a billable session: `devin-handoff sesions`
//! would otherwise hand off the task "sesions". Also suggests the command a failed parse
//! probably meant, where clap's own guess is misled by the implied `create`.

use std::ffi::OsString;

use clap::CommandFactory;

use crate::cli::Cli;

/// Words people type for a command this tool spells differently, and what to suggest.
const ALIASES: &[(&str, &str)] = &[
    ("status", "sessions show"),
    ("list", "sessions list"),
    ("show", "sessions show"),
    ("watch", "sessions watch"),
    ("pull", "sessions pull"),
    ("send", "sessions send"),
    ("messages", "sessions messages"),
    ("terminate", "sessions terminate"),
    ("login", "doctor"),
    ("auth", "doctor"),
    ("config", "doctor"),
    ("help", "--help"),
    ("version", "--version"),
];

/// The command `word` is probably a misspelling of (or an alias for), if any: within edit
/// distance 2 of a command's name, and 1 for names of four letters or fewer.
pub fn suggestion(word: &str) -> Option<String> {
    let word = word.to_ascii_lowercase();
    let cmd = Cli::command();
    // A command spelled right failed for another reason (a bad value): clap says which.
    if cmd.get_subcommands().any(|c| c.get_name() == word) {
        return None;
    }
    let names = cmd
        .get_subcommands()
        .map(|c| (c.get_name().to_string(), c.get_name().to_string()));
    let aliases = ALIASES.iter().map(|(a, s)| (a.to_string(), s.to_string()));
    names
        .chain(aliases)
        .filter_map(|(name, suggest)| {
            let d = strsim::damerau_levenshtein(&word, &name);
            let limit = if name.len() <= 4 { 1 } else { 2 };
            (d <= limit).then_some((d, suggest))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, s)| s)
}

/// The first word of the command line that is neither an option nor an option's value.
pub fn first_word(args: &[OsString]) -> Option<String> {
    let cmd = Cli::command();
    let takes_value: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_action().takes_values() && !a.is_positional())
        .flat_map(|a| {
            let long = a.get_long().map(|l| format!("--{l}"));
            let short = a.get_short().map(|s| format!("-{s}"));
            long.into_iter().chain(short)
        })
        .collect();
    let mut skip = false;
    for a in args.iter().skip(1) {
        let a = a.to_string_lossy();
        if skip {
            skip = false;
            continue;
        }
        if a == "--" {
            return None;
        }
        if a.starts_with('-') {
            skip = !a.contains('=') && takes_value.iter().any(|t| *t == a);
            continue;
        }
        return Some(a.into_owned());
    }
    None
}
