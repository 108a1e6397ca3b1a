//! Simulated AI latency, for measuring the fleet's orchestration overhead
//! (`SIMULATED_AI_SCALE`): each phase waits what its real model calls take
//! according to the seeds, scaled down, before it does its (fast, local) work.

use std::time::Duration;

use manga_domain::PhaseId;

/// What a phase's AI calls take at real scale, from the seeds:
/// phase 5's Cloud Run timeout is "40 s + buffer" and phase 2's "12 s +
/// buffer" (001, 3.1 サービス別カスタマイズ); a text generation takes 3–15 s
/// (003, 処理時間の内訳), the upper end for phases 1, 3 and 4; PDF generation
/// 1–2 s (003), the upper end for phase 8. Lettering and composition call no
/// model.
pub fn seed_ai_latency(phase: PhaseId) -> Duration {
    Duration::from_secs(match phase {
        PhaseId::Concept | PhaseId::Plot | PhaseId::Name => 15,
        PhaseId::Characters => 12,
        PhaseId::Images => 40,
        PhaseId::Lettering | PhaseId::Compose => 0,
        PhaseId::Publish => 2,
    })
}

/// The wait for `phase` at `scale` (0.01 = a hundredth of real time).
pub fn scaled(phase: PhaseId, scale: f64) -> Duration {
    seed_ai_latency(phase).mul_f64(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_job_waits_the_seeds_ai_time_scaled() {
        let real: Duration = PhaseId::ALL.into_iter().map(seed_ai_latency).sum();
        assert_eq!(real, Duration::from_secs(99));
        let scaled: Duration = PhaseId::ALL.into_iter().map(|p| scaled(p, 0.01)).sum();
        assert_eq!(scaled, Duration::from_millis(990));
    }
}
