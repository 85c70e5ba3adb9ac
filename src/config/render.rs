//! `sglang-bot config`: the effective configuration as TOML, each value annotated with the
//! layer it came from, secrets shown only as redacted.

use toml::Value;

use super::env::variables_for;
use super::layers::{Resolved, Source};
use super::Config;

/// Keys without a default value (TOML has no null), with an example value for the sample.
const UNSET_BY_DEFAULT: &[(&str, &str)] = &[
    ("github.bot_repo", "\"owner/sglang-ci-bot\""),
    ("monitor.job_name", "\"mi325\""),
    ("backend.gateway_url", "\"https://llm-gateway.example.com\""),
    ("backend.ca_bundle", "\"/etc/ssl/gateway-ca.pem\""),
    ("backend.instructions", "\"agent/CLAUDE.md\""),
    (
        "backend.clone_url",
        "\"https://github.com/sgl-project/sglang.git\"",
    ),
];

/// A configuration file to start from: every key at its default, commented out, each with the
/// variables that also set it. Loaded as it is, it changes nothing; uncomment only what you
/// change, so later releases' defaults still reach the keys you left alone (a saved `config`
/// output, by contrast, pins every value).
pub fn defaults_sample() -> String {
    let mut out = String::from(
        "# sglang-bot configuration (pass it with --config FILE, or name it sglang-bot.toml).\n\
         # Every key is shown at its default, commented out: uncomment only what you change\n\
         # (under its [section]).\n\
         # Precedence: flags, then environment variables, then this file, then the defaults.\n\
         # Secrets (GitHub token, gateway key) are never read from this file: use the\n\
         # environment (BOT_PAT / GH_PAT / GITHUB_TOKEN, LLM_GATEWAY_KEY) or flags.\n",
    );
    let Ok(Value::Table(table)) = Value::try_from(Config::default()) else {
        unreachable!("the default configuration serialises to a table")
    };
    for (section, value) in &table {
        let Value::Table(inner) = value else { continue };
        out.push_str(&format!("\n[{section}]\n"));
        for (path, example) in UNSET_BY_DEFAULT {
            if let Some(key) = path.strip_prefix(&format!("{section}.")) {
                out.push_str(&format!("# (unset by default)\n# {key} = {example}\n"));
            }
        }
        for (key, value) in inner {
            let vars = variables_for(&format!("{section}.{key}"));
            if !vars.is_empty() {
                out.push_str(&format!("# (environment: {})\n", vars.join(", ")));
            }
            for line in format!("{key} = {}", render_inline(value)).lines() {
                out.push_str(&format!("# {line}\n"));
            }
        }
    }
    out
}

impl Resolved {
    /// The configuration as TOML, each value annotated with its source, secrets redacted.
    pub fn to_annotated_toml(&self) -> String {
        let mut out = String::from("# Effective configuration of sglang-bot (secrets redacted)\n");
        let table = Value::try_from(&self.config).expect("config serialises");
        if let Value::Table(table) = table {
            for (section, value) in &table {
                let Value::Table(inner) = value else { continue };
                out.push_str(&format!("\n[{section}]\n"));
                for (key, value) in inner {
                    let path = format!("{section}.{key}");
                    let source = self.sources.get(&path).cloned().unwrap_or(Source::Default);
                    out.push_str(&format!("{key} = {}  # {source}\n", render_inline(value)));
                }
                if section == "backend" && self.config.backend.instructions.is_none() {
                    out.push_str("# instructions: the agent guide built into this binary (set a path to use another)\n");
                }
            }
        }
        // Secrets are never written, only said where they come from: as comments, so the
        // output loads back as a configuration file.
        out.push_str("\n# Secrets (environment or flags only, never in this file):\n");
        for (name, secret) in [
            ("github_token", &self.config.secrets.github_token),
            (
                "agent_github_token",
                &self.config.secrets.agent_github_token,
            ),
            ("gateway_key", &self.config.secrets.gateway_key),
        ] {
            match secret {
                Some(s) => out.push_str(&format!("# {name} = [REDACTED] (from {})\n", s.source)),
                None => out.push_str(&format!("# {name} is not set\n")),
            }
        }
        out
    }
}

/// A value on one line, except arrays of tables, one table a line.
fn render_inline(value: &Value) -> String {
    match value {
        Value::Array(items) if items.iter().any(Value::is_table) => {
            let inner: Vec<String> = items
                .iter()
                .map(|v| format!("  {},", render_inline(v)))
                .collect();
            format!("[\n{}\n]", inner.join("\n"))
        }
        Value::Table(t) => {
            let fields: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", render_inline(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample with every `# ` taken off the key lines (what a user gets by uncommenting
    /// everything).
    fn uncommented(sample: &str) -> String {
        sample
            .lines()
            .skip_while(|l| !l.is_empty())
            .filter(|l| !l.starts_with("# ("))
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_defaults_sample_uncommented_is_the_default_configuration() {
        let sample = defaults_sample();
        let without_unset: String = sample
            .split("# (unset by default)\n")
            .enumerate()
            .map(|(i, chunk)| {
                if i == 0 {
                    chunk
                } else {
                    chunk.split_once('\n').map_or("", |(_, rest)| rest)
                }
            })
            .collect();
        let config: Config = toml::from_str(&uncommented(&without_unset)).unwrap_or_else(|e| {
            panic!("{e}\n{}", uncommented(&without_unset));
        });
        assert_eq!(config, Config::default());
        let as_is: Config = toml::from_str(&sample).unwrap();
        assert_eq!(
            as_is,
            Config::default(),
            "loaded as it is, it changes nothing"
        );
    }

    #[test]
    fn the_defaults_sample_names_the_variables_that_set_a_key() {
        let sample = defaults_sample();
        let at = sample.find("# max_turns = 80").expect("tracker.max_turns");
        assert!(sample[..at].ends_with("# (environment: TRACKER_AGENT_MAX_TURNS)\n"));
        assert!(sample.contains("# (environment: BUILD_DAILY_BOARD, BUILD_DAILY_SUMMARY)\n# build_daily_summary = true\n"));
        assert!(!sample.contains("secrets ="), "no secret key is offered");
    }

    #[test]
    fn the_defaults_sample_offers_every_key_including_those_unset_by_default() {
        let uncommented = uncommented(&defaults_sample());
        let offered: Config = toml::from_str(&uncommented).unwrap();
        // Every optional key the sample offers is set once uncommented...
        assert!(offered.github.bot_repo.is_some() && offered.monitor.job_name.is_some());
        assert!(offered.backend.gateway_url.is_some() && offered.backend.clone_url.is_some());
        assert!(offered.backend.ca_bundle.is_some() && offered.backend.instructions.is_some());
        // ...and the sample names every key a full configuration serialises.
        let Ok(Value::Table(full)) = Value::try_from(&offered) else {
            panic!("serialises")
        };
        for (section, inner) in &full {
            let Value::Table(inner) = inner else { continue };
            for key in inner.keys() {
                assert!(
                    uncommented.contains(&format!("\n{key} = ")),
                    "{section}.{key} is missing from the sample"
                );
            }
        }
    }
}
