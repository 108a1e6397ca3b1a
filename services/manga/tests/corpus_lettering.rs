//! The corpus on the page: every story in tests/corpus/stories/ and examples/
//! through `manga generate`, then the lettered balloons read as a reader would
//! get them: every caption and line of the storyboard lettered whole, nothing
//! truncated, no text under the print minimum (8.5 pt dialogue, 8 pt
//! captions), no split line read back to front and no crossing tails. Prints
//! one row per story (`--no-capture`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use manga_domain::{LetteringSet, ReadingDirection};
use manga_phases::phase6_lettering::panel_defects;
use serde_json::Value;

/// Pixels per point on the B5 page (182 mm across 1,240 px).
const PX_PER_PT: f64 = 1240.0 / (182.0 / 25.4 * 72.0);

fn stories() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths: Vec<PathBuf> = ["tests/corpus/stories", "examples"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).expect("corpus directory").map(|e| e.expect("entry").path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 7, "the corpus is in place: {paths:?}");
    paths
}

fn texts<'a>(balloons: impl Iterator<Item = &'a Value>) -> String {
    balloons.map(|b| b["text"].as_str().expect("text")).flat_map(str::chars).filter(|c| !c.is_whitespace()).collect()
}

/// The gate's own reading checks, counted: split lines whose later part is
/// read first, and tails that cross another tail or run through a balloon.
fn reading_defects(set: &LetteringSet, direction: ReadingDirection) -> (usize, usize) {
    let codes: Vec<String> = set.panels.iter().flat_map(|p| panel_defects(p, &[], direction)).map(|r| r.code).collect();
    let count = |wanted: &[&str]| codes.iter().filter(|c| wanted.contains(&c.as_str())).count();
    (count(&["split_out_of_order"]), count(&["tails_cross", "tail_crosses_balloon"]))
}

#[test]
fn every_story_is_lettered_whole_and_at_a_readable_size() {
    let mut failures = Vec::new();
    println!(
        "{:<28} {:>5} {:>8} {:>8} {:>9} {:>9} {:>6} {:>6}",
        "story", "pages", "balloons", "overflow", "min line", "min capt", "order", "tails"
    );
    for story in stories() {
        let name = story.file_name().expect("name").to_string_lossy().into_owned();
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let output = Command::new(env!("CARGO_BIN_EXE_manga"))
            .arg("generate")
            .arg(&story)
            .arg("--quiet")
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .expect("manga runs");
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let job: Value = serde_json::from_slice(&std::fs::read(out.join("job.json")).expect("job.json")).expect("JSON");

        let planned: Vec<&Value> = job["storyboard"]["pages"]
            .as_array()
            .expect("pages")
            .iter()
            .flat_map(|p| p["panels"].as_array().expect("panels"))
            .flat_map(|p| p["balloons"].as_array().expect("balloons"))
            .collect();
        let lettered: Vec<&Value> = job["lettering"]["panels"]
            .as_array()
            .expect("lettered panels")
            .iter()
            .flat_map(|p| p["balloons"].as_array().expect("balloons"))
            .collect();
        let is_caption = |b: &&Value| b["kind"] == "narration";
        let overflow = lettered.iter().filter(|b| b["overflow"] == true).count();
        let smallest = |captions: bool| {
            lettered
                .iter()
                .filter(|b| is_caption(b) == captions)
                .map(|b| b["font_px"].as_f64().expect("font_px"))
                .fold(f64::INFINITY, f64::min)
        };
        let (min_line, min_caption) = (smallest(false), smallest(true));
        let set: LetteringSet = serde_json::from_value(job["lettering"].clone()).expect("a lettering set");
        let direction: ReadingDirection =
            serde_json::from_value(job["storyboard"]["reading_direction"].clone()).expect("a reading direction");
        let (out_of_order, crossings) = reading_defects(&set, direction);
        println!(
            "{:<28} {:>5} {:>8} {:>8} {:>6.1} pt {:>6.1} pt {:>6} {:>6}",
            name,
            job["page_count"],
            lettered.len(),
            overflow,
            min_line / PX_PER_PT,
            min_caption / PX_PER_PT,
            out_of_order,
            crossings
        );
        if out_of_order > 0 || crossings > 0 {
            failures.push(format!("{name}: {out_of_order} split lines read back to front, {crossings} tails crossing"));
        }
        if texts(planned.iter().copied().filter(is_caption)) != texts(lettered.iter().copied().filter(is_caption)) {
            failures.push(format!("{name}: the lettered captions are not the storyboard's"));
        }
        if texts(planned.iter().copied().filter(|b| !is_caption(b)))
            != texts(lettered.iter().copied().filter(|b| !is_caption(b)))
        {
            failures.push(format!("{name}: the lettered lines are not the storyboard's"));
        }
        if overflow > 0 {
            failures.push(format!("{name}: {overflow} balloons truncated"));
        }
        if min_line < 8.5 * PX_PER_PT - 0.01 || min_caption < 8.0 * PX_PER_PT - 0.01 {
            failures
                .push(format!("{name}: text under the minimum ({min_line:.1} px lines, {min_caption:.1} px captions)"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
