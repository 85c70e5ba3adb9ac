//! Which `@bot` command a comment holds. A command counts only when the mention starts a line
//! of the comment's own text: lines inside fenced or indented code, `>` quotes and HTML
//! comments are not the author's command (they quote someone, or show an example), and a
//! mention in the middle of a sentence ("thanks @amd-bot!") is talk, not a command. This
//! differs from the original on purpose (PR-G13, PR-W12); the README lists how.

/// What a known command asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// A full review of the PR.
    Review,
    /// A review concentrating on the areas written after the command.
    ReviewFocus,
    /// The PR's CI status.
    CiStatus,
    /// The list of commands.
    Help,
}

/// One row of the command table: the parser reads the names, the help text renders the rows,
/// so the two cannot drift apart.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// What the parser returns for this name.
    pub kind: CommandKind,
    /// What follows the mention.
    pub name: &'static str,
    /// The help line's description.
    pub summary: &'static str,
    /// An example for the help's "Examples" list: arguments (may be empty) and what it does.
    pub example: Option<(&'static str, &'static str)>,
}

/// Every command the watcher obeys, in the help text's order.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        kind: CommandKind::Review,
        name: "review",
        summary: "Full code review of this PR",
        example: Some(("", "Full code review")),
    },
    CommandSpec {
        kind: CommandKind::ReviewFocus,
        name: "review-focus",
        summary: "Code review concentrating on the areas you write after the command",
        example: Some((
            "AMD ROCm compatibility",
            "Review focused on ROCm compatibility",
        )),
    },
    CommandSpec {
        kind: CommandKind::CiStatus,
        name: "ci-status",
        summary: "Check this PR's CI and say which failures are its own",
        example: Some(("", "Check CI failures")),
    },
    CommandSpec {
        kind: CommandKind::Help,
        name: "help",
        summary: "Show this list of commands",
        example: None,
    },
];

/// What a comment asks the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A known command; `args` is the text after it (reviews with a focus read it).
    Command { kind: CommandKind, args: String },
    /// A line-start mention followed by a word that is no command (answered with the help).
    Unknown(String),
}

/// Punctuation a sentence may put right after the command word (`@amd-bot ci-status.`).
const TRAILING_PUNCTUATION: &[char] = &['.', ',', '!', '?', ';', ':'];

/// The first command of `body` addressed to `@login`, if any. Later commands in the same
/// comment are not read: a comment gets one answer.
pub fn parse(body: &str, login: &str) -> Option<Parsed> {
    let lines = own_lines(body);
    let (at, rest) = lines
        .iter()
        .enumerate()
        .find_map(|(i, line)| mention_rest(line.as_deref()?, login).map(|rest| (i, rest)))?;
    let mut words = rest.split_whitespace();
    let Some(first) = words.next() else {
        return Some(bare_mention(&lines[at + 1..], login));
    };
    let word = command_word(first);
    let Some(spec) = COMMANDS.iter().find(|c| c.name == word) else {
        return Some(Parsed::Unknown(first.to_string()));
    };
    let after_word = rest.trim_start()[first.len()..].trim();
    Some(Parsed::Command {
        kind: spec.kind,
        args: args_from(after_word, &lines[at + 1..], login),
    })
}

/// A mention alone on its line is a review, as in the original; when the next line starts
/// with a command name (`@amd-bot` then `help` on the line below), that command.
fn bare_mention(following: &[Option<String>], login: &str) -> Parsed {
    let next = following
        .iter()
        .enumerate()
        .find(|(_, l)| l.as_deref().is_some_and(|l| !l.trim().is_empty()));
    if let Some((at, Some(line))) = next {
        if mention_rest(line, login).is_none() {
            let trimmed = line.trim();
            let first = trimmed.split_whitespace().next().unwrap_or("");
            let word = command_word(first);
            if let Some(spec) = COMMANDS.iter().find(|c| c.name == word) {
                return Parsed::Command {
                    kind: spec.kind,
                    args: args_from(trimmed[first.len()..].trim(), &following[at + 1..], login),
                };
            }
        }
    }
    Parsed::Command {
        kind: CommandKind::Review,
        args: String::new(),
    }
}

/// The command name a word stands for: lower case, sentence punctuation after it dropped.
fn command_word(word: &str) -> String {
    word.trim_end_matches(TRAILING_PUNCTUATION).to_lowercase()
}

/// The arguments: the rest of the command's line, then the following lines of the paragraph
/// (up to a blank line, hidden text or another mention).
fn args_from(first_line: &str, following: &[Option<String>], login: &str) -> String {
    let mut parts = vec![first_line.to_string()];
    for line in following {
        let Some(line) = line.as_deref() else { break };
        if line.trim().is_empty() || mention_rest(line, login).is_some() {
            break;
        }
        parts.push(line.trim().to_string());
    }
    parts.join("\n").trim().to_string()
}

/// When `line` starts with `@login` (at most three spaces in, any case, optionally followed
/// by `:`) and the login ends there, the text after the mention.
fn mention_rest<'a>(line: &'a str, login: &str) -> Option<&'a str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let text = &line[indent..];
    let mention_len = 1 + login.len();
    let head = text.get(..mention_len)?;
    if !head.starts_with('@') || !head[1..].eq_ignore_ascii_case(login) {
        return None;
    }
    let rest = &text[mention_len..];
    match rest.chars().next() {
        None => Some(rest),
        Some(':') => Some(&rest[1..]),
        Some(c) if c.is_whitespace() => Some(rest),
        // `@amd-bot-ci`, `@amd-bot.` …: another login, or not a mention of ours.
        Some(_) => None,
    }
}

/// The comment's lines as its author wrote them for the reader, `None` for lines that are
/// not the author's own words: fenced code (also inside a list item), indented code, quotes,
/// and lines that start inside an inline code span running over from the line before. HTML
/// comments are removed (they may span lines). A line that starts with a backtick does not
/// start with the mention, so inline code needs nothing more.
fn own_lines(body: &str) -> Vec<Option<String>> {
    let text = without_html_comments(&body.replace("\r\n", "\n"));
    // The open fence: its character, length and column.
    let mut fence: Option<(char, usize, usize)> = None;
    let mut out = Vec::new();
    for line in text.split('\n') {
        let (column, content) = after_list_marker(line);
        if let Some((ch, len, at)) = fence {
            let closes = fence_of(content).is_some_and(|(c, l)| {
                c == ch && l >= len && content[l * c.len_utf8()..].trim().is_empty()
            });
            if closes && column <= at + 3 {
                fence = None;
            }
            out.push(None);
            continue;
        }
        if let Some((ch, len)) = fence_of(content).filter(|_| indent_of(line) <= 3) {
            fence = Some((ch, len, column));
            out.push(None);
            continue;
        }
        let indent = indent_of(line);
        let quoted = indent <= 3 && line.trim_start().starts_with('>');
        let indented_code = indent >= 4 || line.starts_with('\t');
        out.push((!quoted && !indented_code).then(|| line.to_string()));
    }
    hide_lines_inside_code_spans(&mut out);
    out
}

/// Spaces before a line's text.
fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Where a line's content starts once a list marker (`- `, `* `, `+ `, `1. `, `1) `) is
/// passed, and that content: a fence may open inside a list item.
fn after_list_marker(line: &str) -> (usize, &str) {
    let indent = indent_of(line);
    let rest = &line[indent..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let marker = match rest.as_bytes().get(digits) {
        Some(b'-' | b'*' | b'+') if digits == 0 => 1,
        Some(b'.' | b')') if digits > 0 => digits + 1,
        _ => 0,
    };
    if marker > 0 && rest[marker..].starts_with(' ') {
        let content = rest[marker..].trim_start_matches(' ');
        return (line.len() - content.len(), content);
    }
    (indent, rest)
}

/// Hides each line that starts inside an inline code span opened on an earlier line of the
/// same paragraph (a span may run over line breaks; a blank line ends it).
fn hide_lines_inside_code_spans(lines: &mut [Option<String>]) {
    let mut start = 0;
    while start < lines.len() {
        let end = (start..lines.len())
            .find(|&i| lines[i].as_deref().is_none_or(|l| l.trim().is_empty()))
            .unwrap_or(lines.len());
        if end > start + 1 {
            let paragraph: Vec<&str> = lines[start..end]
                .iter()
                .flatten()
                .map(String::as_str)
                .collect();
            let hidden = lines_starting_in_spans(&paragraph);
            for i in hidden {
                lines[start + i] = None;
            }
        }
        start = end + 1;
    }
}

/// Which lines of a paragraph (by index) start inside a code span.
fn lines_starting_in_spans(paragraph: &[&str]) -> Vec<usize> {
    let text = paragraph.join("\n");
    let mut starts = Vec::new();
    let mut at = 0;
    for line in paragraph {
        starts.push(at);
        at += line.len() + 1;
    }
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        match closing_run(&text, i + run, run) {
            Some(close) => {
                spans.push((i, close + run));
                i = close + run;
            }
            None => i += run,
        }
    }
    starts
        .iter()
        .enumerate()
        .filter(|(_, &s)| spans.iter().any(|&(a, b)| a < s && s < b))
        .map(|(n, _)| n)
        .collect()
}

/// The start of the next run of exactly `len` backticks at or after `from`.
fn closing_run(text: &str, from: usize, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// The fence a line opens or closes: three or more backticks or tildes.
fn fence_of(line: &str) -> Option<(char, usize)> {
    let ch = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = line.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// `text` with every `<!-- … -->` removed (an unclosed one hides the rest, as GitHub renders it).
fn without_html_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => {
                // Keep the line structure: a hidden block spanning lines leaves its newlines.
                let hidden = &rest[start..start + 4 + end + 3];
                out.extend(hidden.chars().filter(|c| *c == '\n'));
                rest = &rest[start + 4 + end + 3..];
            }
            None => {
                out.extend(rest[start..].chars().filter(|c| *c == '\n'));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str) -> Option<Parsed> {
        parse(body, "amd-bot")
    }

    fn command(kind: CommandKind, args: &str) -> Option<Parsed> {
        Some(Parsed::Command {
            kind,
            args: args.into(),
        })
    }

    use CommandKind::*;

    /// The original grammar table (PR-G13) row by row; a row where we differ on purpose says so.
    #[test]
    fn the_spec_grammar_table_row_by_row_with_our_documented_differences() {
        let rows: &[(&str, Option<Parsed>)] = &[
            ("@amd-bot", command(Review, "")),
            ("@amd-bot   ", command(Review, "")),
            ("@amd-bot review", command(Review, "")),
            (
                "@amd-bot review please look at X",
                command(Review, "please look at X"),
            ),
            ("@AMD-BOT CI-STATUS", command(CiStatus, "")),
            ("@amd-bot\nhelp", command(Help, "")),
            ("@amd-bot\thelp", command(Help, "")),
            (
                "@amd-bot review-focus AMD ROCm\nand memory",
                command(ReviewFocus, "AMD ROCm\nand memory"),
            ),
            ("@amd-bot review-focus", command(ReviewFocus, "")),
            // Ours: a mid-sentence mention is not a command; the second line's is.
            ("hi @amd-bot. @amd-bot ci-status", None),
            // Ours: the first command wins, the second line is not swallowed into its args.
            ("@amd-bot review\n@amd-bot ci-status", command(Review, "")),
            // Ours: `@amd-bot:` is the mention with a colon; the others are not mentions.
            ("@amd-bot: ci-status", command(CiStatus, "")),
            ("@amd-bot-ci review", None),
            ("x@amd-bot.com", None),
            // Ours: sentence punctuation after the command is not part of it.
            ("@amd-bot ci-status.", command(CiStatus, "")),
            ("thanks @amd-bot for this", None),
        ];
        for (body, want) in rows {
            assert_eq!(&parsed(body), want, "{body:?}");
        }
    }

    #[test]
    fn a_mention_in_code_quotes_or_html_comments_is_no_command() {
        for body in [
            "```\n@amd-bot review\n```",
            "~~~~sh\n@amd-bot ci-status\n~~~~",
            "```\n```` not a close\n@amd-bot review\n```",
            "    @amd-bot review",
            "\t@amd-bot review",
            "`@amd-bot review`",
            "see `this\n@amd-bot review` inline",
            "- ```\n  @amd-bot review\n  ```",
            "1. ```sh\n   @amd-bot ci-status\n   ```",
            "> @amd-bot review",
            "  > @amd-bot review",
            "<!-- @amd-bot review -->",
            "<!--\n@amd-bot review\n-->",
            "<!-- never closed\n@amd-bot review",
        ] {
            assert_eq!(parsed(body), None, "{body:?}");
        }
    }

    #[test]
    fn the_text_after_hidden_or_quoted_text_still_counts() {
        assert_eq!(
            parsed("> @amd-bot review\n\n@amd-bot ci-status"),
            command(CiStatus, "")
        );
        assert_eq!(
            parsed("```\n@amd-bot review\n```\n@amd-bot help"),
            command(Help, "")
        );
        assert_eq!(
            parsed("<!-- template -->\n@amd-bot ci-status"),
            command(CiStatus, "")
        );
        assert_eq!(
            parsed("Looks good.\r\n@amd-bot ci-status\r\n"),
            command(CiStatus, "")
        );
        assert_eq!(
            parsed("a lone ` backtick\n@amd-bot ci-status"),
            command(CiStatus, ""),
            "an unclosed backtick opens no span"
        );
        assert_eq!(
            parsed("- ```\n  @amd-bot review\n  ```\n@amd-bot help"),
            command(Help, "")
        );
        assert_eq!(
            parsed("`code` then\n@amd-bot ci-status"),
            command(CiStatus, ""),
            "a span closed on its own line hides nothing after it"
        );
    }

    #[test]
    fn a_mention_in_the_middle_of_a_sentence_is_ignored() {
        for body in [
            "thanks @amd-bot!",
            "ping @amd-bot review",
            "cc @amd-bot ci-status",
            "- @amd-bot review",
        ] {
            assert_eq!(parsed(body), None, "{body:?}");
        }
    }

    #[test]
    fn case_whitespace_and_the_colon_do_not_matter() {
        for body in [
            "@Amd-Bot Ci-Status",
            "   @amd-bot    ci-status   ",
            "@amd-bot:ci-status",
            "@amd-bot:   ci-status",
            "@AMD-BOT: CI-STATUS!",
        ] {
            assert_eq!(parsed(body), command(CiStatus, ""), "{body:?}");
        }
        assert_eq!(parsed("    @amd-bot ci-status"), None, "four spaces: code");
    }

    #[test]
    fn two_commands_in_one_comment_give_the_first() {
        assert_eq!(
            parsed("Please:\n@amd-bot ci-status\n@amd-bot review"),
            command(CiStatus, "")
        );
        assert_eq!(
            parsed("@amd-bot review-focus memory\n\n@amd-bot ci-status"),
            command(ReviewFocus, "memory")
        );
    }

    #[test]
    fn an_unknown_word_after_a_line_start_mention_is_unknown() {
        assert_eq!(
            parsed("@amd-bot thanks!"),
            Some(Parsed::Unknown("thanks!".into()))
        );
        assert_eq!(
            parsed("@amd-bot rebase"),
            Some(Parsed::Unknown("rebase".into()))
        );
        assert_eq!(
            parsed("@amd-bot\nplease look at this"),
            command(Review, ""),
            "a bare mention line stays a review"
        );
    }

    #[test]
    fn focus_arguments_with_shell_metacharacters_are_kept_as_written() {
        let focus = "$(rm -rf /); `id` && echo \"x\" | tee 'y' > z";
        assert_eq!(
            parsed(&format!("@amd-bot review-focus {focus}")),
            command(ReviewFocus, focus)
        );
    }

    #[test]
    fn the_focus_ends_at_a_blank_line_or_hidden_text() {
        assert_eq!(
            parsed("@amd-bot review-focus AMD\nROCm\n\nunrelated text"),
            command(ReviewFocus, "AMD\nROCm")
        );
        assert_eq!(
            parsed("@amd-bot review-focus AMD\n> quoted"),
            command(ReviewFocus, "AMD")
        );
    }

    #[test]
    fn the_login_is_the_configured_one() {
        assert_eq!(
            parse("@other-bot ci-status", "other-bot"),
            command(CiStatus, "")
        );
        assert_eq!(parse("@amd-bot ci-status", "other-bot"), None);
    }
}

#[cfg(test)]
mod robustness {
    use proptest::prelude::*;

    use super::{parse, Parsed};

    /// Comment text built from the pieces the grammar looks at, in any order, with
    /// multi-byte characters next to them.
    fn comment() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("@amd-bot".to_string()),
                Just("@AMD-BOT:".to_string()),
                Just("\n".to_string()),
                Just("\r\n".to_string()),
                Just("```".to_string()),
                Just("~~~".to_string()),
                Just("`".to_string()),
                Just("<!--".to_string()),
                Just("-->".to_string()),
                Just("> ".to_string()),
                Just("- ".to_string()),
                Just("1. ".to_string()),
                Just("    ".to_string()),
                Just("\t".to_string()),
                Just(" review-focus ".to_string()),
                Just(" ci-status".to_string()),
                Just("🚀é日".to_string()),
                any::<char>().prop_map(String::from),
            ],
            0..30,
        )
        .prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn any_comment_parses_without_panicking_and_an_unknown_word_is_one_word(body in comment()) {
            if let Some(Parsed::Unknown(word)) = parse(&body, "amd-bot") {
                prop_assert!(!word.is_empty() && !word.chars().any(char::is_whitespace));
            }
        }
    }
}
