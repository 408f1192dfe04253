//! The words of [`ReplicaFact`] (src/results/fact/replicas.rs).

use crate::results::fact::ReplicaFact;

pub fn words(f: &ReplicaFact) -> String {
    match *f {}
}
