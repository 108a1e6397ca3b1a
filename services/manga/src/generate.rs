//! `manga generate`: read, run, export, summarise.

use std::fmt;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use manga_ai::{ConceptRequest, LocalProvider, Models, TextModel as _, Workload};
use manga_domain::{JobId, JobOptions, StoryText};
use manga_orchestrator::embedded::Embedded;
use manga_orchestrator::export::{ExportedFiles, export};
use manga_orchestrator::{JobReport, JobSpec};

use crate::cli::{GenerateArgs, LanguageChoice};
use crate::{input, progress};

/// Why `generate` stopped.
pub enum Failure {
    /// The person's input is wrong: exit 2.
    BadInput(String),
    /// The job failed: exit 1.
    Job(String),
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::BadInput(_) => ExitCode::from(2),
            Self::Job(_) => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadInput(m) | Self::Job(m) => f.write_str(m),
        }
    }
}

/// Runs one job end to end.
///
/// # Errors
/// [`Failure`] with a sentence for the person.
pub async fn run(args: GenerateArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let story = input::read_story(&args.story).map_err(Failure::BadInput)?;
    if !args.dry_run {
        check_writable(&args.out).map_err(Failure::BadInput)?;
    }
    let options = JobOptions {
        pages: args.pages,
        language: match args.lang {
            LanguageChoice::Auto => None,
            LanguageChoice::Fixed(l) => Some(l),
        },
        seed: args.seed,
        author: args.author.clone(),
        title: args.title.clone(),
        providers: Default::default(),
    };
    let models = crate::models::configured(&args.models).map_err(Failure::BadInput)?;
    if args.dry_run {
        return estimate(&models, &story, &options).await.map_err(Failure::Job);
    }
    let work = tempfile::Builder::new()
        .prefix("manga-work-")
        .tempdir()
        .map_err(|e| Failure::Job(format!("cannot make a working directory: {e}")))?;
    let embedded = Embedded::start_with_models(work.path(), models).await.map_err(|e| Failure::Job(e.to_string()))?;
    let spec = JobSpec { job: JobId::new(), story, options };
    let events = embedded.service().events().subscribe(spec.job).await;
    let display = tokio::spawn(progress::render(events, args.quiet));

    let report = match embedded.run_job(&spec).await {
        Ok(report) => report,
        Err(e) => {
            display.abort();
            return Err(Failure::Job(e.to_string()));
        }
    };
    // The display ends on the job's last event; if it panicked, the job itself still succeeded.
    display.await.ok();
    let files = export(embedded.blob.as_ref(), &report, &args.out).await.map_err(|e| Failure::Job(e.to_string()))?;
    print_summary(&files, &report, started.elapsed().as_secs_f32());
    Ok(())
}

/// `--dry-run`: counts the job's characters, lines and panels with the local
/// analysis (offline, free), and prints what the configured models would be asked and cost.
async fn estimate(models: &Models, story: &StoryText, options: &JobOptions) -> Result<(), String> {
    let local = LocalProvider;
    let request = ConceptRequest { language: options.language, pages: options.pages, title: options.title.clone() };
    let concept = local.analyse_story(story, &request).await.map_err(|e| e.to_string())?;
    let bible = local.design_characters(story, &concept).await.map_err(|e| e.to_string())?;
    let plot = local.outline_plot(story, &concept, &bible).await.map_err(|e| e.to_string())?;
    let storyboard =
        manga_phases::phase4_name::storyboard(&concept, &bible, &plot, options.seed, 1).map_err(|e| e.to_string())?;
    let work = Workload {
        story_chars: story.as_str().chars().count(),
        lines: concept.dialogue.len(),
        characters: bible.characters.len(),
        panels: storyboard.panels().count(),
    };
    println!(
        "dry run: {} pages, {} panels, {} characters, {} dialogue lines (counted offline; nothing was called; tokens are estimates)",
        storyboard.pages.len(),
        work.panels,
        work.characters,
        work.lines
    );
    let usage = models.estimate(&work, options);
    if usage.is_empty() {
        println!("  every phase uses the local provider: no model calls, $0");
        return Ok(());
    }
    print_usage(&usage);
    println!(
        "  total about ${:.2} at list prices, before retries and cache hits",
        usage.iter().map(|u| u.cost_usd).sum::<f64>()
    );
    Ok(())
}

/// Makes sure `--out` can be written before any work is done.
fn check_writable(out: &Path) -> Result<(), String> {
    let name = out.display();
    if out.is_file() {
        return Err(format!("--out '{name}' is a file; give a directory"));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot write to --out '{name}': {e}"))?;
    let probe = out.join(format!(".manga-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write to --out '{name}': {e}"))?;
    std::fs::remove_file(&probe).map_err(|e| format!("cannot write to --out '{name}': {e}"))?;
    Ok(())
}

fn print_summary(files: &ExportedFiles, report: &JobReport, seconds: f32) {
    println!("✓ {} — {} pages in {seconds:.1} s", files.title, files.pages.len());
    println!("  {}", files.pdf.display());
    println!("  {}", files.cbz.display());
    println!(
        "  {} ({} PNG pages, thumbnails in {})",
        files.dir.join("pages").display(),
        files.pages.len(),
        files.dir.join("thumbnails").display()
    );
    println!("  {}", files.job_json.display());
    println!("  phase           time  attempts  quality");
    for record in &report.phases {
        println!(
            "  {:<12} {:>6} ms  {:>8}  {:>7.2}",
            format!("{} {}", record.phase.number(), record.phase.name()),
            record.duration_ms,
            record.attempts,
            record.quality.get()
        );
    }
    for retry in &report.retries {
        println!("  ↻ {} re-ran {} (score {:.2})", retry.checked_by.name(), retry.phase.name(), retry.score);
    }
    print_usage(&report.usage());
}

/// One line per provider and model: requests, tokens, images, cache hits, retries, cost at list prices.
fn print_usage(usage: &[manga_domain::AiUsage]) {
    if !usage.is_empty() {
        println!("  model                              requests  tokens in/out  images  cached  retries  cost (list)");
    }
    for u in usage {
        println!(
            "  {:<34} {:>8}  {:>13}  {:>6}  {:>6}  {:>7}  ${:.4}",
            format!("{}/{}", u.provider, u.model),
            u.requests,
            format!("{}/{}", u.input_tokens, u.output_tokens),
            u.images,
            u.cache_hits,
            u.retries,
            u.cost_usd
        );
    }
}
