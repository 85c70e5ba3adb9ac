//! Log engine.
