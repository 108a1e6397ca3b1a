//! The progress display: one line per phase with its elapsed time, a bar
//! for work that counts (panels drawn, lettered, pages composed). On a
//! terminal it redraws in place (indicatif); elsewhere it prints one line
//! per finished phase, which reads well in CI logs.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use manga_bus::Subscription;
use manga_domain::PhaseId;
use manga_proto::{ProgressEvent, ProgressKind};
use prost::Message;

/// Renders progress events until the subscription ends or the task is aborted.
pub async fn render(mut events: Subscription, quiet: bool) {
    let tty = std::io::stderr().is_terminal();
    let multi = MultiProgress::with_draw_target(if tty && !quiet {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut bars: HashMap<u32, ProgressBar> = HashMap::new();
    let spinner = ProgressStyle::with_template("{spinner:.cyan} {prefix:<14} {elapsed:>4} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let counting = ProgressStyle::with_template(
        "{spinner:.cyan} {prefix:<14} {elapsed:>4} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let done_style =
        ProgressStyle::with_template("{prefix:<16} {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
    while let Some(message) = events.next().await {
        let Ok(event) = ProgressEvent::decode(message.data.as_ref()) else { continue };
        let Ok(phase) = PhaseId::from_number(event.phase) else { continue };
        let label = format!("{} {}", phase.number(), phase.name());
        match event.kind() {
            ProgressKind::PhaseStarted => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(spinner.clone());
                bar.set_prefix(label);
                if event.attempt > 1 {
                    bar.set_message(format!("attempt {}", event.attempt));
                }
                bar.enable_steady_tick(Duration::from_millis(100));
                if let Some(old) = bars.insert(event.phase, bar) {
                    old.finish();
                }
            }
            ProgressKind::PhaseProgress => {
                if let Some(bar) = bars.get(&event.phase) {
                    if event.total > 0 {
                        bar.set_style(counting.clone());
                        bar.set_length(u64::from(event.total));
                        bar.set_position(u64::from(event.done));
                    }
                    bar.set_message(event.message.clone());
                }
            }
            ProgressKind::PhaseFinished => {
                let line = format!("✓ {:>6} ms  quality {:.2}", event.elapsed_ms, event.quality);
                if let Some(bar) = bars.get(&event.phase) {
                    bar.set_style(done_style.clone());
                    bar.set_prefix(format!("  {label}"));
                    bar.finish_with_message(line.clone());
                }
                if !tty && !quiet {
                    eprintln!("  {label:<14} {line}");
                }
            }
            ProgressKind::PhaseRetrying => {
                if tty && !quiet {
                    multi.println(format!("  ↻ quality gate: {}", event.message)).ok();
                } else if !quiet {
                    eprintln!("  ↻ quality gate: {}", event.message);
                }
            }
            ProgressKind::JobFailed => {
                if let Some(bar) = bars.get(&event.phase) {
                    bar.abandon_with_message(format!("✗ {}", event.message));
                }
            }
            ProgressKind::JobFinished => return,
            _ => {}
        }
    }
}
