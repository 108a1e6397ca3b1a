//! A model's answer is checked against the story before it is used: a
//! schema-valid answer about nobody in the story is sent back with what was
//! wrong, and when every try is nonsense the local analysis stands in, with
//! the phase's report saying so.

#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

mod common;

use manga_ai::{ConceptRequest, Ledger, TextModel as _};
use manga_ai_fake::{Endpoint, FakeProviders};
use manga_domain::PhaseId;
use serde_json::json;

/// Every string "x", one of each array: fits the schema, says nothing of the story.
fn nonsense() -> serde_json::Value {
    json!({
        "title": "x", "genre": "x", "mood": "calm", "themes": ["x"], "summary": "x",
        "characters": [{"name": "x", "aliases": [], "descriptors": ["x"]}],
        "places": [{"name": "x", "kind": "room", "first_sentence": 0}],
        "times": [{"text": "x", "time_of_day": "day", "sentence": 0}],
        "lines": [{"line": 0, "speaker": "x", "kind": "speech"}]
    })
}

#[tokio::test]
async fn a_concept_about_no_one_in_the_story_is_sent_back_then_the_local_analysis_stands_in() {
    let fake = FakeProviders::start().await;
    let models = common::models(&fake, &["gemini"], &[]);
    let text = models.text(PhaseId::Concept, &Default::default()).unwrap();
    fake.answer("concept", nonsense());

    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&common::story(), &ConceptRequest::default())).await.unwrap();
    let local = manga_ai::LocalProvider.analyse_story(&common::story(), &ConceptRequest::default()).await.unwrap();
    assert_eq!(concept, local, "the local analysis, not a cast of “x”");
    let names: Vec<&str> = concept.characters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Mara", "Tom"]);

    let asked = fake.requests_to(Endpoint::GenerateContent);
    assert_eq!(asked.len(), 3, "asked three times");
    let (_, retry) = asked[1].prompt().unwrap();
    assert!(retry.contains("no sentence of the story names these characters: x"), "{retry}");
    let notes = ledger.notes().join("\n");
    assert!(notes.contains("concept could not be used") && notes.contains("the local analysis is used"), "{notes}");
}

#[tokio::test]
async fn a_grounded_answer_is_taken_and_a_place_the_story_never_names_is_not() {
    let fake = FakeProviders::start().await;
    let models = common::models(&fake, &["gemini"], &[]);
    let text = models.text(PhaseId::Concept, &Default::default()).unwrap();
    let mut answer = nonsense();
    answer["characters"] =
        json!([{"name": "Mara", "aliases": [], "descriptors": []}, {"name": "Tom", "aliases": [], "descriptors": []}]);
    answer["summary"] = json!("Mara and Tom keep the lighthouse lamp burning through the night.");
    answer["places"] = json!([{"name": "the old lighthouse", "kind": "street", "first_sentence": 0}]);
    answer["lines"] = json!([
        {"line": 0, "speaker": "Mara", "kind": "speech"},
        {"line": 1, "speaker": "Tom", "kind": "speech"},
        {"line": 2, "speaker": "Mara", "kind": "speech"}
    ]);
    fake.answer("concept", answer.clone());
    let concept = text.analyse_story(&common::story(), &ConceptRequest::default()).await.unwrap();
    assert!(concept.summary.starts_with("Mara and Tom keep"), "the model's summary: {}", concept.summary);
    assert_eq!(concept.places[0].name, "the old lighthouse", "“lighthouse” is in the story");

    // Fresh models, so the answer above is not served from their cache.
    let text = common::models(&fake, &["gemini"], &[]).text(PhaseId::Concept, &Default::default()).unwrap();
    answer["places"] = json!([{"name": "Atlantis", "kind": "water", "first_sentence": 0}]);
    fake.answer("concept", answer);
    fake.clear_requests();
    let _ = text.analyse_story(&common::story(), &ConceptRequest::default()).await.unwrap();
    let (_, retry) = fake.requests_to(Endpoint::GenerateContent)[1].prompt().unwrap();
    assert!(retry.contains("never mentions these places: Atlantis"), "{retry}");
}

#[tokio::test]
async fn scenes_set_nowhere_in_the_story_are_sent_back_then_the_local_plot_stands_in() {
    let fake = FakeProviders::start().await;
    let models = common::models(&fake, &["gemini"], &[]);
    let (concept, bible) = common::local_cast().await;
    let last = concept.sentences.len() - 1;
    fake.answer(
        "plot",
        json!({"structure": "three_act", "scenes": [{
            "title": "x", "beat": "setup", "place": "x", "place_kind": "room", "time_of_day": "day",
            "cast": ["x"], "first_sentence": 0, "last_sentence": last, "pages": 4, "summary": "x", "mood": "calm"
        }]}),
    );
    let ledger = Ledger::default();
    let text = models.text(PhaseId::Plot, &Default::default()).unwrap();
    let plot = ledger.scope(text.outline_plot(&common::story(), &concept, &bible)).await.unwrap();
    let local = manga_ai::LocalProvider.outline_plot(&common::story(), &concept, &bible).await.unwrap();
    assert_eq!(plot, local, "the local plot, not a scene set at “x”");

    let asked = fake.requests_to(Endpoint::GenerateContent);
    assert_eq!(asked.len(), 3, "asked three times");
    let (_, retry) = asked[1].prompt().unwrap();
    assert!(retry.contains("the story never mentions these scene places: x"), "{retry}");
    let notes = ledger.notes().join("\n");
    assert!(notes.contains("plot could not be used") && notes.contains("the local analysis is used"), "{notes}");

    // Somewhere it names, with its people, is taken; a stranger in the cast is not.
    let scene = |cast: &str| {
        json!({"structure": "three_act", "scenes": [{
            "title": "The lamp", "beat": "setup", "place": "the lighthouse", "place_kind": "room",
            "time_of_day": "night", "cast": ["Mara", cast], "first_sentence": 0, "last_sentence": last, "pages": 4,
            "summary": "Mara asks Tom to light the lamp.", "mood": "calm"
        }]})
    };
    fake.answer("plot", scene("Tom"));
    let text = common::models(&fake, &["gemini"], &[]).text(PhaseId::Plot, &Default::default()).unwrap();
    let plot = text.outline_plot(&common::story(), &concept, &bible).await.unwrap();
    assert_eq!(plot.scenes[0].place.as_deref(), Some("the lighthouse"));
    assert_eq!(plot.scenes[0].cast.len(), 2);
    fake.answer("plot", scene("Atlas"));
    fake.clear_requests();
    let text = common::models(&fake, &["gemini"], &[]).text(PhaseId::Plot, &Default::default()).unwrap();
    let _ = text.outline_plot(&common::story(), &concept, &bible).await.unwrap();
    let (_, retry) = fake.requests_to(Endpoint::GenerateContent)[1].prompt().unwrap();
    assert!(retry.contains("not among the characters: Atlas; use only these names: Mara, Tom"), "{retry}");
}
