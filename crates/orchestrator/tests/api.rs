//! The public API end to end, in one process: real routes, the real
//! service on SQLite and local files, the eight phase workers with the
//! local provider. Every endpoint's success and failure paths.

#![allow(clippy::unwrap_used)]

#[path = "api/support.rs"]
mod support;

use std::time::Duration;

use actix_web::test::TestRequest;
use manga_orchestrator::api::ApiSettings;
use manga_orchestrator::service::{ServiceSettings, TimeoutAction};
use serde_json::{Value, json};
use support::*;

fn get(uri: &str, user: &str) -> TestRequest {
    TestRequest::get().uri(uri).insert_header(bearer(user))
}

fn post(uri: &str, user: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(uri).insert_header(bearer(user)).set_json(body)
}

async fn bytes_of<S, B>(app: &S, uri: &str) -> Vec<u8>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let res = actix_web::test::call_service(app, get(uri, "alice").to_request()).await;
    assert_eq!(res.status(), 200, "{uri}");
    actix_web::test::read_body(res).await.to_vec()
}

#[actix_web::test]
async fn an_auto_job_is_published_and_its_files_are_served_with_etags_and_ranges() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("auto")).await;
    let job = wait_until(&app, "alice", &id, state_is("succeeded")).await;
    assert_eq!(job["phases"].as_array().unwrap().len(), 8);
    assert!(
        job["phases"].as_array().unwrap().iter().all(|p| p["state"] == "approved" && p["attempts"].as_u64() >= Some(1))
    );
    assert_eq!(job["links"]["pdf"], format!("/v1/jobs/{id}/artifacts/manga.pdf"));
    assert_eq!(job["title"], "蜘蛛の糸", "the story's own title, found by phase 1");

    let res =
        actix_web::test::call_service(&app, get(&format!("/v1/jobs/{id}/artifacts/manga.pdf"), "alice").to_request())
            .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("content-type").unwrap(), "application/pdf");
    assert!(res.headers().get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment"));
    let etag = res.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    let pdf = actix_web::test::read_body(res).await;
    assert!(pdf.starts_with(b"%PDF"));

    let again = get(&format!("/v1/jobs/{id}/artifacts/manga.pdf"), "alice").insert_header(("If-None-Match", etag));
    assert_eq!(actix_web::test::call_service(&app, again.to_request()).await.status(), 304);
    let range = get(&format!("/v1/jobs/{id}/artifacts/manga.pdf"), "alice").insert_header(("Range", "bytes=0-3"));
    let res = actix_web::test::call_service(&app, range.to_request()).await;
    assert_eq!(res.status(), 206);
    assert_eq!(&actix_web::test::read_body(res).await[..], b"%PDF");
    let beyond =
        get(&format!("/v1/jobs/{id}/artifacts/manga.pdf"), "alice").insert_header(("Range", "bytes=999999999-"));
    assert_eq!(actix_web::test::call_service(&app, beyond.to_request()).await.status(), 416);

    let page = bytes_of(&app, &format!("/v1/jobs/{id}/artifacts/pages/page-001.png")).await;
    assert!(page.starts_with(b"\x89PNG"));
    let (status, body) = call(&app, get(&format!("/v1/jobs/{id}/artifacts/../../etc/passwd"), "alice")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(&app, get(&format!("/v1/jobs/{id}/artifacts/machine.json"), "alice")).await;
    assert_eq!(status, 404, "{body}");
    // Folders are not artifacts (schemathesis once got a 503 reading `publish` as a file).
    for folder in ["publish", "pages"] {
        let (status, body) = call(&app, get(&format!("/v1/jobs/{id}/artifacts/{folder}"), "alice")).await;
        assert_eq!((status, body["error"].as_str()), (404, Some(format!("no artifact named {folder}").as_str())));
    }

    let (status, list) = call(&app, get("/v1/jobs", "alice")).await;
    assert_eq!((status, list["jobs"][0]["id"].as_str()), (200, Some(id.as_str())));
    let (_, others) = call(&app, get("/v1/jobs", "bob")).await;
    assert_eq!(others["jobs"], json!([]), "bob sees none of alice's jobs");
}

#[actix_web::test]
async fn review_mode_waits_after_each_phase_and_only_the_waiting_phase_can_be_approved() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("review")).await;
    for phase in 1..=8u64 {
        let job =
            wait_until(&app, "alice", &id, |j| j["state"] == "awaiting_review" && j["current_phase"] == phase).await;
        assert_eq!(job["phases"][phase as usize - 1]["state"], "awaiting_review");
        if phase < 8 {
            assert_eq!(job["phases"][phase as usize]["state"], "pending", "the next phase waits");
            let (status, body) = call(
                &app,
                post(&format!("/v1/jobs/{id}/feedback"), "alice", json!({"phase": phase + 1, "action": "approve"})),
            )
            .await;
            assert_eq!(status, 409, "approving a phase that is not waiting: {body}");
            assert!(body["error"].as_str().unwrap().contains("is not awaiting review"), "{body}");
        }
        let (status, detail) = call(&app, get(&format!("/v1/jobs/{id}/phases/{phase}"), "alice")).await;
        assert_eq!(status, 200);
        assert!(detail["result"].is_object(), "phase {phase} shows its output: {detail}");
        assert!(detail["presets"].as_array().unwrap().iter().any(|p| p["action"]["action"] == "approve"));
        if phase == 2 {
            assert!(detail["previews"].as_array().unwrap().iter().all(|p| p["kind"] == "portrait"));
        }
        let (status, body) =
            call(&app, post(&format!("/v1/jobs/{id}/feedback"), "alice", json!({"phase": phase, "action": "approve"})))
                .await;
        assert_eq!(status, 202, "{body}");
    }
    wait_until(&app, "alice", &id, state_is("succeeded")).await;
}

/// The local drawings under another provider's name, so a job's choice can be told apart.
struct Ink;

#[async_trait::async_trait]
impl manga_ai::ImageModel for Ink {
    fn name(&self) -> &str {
        "ink"
    }

    async fn draw_panel(&self, request: &manga_ai::PanelRequest) -> Result<manga_ai::DrawnImage, manga_ai::AiError> {
        let drawn = manga_ai::LocalProvider.draw_panel(request).await?;
        Ok(manga_ai::DrawnImage { provider: "ink".into(), ..drawn })
    }

    async fn draw_portrait(
        &self,
        request: &manga_ai::PortraitRequest,
    ) -> Result<manga_ai::DrawnImage, manga_ai::AiError> {
        let drawn = manga_ai::LocalProvider.draw_portrait(request).await?;
        Ok(manga_ai::DrawnImage { provider: "ink".into(), ..drawn })
    }
}

#[actix_web::test]
async fn a_job_draws_with_the_configured_provider_it_chooses_and_is_refused_one_not_configured() {
    use manga_ai::{LocalProvider, Models};
    let models = Models::single(std::sync::Arc::new(LocalProvider), std::sync::Arc::new(Ink));
    let product = Product::start_with_models(models).await;
    let app = product.app().await;
    let refused = [
        (json!({"images": "imagen"}), "provider \"imagen\" for images is not configured here; configured: ink, local"),
        (json!({"compose": "ink"}), "compose uses no model"),
        (json!({"drawing": "ink"}), "\"drawing\" is not a phase"),
    ];
    for (providers, message) in refused {
        let body = json!({"story": STORY_JA, "pages": 2, "providers": providers});
        let (status, answer) = call(&app, post("/v1/jobs", "alice", body)).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(message), "{answer}");
    }

    // The configured default is ink; this job keeps its images local.
    let mut local_job = small_job("auto");
    local_job["providers"] = json!({"images": "local"});
    let ids = [create(&app, "alice", small_job("auto")).await, create(&app, "alice", local_job).await];
    for (id, painter) in ids.iter().zip(["ink", "local"]) {
        wait_until(&app, "alice", id, state_is("succeeded")).await;
        let (_, art) = call(&app, get(&format!("/v1/jobs/{id}/phases/5"), "alice")).await;
        let panels = art["result"]["panels"].as_array().unwrap();
        assert!(!panels.is_empty());
        assert!(panels.iter().all(|p| p["provider"] == painter), "{id}: {panels:?}");
    }
}

#[actix_web::test]
async fn redrawing_one_panel_makes_a_version_that_redraws_one_image_and_one_page() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("auto")).await;
    wait_until(&app, "alice", &id, state_is("succeeded")).await;
    let (_, storyboard) = call(&app, get(&format!("/v1/jobs/{id}/phases/4"), "alice")).await;
    let panel = storyboard["result"]["pages"][1]["panels"][0]["id"].as_str().unwrap().to_owned();
    let pages = storyboard["result"]["pages"].as_array().unwrap().len();

    let ask = json!({"phase": 5, "action": "regenerate", "target": format!("panel:{panel}"), "dry_run": true});
    let (status, dry) = call(&app, post(&format!("/v1/jobs/{id}/feedback"), "alice", ask)).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["plan"]["panels"], json!([panel]));
    assert_eq!(dry["plan"]["pages"], json!([2]));
    assert_eq!(dry["plan"]["ai_calls"], 1);
    assert_eq!(dry["job"]["version"], 1, "a dry run changes nothing");

    let (status, done) = call(
        &app,
        post(
            &format!("/v1/jobs/{id}/feedback"),
            "alice",
            json!({"phase": 5, "action": "regenerate", "target": format!("panel:{panel}")}),
        ),
    )
    .await;
    assert_eq!(status, 202, "{done}");
    assert_eq!((done["version"].as_u64(), done["parent"].as_u64()), (Some(2), Some(1)));
    let job = wait_until(&app, "alice", &id, |j| j["state"] == "succeeded" && j["version"] == 2).await;
    assert_eq!(job["phases"][4]["attempts"], 2, "images ran a second time");

    let v2 = product.dir.path().join(format!("artifacts/jobs/{id}/v2"));
    let count = |dir: &str| std::fs::read_dir(v2.join(dir)).map(|d| d.count()).unwrap_or(0);
    assert_eq!(count("panels"), 1, "exactly one image was drawn");
    assert_eq!(count("lettered"), 1, "and one panel re-lettered");
    assert_eq!(count("pages"), 1, "and one page composed");
    for page in 1..=pages {
        let name = format!("/v1/jobs/{id}/artifacts/pages/page-{page:03}.png");
        let before = bytes_of(&app, &format!("{name}?version=1")).await;
        let after = bytes_of(&app, &format!("{name}?version=2")).await;
        assert_eq!(before == after, page != 2, "page {page} changed only if it holds the panel");
    }
    let (_, versions) = call(&app, get(&format!("/v1/jobs/{id}/versions"), "alice")).await;
    assert_eq!(versions["current"], 2);
    assert_eq!(versions["versions"][1]["parent"], 1);
    assert!(versions["versions"][1]["note"].as_str().unwrap().contains(&panel));
}

#[actix_web::test]
async fn a_dry_run_prices_a_redraw_with_the_image_model_the_job_uses() {
    use manga_ai::{AiSettings, Models, Shared};
    let fake = manga_ai_fake::FakeProviders::start().await;
    let settings = AiSettings::from_vars(fake.env_for("imagen")).unwrap();
    let product = Product::start_with_models(Models::build(&settings, &Shared::default()).unwrap()).await;
    let app = product.app().await;
    let mut local_art = small_job("auto");
    local_art["providers"] = json!({"images": "local"});
    let ids = [create(&app, "alice", small_job("auto")).await, create(&app, "alice", local_art).await];
    for id in &ids {
        wait_until(&app, "alice", id, state_is("succeeded")).await;
    }
    let calls = fake.requests().len();
    assert!(calls > 0, "the first job drew with imagen");
    let mut costs = Vec::new();
    for id in &ids {
        let (_, storyboard) = call(&app, get(&format!("/v1/jobs/{id}/phases/4"), "alice")).await;
        let panel = storyboard["result"]["pages"][0]["panels"][0]["id"].as_str().unwrap().to_owned();
        let panels = storyboard["result"]["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["panels"].as_array().unwrap().len())
            .sum::<usize>();
        let ask = |body: Value| post(&format!("/v1/jobs/{id}/feedback"), "alice", body);
        let one = json!({"phase": 5, "action": "regenerate", "target": format!("panel:{panel}"), "dry_run": true});
        let (status, one) = call(&app, ask(one)).await;
        assert_eq!(status, 200, "{one}");
        let all = json!({"phase": 5, "action": "revise", "comment": "darker", "dry_run": true});
        let (status, all) = call(&app, ask(all)).await;
        assert_eq!(status, 200, "{all}");
        costs.push((one["plan"].clone(), all["plan"].clone(), panels));
    }
    let (one, all, panels) = &costs[0];
    assert_eq!(one["usage"][0]["provider"], "imagen", "{one}");
    assert_eq!((one["usage"][0]["images"].as_u64(), one["ai_calls"].as_u64()), (Some(1), Some(1)), "{one}");
    let per_image = one["cost_usd"].as_f64().unwrap();
    assert!(per_image > 0.0, "{one}");
    let whole = all["cost_usd"].as_f64().unwrap();
    assert!((whole - per_image * *panels as f64).abs() < 1e-9, "every panel at the same price: {all}");
    let (one, all, _) = &costs[1];
    assert_eq!((one["cost_usd"].as_f64(), all["cost_usd"].as_f64()), (Some(0.0), Some(0.0)), "local art is free");
    assert_eq!(one["usage"], json!([]));
    assert_eq!(fake.requests().len(), calls, "a dry run calls nothing");
}

#[actix_web::test]
async fn editing_a_line_of_dialogue_re_letters_without_redrawing() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("auto")).await;
    wait_until(&app, "alice", &id, state_is("succeeded")).await;
    let (_, storyboard) = call(&app, get(&format!("/v1/jobs/{id}/phases/4"), "alice")).await;
    let (page, panel) = storyboard["result"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find_map(|(i, p)| {
            p["panels"]
                .as_array()
                .unwrap()
                .iter()
                .position(|x| !x["balloons"].as_array().unwrap().is_empty())
                .map(|j| (i, j))
        })
        .unwrap();
    let field = format!("/pages/{page}/panels/{panel}/balloons/0/text");
    let edit = json!({"phase": 4, "action": "edit", "field": field, "value": "糸は切れない"});
    let (status, body) = call(&app, post(&format!("/v1/jobs/{id}/feedback"), "alice", edit)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["plan"]["ai_calls"], 0);
    wait_until(&app, "alice", &id, |j| j["state"] == "succeeded" && j["version"] == 2).await;
    let (_, after) = call(&app, get(&format!("/v1/jobs/{id}/phases/4"), "alice")).await;
    assert_eq!(after["result"]["pages"][page]["panels"][panel]["balloons"][0]["text"], "糸は切れない");
    let v2 = product.dir.path().join(format!("artifacts/jobs/{id}/v2"));
    assert!(!v2.join("panels").exists(), "no panel was redrawn");
    assert_eq!(std::fs::read_dir(v2.join("lettered")).unwrap().count(), 1);

    let bad = json!({"phase": 4, "action": "edit", "field": "/pages/0/panels/0/shot", "value": "sideways"});
    let (status, body) = call(&app, post(&format!("/v1/jobs/{id}/feedback"), "alice", bad)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("/pages/0/panels/0/shot cannot be \"sideways\""), "{body}");
}

#[actix_web::test]
async fn bad_stories_and_bodies_get_a_4xx_with_a_sentence() {
    let product = Product::start().await;
    let app = product.app().await;
    let cases: Vec<(TestRequest, u16, &str)> = vec![
        (post("/v1/jobs", "alice", json!({"story": ""})), 400, "empty"),
        (post("/v1/jobs", "alice", json!({"story": "   \n "})), 400, "empty"),
        (post("/v1/jobs", "alice", json!({"story": "x", "pages": 0})), 400, "page"),
        (post("/v1/jobs", "alice", json!({"story": "x", "mode": "fast"})), 400, "mode must be auto or review"),
        (post("/v1/jobs", "alice", json!({"story": "x", "language": "fr"})), 400, "fr"),
        (post("/v1/jobs", "alice", json!({"story": "x", "providers": {"images": "imagen"}})), 400, "not configured"),
        (post("/v1/jobs", "alice", json!({"story": "x", "colour": "red"})), 400, "unknown field"),
        (post("/v1/jobs", "alice", json!({"story": "x".repeat(200_001)})), 400, "200"),
        (
            TestRequest::post()
                .uri("/v1/jobs")
                .insert_header(bearer("alice"))
                .insert_header(("content-type", "application/json"))
                .set_payload("{\"story\": "),
            400,
            "JSON",
        ),
        (
            TestRequest::post()
                .uri("/v1/jobs")
                .insert_header(bearer("alice"))
                .insert_header(("content-type", "text/plain"))
                .set_payload(vec![0xff, 0xfe, 0x41]),
            400,
            "UTF-8",
        ),
        (
            TestRequest::post()
                .uri("/v1/jobs")
                .insert_header(bearer("alice"))
                .insert_header(("content-type", "application/json"))
                .set_payload(vec![b' '; 3 * 1024 * 1024]),
            413,
            "larger than",
        ),
        (
            TestRequest::post()
                .uri("/v1/jobs")
                .insert_header(bearer("alice"))
                .insert_header(("content-type", "image/png"))
                .set_payload("x"),
            400,
            "content type",
        ),
    ];
    for (req, want, says) in cases {
        let (status, body) = call(&app, req).await;
        assert_eq!(status, want, "{body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{error:?} does not mention {says:?}");
    }
    // A .txt upload with options in the query works.
    let upload = TestRequest::post()
        .uri("/v1/jobs?mode=review&pages=2")
        .insert_header(bearer("alice"))
        .insert_header(("content-type", "text/plain; charset=utf-8"))
        .set_payload(STORY_JA);
    let (status, job) = call(&app, upload).await;
    assert_eq!((status, job["mode"].as_str()), (202, Some("review")), "{job}");
}

#[actix_web::test]
async fn tokens_are_checked_and_jobs_are_private() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("review")).await;
    let uri = format!("/v1/jobs/{id}");
    let none = TestRequest::get().uri(&uri);
    let (status, body) = call(&app, none).await;
    assert_eq!(status, 401, "{body}");
    for token in ["garbage", "a.b.c"] {
        let (status, _) =
            call(&app, TestRequest::get().uri(&uri).insert_header(("Authorization", format!("Bearer {token}")))).await;
        assert_eq!(status, 401);
    }
    // alg: none, with alice as the subject.
    let b64 = |v: Value| base64_url(serde_json::to_vec(&v).unwrap());
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"sub": "alice", "exp": 4_000_000_000u64}))
    );
    let (status, body) =
        call(&app, TestRequest::get().uri(&uri).insert_header(("Authorization", format!("Bearer {unsigned}")))).await;
    assert_eq!(status, 401, "alg none accepted: {body}");

    let (status, body) = call(&app, get(&uri, "bob")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("no such job")), "someone else's job is not found");
    let (status, _) =
        call(&app, post(&format!("{uri}/feedback"), "bob", json!({"phase": 1, "action": "approve"}))).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, get(&format!("/v1/jobs/{}", uuid_like()), "alice")).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, get("/v1/jobs/not-a-uuid", "alice")).await;
    assert_eq!(status, 404);
    // A browser link may carry the token in the query.
    let (status, _) = call(&app, TestRequest::get().uri(&format!("{uri}?access_token={}", token("alice")))).await;
    assert_eq!(status, 200);
}

fn base64_url(bytes: Vec<u8>) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn uuid_like() -> String {
    manga_domain::JobId::new().to_string()
}

#[actix_web::test]
async fn feedback_that_cannot_apply_is_refused_with_the_reason() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("review")).await;
    wait_until(&app, "alice", &id, |j| j["state"] == "awaiting_review" && j["current_phase"] == 1).await;
    let feedback = format!("/v1/jobs/{id}/feedback");
    let cases = [
        (json!({"phase": 9, "action": "approve"}), 400, "phase must be 1 to 8"),
        (json!({"phase": 1, "action": "dance"}), 400, "unknown variant"),
        (json!({"phase": 5, "action": "regenerate", "target": "panel:p01-1"}), 409, "has not run yet"),
        (json!({"phase": 1, "action": "regenerate", "target": "frame:1"}), 400, "target"),
        (json!({"phase": 1, "action": "edit", "field": "/nope", "value": 1}), 422, "there is no field /nope"),
        (json!({"phase": 1, "action": "edit", "field": "language", "value": 1}), 422, "JSON pointer"),
    ];
    for (body, want, says) in cases {
        let (status, reply) = call(&app, post(&feedback, "alice", body.clone())).await;
        assert_eq!(status, want, "{body} -> {reply}");
        assert!(reply["error"].as_str().unwrap().contains(says), "{body} -> {reply}");
    }
    for _ in 1..4 {
        let (status, _) = call(&app, post(&feedback, "alice", json!({"phase": 1, "action": "approve"}))).await;
        if status == 202 {
            break;
        }
    }
    let job = wait_until(&app, "alice", &id, |j| j["state"] == "awaiting_review" && j["current_phase"] == 2).await;
    let (status, _) =
        call(&app, post(&feedback, "alice", json!({"phase": 2, "action": "regenerate", "target": "portrait:nobody"})))
            .await;
    assert_eq!(status, 422);
    assert_eq!(job["version"], 1, "refused feedback made no version");
}

#[actix_web::test]
async fn versions_branch_and_restore() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("auto")).await;
    wait_until(&app, "alice", &id, state_is("succeeded")).await;
    let (status, branched) =
        call(&app, post(&format!("/v1/jobs/{id}/versions/1/branch"), "alice", json!({"note": "try"}))).await;
    assert_eq!(status, 201, "{branched}");
    assert_eq!((branched["version"].as_u64(), branched["job"]["version"].as_u64()), (Some(2), Some(2)));
    assert_eq!(branched["job"]["state"], "succeeded", "a branch of a finished version is finished");
    let pdf1 = bytes_of(&app, &format!("/v1/jobs/{id}/artifacts/manga.pdf?version=1")).await;
    let pdf2 = bytes_of(&app, &format!("/v1/jobs/{id}/artifacts/manga.pdf")).await;
    assert_eq!(pdf1, pdf2, "the branch shares the parent's files");
    let (status, job) = call(&app, post(&format!("/v1/jobs/{id}/versions/1/restore"), "alice", json!({}))).await;
    assert_eq!((status, job["version"].as_u64()), (200, Some(1)), "{job}");
    let (status, body) = call(&app, post(&format!("/v1/jobs/{id}/versions/9/restore"), "alice", json!({}))).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("has no version 9"));
    let (_, versions) = call(&app, get(&format!("/v1/jobs/{id}/versions"), "alice")).await;
    assert_eq!(versions["versions"].as_array().unwrap().len(), 2);
    assert_eq!(versions["current"], 1);
}

#[actix_web::test]
async fn a_cancelled_job_stops_and_its_files_are_gone() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("review")).await;
    wait_until(&app, "alice", &id, state_is("awaiting_review")).await;
    let cancel = TestRequest::delete().uri(&format!("/v1/jobs/{id}")).insert_header(bearer("alice"));
    let (status, job) = call(&app, cancel).await;
    assert_eq!((status, job["state"].as_str()), (202, Some("cancelled")), "{job}");
    let again = TestRequest::delete().uri(&format!("/v1/jobs/{id}")).insert_header(bearer("alice"));
    let (status, body) = call(&app, again).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) =
        call(&app, post(&format!("/v1/jobs/{id}/feedback"), "alice", json!({"phase": 1, "action": "approve"}))).await;
    assert_eq!(status, 409);
    let (status, _) = call(&app, get(&format!("/v1/jobs/{id}/artifacts/concept.json"), "alice")).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn a_review_nobody_answers_is_approved_or_paused_after_the_wait() {
    for (action, expect) in [(TimeoutAction::Approve, "succeeded"), (TimeoutAction::Pause, "paused")] {
        let settings = ServiceSettings {
            feedback_wait: Duration::from_millis(300),
            timeout_action: action,
            ..ServiceSettings::default()
        };
        let product = Product::start_with(settings, ApiSettings::for_tests(SECRET)).await;
        let app = product.app().await;
        let id = create(&app, "alice", small_job("review")).await;
        let job = wait_until(&app, "alice", &id, state_is(expect)).await;
        if expect == "paused" {
            assert_eq!(job["current_phase"], 1, "paused at the first review");
            let (status, _) =
                call(&app, post(&format!("/v1/jobs/{id}/feedback"), "alice", json!({"phase": 1, "action": "approve"})))
                    .await;
            assert_eq!(status, 202, "a paused job resumes on approval");
        }
    }
}

#[actix_web::test]
async fn the_openapi_document_lists_every_endpoint() {
    let product = Product::start().await;
    let app = product.app().await;
    let (status, doc) = call(&app, TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/phases/{n}",
        "/v1/jobs/{id}/feedback",
        "/v1/jobs/{id}/chat",
        "/v1/jobs/{id}/versions",
        "/v1/jobs/{id}/versions/{v}/branch",
        "/v1/jobs/{id}/versions/{v}/restore",
        "/v1/jobs/{id}/artifacts/{name}",
        "/v1/jobs/{id}/events",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from /openapi.json");
    }
    let (status, page) = call(&app, TestRequest::get().uri("/")).await;
    assert_eq!((status, page), (200, Value::Null), "the web page is HTML");
}

#[actix_web::test]
async fn a_chat_message_becomes_a_suggestion_and_nonsense_a_422() {
    let product = Product::start().await;
    let app = product.app().await;
    let id = create(&app, "alice", small_job("auto")).await;
    wait_until(&app, "alice", &id, state_is("succeeded")).await;
    let (status, suggestion) =
        call(&app, post(&format!("/v1/jobs/{id}/chat"), "alice", json!({"message": "redraw panel 1 on page 2"}))).await;
    assert_eq!(status, 200, "{suggestion}");
    assert_eq!(
        (suggestion["action"].as_str(), suggestion["target"].as_str()),
        (Some("regenerate"), Some("panel:p02-1"))
    );
    let (status, body) = call(&app, post(&format!("/v1/jobs/{id}/chat"), "alice", json!({"message": "   "}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        call(&app, post(&format!("/v1/jobs/{id}/chat"), "alice", json!({"message": "qwertyuiop"}))).await;
    assert_eq!(status, 422, "{body}");
}
