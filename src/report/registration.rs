//! Which AMD CI suites a test file of sglang registers itself in: the `register_amd_ci(...)`
//! calls at module level, read as sglang's own registry reads them (keyword or positional
//! arguments, calls over several lines, `nightly=True`, `disabled="why"`, the newer
//! `stage=` + `runner_config=` pair), and nothing else: a commented-out call, one inside a
//! function or an `if` block, one in a string, or another backend's call registers nothing.
//! The coverage-gap banner of `ci-status` (issue #14) maps a changed test file to the AMD jobs
//! that should have run it with this.
//!
//! Hand-rolled rather than a Python parser crate: the few token kinds a call's arguments use
//! (names, numbers, strings, brackets) and the module-level rule fit in one small tokenizer,
//! and a file that does not parse as Python must still give its registrations.

/// One live `register_amd_ci(...)` call.
#[derive(Debug, Clone, PartialEq)]
pub struct AmdRegistration {
    /// Estimated seconds (the first argument), when a number.
    pub est_time: Option<f64>,
    /// The legacy suite name.
    pub suite: Option<String>,
    pub stage: Option<String>,
    pub runner_config: Option<String>,
    /// Runs only in the nightly workflows.
    pub nightly: bool,
    /// Registered but not run, with the reason given.
    pub disabled: Option<String>,
}

impl AmdRegistration {
    /// The suite the jobs are named after: `<stage>-test-<runner_config>` when both are given,
    /// else the legacy suite (the registry's own rule).
    pub fn effective_suite(&self) -> Option<String> {
        match (&self.stage, &self.runner_config) {
            (Some(stage), Some(config)) => Some(format!("{stage}-test-{config}")),
            _ => self.suite.clone(),
        }
    }
}

/// The name of the AMD registration call.
const AMD_CALL: &str = "register_amd_ci";
/// The registry's positional parameters, in order (the others are keyword-only).
const POSITIONAL: [&str; 4] = ["est_time", "suite", "nightly", "disabled"];

/// Every live AMD registration of `source` (a Python test file), in file order.
pub fn amd_registrations(source: &str) -> Vec<AmdRegistration> {
    let tokens = tokenize(source);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_call = matches!(&tokens[i], Token { kind: Kind::Name(n), module_level: true, .. } if n == AMD_CALL)
            && matches!(
                tokens.get(i + 1),
                Some(Token {
                    kind: Kind::Open('('),
                    ..
                })
            );
        if !is_call {
            i += 1;
            continue;
        }
        let (args, next) = call_arguments(&tokens, i + 2);
        out.push(registration(&args));
        i = next;
    }
    out
}

/// How many `register_amd_ci(...)` calls of `source` are not statements at module level (in
/// a function, an `if` block, an assignment): the registry never sees them, so a file that
/// registers itself only that way does not run on AMD however it reads.
pub fn misplaced_calls(source: &str) -> usize {
    let tokens = tokenize(source);
    tokens
        .windows(2)
        .filter(|pair| {
            matches!(&pair[0], Token { kind: Kind::Name(n), module_level: false } if n == AMD_CALL)
                && pair[1].kind == Kind::Open('(')
        })
        .count()
}

/// A value an argument can hold, as far as the registry cares.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Number(f64),
    Text(String),
    Bool(bool),
    None,
    /// Anything else (an expression, a variable).
    Other,
}

fn registration(args: &[(Option<String>, Value)]) -> AmdRegistration {
    let mut r = AmdRegistration {
        est_time: None,
        suite: None,
        stage: None,
        runner_config: None,
        nightly: false,
        disabled: None,
    };
    for (position, (name, value)) in args.iter().enumerate() {
        let name = match name {
            Some(name) => name.as_str(),
            None => match POSITIONAL.get(position) {
                Some(name) => name,
                None => continue,
            },
        };
        let text = || match value {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        };
        match name {
            "est_time" => {
                r.est_time = if let Value::Number(n) = value {
                    Some(*n)
                } else {
                    None
                }
            }
            "suite" => r.suite = text(),
            "stage" => r.stage = text(),
            "runner_config" => r.runner_config = text(),
            "nightly" => r.nightly = matches!(value, Value::Bool(true)),
            "disabled" => r.disabled = text(),
            _ => {}
        }
    }
    r
}

/// The arguments of the call whose `(` is just before `start`, and where scanning resumes.
fn call_arguments(tokens: &[Token], start: usize) -> (Vec<(Option<String>, Value)>, usize) {
    let mut args = Vec::new();
    let mut current: Vec<&Token> = Vec::new();
    let mut depth = 0usize;
    let mut i = start;
    while let Some(t) = tokens.get(i) {
        i += 1;
        match t.kind {
            Kind::Open(_) => depth += 1,
            Kind::Close(_) if depth == 0 => break,
            Kind::Close(_) => depth -= 1,
            Kind::Comma if depth == 0 => {
                args.extend(argument(&current));
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(t);
    }
    args.extend(argument(&current));
    (args, i)
}

/// One argument: `name=value` or a positional value; `None` for an empty slot (a trailing
/// comma).
fn argument(tokens: &[&Token]) -> Option<(Option<String>, Value)> {
    match tokens {
        [] => None,
        [Token {
            kind: Kind::Name(n),
            ..
        }, Token {
            kind: Kind::Equals, ..
        }, rest @ ..] => Some((Some(n.clone()), value(rest))),
        _ => Some((None, value(tokens))),
    }
}

fn value(tokens: &[&Token]) -> Value {
    // `("text")` is the text: the brackets only group (a tuple needs a comma).
    if let [Token {
        kind: Kind::Open('('),
        ..
    }, inner @ .., Token {
        kind: Kind::Close(')'),
        ..
    }] = tokens
    {
        if !inner
            .iter()
            .any(|t| matches!(t.kind, Kind::Comma | Kind::Open(_)))
        {
            return value(inner);
        }
    }
    if !tokens.is_empty() && tokens.iter().all(|t| matches!(t.kind, Kind::Text(_))) {
        // Adjacent literals are one string, as in Python.
        return Value::Text(
            tokens
                .iter()
                .filter_map(|t| match &t.kind {
                    Kind::Text(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
        );
    }
    match tokens {
        [Token {
            kind: Kind::Number(n),
            ..
        }] => Value::Number(*n),
        [Token {
            kind: Kind::Name(n),
            ..
        }] => match n.as_str() {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::None,
            _ => Value::Other,
        },
        _ => Value::Other,
    }
}

/// A token of Python source, as far as calls are concerned.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    /// The first token of a statement at column 0 (not inside a block, a bracket or a
    /// continued line).
    module_level: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Name(String),
    Number(f64),
    Text(String),
    Open(char),
    Close(char),
    Comma,
    Equals,
    Other,
}

/// Splits `source` into tokens, leaving out comments and whitespace. Strings are read with
/// their quotes (single, double, triple, with `r`/`b`/`f`/`u` prefixes), so a call inside a
/// docstring is text, not a call.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    let mut line_start = true;
    let mut column = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            i += 1;
            if depth == 0 {
                line_start = true;
            }
            column = 0;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '\\' && chars.get(i + 1) == Some(&'\n') {
            i += 2; // a continued line: the statement goes on
            column = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            column += 1;
            continue;
        }
        let module_level = line_start && column == 0 && depth == 0;
        line_start = false;
        let (kind, next) = token_at(&chars, i);
        match kind {
            Kind::Open(_) => depth += 1,
            Kind::Close(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        column += next - i;
        i = next;
        out.push(Token { kind, module_level });
    }
    out
}

/// The token starting at `i` and the index after it.
fn token_at(chars: &[char], i: usize) -> (Kind, usize) {
    let c = chars[i];
    if let Some((text, next)) = string_at(chars, i) {
        return (Kind::Text(text), next);
    }
    if c.is_alphabetic() || c == '_' {
        let end = scan(chars, i, |c| c.is_alphanumeric() || c == '_');
        return (Kind::Name(chars[i..end].iter().collect()), end);
    }
    if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
        let end = scan(chars, i, |c| {
            c.is_ascii_alphanumeric() || c == '.' || c == '_'
        });
        let text: String = chars[i..end].iter().filter(|c| **c != '_').collect();
        return match text.parse::<f64>() {
            Ok(n) => (Kind::Number(n), end),
            Err(_) => (Kind::Other, end),
        };
    }
    let kind = match c {
        '(' | '[' | '{' => Kind::Open(c),
        ')' | ']' | '}' => Kind::Close(c),
        ',' => Kind::Comma,
        // `==`, `<=`, `>=`, `!=` are comparisons, not keyword arguments.
        '=' if chars.get(i + 1) == Some(&'=') => return (Kind::Other, i + 2),
        '=' => Kind::Equals,
        _ => Kind::Other,
    };
    (kind, i + 1)
}

fn scan(chars: &[char], from: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    while end < chars.len() && keep(chars[end]) {
        end += 1;
    }
    end
}

/// A string literal starting at `i` (with an optional prefix): its text and the index after.
fn string_at(chars: &[char], i: usize) -> Option<(String, usize)> {
    let prefix = scan(chars, i, |c| "rRbBfFuU".contains(c)) - i;
    if prefix > 2 {
        return None;
    }
    let quote_at = i + prefix;
    let quote = *chars.get(quote_at).filter(|q| **q == '"' || **q == '\'')?;
    let raw = chars[i..quote_at].iter().any(|c| *c == 'r' || *c == 'R');
    let triple = chars.get(quote_at + 1) == Some(&quote) && chars.get(quote_at + 2) == Some(&quote);
    let mut j = quote_at + if triple { 3 } else { 1 };
    let mut text = String::new();
    while j < chars.len() {
        let c = chars[j];
        if c == '\\' && !raw && j + 1 < chars.len() {
            text.push(chars[j + 1]);
            j += 2;
            continue;
        }
        let closes = if triple {
            c == quote && chars.get(j + 1) == Some(&quote) && chars.get(j + 2) == Some(&quote)
        } else {
            c == quote || c == '\n'
        };
        if closes {
            return Some((text, j + if triple { 3 } else { 1 }));
        }
        text.push(c);
        j += 1;
    }
    Some((text, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sglang/registration-cases.json"
    ));

    fn as_json(r: &AmdRegistration) -> serde_json::Value {
        serde_json::json!({
            "est_time": r.est_time,
            "suite": r.suite,
            "stage": r.stage,
            "runner_config": r.runner_config,
            "nightly": r.nightly,
            "disabled": r.disabled,
        })
    }

    #[test]
    fn every_registration_form_of_the_fixtures_parses_as_expected() {
        let cases: serde_json::Value = serde_json::from_str(CASES).unwrap();
        let cases = cases["cases"].as_array().unwrap();
        assert!(cases.len() >= 11);
        for case in cases {
            let form = case["form"].as_str().unwrap();
            let got = amd_registrations(case["snippet"].as_str().unwrap());
            let expect = case["expect"].as_array().unwrap();
            assert_eq!(got.len(), expect.len(), "{form}: {got:?}");
            for (g, e) in got.iter().zip(expect) {
                let mut e = e.clone();
                let effective = e.as_object_mut().unwrap().remove("effective_suite");
                if let Some(effective) = effective {
                    assert_eq!(g.effective_suite().as_deref(), effective.as_str(), "{form}");
                }
                let mut g_json = as_json(g);
                // The fixtures write whole seconds as integers.
                if let Some(t) = g.est_time.filter(|t| t.fract() == 0.0) {
                    g_json["est_time"] = serde_json::json!(t as i64);
                }
                assert_eq!(g_json, e, "{form}");
            }
        }
    }

    #[test]
    fn real_test_files_give_their_amd_suites_and_nothing_from_other_backends() {
        let file = |path: &str| {
            std::fs::read_to_string(format!(
                "{}/tests/fixtures/sglang/{path}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let suites = |path: &str| -> Vec<Option<String>> {
            amd_registrations(&file(path))
                .iter()
                .map(AmdRegistration::effective_suite)
                .collect()
        };
        assert_eq!(
            suites("test/registered/attention/test_create_kvindices.py"),
            [Some("stage-b-test-1-gpu-small-amd".into())]
        );
        assert_eq!(
            suites("test/registered/spec/eagle/test_eagle_constrained_decoding.py"),
            [Some("stage-b-test-1-gpu-large-amd".into())]
        );
        assert!(suites("test/registered/attention/test_deepseek_v3_deterministic.py").is_empty());
        let mtp = amd_registrations(&file("test/registered/amd/test_deepseek_v32_mtp.py"));
        assert_eq!(mtp.len(), 1, "{mtp:?}");
        assert!(mtp[0].suite.is_some());
    }

    #[test]
    fn calls_inside_blocks_or_expressions_are_counted_as_misplaced_and_live_ones_are_not() {
        let source = "register_amd_ci(est_time=1, suite=\"a-amd\")\nif is_hip():\n    register_amd_ci(est_time=2, suite=\"b-amd\")\ndef f():\n    register_amd_ci(3, \"c-amd\")\nx = register_amd_ci(4, \"d-amd\")\n# register_amd_ci(5, \"e-amd\")\ny = \"register_amd_ci(6)\"\nmy_register_amd_ci(7)\n";
        assert_eq!(misplaced_calls(source), 3);
        assert_eq!(amd_registrations(source).len(), 1);
        assert_eq!(misplaced_calls("register_amd_ci(1, \"a-amd\")\n"), 0);
    }

    #[test]
    fn strings_brackets_and_look_alikes_do_not_confuse_the_reader() {
        let source = r#"
"""Docstring mentioning
register_amd_ci(est_time=1, suite="in-a-docstring")
"""
x = "register_amd_ci(est_time=2, suite='in-a-string')"
my_register_amd_ci(est_time=3, suite="other-name")
register_amd_ci(
    est_time=4.5,  # a comment with ) and , inside
    suite="a" "b",
    disabled=("why, (really)"),
)
def f():
    register_amd_ci(est_time=5, suite="inside-a-function")
register_amd_ci(est_time=6, suite=SUITE_FROM_A_VARIABLE, nightly=False)
register_amd_ci  (7, 'spaced', True)
"#;
        let got = amd_registrations(source);
        let suites: Vec<Option<String>> = got.iter().map(|r| r.suite.clone()).collect();
        assert_eq!(
            suites,
            [Some("ab".into()), None, Some("spaced".into())],
            "{got:?}"
        );
        assert_eq!(got[0].est_time, Some(4.5));
        assert_eq!(
            got[0].disabled.as_deref(),
            Some("why, (really)"),
            "brackets only group"
        );
        assert!(got[2].nightly, "the third positional argument is nightly");
    }
}
