//! Values the contract tests build their rows from.

use manga_domain::{JobId, JobOptions, PhaseId, QualityReport, Reason, Version};
use manga_store::{JobMode, NewJob, PhaseRunKey, StoreError, UserId};

pub fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

pub fn new_job(owner: &str) -> NewJob {
    NewJob {
        id: JobId::new(),
        user: user(owner),
        mode: JobMode::Review,
        options: JobOptions { seed: 42, title: Some("蜘蛛の糸".into()), ..JobOptions::default() },
        title: Some("蜘蛛の糸".into()),
        start: None,
    }
}

pub fn run_key(job: JobId, phase: PhaseId, attempt: u32) -> PhaseRunKey {
    PhaseRunKey { job, version: Version::FIRST, phase, attempt }
}

pub fn report(score: f32) -> QualityReport {
    QualityReport::from_reasons(vec![Reason {
        code: "text_overflow".into(),
        message: "a balloon's text overflows".into(),
        blame: PhaseId::Lettering,
        penalty: 1.0 - score,
    }])
}

pub fn assert_not_found(result: Result<impl std::fmt::Debug, StoreError>, what: &str, id: &str) {
    match result {
        Err(StoreError::NotFound { what: w, id: i }) => assert_eq!((w, i.as_str()), (what, id)),
        other => panic!("expected {what} {id} not found, got {other:?}"),
    }
}
