//! `trm-ci lint --postgres URL`: replays every migration on a real server in
//! one transaction that is rolled back, and reports Postgres's own errors at
//! file:line. (Being implemented.)

use crate::config::Config;
use crate::finding::Finding;
use crate::model::Project;

pub fn replay(_head: &Project, _url: &str, _cfg: &Config) -> Result<Vec<Finding>, String> {
    Err("--postgres is not implemented yet".into())
}
