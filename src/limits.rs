//! Size limits fixed by GitHub, shared by the pure renderers, the configuration check and the
//! client's write gate, so none of them has to import another to learn a number.

/// GitHub rejects issue and comment bodies longer than this many characters.
pub const MAX_BODY_CHARS: usize = 65_536;
