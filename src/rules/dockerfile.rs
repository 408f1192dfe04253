//! The `dockerfile/*` rules. (Being implemented.)

use super::Rule;

pub const RULES: &[Rule] = &[];
