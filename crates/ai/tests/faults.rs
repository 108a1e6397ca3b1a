//! Transient faults at random, a stall past the timeout, and answers that are
//! not usable, through each text provider, against the fake providers.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

mod common;

use std::time::{Duration, Instant};

use manga_ai::remote::prices::PriceTable;
use manga_ai::{ConceptRequest, Ledger};
use manga_ai_fake::{FakeProviders, Fault};
use manga_domain::{JobOptions, PhaseId};

use common::{models, story};

/// Concept, characters and plot through `provider` with 30 % of requests failing transiently.
async fn whole_text_run(provider: &str, seed: u64) {
    let fake = FakeProviders::start().await;
    fake.fail_randomly(0.3, seed);
    let models = models(&fake, &[provider], &[("AI_RETRIES", "10"), ("AI_CACHE", "off")]);
    let options = JobOptions::default();
    let story = story();
    let ledger = Ledger::default();
    let (concept, bible, plot) = ledger
        .scope(async {
            let concept = models
                .text(PhaseId::Concept, &options)
                .unwrap()
                .analyse_story(&story, &ConceptRequest::default())
                .await;
            let concept = concept.unwrap();
            let bible = models.text(PhaseId::Characters, &options).unwrap().design_characters(&story, &concept).await;
            let bible = bible.unwrap();
            let plot = models.text(PhaseId::Plot, &options).unwrap().outline_plot(&story, &concept, &bible).await;
            (concept, bible, plot.unwrap())
        })
        .await;

    // The run came out whole.
    assert_eq!(concept.title, "The Keeper", "{provider}");
    assert_eq!(bible.characters.len(), 2, "{provider}");
    assert!(bible.characters.iter().all(|c| !c.appearance.is_empty()), "{provider}: the fake's sheets were used");
    assert_eq!(plot.scenes.first().unwrap().sentences.first, 0);
    assert_eq!(plot.scenes.last().unwrap().sentences.last as usize, concept.sentences.len() - 1);
    assert_eq!(plot.scenes.iter().map(|s| u32::from(s.pages)).sum::<u32>(), u32::from(concept.page_count.get()));

    // The ledger counted every request and every retry.
    let requests = fake.requests();
    let faulted = requests.iter().filter(|r| r.fault.is_some()).count() as u32;
    assert!(faulted > 0, "{provider} seed {seed}: the seed should fail some requests");
    assert!(requests.iter().filter(|r| r.fault.is_some()).all(|r| r.status >= 429), "{provider}");
    let usage = &ledger.usage()[0];
    assert_eq!(usage.requests, requests.len() as u32, "{provider}");
    assert_eq!(usage.retries, faulted, "{provider}: each failed request was retried once");
    let answered: Vec<_> = requests.iter().filter_map(|r| r.usage).collect();
    assert_eq!(answered.len(), 3, "{provider}: three answers");
    let input: u64 = answered.iter().map(|u| u.input_tokens).sum();
    let output: u64 = answered.iter().map(|u| u.output_tokens + u.thoughts_tokens).sum();
    assert_eq!((usage.input_tokens, usage.output_tokens), (input, output), "{provider}");
    let model = if provider == "openai" { "gpt-4o-mini" } else { "gemini-2.5-flash" };
    let name = if provider == "openai" { "openai" } else { "gemini" };
    let cost = PriceTable::builtin().cost(name, model, input, output, 0);
    assert!(cost > 0.0 && (usage.cost_usd - cost).abs() < 1e-9, "{provider}: {} vs {cost}", usage.cost_usd);
    assert!(fake.problems().is_empty(), "{provider}: {:?}", fake.problems());
}

#[tokio::test]
async fn thirty_percent_transient_faults_on_the_gemini_api_still_complete_the_text_phases() {
    whole_text_run("gemini", 7).await;
}

#[tokio::test]
async fn thirty_percent_transient_faults_on_vertex_still_complete_the_text_phases() {
    whole_text_run("vertex", 8).await;
}

#[tokio::test]
async fn thirty_percent_transient_faults_on_openai_still_complete_the_text_phases() {
    whole_text_run("openai", 13).await;
}

#[tokio::test]
async fn a_stall_past_the_timeout_is_retried() {
    let fake = FakeProviders::start().await;
    fake.fail_next(&[Fault::Timeout(Duration::from_millis(1300))]);
    let text = models(&fake, &["openai"], &[("AI_TIMEOUT_SECONDS", "1")])
        .text(PhaseId::Concept, &JobOptions::default())
        .unwrap();
    let ledger = Ledger::default();
    let started = Instant::now();
    let concept = ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    assert_eq!(concept.title, "The Keeper");
    assert!(started.elapsed() >= Duration::from_secs(1), "the first attempt ran into the timeout");
    assert_eq!(fake.request_count(), 2);
    assert_eq!((ledger.usage()[0].requests, ledger.usage()[0].retries), (2, 1));
}

#[tokio::test]
async fn a_phase_with_its_own_timeout_gives_up_sooner_than_the_global_one() {
    let fake = FakeProviders::start().await;
    let models = models(
        &fake,
        &["openai"],
        &[("AI_TIMEOUT_SECONDS", "30"), ("PHASE1_AI_TIMEOUT_SECONDS", "1"), ("AI_RETRIES", "0"), ("AI_CACHE", "off")],
    );
    let text = models.text(PhaseId::Concept, &JobOptions::default()).unwrap();
    fake.fail_next(&[Fault::Timeout(Duration::from_millis(1500))]);
    let started = Instant::now();
    let error = models
        .with_timeout_of(PhaseId::Concept, text.analyse_story(&story(), &ConceptRequest::default()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no answer within 1 s"), "{error}");
    assert!(started.elapsed() < Duration::from_millis(1400), "phase 1's timeout, not the global 30 s");
    // Another phase's calls keep the global timeout: the same stall is waited out.
    fake.fail_next(&[Fault::Timeout(Duration::from_millis(1500))]);
    let (story, request) = (story(), ConceptRequest::default());
    let plot = models.with_timeout_of(PhaseId::Plot, text.analyse_story(&story, &request)).await.unwrap();
    assert_eq!(plot.title, "The Keeper");
}

#[tokio::test]
async fn unusable_answers_are_asked_again_with_the_problem_fed_back() {
    for provider in ["gemini", "openai"] {
        let fake = FakeProviders::start().await;
        let text =
            models(&fake, &[provider], &[("AI_CACHE", "off")]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
        fake.fail_next(&[Fault::WrongContentType, Fault::Empty]);
        let concept = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap();
        assert_eq!(concept.title, "The Keeper");
        assert_eq!(fake.request_count(), 3, "{provider}: an HTML page, no candidates, then an answer");
        let third = fake.requests()[2].prompt().unwrap().1;
        assert!(third.contains("Your previous answer could not be used"), "{provider}: {third}");

        fake.clear_requests();
        fake.fail_next(&[Fault::SchemaViolation]);
        let ledger = Ledger::default();
        ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
        let requests = fake.requests();
        assert_eq!(requests.len(), 2, "{provider}");
        let fed_back = requests[1].prompt().unwrap().1;
        assert!(
            fed_back.contains("it does not fit the schema") && fed_back.contains("missing field"),
            "{provider}: {fed_back}"
        );
        assert_eq!(ledger.usage()[0].retries, 0, "{provider}: asking again is not a transport retry");
    }
}

#[tokio::test]
async fn the_fake_takes_the_time_a_real_model_takes_for_text() {
    let fake = FakeProviders::start().await;
    let (text_time, image_time) = (Duration::from_millis(400), Duration::from_millis(900));
    fake.set_latency(text_time..=text_time, image_time..=image_time, 7);
    let text =
        models(&fake, &["openai"], &[("AI_CACHE", "off")]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let started = Instant::now();
    text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap();
    let took = started.elapsed();
    assert!(took >= text_time && took < image_time, "a text answer takes the text latency: {took:?}");
}
