//! The words of [`BootFact`] (src/results/fact/boot.rs).

use crate::results::fact::BootFact;

pub fn words(f: &BootFact) -> String {
    match *f {}
}
