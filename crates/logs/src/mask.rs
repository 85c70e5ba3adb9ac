//! The bit mask saying which needles a line holds: a leaf module shared by the literal
//! search (`scan`, which sets the bits) and the classification rules (`classify`, which owns
//! the low bits), so neither has to import the other's internals both ways.

/// Which needles a line holds.
pub(crate) type Mask = u64;

/// Bits below this one belong to the classification rules (bit i = line rule i).
pub(crate) const RULE_BITS: u32 = 48;
/// `Error` or `ERROR`.
pub(crate) const ERROR_WORD: Mask = 1 << 48;
pub(crate) const EXCEPTION: Mask = 1 << 49;
pub(crate) const FAILURE: Mask = 1 << 50;
pub(crate) const FAILED: Mask = 1 << 51;
/// `✗` or `❌` (suite runners).
pub(crate) const CROSS: Mask = 1 << 52;
/// `##[error]`.
pub(crate) const ANNOTATION: Mask = 1 << 53;
/// A line saying a process died (GPU fault, fatal Python error, segfault, kill, exit 137/134).
pub(crate) const CRASH: Mask = 1 << 54;
