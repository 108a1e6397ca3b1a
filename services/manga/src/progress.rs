//! The progress display: one line per phase with its elapsed time, a bar
//! for work that counts (panels drawn, lettered, pages composed). On a
//! terminal it redraws in place (indicatif); elsewhere it prints one line
//! per finished phase, which reads well in CI logs.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use manga_domain::PhaseId;
use manga_orchestrator::events::JobEvent;
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// Renders a job's events until it ends, the stream closes, or the task is aborted.
pub async fn render(mut events: Receiver<std::sync::Arc<JobEvent>>, quiet: bool) {
    let tty = std::io::stderr().is_terminal();
    let multi = MultiProgress::with_draw_target(if tty && !quiet {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut bars: HashMap<u32, ProgressBar> = HashMap::new();
    let mut attempts: HashMap<u32, u32> = HashMap::new();
    let spinner = ProgressStyle::with_template("{spinner:.cyan} {prefix:<14} {elapsed:>4} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let counting = ProgressStyle::with_template(
        "{spinner:.cyan} {prefix:<14} {elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let done_style =
        ProgressStyle::with_template("{prefix:<16} {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            // A display that fell behind skips what it missed; the summary reports the job.
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if matches!(event.kind.as_str(), "job_finished" | "job_cancelled") {
            return;
        }
        let Some(phase) = event.phase.and_then(|n| PhaseId::from_number(n).ok()) else { continue };
        let label = format!("{} {}", phase.number(), phase.name());
        let number = phase.number();
        match event.kind.as_str() {
            "phase_started" => {
                let attempt = attempts.entry(number).or_default();
                *attempt += 1;
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(spinner.clone());
                bar.set_prefix(label);
                if *attempt > 1 {
                    bar.set_message(format!("attempt {attempt}"));
                }
                bar.enable_steady_tick(Duration::from_millis(100));
                if let Some(old) = bars.insert(number, bar) {
                    old.finish();
                }
            }
            "phase_progress" => {
                if let Some(bar) = bars.get(&number) {
                    if event.total > 0 {
                        bar.set_style(counting.clone());
                        bar.set_length(u64::from(event.total));
                        bar.set_position(u64::from(event.done));
                    }
                    bar.set_message(event.message.clone());
                }
            }
            "phase_finished" => {
                let elapsed_ms = bars.get(&number).map_or(0, |bar| bar.elapsed().as_millis());
                let line = format!("✓ {elapsed_ms:>6} ms  quality {:.2}", event.quality.unwrap_or_default());
                if let Some(bar) = bars.get(&number) {
                    bar.set_style(done_style.clone());
                    bar.set_prefix(format!("  {label}"));
                    bar.finish_with_message(line.clone());
                }
                if !tty && !quiet {
                    eprintln!("  {label:<14} {line}");
                }
            }
            "phase_retrying" => {
                if tty && !quiet {
                    multi.println(format!("  ↻ quality gate: {}", event.message)).ok();
                } else if !quiet {
                    eprintln!("  ↻ quality gate: {}", event.message);
                }
            }
            "job_failed" => {
                if let Some(bar) = bars.get(&number) {
                    bar.abandon_with_message(format!("✗ {}", event.message));
                }
                return;
            }
            _ => {}
        }
    }
}
