//! The fleet at real model speed, printed for docs/benchmarks.md (not a timed
//! test): [`manga_fleet_tests::real_speed`] says what runs and what is measured.
//!
//! Knobs: FLEET_TIME_SCALE (default 0.1), FLEET_BENCH_PAGES (default 8,24),
//! FLEET_BENCH_FAULTS=1 (30 % model faults, every tenth message twice, a
//! SIGKILL of phase 5), FLEET_BENCH_PROFILE (the services' cargo profile,
//! release unless `dev`).
//!
//! Run: `cargo bench -p manga-fleet-tests --bench real_speed` (Postgres, Redis
//! and the emulator, as the fleet test).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a bench binary: a failure should stop it loudly")]
#![allow(clippy::disallowed_methods, reason = "a bench reads its knobs from the environment")]

use manga_fleet_tests::real_speed::{RealSpeed, run};

fn knob(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn main() {
    let settings = RealSpeed {
        scale: knob("FLEET_TIME_SCALE", "0.1").parse().expect("FLEET_TIME_SCALE is a number"),
        pages: knob("FLEET_BENCH_PAGES", "8,24").split(',').map(|p| p.trim().parse().expect("pages")).collect(),
        profile: if knob("FLEET_BENCH_PROFILE", "release") == "dev" { "dev" } else { "release" },
        faults: knob("FLEET_BENCH_FAULTS", "0") == "1",
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let figures = runtime.block_on(run(&settings));
    println!("jobs left running: {}", figures.left_running);
    if let Some(copies) = figures.copies {
        println!("messages delivered twice: {copies}");
    }
}
