//! The top layer: parse the command line, resolve configuration, start logging and the
//! runtime, run one command and turn its outcome into an exit code.

use crate::error::{UsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Entry point of the binary: parses arguments, resolves configuration, runs one command and
/// returns the process exit code (0 ok, 1 failure, 2 usage or configuration error).
pub fn run() -> i32 {
    use clap::Parser;
    let cli = match crate::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
            match crate::cli::tailored_help(&args) {
                Some(help) => return exit_after_print(&help),
                None => {
                    let _ = e.print();
                    return EXIT_OK;
                }
            }
        }
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let resolved = match crate::config::resolve(&cli.flag_inputs(), &crate::config::ProcessEnv) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let redactor = crate::redact::Redactor::new(resolved.config.secrets.values());
    crate::logging::init(
        cli.global.verbose,
        cli.global.quiet,
        cli.global.log_format.into(),
        redactor.clone(),
    );
    crate::progress::init(
        cli.global.quiet == 0 && cli.global.log_format == crate::cli::LogFormat::Text,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    match runtime.block_on(crate::commands::execute(&cli, &resolved)) {
        Ok(code) => code,
        // The reader of our output went away (`| head`): a quiet, successful end.
        Err(e) if e.downcast_ref::<crate::output::Closed>().is_some() => EXIT_OK,
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!("error: {}", redactor.redact(&message));
            if e.downcast_ref::<UsageError>().is_some() {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            }
        }
    }
}

/// Prints `text` on stdout: 0 when written (or the reader left), 1 on a write error.
fn exit_after_print(text: &str) -> i32 {
    match crate::output::print(text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}
