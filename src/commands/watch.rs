//! `sglang-bot watch --bot-repo R [--since-hours 1] [--daemon] [--poll-interval 30]`: answer
//! `@bot` commands in the upstream repository's comments (issue #15). The pass and its rules
//! are in `crate::watch` and `crate::report::watch`; this file checks the account, sets up
//! the files and the clock, and picks one-shot or daemon.

use anyhow::{Context, Result};

use super::{github_client, require_bot_repo, require_token, UsageError, EXIT_FAILURE, EXIT_OK};
use crate::cli::WatchArgs;
use crate::config::Config;
use crate::watch::daemon::{self, Clock, Files, Schedule};
use crate::watch::Watcher;

/// Next to the state file: the ETags and bodies of the watcher's reads (its own file, so a
/// monitor tick in the same checkout never overwrites them).
pub(crate) const HTTP_CACHE_FILE: &str = "watch_http_cache.json";
/// The original's state file name, in the monitor's state folder (`.state/`).
pub(crate) const STATE_FILE: &str = "last_check.json";

/// Runs one pass or the daemon; exit 0 when done (or stopped), 1 when a one-shot pass failed,
/// 2 when the token is not the configured bot account.
pub(crate) async fn run(args: &WatchArgs, config: &Config) -> Result<i32> {
    require_token(config)?;
    let bot_repo = require_bot_repo(config)?;
    if args.daemon && !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        return Err(
            UsageError("--poll-interval must be a positive number of seconds".into()).into(),
        );
    }
    let client = github_client(config)?;
    let user = client
        .authenticated_user()
        .await
        .context("cannot read the token's account (GET /user)")?;
    let expected = &config.watch.bot_login;
    if !user.login.eq_ignore_ascii_case(expected) {
        return Err(UsageError(format!(
            "the token belongs to {:?}, not to the bot account {expected:?} (watch.bot_login): every watcher must claim commands as the same account",
            user.login
        ))
        .into());
    }
    let folder = config.monitor.state_file.with_file_name("");
    let files = Files {
        state: folder.join(STATE_FILE),
        http_cache: folder.join(HTTP_CACHE_FILE),
        save: !config.dry_run,
    };
    client.load_http_cache(&files.http_cache);
    let watcher = Watcher {
        client: &client,
        config: &config.watch,
        upstream: &config.github.target_repo,
        bot_repo,
        login: user.login,
    };
    let schedule = Schedule {
        since: chrono::Duration::hours(i64::from(args.since_hours)),
        poll: args
            .daemon
            .then(|| std::time::Duration::from_secs_f64(args.poll_interval)),
    };
    let clock = Clock {
        start: config.now(),
        started: std::time::Instant::now(),
    };
    let stop = daemon::stop_on_signals().context("cannot listen for SIGTERM/SIGINT")?;
    match daemon::run(&watcher, &files, schedule, clock, stop).await {
        Ok(()) => Ok(EXIT_OK),
        Err(e) => {
            tracing::error!("the pass failed: {e}");
            Ok(EXIT_FAILURE)
        }
    }
}
