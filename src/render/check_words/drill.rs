//! The words of [`DrillFact`] (src/results/fact/drill.rs).

use crate::results::fact::DrillFact;

pub fn words(f: &DrillFact) -> String {
    match *f {}
}
