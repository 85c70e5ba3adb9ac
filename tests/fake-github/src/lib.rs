//! Fake GitHub.
