//! The `snapshot/*` rules: the Directus schema snapshot (`snapshots/snapshot.yaml`).
//! Each rule is a doc const beside its check function; all read the
//! [`Snapshot`] model, none re-parses.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::{Context, Emitter, Rule};
use crate::finding::{Severity, Span};
use crate::model::schema_diff::{self, What};
use crate::model::snapshot::{NodeId, NodeKind, Snapshot, Str};

mod invalid_yaml;
mod schema;
mod version_mismatch;
mod vendor;
mod duplicate;
mod dangling_reference;
mod destructive_change;
mod unmatched_approval;
mod core_tier_limit;

pub use schema::{display_path, is_semver, validator, validator_for, Grammar, MAX_SCHEMA_FINDINGS};

pub use destructive_change::approved;
pub use core_tier_limit::{counted_collections, CORE_TIER_COLLECTIONS};

pub const RULES: &[Rule] = &[
    invalid_yaml::RULE,
    schema::RULE,
    version_mismatch::RULE,
    vendor::RULE,
    duplicate::RULE,
    dangling_reference::RULE,
    destructive_change::RULE,
    unmatched_approval::RULE,
    core_tier_limit::RULE,
];

/// The collections Directus 11.17.4 creates itself (`@directus/system-data`):
/// valid targets of fields and relations without being in the snapshot.
pub const SYSTEM_COLLECTIONS: &[&str] = &[
    "directus_access",
    "directus_activity",
    "directus_collections",
    "directus_comments",
    "directus_dashboards",
    "directus_deployment_projects",
    "directus_deployment_runs",
    "directus_deployments",
    "directus_extensions",
    "directus_fields",
    "directus_files",
    "directus_flows",
    "directus_folders",
    "directus_migrations",
    "directus_notifications",
    "directus_operations",
    "directus_panels",
    "directus_permissions",
    "directus_policies",
    "directus_presets",
    "directus_relations",
    "directus_revisions",
    "directus_roles",
    "directus_sessions",
    "directus_settings",
    "directus_shares",
    "directus_translations",
    "directus_users",
    "directus_versions",
];

fn is_system_collection(name: &str) -> bool {
    SYSTEM_COLLECTIONS.binary_search(&name).is_ok()
}

/// The head snapshot, when there is one.
fn head<'a>(ctx: &Context<'a>) -> Option<&'a Snapshot> {
    ctx.head.snapshot.as_deref()
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_collections_are_sorted_for_binary_search() {
        let mut v = SYSTEM_COLLECTIONS.to_vec();
        v.sort_unstable();
        assert_eq!(v, SYSTEM_COLLECTIONS);
        assert!(is_system_collection("directus_users"));
        assert!(!is_system_collection("clients"));
    }

    #[test]
    fn the_schemas_compile() {
        assert!(validator().is_some());
        assert!(validator_for(Grammar::V12).is_some());
    }

    #[test]
    fn the_grammar_follows_the_major_line() {
        assert_eq!(Grammar::of_version("11.17.4"), Grammar::V11);
        assert_eq!(Grammar::of_version("11.16.1"), Grammar::V11);
        assert_eq!(Grammar::of_version("12.4.1"), Grammar::V12);
        assert_eq!(Grammar::of_version("12.0.0-rc.1"), Grammar::V12);
        assert_eq!(Grammar::of_version("13.0.0"), Grammar::V12);
        assert_eq!(Grammar::of_version("latest"), Grammar::V11);
    }

    #[test]
    fn semver_is_checked_in_code() {
        for ok in ["11.17.4", "0.0.0", "11.0.0-rc.1", "1.2.3+build.5", "1.2.3-beta-2+x"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["11.17", "11.17.4.1", "v11.17.4", "011.1.1", "1.2.x", "1.2.3-", "1.2.3+", "", "latest"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn paths_are_shown_as_dotted_keys() {
        assert_eq!(display_path("/collections/3/meta"), "collections[3].meta");
        assert_eq!(display_path(""), "(root)");
        assert_eq!(display_path("/a~1b/0"), "a/b[0]");
    }
}
