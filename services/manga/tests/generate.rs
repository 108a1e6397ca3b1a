//! End to end: each example story becomes a PDF, a CBZ and PNG pages that
//! agree with the storyboard, and no dialogue line is lost on the way.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut stories: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    stories.sort();
    assert!(stories.len() >= 2, "examples/ should hold a Japanese and an English story");
    stories
}

fn generate(story: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_manga"))
        .arg("generate")
        .arg(story)
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("manga runs")
}

fn decode_png(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels decode");
    (info.width, info.height)
}

/// Checks one generated book against its own job.json.
fn check_book(out: &Path) -> Value {
    let job: Value =
        serde_json::from_slice(&std::fs::read(out.join("job.json")).expect("job.json")).expect("valid JSON");
    let storyboard_pages = job["storyboard"]["pages"].as_array().expect("pages").len();
    assert!(storyboard_pages >= 1);
    assert_eq!(job["page_count"].as_u64(), Some(storyboard_pages as u64));

    // PDF: one page per storyboard page, with the title in its metadata.
    let pdf = lopdf::Document::load(out.join("manga.pdf")).expect("the PDF parses");
    assert_eq!(pdf.get_pages().len(), storyboard_pages, "PDF pages = storyboard pages");
    let info = pdf.trailer.get(b"Info").and_then(|r| r.as_reference()).expect("Info");
    let title = pdf.get_object(info).and_then(|o| o.as_dict()).and_then(|d| d.get(b"Title")).expect("Title");
    assert!(!lopdf::decode_text_string(title).expect("title text").is_empty());

    // CBZ: ComicInfo.xml and N decodable page images.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(out.join("manga.cbz")).expect("cbz")).expect("a ZIP");
    let mut xml = String::new();
    zip.by_name("ComicInfo.xml").expect("ComicInfo.xml").read_to_string(&mut xml).expect("UTF-8 XML");
    assert!(xml.contains(&format!("<PageCount>{storyboard_pages}</PageCount>")), "{xml}");
    let language = job["language"].as_str().expect("language");
    assert!(xml.contains(&format!("<LanguageISO>{language}</LanguageISO>")), "{xml}");
    let manga = if language == "ja" { "YesAndRightToLeft" } else { "No" };
    assert!(xml.contains(&format!("<Manga>{manga}</Manga>")), "{xml}");
    assert!(xml.starts_with("<?xml") && xml.trim_end().ends_with("</ComicInfo>"));
    let mut images = 0;
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).expect("entry");
        if file.name().expect("entry name").ends_with(".png") {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("read");
            decode_png(&bytes);
            images += 1;
        }
    }
    assert_eq!(images, storyboard_pages);

    // PNG pages: at least 1200 px wide, B5 proportions; thumbnails beside them.
    for n in 1..=storyboard_pages {
        let (w, h) = decode_png(&std::fs::read(out.join(format!("pages/page-{n:03}.png"))).expect("page PNG"));
        assert!(w >= 1200, "page {n} is {w} px wide");
        let ratio = h as f32 / w as f32;
        assert!((ratio - 257.0 / 182.0).abs() < 0.01, "page {n} is not B5: {w}x{h}");
        let (tw, _) = decode_png(&std::fs::read(out.join(format!("thumbnails/page-{n:03}.png"))).expect("thumbnail"));
        assert!(tw < w / 3);
    }

    // Every dialogue line from phase 1 is lettered on some page, none twice as a whole.
    let dialogue: BTreeSet<u64> = job["concept"]["dialogue"]
        .as_array()
        .expect("dialogue")
        .iter()
        .map(|l| l["id"].as_u64().expect("id"))
        .collect();
    let lettered: BTreeSet<u64> = job["lettering"]["panels"]
        .as_array()
        .expect("lettered panels")
        .iter()
        .flat_map(|p| p["balloons"].as_array().expect("balloons").iter())
        .filter_map(|b| b["line"].as_u64())
        .collect();
    assert_eq!(lettered, dialogue, "lettered lines = phase 1's lines");
    job
}

#[test]
fn every_example_story_becomes_a_pdf_cbz_and_png_pages_that_agree() {
    for story in examples() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let output = generate(&story, &out, &[]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}: {}{}", story.display(), stdout, String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("manga.pdf") && stdout.contains("quality"), "summary: {stdout}");
        let job = check_book(&out);
        assert!(job["concept"]["characters"].as_array().expect("characters").len() >= 2, "{}", story.display());
        assert!(job["concept"]["dialogue"].as_array().expect("dialogue").len() >= 10, "{}", story.display());
        // Nothing from staging is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn the_page_count_can_be_forced_and_the_same_seed_gives_the_same_pages() {
    let story = examples().into_iter().next().expect("a story");
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let output = generate(&story, out, &["--pages", "5", "--seed", "42", "--quiet"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let job = check_book(&a);
    assert_eq!(job["page_count"].as_u64(), Some(5));
    for n in 1..=5 {
        let page = format!("pages/page-{n:03}.png");
        assert_eq!(std::fs::read(a.join(&page)).unwrap(), std::fs::read(b.join(&page)).unwrap(), "{page} differs");
    }
}

#[test]
fn a_story_can_come_from_stdin_and_replaces_a_previous_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let story = "\"Is anyone there?\" Mara called into the dark barn.\n\n\"Only me,\" said Tobin, stepping out with a lantern. \"And the cat.\"\n\nMara laughed. \"Then let's go home, Tobin.\"";
    for pages in ["3", "2"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_manga"))
            .args(["generate", "-", "--quiet", "--pages", pages, "--out"])
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(story.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let job = check_book(&out);
    assert_eq!(job["page_count"].as_u64(), Some(2));
    assert!(!out.join("pages/page-003.png").exists(), "the earlier run's third page is gone");
    assert_eq!(job["language"].as_str(), Some("en"));
}
