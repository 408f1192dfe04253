//! trm-ci: lint, build and smoke-boot a Directus-on-PostgreSQL deployment.
pub mod docker;
