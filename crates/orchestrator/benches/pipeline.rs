//! Pipeline figures, printed for docs/benchmarks.md (not a timed test):
//!
//! 1. a whole `generate` of an example story at 8 pages, embedded, wall time;
//! 2. per page, on one thread: lettering every panel + composing the page +
//!    encoding its PNG.
//!
//! Run: `cargo bench -p manga-orchestrator --bench pipeline`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use manga_blob::BlobStore;
use manga_domain::{ArtifactKey, Concept, JobId, JobOptions, PageCount, PanelArtSet, PhaseId, StoryText, Storyboard};
use manga_orchestrator::JobSpec;
use manga_orchestrator::embedded::Embedded;
use manga_phases::artifacts::load_json;
use manga_render::compose::{PlacedPanel, compose_page};
use manga_render::image_io::{PngSpeed, decode_png, encode_png};
use manga_render::lettering::{LetteringRequest, letter_panel};

const RUNS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut stories: Vec<_> = std::fs::read_dir(&examples)
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    stories.sort();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    println!("machine: {cpus} cpus; {RUNS} runs each, median");
    for story_path in stories {
        let story = StoryText::parse(std::fs::read_to_string(&story_path).expect("story")).expect("valid story");
        let name = story_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut whole = Vec::new();
        let mut per_page = Vec::new();
        for _ in 0..RUNS {
            let work = tempfile::tempdir().expect("tempdir");
            let (elapsed, job, blob) = runtime.block_on(async {
                let embedded = Embedded::start(work.path()).await.expect("embedded pipeline");
                let options = JobOptions { pages: Some(PageCount::parse(8).expect("8")), ..JobOptions::default() };
                let spec = JobSpec { job: JobId::new(), story: story.clone(), options };
                let started = Instant::now();
                embedded.run_job(&spec).await.expect("job runs");
                (started.elapsed(), spec.job, embedded.blob.clone())
            });
            whole.push(elapsed);
            per_page.push(runtime.block_on(letter_and_compose_per_page(blob, job)));
        }
        println!("{name}: whole generate (8 pages): {:?}", median(whole));
        println!("{name}: lettering + compose + PNG encode per page, one thread: {:?}", median(per_page));
    }
}

/// Re-letters and re-composes every page of a finished job on this thread, returning the mean per page.
async fn letter_and_compose_per_page(blob: Arc<manga_blob::LocalBlobStore>, job: JobId) -> Duration {
    let v = manga_domain::Version::FIRST;
    let concept: Concept =
        load_json(blob.as_ref(), &ArtifactKey::phase_output(job, v, PhaseId::Concept)).await.expect("concept");
    let storyboard: Storyboard =
        load_json(blob.as_ref(), &ArtifactKey::phase_output(job, v, PhaseId::Name)).await.expect("storyboard");
    let art: PanelArtSet =
        load_json(blob.as_ref(), &ArtifactKey::phase_output(job, v, PhaseId::Images)).await.expect("art");
    let mut decoded = Vec::new();
    for panel in &art.panels {
        decoded.push(decode_png(&blob.get(&panel.image).await.expect("panel png")).expect("decodes"));
    }
    let started = Instant::now();
    let mut index = 0;
    for page in &storyboard.pages {
        let mut lettered = Vec::new();
        for plan in &page.panels {
            let mut pixmap = decoded[index].clone();
            let request = LetteringRequest {
                balloons: &plan.balloons,
                sfx: &plan.sfx,
                figures: &art.panels[index].figures,
                language: concept.language,
                reading_direction: concept.reading_direction,
                attempt: 1,
                detail: None,
            };
            letter_panel(&mut pixmap, &request);
            lettered.push(pixmap);
            index += 1;
        }
        let placed: Vec<_> =
            page.panels.iter().zip(&lettered).map(|(p, image)| PlacedPanel { frame: p.frame, image }).collect();
        let composed = compose_page(storyboard.page_size, &placed, page.number).expect("page");
        std::hint::black_box(encode_png(&composed, PngSpeed::Fast).expect("png"));
    }
    started.elapsed() / storyboard.pages.len() as u32
}
