//! The words of [`ImageFact`] (src/results/fact/image.rs).

use crate::results::fact::ImageFact;

pub fn words(f: &ImageFact) -> String {
    match *f {}
}
