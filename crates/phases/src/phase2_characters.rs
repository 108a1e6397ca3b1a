//! Phase 2, characters: a sheet per character from the text model, and a
//! reference portrait each from the image model.

use std::collections::HashSet;

use futures_util::{StreamExt, TryStreamExt, stream};
use manga_ai::PortraitRequest;
use manga_domain::{ArtifactKey, CharacterBible, Concept, JobOptions, PhaseId, QualityReport, Reason};
use manga_proto::PhaseAddress;

use crate::artifacts::{load_json, save_json};
use crate::phase1_concept::load_story;
use crate::{PhaseContext, PhaseError, PhaseOutput};

/// Portrait size in pixels.
pub const PORTRAIT_SIZE: u32 = 384;

/// Designs the characters, draws their portraits, stores `characters.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or a model fails.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress) -> Result<PhaseOutput, PhaseError> {
    let story = load_story(ctx, at).await?;
    let concept: Concept =
        load_json(ctx.blob.as_ref(), &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let options: JobOptions = load_json(ctx.blob.as_ref(), &ArtifactKey::options(at.job, at.version)).await?;
    let mut bible = ctx.text.design_characters(&story, &concept).await?;

    let portraits: Vec<ArtifactKey> = stream::iter(bible.characters.clone())
        .map(|character| {
            // Owned per task: borrowed captures here trip rustc's Send inference for spawned futures.
            let ctx = ctx.clone();
            async move {
                let key = ArtifactKey::portrait(at.job, at.version, &character.id);
                let request = PortraitRequest { character, size: PORTRAIT_SIZE, seed: options.seed };
                let image = ctx.image.draw_portrait(&request).await?;
                ctx.blob.put(&key, image.png, "image/png").await?;
                Ok::<_, PhaseError>(key)
            }
        })
        .buffered(ctx.image_concurrency)
        .try_collect()
        .await?;
    for (sheet, key) in bible.characters.iter_mut().zip(&portraits) {
        sheet.portrait = Some(key.clone());
    }

    let quality = check(&concept, &bible);
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters);
    save_json(ctx.blob.as_ref(), &key, &bible).await?;
    Ok(PhaseOutput { outputs: std::iter::once(key).chain(portraits).collect(), quality })
}

/// Checks that every named character has a sheet and characters can be told apart.
pub fn check(concept: &Concept, bible: &CharacterBible) -> QualityReport {
    let mut reasons = Vec::new();
    for named in &concept.characters {
        if bible.get(&named.id).is_none() {
            reasons.push(Reason {
                code: "missing_sheet".into(),
                message: format!("{} has no character sheet", named.name),
                blame: PhaseId::Characters,
                penalty: 0.2,
            });
        }
    }
    let mut looks = HashSet::new();
    for sheet in &bible.characters {
        if !looks.insert((sheet.look.outfit_color, sheet.look.hair_color, sheet.look.hair_style)) {
            reasons.push(Reason {
                code: "lookalike".into(),
                message: format!("{} looks the same as another character", sheet.name),
                blame: PhaseId::Characters,
                penalty: 0.15,
            });
        }
    }
    QualityReport::from_reasons(reasons)
}
