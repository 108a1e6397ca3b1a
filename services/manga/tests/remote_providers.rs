//! Whole jobs through every remote provider: `manga generate` pointed at the
//! in-process fake of the providers (crates/ai-fake), with 30 % of the calls
//! failing transiently. The manga must come out whole, its art from the
//! fake, its lettering placed on that art, and its usage accounted.

#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

use std::path::Path;
use std::process::{Command, Output};

use manga_ai_fake::{Endpoint, FakeProviders};
use manga_domain::{LetteringSet, ReadingDirection};
use manga_phases::phase6_lettering::panel_defects;
use serde_json::Value;

const STORY: &str = "The Keeper\n\nMara climbed the lighthouse that night. \"Is the lamp lit?\" she asked.\n\n\
\"Not yet,\" said Tom. He held the broken lens up to the moon.\n\n\
\"Then we light it by hand,\" Mara said. She struck a match, and the beam swept the sea.";

/// Runs `manga generate` with `env` on top of a clean model configuration.
fn generate(env: &[(String, String)], dir: &Path, out: &Path) -> Output {
    let story = dir.join("story.txt");
    std::fs::write(&story, STORY).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manga"));
    cmd.args(["generate", story.to_str().unwrap(), "--out", out.to_str().unwrap(), "--pages", "2", "--quiet"]);
    for var in ["TEXT_PROVIDER", "IMAGE_PROVIDER", "GEMINI_API_KEY", "VERTEX_LOCATION", "GOOGLE_CLOUD_PROJECT"] {
        cmd.env_remove(var);
    }
    cmd.env("AI_CACHE_DIR", dir.join("cache"))
        .env("AI_RATE_LIMIT_PER_MINUTE", "100000")
        .env("AI_RETRIES", "8")
        // At 30 % faults five failures in a row happen by chance among ComfyUI's polls; the breaker has its own tests.
        .env("AI_BREAKER_FAILURES", "12")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.output().unwrap()
}

fn job_json(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("job.json")).unwrap()).unwrap()
}

/// One job through `text` and `image` (names for [`FakeProviders::env_for`]), checked whole.
fn whole_job(text: &str, image: &str, image_endpoint: Endpoint, image_provider: &str) {
    let fake = FakeProviders::start_blocking();
    fake.set_max_image_side(320);
    fake.fail_randomly(0.3, 7);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let env: Vec<(String, String)> = fake.env_for(text).into_iter().chain(fake.env_for(image)).collect();
    let output = generate(&env, dir.path(), &out);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "stderr: {}\nstdout: {stdout}", String::from_utf8_lossy(&output.stderr));
    assert!(fake.problems().is_empty(), "requests the real service would refuse: {:?}", fake.problems());

    let job = job_json(&out);
    let panels = job["storyboard"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["panels"].as_array().unwrap().len())
        .sum::<usize>();
    let usage = job["usage"].as_array().unwrap();
    // One record per provider and model: the text model's has tokens and no images, the image model's images.
    let by = |provider: &str, draws: bool| {
        let found = usage.iter().find(|u| u["provider"] == provider && (u["images"].as_u64().unwrap() > 0) == draws);
        found.unwrap_or_else(|| panic!("no {provider} in {usage:?}"))
    };
    let text_usage = by(if text == "vertex" { "gemini" } else { text }, false);
    let image_usage = by(image_provider, true);
    assert!(text_usage["requests"].as_u64().unwrap() >= 3, "{text_usage}");
    assert!(text_usage["input_tokens"].as_u64().unwrap() > 0, "{text_usage}");
    let drawn = image_usage["images"].as_u64().unwrap() as usize;
    assert!(drawn >= panels, "{drawn} images for {panels} panels: {image_usage}");
    let retries: u64 = usage.iter().map(|u| u["retries"].as_u64().unwrap()).sum();
    assert!(retries > 0, "30 % of calls failed, so some were retried: {usage:?}");
    let requests: u64 = usage.iter().map(|u| u["requests"].as_u64().unwrap()).sum();
    // ComfyUI's lookups, polls, uploads and result fetches are follow-ups of one counted request.
    let follow_ups = [Endpoint::ComfyHistory, Endpoint::ComfyQueue, Endpoint::ComfyView, Endpoint::ComfyUpload];
    let received = fake.requests().iter().filter(|r| !follow_ups.contains(&r.endpoint)).count() as u64;
    assert_eq!(requests, received, "every request the fake saw is accounted, and no other");
    assert!(fake.requests_to(image_endpoint).len() >= panels);
    assert!(stdout.contains(&format!("{image_provider}/")), "the summary lists the image model: {stdout}");

    // The storyboard is the model's koma-wari (the fake's actions), checked and applied.
    let actions: Vec<&str> = job["storyboard"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["panels"].as_array().unwrap())
        .map(|p| p["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"they talk"), "{actions:?}");
    assert!(
        !job["report"]["phases"][3]["reasons"].to_string().contains("rule-based"),
        "{}",
        job["report"]["phases"][3]
    );

    // The art is the fake's and the lettering found its figures by the drawing's detail.
    let lettering = &job["report"]["phases"][5];
    assert!(lettering["reasons"].to_string().contains("detail map"), "{lettering}");
    let balloons: usize =
        job["lettering"]["panels"].as_array().unwrap().iter().map(|p| p["balloons"].as_array().unwrap().len()).sum();
    assert!(balloons >= 4, "the dialogue is lettered: {balloons} balloons");
    // Placed on the fake's art by its detail map, the balloons meet the rules they meet on local art:
    // whole, at a readable size, split lines in order, no tail across another tail or balloon.
    let set: LetteringSet = serde_json::from_value(job["lettering"].clone()).unwrap();
    let direction: ReadingDirection = serde_json::from_value(job["storyboard"]["reading_direction"].clone()).unwrap();
    let defects: Vec<String> = set
        .panels
        .iter()
        .flat_map(|p| panel_defects(p, &[], direction))
        .filter(|r| !["balloon_over_face", "balloon_overlap"].contains(&r.code.as_str()))
        .map(|r| r.message)
        .collect();
    assert!(defects.is_empty(), "{defects:#?}");
    assert!(out.join("manga.pdf").metadata().unwrap().len() > 10_000);
}

#[test]
fn a_job_through_gemini_text_and_gemini_images_survives_30_percent_faults() {
    whole_job("gemini", "gemini-image", Endpoint::GenerateContent, "gemini-image");
}

#[test]
fn a_job_through_openai_text_and_images_survives_30_percent_faults() {
    whole_job("openai", "openai-image", Endpoint::ImageGenerations, "openai");
}

#[test]
fn a_job_through_vertex_gemini_and_imagen_survives_30_percent_faults() {
    whole_job("vertex", "imagen", Endpoint::Predict, "imagen");
}

#[test]
fn a_job_through_comfyui_images_survives_30_percent_faults() {
    whole_job("openai", "comfyui", Endpoint::ComfyPrompt, "comfyui");
}

#[test]
fn a_rerun_of_the_same_job_is_answered_from_the_disk_cache_without_a_call() {
    let fake = FakeProviders::start_blocking();
    fake.set_max_image_side(256);
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = fake.env_for("gemini").into_iter().chain(fake.env_for("gemini-image")).collect();
    let first = generate(&env, dir.path(), &dir.path().join("one"));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let calls = fake.request_count();
    assert!(calls > 3);
    let second = generate(&env, dir.path(), &dir.path().join("two"));
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(fake.request_count(), calls, "the second run repeated no call");
    let usage = job_json(&dir.path().join("two"))["usage"].clone();
    let hits: u64 = usage.as_array().unwrap().iter().map(|u| u["cache_hits"].as_u64().unwrap()).sum();
    assert!(hits as usize >= calls, "every answer came from the cache: {usage}");
    let pages = |name: &str| std::fs::read(dir.path().join(name).join("pages/page-001.png")).unwrap();
    assert_eq!(pages("one"), pages("two"), "the same answers make the same page");
}

#[test]
fn providers_check_reports_each_configured_provider_and_fails_when_one_does() {
    let fake = FakeProviders::start_blocking();
    let env: Vec<(String, String)> = fake.env_for("gemini").into_iter().chain(fake.env_for("comfyui")).collect();
    let check = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_manga"));
        cmd.args(["providers", "check"]).env_remove("TEXT_PROVIDER").env_remove("IMAGE_PROVIDER");
        cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).output().unwrap()
    };
    let ok = check();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("✓ gemini") && stdout.contains("✓ comfyui"), "{stdout}");
    assert!(stdout.contains(" ms"), "latency is shown: {stdout}");

    fake.fail_next_on(Endpoint::GenerateContent, &vec![manga_ai_fake::Fault::Status(403); 9]);
    let failed = check();
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("✗ gemini"), "{stdout}");
    assert!(String::from_utf8_lossy(&failed.stderr).contains("1 of 2 providers failed"));
}

#[test]
fn a_dry_run_estimates_the_calls_and_cost_and_calls_nothing_and_writes_nothing() {
    let fake = FakeProviders::start_blocking();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let env: Vec<(String, String)> = fake.env_for("gemini").into_iter().chain(fake.env_for("imagen")).collect();
    let story = dir.path().join("story.txt");
    std::fs::write(&story, STORY).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manga"));
    cmd.args(["generate", story.to_str().unwrap(), "--out", out.to_str().unwrap(), "--pages", "2", "--dry-run"]);
    let output = cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(fake.request_count(), 0, "nothing was called");
    assert!(!out.exists(), "nothing was written");
    assert!(stdout.contains("dry run: 2 pages"), "{stdout}");
    let imagen =
        stdout.lines().find(|l| l.contains("imagen/imagen-4.0-generate-001")).unwrap_or_else(|| panic!("{stdout}"));
    let images: u32 = imagen.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(images >= 4, "a portrait per character and an image per panel: {imagen}");
    assert!(imagen.ends_with(&format!("${:.4}", f64::from(images) * 0.04)), "Imagen 4 at $0.04 an image: {imagen}");
    assert!(stdout.contains("gemini/gemini-2.5-flash") && stdout.contains("total about $"), "{stdout}");
}

#[test]
fn a_storyboard_the_model_cannot_get_right_falls_back_to_the_rules_and_the_report_says_so() {
    let fake = FakeProviders::start_blocking();
    // Every answer drops the last page: checked, fed back, asked again, then replaced.
    fake.answer_with("storyboard", |task| {
        let mut answer = task.default_answer();
        answer["pages"].as_array_mut().unwrap().pop();
        answer
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = generate(&fake.env_for("gemini"), dir.path(), &out);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let job = job_json(&out);
    let name = &job["report"]["phases"][3];
    let reasons = name["reasons"].to_string();
    assert!(reasons.contains("the rule-based one was") && reasons.contains("give exactly 2 pages"), "{name}");
    assert_eq!(name["quality"], 1.0, "the rule-based storyboard is whole: {name}");
    let asked = fake.requests().iter().filter(|r| r.task.as_deref() == Some("storyboard")).count();
    assert_eq!(asked, 3, "asked three times with the problem fed back");
}

#[test]
fn a_vision_model_finds_the_faces_on_remote_art_and_the_report_says_so() {
    let fake = FakeProviders::start_blocking();
    fake.set_max_image_side(320);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut env: Vec<(String, String)> =
        fake.env_for("gemini").into_iter().chain(fake.env_for("gemini-image")).collect();
    env.push(("PHASE6_TEXT_PROVIDER".into(), "gemini".into()));
    let output = generate(&env, dir.path(), &out);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
    let asked: Vec<_> = fake.requests().into_iter().filter(|r| r.task.as_deref() == Some("faces")).collect();
    assert!(!asked.is_empty(), "phase 6 asked for faces");
    let parts = asked[0].json.as_ref().unwrap().pointer("/contents/0/parts").unwrap().as_array().unwrap().clone();
    assert!(
        parts.iter().any(|p| p.pointer("/inlineData/mimeType") == Some(&Value::from("image/png"))),
        "the panel is sent: {parts:?}"
    );
    let job = job_json(&out);
    let lettering = job["report"]["phases"][5]["reasons"].to_string();
    assert!(lettering.contains("found their faces"), "{lettering}");
    // The faces lettering kept clear are the model's: the fake puts a lone face at 15–40 % of the height.
    let frames: Vec<Value> = job["storyboard"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["panels"].as_array().unwrap().clone())
        .collect();
    let lone = job["lettering"]["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["figures"].as_array().unwrap().len() == 1)
        .unwrap()
        .clone();
    let frame = &frames.iter().find(|f| f["id"] == lone["panel"]).unwrap()["frame"];
    let (h, face) = (frame["h"].as_f64().unwrap().round(), &lone["figures"][0]["face"]);
    assert!((face["y"].as_f64().unwrap() - 0.15 * h).abs() <= 1.0, "{face} in a panel {h} high");
    assert!((face["h"].as_f64().unwrap() - 0.25 * h).abs() <= 1.0, "{face} in a panel {h} high");
}
