//! The real-speed bench's short form: one small job with the fake models at
//! the seeds' latencies and Cloud Run's request timeouts, both × 0.1. No push
//! may outlive its request: the job succeeds, every panel is paid for once
//! (a cut push would be delivered and drawn again), and no job is left
//! running. The figures themselves are the bench's (docs/benchmarks.md).
//!
//! Needs Postgres, Redis and the Pub/Sub emulator (`tests/run` starts them).

use manga_fleet_tests::real_speed::{RealSpeed, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_at_scaled_model_speed_fits_every_push_in_its_request_and_pays_once_a_panel() {
    let settings = RealSpeed { scale: 0.1, pages: vec![2], profile: "dev", faults: false };
    let figures = run(&settings).await;
    let job = &figures.jobs[0];
    assert_eq!(job.state, "succeeded", "{}", job.error);
    assert!(job.panels > 0);
    assert_eq!(job.image_calls_per_panel, 1.0, "{job:?}");
    assert_eq!(figures.phase5_pushes, job.panels + 1, "phase 5's request and one push per panel, none again");
    assert_eq!(figures.left_running, 0);
}
