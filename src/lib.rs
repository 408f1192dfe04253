//! trm-ci: lint, build and smoke-boot a Directus-on-PostgreSQL deployment.
pub mod docker;
pub mod cli;
pub mod config;
pub mod diff;
pub mod finding;
pub mod github;
pub mod hook;
pub mod lint;
pub mod model;
pub mod pgreplay;
pub mod render;
pub mod repo;
pub mod rules;
pub mod source;
