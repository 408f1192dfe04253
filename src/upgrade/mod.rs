//! The upgrade drill (issue 10).
pub mod seed;
