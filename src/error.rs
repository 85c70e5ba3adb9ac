//! Exit codes and the one error type that turns into "bad usage": the lowest layer, so every
//! module can say "the user asked for something impossible" without importing the commands.

/// Exit code: success, or every item handled (failures found are reported, not errors).
pub const EXIT_OK: i32 = 0;
/// Exit code: some items could not be handled, or the command failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: bad usage, bad configuration or input, or a command not implemented yet.
pub const EXIT_USAGE: i32 = 2;

/// An error caused by what the user asked for (flags, config, input): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
