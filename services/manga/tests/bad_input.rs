//! Every kind of bad input ends with a non-zero exit, one clear sentence on
//! stderr, and no output that looks complete.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn manga(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manga"));
    cmd.args(args).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("manga runs");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(bytes).expect("write stdin");
    }
    child.wait_with_output().expect("manga finishes")
}

fn story_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write story");
    path
}

/// Runs `generate` and asserts it failed with exit code 2 and a message containing `expected`.
fn assert_refused(args: &[&str], stdin: Option<&[u8]>, expected: &str, out: &Path) {
    let output = manga(args, stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "exit code for {args:?}; stderr: {stderr}");
    assert!(stderr.contains(expected), "stderr for {args:?} should contain {expected:?}, was: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one sentence, not a backtrace: {stderr}");
    assert!(!out.join("manga.pdf").exists() && !out.join("job.json").exists(), "no output for {args:?}");
}

#[test]
fn a_missing_story_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let missing = dir.path().join("nope.txt");
    assert_refused(
        &["generate", missing.to_str().unwrap(), "--out", out.to_str().unwrap()],
        None,
        "nope.txt' does not exist",
        &out,
    );
}

#[test]
fn empty_and_whitespace_only_stories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (name, bytes) in [("empty.txt", &b""[..]), ("blank.txt", "  \n\t\u{3000}\n".as_bytes())] {
        let path = story_file(dir.path(), name, bytes);
        assert_refused(&["generate", path.to_str().unwrap(), "--out", out.to_str().unwrap()], None, "is empty", &out);
    }
}

#[test]
fn non_utf8_bytes_are_refused_with_their_offset() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let path = story_file(dir.path(), "sjis.txt", b"Hello \x82\xa0\x82\xa2 world");
    assert_refused(
        &["generate", path.to_str().unwrap(), "--out", out.to_str().unwrap()],
        None,
        "is not UTF-8 text (invalid byte at offset 6)",
        &out,
    );
}

#[test]
fn a_story_over_the_character_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let path = story_file(dir.path(), "long.txt", "あ".repeat(200_001).as_bytes());
    assert_refused(
        &["generate", path.to_str().unwrap(), "--out", out.to_str().unwrap()],
        None,
        "200001 characters; the limit is 200000",
        &out,
    );
}

#[test]
fn a_directory_is_not_a_story() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_refused(
        &["generate", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()],
        None,
        "is a directory",
        &out,
    );
}

#[test]
fn an_unwritable_out_directory_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let story = story_file(dir.path(), "s.txt", "「行こう」と太郎は言った。".as_bytes());
    let blocker = story_file(dir.path(), "file", b"x");
    let out = blocker.join("out");
    assert_refused(
        &["generate", story.to_str().unwrap(), "--out", out.to_str().unwrap()],
        None,
        "cannot write to --out",
        &out,
    );
    assert_refused(&["generate", story.to_str().unwrap(), "--out", blocker.to_str().unwrap()], None, "is a file", &out);
}

#[test]
fn page_counts_out_of_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let story = story_file(dir.path(), "s.txt", b"\"Go,\" said Tom.");
    for pages in ["0", "1000", "many"] {
        let output =
            manga(&["generate", story.to_str().unwrap(), "--out", out.to_str().unwrap(), "--pages", pages], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "--pages {pages}: {stderr}");
        assert!(stderr.contains("--pages"), "--pages {pages}: {stderr}");
        assert!(!out.join("manga.pdf").exists());
    }
}

#[test]
fn an_empty_stdin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_refused(&["generate", "-", "--out", out.to_str().unwrap()], Some(b"   "), "standard input is empty", &out);
}

#[test]
fn a_remote_provider_without_its_key_or_an_unknown_provider_is_named_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let path = story_file(dir.path(), "story.txt", "Ami looked at the sea.".as_bytes());
    let story = path.to_str().unwrap();
    let out_arg = out.to_str().unwrap();
    assert_refused(&["generate", story, "--out", out_arg, "--text-provider", "gemini"], None, "GEMINI_API_KEY", &out);
    assert_refused(&["generate", story, "--out", out_arg, "--image-provider", "dalle"], None, "IMAGE_PROVIDER", &out);
}
