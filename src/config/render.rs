//! `sglang-bot config`: the effective configuration as TOML, each value annotated with the
//! layer it came from, secrets shown only as redacted.

use toml::Value;

use super::layers::{Resolved, Source};

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
