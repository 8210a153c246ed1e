//! Lists on stdout: on a terminal, an aligned table with a header, cut to the terminal's
//! width; into a pipe, tab-separated rows with no header and no colour, as scripts expect.

use std::io::IsTerminal;

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Row, Table as Comfy, Width};

use crate::error::Result;

/// How a cell is coloured on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    /// Done well: finished, enabled.
    Good,
    /// Failed or stopped.
    Bad,
    /// Working or waiting.
    Busy,
    /// Secondary: times, URLs.
    Dim,
}

/// A status word's tone: the API's session statuses and the words `describe` adds.
pub fn status_tone(status: &str) -> Tone {
    let word = status.split([' ', '(']).next().unwrap_or("");
    match word {
        "exit" | "finished" | "true" | "enabled" => Tone::Good,
        "error" | "failed" | "suspended" | "expired" | "false" | "disabled" => Tone::Bad,
        "running" | "working" | "starting" | "waiting" | "new" | "claimed" | "resuming"
        | "blocked" => Tone::Busy,
        _ => Tone::Plain,
    }
}

/// A table: a header for people, and only the first `piped` columns for scripts.
#[derive(Debug)]
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<(String, Tone)>>,
    /// How many leading columns a pipe gets (today's tab-separated contract); the ones after
    /// them are for people.
    piped: usize,
    /// Columns kept whole when the terminal has room (IDs one copies, short times); the others
    /// are cut first.
    whole: Vec<usize>,
}

impl Table {
    /// A table with these column names; every column is also printed into a pipe.
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
            piped: header.len(),
            whole: Vec::new(),
        }
    }

    /// Keeps these columns whole when there is room, cutting the others first.
    pub fn whole(mut self, cols: &[usize]) -> Table {
        self.whole = cols.to_vec();
        self
    }

    /// Gives a pipe only the first `n` columns (those after them, like a relative time, are
    /// for people and would change the scripts' contract).
    pub fn piped_columns(mut self, n: usize) -> Table {
        self.piped = n;
        self
    }

    /// Adds a row; each cell is made one line, with control characters shown, not obeyed.
    pub fn row(&mut self, cells: Vec<(String, Tone)>) {
        let cells = cells
            .into_iter()
            .map(|(t, tone)| (super::clean_line(&t), tone))
            .collect();
        self.rows.push(cells);
    }

    /// Prints to stdout: a table on a terminal, tab-separated rows otherwise.
    pub fn print(&self) -> Result<()> {
        let text = if std::io::stdout().is_terminal() {
            let width = console::Term::stdout().size_checked().map(|(_, w)| w);
            self.render(width.unwrap_or(80), console::colors_enabled())
        } else {
            self.tsv()
        };
        super::output::print_stdout_clean(&text)
    }

    /// Tab-separated rows of the piped columns, no header.
    pub fn tsv(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let cells: Vec<&str> = (0..self.piped)
                .map(|i| row.get(i).map_or("-", |c| c.0.as_str()))
                .collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
        out
    }

    /// The table for a terminal `width` columns wide: a header, aligned columns, each row on
    /// one line, cells cut with `…` so that no line is wider than the terminal.
    pub fn render(&self, width: u16, color: bool) -> String {
        let mut t = Comfy::new();
        t.load_style(comfy_table::presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(width)
            .set_truncation_indicator("…");
        if color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        let mut header = Row::from(self.header.iter().map(|h| {
            let c = Cell::new(h.to_uppercase());
            if color {
                c.add_attribute(comfy_table::Attribute::Bold)
            } else {
                c
            }
        }));
        header.max_height(1);
        t.set_header(header);
        for row in &self.rows {
            t.add_row(row.iter().map(|(text, tone)| paint(text, *tone, color)));
        }
        for r in t.row_iter_mut() {
            r.max_height(1);
        }
        let last = self.header.len().saturating_sub(1);
        let widest = |i: usize| {
            let cells = self
                .rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.0.as_str());
            cells
                .chain(self.header.get(i).copied())
                .map(console::measure_text_width)
                .max()
                .unwrap_or(0)
        };
        // The whole columns, with their padding, must leave room for the others to show
        // something; else all are cut alike.
        let room: usize = self.whole.iter().map(|&i| widest(i) + 2).sum();
        let keep = room + 8 * (self.header.len() - self.whole.len().min(self.header.len()))
            <= width as usize;
        for (i, col) in t.column_iter_mut().enumerate() {
            let pad = if i == last { 0 } else { 2 };
            col.set_padding((0, pad));
            if keep && self.whole.contains(&i) {
                // The constraint's width counts the padding too.
                let w = u16::try_from(widest(i) + pad as usize).unwrap_or(u16::MAX);
                col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
            }
        }
        let mut out = String::new();
        for line in t.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

fn paint(text: &str, tone: Tone, color: bool) -> Cell {
    let cell = Cell::new(text);
    if !color {
        return cell;
    }
    match tone {
        Tone::Plain => cell,
        Tone::Good => cell.fg(Color::Green),
        Tone::Bad => cell.fg(Color::Red),
        Tone::Busy => cell.fg(Color::Yellow),
        Tone::Dim => cell.fg(Color::DarkGrey),
    }
}

/// "3 min ago" for a Unix time in seconds, from `now`; "-" when there is none.
pub fn ago(then: Option<i64>, now: i64) -> String {
    let Some(then) = then else {
        return "-".into();
    };
    let d = now - then;
    if d < 0 {
        return "just now".into();
    }
    match d {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", d / 60),
        3600..=86_399 => plural(d / 3600, "hour"),
        86_400..=2_591_999 => plural(d / 86_400, "day"),
        _ => plural(d / 2_592_000, "month"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

/// Now, as a Unix time in seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&["id", "title", "status"]).piped_columns(2);
        t.row(vec![
            ("devin-1".into(), Tone::Plain),
            (
                "a title long enough to need cutting at sixty columns wide".into(),
                Tone::Plain,
            ),
            ("running".into(), Tone::Busy),
        ]);
        t
    }

    #[test]
    fn a_table_fits_its_width_and_a_pipe_gets_the_contracted_columns() {
        let t = sample();
        for w in [40u16, 60, 120] {
            let out = t.render(w, false);
            assert!(out.starts_with("ID"), "{out}");
            for line in out.lines() {
                assert!(
                    console::measure_text_width(line) <= w as usize,
                    "{w}: {line:?}"
                );
            }
        }
        assert!(t.render(40, false).contains('…'));
        assert_eq!(
            t.tsv(),
            "devin-1\ta title long enough to need cutting at sixty columns wide\n"
        );
    }

    #[test]
    fn relative_times() {
        assert_eq!(ago(Some(1000), 1030), "just now");
        assert_eq!(ago(Some(1000), 1000 + 180), "3 min ago");
        assert_eq!(ago(Some(0), 3600), "1 hour ago");
        assert_eq!(ago(Some(0), 2 * 86_400), "2 days ago");
        assert_eq!(ago(None, 5), "-");
    }
}
