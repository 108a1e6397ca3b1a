//! The store contract: one set of tests, run against SQLite (a temp file and
//! in memory) and Postgres (a fresh database per test). A backend passes only
//! if it behaves exactly like the others.

// The contract is written as plain async functions called from generated
// #[tokio::test]s, which `allow-unwrap-in-tests` does not reach; here a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "contract/backends.rs"]
mod backends;
#[path = "contract/fixtures.rs"]
mod fixtures;
#[path = "contract/items.rs"]
mod items;
#[path = "contract/jobs.rs"]
mod jobs;
#[path = "contract/records.rs"]
mod records;

use manga_store::StoreError;

/// Instantiates every contract test once per backend.
macro_rules! contract {
    ($($module:ident :: $test:ident),* $(,)?) => {
        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let backend = crate::backends::sqlite_file().await;
                    crate::$module::$test(backend.store()).await;
                }
            )*
        }
        mod sqlite_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let backend = crate::backends::sqlite_memory().await;
                    crate::$module::$test(backend.store()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let backend = crate::backends::postgres().await;
                    crate::$module::$test(backend.store()).await;
                }
            )*
        }
    };
}

contract!(
    jobs::a_created_job_reads_back_pending_at_revision_one_with_its_first_version,
    jobs::a_job_created_with_its_first_step_is_running_at_that_phase_with_its_machine,
    jobs::creating_the_same_job_twice_is_a_permanent_error,
    jobs::jobs_are_listed_newest_first_and_only_to_their_owner,
    jobs::a_job_that_does_not_exist_is_not_found_by_every_job_operation,
    jobs::every_job_state_survives_a_round_trip,
    jobs::an_advance_from_a_stale_revision_is_a_conflict_naming_both_revisions,
    jobs::of_concurrent_advances_from_one_revision_exactly_one_wins,
    jobs::failing_a_job_keeps_the_first_reason_and_makes_an_in_flight_advance_conflict,
    jobs::versions_branch_from_their_parent_and_an_unknown_parent_is_not_found,
    jobs::jobs_waiting_in_a_state_are_found_oldest_first_across_users,
    records::a_finished_phase_run_keeps_its_first_outcome,
    records::phase_runs_for_a_missing_version_or_never_started_are_not_found,
    records::a_phase_run_is_held_by_one_delivery_until_its_lease_runs_out,
    records::a_renewed_lease_keeps_the_run_and_a_released_one_frees_it_at_once,
    records::of_concurrent_claims_on_an_expired_run_exactly_one_takes_it_over,
    records::a_poison_message_is_kept_with_its_first_reason,
    records::recording_an_artifact_again_replaces_its_metadata,
    records::feedback_is_kept_in_order_with_its_action_and_author,
    items::items_are_claimed_once_and_the_last_one_finished_says_so,
    items::an_item_whose_lease_ran_out_is_taken_over_and_its_work_keeps_the_run_held,
    items::of_concurrent_finishes_of_a_runs_items_exactly_one_sees_none_left,
    items::releasing_every_lease_lets_a_restarted_process_take_runs_and_items_at_once,
);

#[tokio::test]
async fn an_unreachable_postgres_is_a_transient_error() {
    let settings = manga_store::PoolSettings {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..manga_store::PoolSettings::default()
    };
    // Port 1 is never a Postgres server here.
    let err = manga_store::PgStore::connect("postgres://root@127.0.0.1:1/postgres", settings).await.unwrap_err();
    assert!(matches!(err, StoreError::Database { doing: "connecting to Postgres", .. }), "{err:?}");
    assert!(err.is_transient(), "a server that does not answer may answer later: {err:?}");
}
