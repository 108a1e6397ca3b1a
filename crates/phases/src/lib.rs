//! The eight phases.
