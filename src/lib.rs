//! trm-ci: lint, build and smoke-boot a Directus-on-PostgreSQL deployment.
pub mod cli;
pub mod commands;
pub mod config;
pub mod diff;
pub mod docker;
pub mod finding;
pub mod github;
pub mod hook;
pub mod lint;
pub mod model;
pub mod pgreplay;
pub mod progress;
pub mod render;
pub mod repo;
pub mod results;
pub mod rules;
pub mod source;
