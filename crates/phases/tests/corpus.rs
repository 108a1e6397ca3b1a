//! The story corpus (tests/corpus/stories/ and examples/): every sentence of
//! each story reaches the storyboard, whole and in order, at the page count
//! the analysis picks and squeezed onto a few pages. Prints one row per story
//! (`cargo nextest run -p manga-phases --test corpus --no-capture`).

#![allow(clippy::unwrap_used, reason = "test: a failure is the test failing")]

use std::path::{Path, PathBuf};

use manga_ai::ConceptRequest;
use manga_ai::local::analysis;
use manga_domain::{BalloonKind, PageCount, StoryText};
use manga_phases::phase4_name::{check, narration_missing, storyboard};

fn stories() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths = Vec::new();
    for dir in ["tests/corpus/stories", "examples"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "txt") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 7, "the corpus is in place: {paths:?}");
    paths
}

#[test]
fn every_sentence_of_every_story_reaches_the_storyboard_whole_and_in_order() {
    let mut failures = Vec::new();
    println!("{:<28} {:>5} {:>9} {:>9} {:>6}", "story", "pages", "narration", "dialogue", "cut");
    for path in stories() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let story = StoryText::parse(text.clone()).unwrap();
        for pages in [None, Some(2)] {
            let request = ConceptRequest { pages: pages.map(|p| PageCount::parse(p).unwrap()), ..Default::default() };
            let concept = analysis::analyse_story(&story, &request).unwrap();
            let bible = analysis::design_characters(&story, &concept).unwrap();
            let plot = analysis::outline_plot(&story, &concept, &bible).unwrap();
            let board = storyboard(&concept, &bible, &plot, 1, 1).unwrap();
            let (missing, total) = narration_missing(&concept, &board);
            let report = check(&concept, &board);
            let dialogue_ok = !report.reasons.iter().any(|r| r.code == "dialogue_coverage");
            // An ellipsis the story does not have marks words cut.
            let cut = board
                .panels()
                .flat_map(|p| &p.balloons)
                .filter(|b| b.text.contains('…') && !text.contains(b.text.trim_end_matches('…')))
                .count();
            let captions = board.panels().flat_map(|p| &p.balloons).filter(|b| b.kind == BalloonKind::Narration);
            println!(
                "{:<28} {:>5} {:>4}/{:<4} {:>9} {:>6}   ({} captions)",
                name,
                board.pages.len(),
                total - missing,
                total,
                if dialogue_ok { "whole" } else { "LOST" },
                cut,
                captions.count()
            );
            if missing > 0 || !dialogue_ok || cut > 0 {
                failures.push(format!("{name} at {pages:?} pages: {missing} of {total} narrative sentences lost, dialogue whole: {dialogue_ok}, {cut} cut"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
