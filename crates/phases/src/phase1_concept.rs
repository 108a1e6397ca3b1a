//! Phase 1, concept: the text model reads the story; we check what it says.

use manga_ai::ConceptRequest;
use manga_domain::{ArtifactKey, Concept, JobOptions, LineId, PhaseId, QualityReport, Reason, StoryText};
use manga_proto::PhaseAddress;

use crate::artifacts::{load_json, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput};

/// Loads the story and options, analyses the story, stores `concept.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or the model fails.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress) -> Result<PhaseOutput, PhaseError> {
    let story = load_story(ctx, at).await?;
    let options: JobOptions = load_json(ctx.blob.as_ref(), &ArtifactKey::options(at.job, at.version)).await?;
    let request = ConceptRequest { language: options.language, pages: options.pages, title: options.title.clone() };
    let concept = ctx.text(PhaseId::Concept, &options)?.analyse_story(&story, &request).await?;
    let quality = check(&concept);
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept);
    save_json(ctx.blob.as_ref(), &key, &concept).await?;
    Ok(PhaseOutput { outputs: vec![key], quality })
}

/// Reads the job's story.
///
/// # Errors
/// [`PhaseError`] when it is missing or not a valid story.
pub async fn load_story(ctx: &PhaseContext, at: PhaseAddress) -> Result<StoryText, PhaseError> {
    let key = ArtifactKey::story(at.job, at.version);
    let bytes = ctx.blob.get(&key).await?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| PhaseError::BadArtifact { key: key.clone(), message: "not UTF-8".into() })?;
    Ok(StoryText::parse(text)?)
}

/// Checks a concept for internal consistency.
pub fn check(concept: &Concept) -> QualityReport {
    let mut reasons = Vec::new();
    let mut reason = |code: &str, message: String, penalty: f32| {
        reasons.push(Reason { code: code.into(), message, blame: PhaseId::Concept, penalty });
    };
    if concept.sentences.is_empty() {
        reason("no_sentences", "the story was not split into any sentences".into(), 1.0);
    }
    if let Some(bad) = concept.dialogue.iter().enumerate().find(|(i, l)| l.id != LineId(*i as u32)) {
        reason("dialogue_numbering", format!("dialogue line {} is numbered {}", bad.0, bad.1.id), 0.5);
    }
    let unknown_speaker = concept
        .dialogue
        .iter()
        .filter_map(|l| l.speaker.as_ref())
        .find(|s| !concept.characters.iter().any(|c| &c.id == *s));
    if let Some(s) = unknown_speaker {
        reason("unknown_speaker", format!("a line is attributed to {s}, who is not among the characters"), 0.3);
    }
    if concept.characters.is_empty() && !concept.dialogue.is_empty() {
        reason("no_characters", "the story has dialogue but no named character was found".into(), 0.1);
    }
    // Written words (a sign, a notice) have nobody to speak them.
    let spoken: Vec<_> = concept.dialogue.iter().filter(|l| l.kind != manga_domain::LineKind::Sign).collect();
    let attributed = spoken.iter().filter(|l| l.speaker.is_some()).count();
    if !spoken.is_empty() && attributed * 2 < spoken.len() {
        let message = format!("only {attributed} of {} lines have a known speaker", spoken.len());
        reason("speakers_unknown", message, 0.1);
    }
    QualityReport::from_reasons(reasons)
}
