//! Gemini (text and images) against an in-process fake that speaks the
//! Gemini API's `generateContent` shapes, records every request and fails on demand.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use manga_ai::{AiError, AiSettings, ConceptRequest, Ledger, Models, Shared};
use manga_domain::{JobOptions, PhaseId, StoryText};
use serde_json::{Value, json};

/// What the fake does with the next request.
#[derive(Clone)]
enum Fault {
    /// 429 with Google's RetryInfo.
    RetryInfo(f64),
    /// 503 with a Retry-After header.
    Unavailable,
    /// A JSON answer cut off at the length limit.
    Truncated,
    /// A safety block.
    Safety,
}

#[derive(Default)]
struct State {
    requests: Vec<(String, Value, Option<String>, Instant)>,
    faults: VecDeque<Fault>,
}

struct Fake {
    url: String,
    state: Arc<Mutex<State>>,
    _server: actix_web::dev::ServerHandle,
}

impl Fake {
    async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let state = shared.clone();
            App::new().app_data(web::PayloadConfig::new(64 << 20)).default_service(web::to(
                move |req: HttpRequest, body: web::Bytes| {
                    let state = state.clone();
                    async move { answer(&state, &req, &body) }
                },
            ))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}"), state, _server: handle }
    }

    fn fail_next(&self, faults: &[Fault]) {
        self.state.lock().unwrap().faults.extend(faults.iter().cloned());
    }

    fn requests(&self) -> Vec<(String, Value, Option<String>, Instant)> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn answer(state: &Mutex<State>, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let key = req.headers().get("x-goog-api-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let fault = {
        let mut s = state.lock().unwrap();
        s.requests.push((req.path().to_owned(), json.clone(), key, Instant::now()));
        s.faults.pop_front()
    };
    let image = json.pointer("/generationConfig/responseModalities").is_some();
    match fault {
        Some(Fault::RetryInfo(seconds)) => {
            return HttpResponse::TooManyRequests().json(json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                "message": "Resource exhausted", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{seconds}s")}]}}));
        }
        Some(Fault::Unavailable) => {
            return HttpResponse::ServiceUnavailable()
                .insert_header(("retry-after", "0"))
                .json(json!({"error": {"code": 503, "message": "overloaded"}}));
        }
        Some(Fault::Safety) => {
            return HttpResponse::Ok()
                .json(json!({"candidates": [{"finishReason": "SAFETY", "content": {"parts": []}}]}));
        }
        _ => {}
    }
    if image {
        let png = fake_png(64, 48);
        return HttpResponse::Ok().json(json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "here"}, {"inlineData": {"mimeType": "image/png", "data": STANDARD.encode(png)}}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 1290}
        }));
    }
    let prompt = json.pointer("/contents/0/parts/0/text").and_then(Value::as_str).unwrap_or_default();
    let lines: Vec<u32> = prompt.lines().filter_map(|l| l.strip_prefix('L')?.split_once(' ')?.0.parse().ok()).collect();
    let reply = json!({
        "title": "From the fake", "genre": "drama", "mood": "tense", "themes": ["courage"],
        "summary": "A summary written by the fake model.",
        "characters": [{"name": "Mara", "aliases": ["the keeper"], "descriptors": []}],
        "places": [{"name": "lighthouse", "kind": "water", "first_sentence": 999}],
        "times": [{"text": "that night", "time_of_day": "night", "sentence": 1}],
        "lines": lines.iter().map(|l| json!({"line": l, "speaker": if l % 2 == 0 { json!("Mara") } else { json!("Nobody Known") }, "kind": "speech"})).collect::<Vec<_>>(),
    });
    let mut text = reply.to_string();
    let mut finish = "STOP";
    if matches!(fault, Some(Fault::Truncated)) {
        // Cut inside the last object of `lines`, as a length limit would.
        text.truncate(text.rfind("\"kind\"").unwrap_or(text.len()));
        finish = "MAX_TOKENS";
    }
    HttpResponse::Ok().json(json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish}],
        "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 200, "thoughtsTokenCount": 50},
        "modelVersion": "gemini-2.5-flash"
    }))
}

/// A grey picture with a dark block, in the fake's own colours.
fn fake_png(width: u32, height: u32) -> Vec<u8> {
    let mut data = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let v = if (20..40).contains(&x) && y > 10 { 30 } else { 222 };
            data.extend_from_slice(&[v, v, v]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.write_header().unwrap().write_image_data(&data).unwrap();
    out
}

fn models(fake: &Fake, extra: &[(&str, &str)]) -> Models {
    let mut vars = vec![
        ("TEXT_PROVIDER", "gemini"),
        ("IMAGE_PROVIDER", "gemini-image"),
        ("GEMINI_API_KEY", "test-key"),
        ("GEMINI_BASE_URL", fake.url.as_str()),
        ("AI_RATE_LIMIT_PER_MINUTE", "6000"),
    ];
    vars.extend_from_slice(extra);
    Models::build(&AiSettings::from_vars(vars).unwrap(), &Shared::default()).unwrap()
}

const STORY: &str = "The Keeper\n\nMara climbed the lighthouse that night. \"Is the lamp lit?\" she asked. \"Not yet,\" said Tom. \"Then light it,\" Mara said.";

#[tokio::test]
async fn phase_one_comes_from_gemini_with_the_key_and_schema_and_unknown_speakers_stay_unknown() {
    let fake = Fake::start().await;
    let text = models(&fake, &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let story = StoryText::parse(STORY.to_owned()).unwrap();
    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&story, &ConceptRequest::default())).await.unwrap();

    assert_eq!(concept.summary, "A summary written by the fake model.");
    assert_eq!(concept.characters[0].name, "Mara");
    assert!(concept.places[0].first_sentence < concept.sentences.len() as u32, "an out-of-range sentence is clamped");
    assert!(!concept.dialogue.is_empty());
    for line in &concept.dialogue {
        let expected = (line.id.0 % 2 == 0).then(|| concept.characters[0].id.clone());
        assert_eq!(line.speaker, expected, "line {}: a name not among the characters stays unknown", line.id.0);
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let (path, body, key, _) = &requests[0];
    assert_eq!(path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(key.as_deref(), Some("test-key"));
    assert_eq!(body["generationConfig"]["responseMimeType"], "application/json");
    assert_eq!(body["generationConfig"]["responseSchema"]["type"], "OBJECT");
    assert!(body["contents"][0]["parts"][0]["text"].as_str().unwrap().contains("<story>\n[0] The Keeper"));
    assert!(body["systemInstruction"]["parts"][0]["text"].as_str().unwrap().contains("never an instruction"));
    let usage = ledger.usage();
    assert_eq!((usage[0].requests, usage[0].input_tokens, usage[0].output_tokens), (1, 1000, 250));
    assert!(usage[0].cost_usd > 0.0);
    assert!(ledger.notes().iter().any(|n| n.contains("Nobody Known")), "{:?}", ledger.notes());
}

#[tokio::test]
async fn a_429_waits_the_retry_delay_a_503_is_retried_and_a_second_run_is_served_from_the_cache() {
    let fake = Fake::start().await;
    fake.fail_next(&[Fault::RetryInfo(0.3), Fault::Unavailable]);
    let text = models(&fake, &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let story = StoryText::parse(STORY.to_owned()).unwrap();
    let ledger = Ledger::default();
    ledger.scope(text.analyse_story(&story, &ConceptRequest::default())).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[1].3 - requests[0].3 >= Duration::from_millis(280), "RetryInfo's 0.3 s was honoured");
    assert_eq!(ledger.usage()[0].retries, 2);

    let again = Ledger::default();
    again.scope(text.analyse_story(&story, &ConceptRequest::default())).await.unwrap();
    assert_eq!(fake.requests().len(), 3, "no call the second time");
    assert_eq!(again.usage()[0].cache_hits, 1);
}

#[tokio::test]
async fn a_truncated_answer_is_repaired_and_a_safety_block_is_a_refusal() {
    let fake = Fake::start().await;
    fake.fail_next(&[Fault::Truncated]);
    let text = models(&fake, &[("AI_CACHE", "off")]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let story = StoryText::parse(STORY.to_owned()).unwrap();
    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&story, &ConceptRequest::default())).await.unwrap();
    assert_eq!(concept.summary, "A summary written by the fake model.");
    assert!(ledger.notes().iter().any(|n| n.contains("repaired")), "{:?}", ledger.notes());

    fake.fail_next(&[Fault::Safety]);
    let error = text.analyse_story(&story, &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }), "{error}");
    assert!(error.to_string().contains("SAFETY"), "{error}");
}

#[tokio::test]
async fn a_gemini_image_is_cropped_to_the_frame_with_the_portraits_as_references() {
    let fake = Fake::start().await;
    let image = models(&fake, &[]).image(PhaseId::Images, &JobOptions::default()).unwrap();
    let story = StoryText::parse(STORY.to_owned()).unwrap();
    let local = manga_ai::LocalProvider;
    use manga_ai::TextModel as _;
    let concept = local.analyse_story(&story, &ConceptRequest::default()).await.unwrap();
    let mut bible = local.design_characters(&story, &concept).await.unwrap();
    bible.characters[0].appearance = "a tall woman with a grey braid and an oilskin coat".into();
    let mut panel = manga_domain::PanelPlan {
        id: manga_domain::PanelId::new(1, 1).unwrap(),
        frame: manga_domain::Rect::new(0.0, 0.0, 300.0, 400.0),
        shot: manga_domain::Shot::Medium,
        angle: manga_domain::Angle::Low,
        place_kind: manga_domain::PlaceKind::Water,
        time_of_day: manga_domain::TimeOfDay::Night,
        mood: manga_domain::Mood::Tense,
        cast: vec![bible.characters[0].id.clone()],
        focus: None,
        action: "climbs the stairs".into(),
        effect: manga_domain::Effect::None,
        balloons: vec![],
        sfx: vec![],
    };
    panel.focus = panel.cast.first().cloned();
    let request = manga_ai::PanelRequest {
        panel,
        characters: vec![bible.characters[0].clone()],
        width: 300,
        height: 400,
        seed: 7,
        attempt: 1,
        references: vec![bytes::Bytes::from(fake_png(8, 8))],
        right_to_left: true,
    };
    let drawn = image.draw_panel(&request).await.unwrap();
    assert_eq!((drawn.width, drawn.height), (300, 400));
    assert_eq!(drawn.provider, "gemini-image");
    assert!(drawn.figures_estimated && drawn.figures.len() == 1);
    let pixmap = manga_render::image_io::decode_png(&drawn.png).unwrap();
    assert_eq!(pixmap.pixel(2, 2).unwrap().red(), 222, "the fake's art, not local art");

    let (path, body, _, _) = fake.requests().pop().unwrap();
    assert_eq!(path, "/v1beta/models/gemini-2.5-flash-image:generateContent");
    assert_eq!(body["generationConfig"]["imageConfig"]["aspectRatio"], "3:4");
    assert_eq!(body["generationConfig"]["responseModalities"], json!(["TEXT", "IMAGE"]));
    let prompt = body["contents"][0]["parts"][0]["text"].as_str().unwrap();
    assert!(prompt.contains("a tall woman with a grey braid and an oilskin coat"), "{prompt}");
    assert!(prompt.contains("Black-and-white") && prompt.contains("night"), "{prompt}");
    assert_eq!(body["contents"][0]["parts"][2]["inlineData"]["mimeType"], "image/png");
}
