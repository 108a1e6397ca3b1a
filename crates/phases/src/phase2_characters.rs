//! Phase 2, characters: a sheet per character from the text model, and a
//! reference portrait each from the image model.

use std::collections::HashSet;

use futures_util::{StreamExt, TryStreamExt, stream};
use manga_ai::PortraitRequest;
use manga_domain::{ArtifactKey, CharacterBible, CharacterId, Concept, JobOptions, PhaseId, QualityReport, Reason};
use manga_proto::{PhaseAddress, PhaseRequest};

use crate::artifacts::{load_json, save_json};
use crate::phase1_concept::load_story;
use crate::{PhaseContext, PhaseError, PhaseOutput};

/// Portrait size in pixels.
pub const PORTRAIT_SIZE: u32 = 384;

/// Designs the characters, draws their portraits, stores `characters.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or a model fails.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress, request: &PhaseRequest) -> Result<PhaseOutput, PhaseError> {
    let concept: Concept =
        load_json(ctx.blob.as_ref(), &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let options: JobOptions = load_json(ctx.blob.as_ref(), &ArtifactKey::options(at.job, at.version)).await?;
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters);
    // Named characters: redraw only their portraits from the stored (perhaps edited) bible.
    let only: Vec<CharacterId> = request.characters.iter().map(|c| CharacterId::parse(c)).collect::<Result<_, _>>()?;
    let mut bible = if only.is_empty() {
        let story = load_story(ctx, at).await?;
        ctx.text(PhaseId::Characters, &options)?.design_characters(&story, &concept).await?
    } else {
        let bible: CharacterBible = load_json(ctx.blob.as_ref(), &key).await?;
        if let Some(unknown) = only.iter().find(|id| bible.get(id).is_none()) {
            return Err(PhaseError::Invalid(format!("there is no character {unknown} in the bible")));
        }
        bible
    };
    let todo: Vec<_> = bible.characters.iter().filter(|c| only.is_empty() || only.contains(&c.id)).cloned().collect();
    // A redraw varies with the attempt; the first attempt keeps the job's seed.
    let seed = options.seed.wrapping_add(u64::from(at.attempt.saturating_sub(1)));

    let painter = ctx.image(PhaseId::Characters, &options)?;
    let portraits: Vec<(CharacterId, ArtifactKey)> = stream::iter(todo)
        .map(|character| {
            // Owned per task: borrowed captures here trip rustc's Send inference for spawned futures.
            let (ctx, painter) = (ctx.clone(), painter.clone());
            async move {
                let key = ArtifactKey::portrait(at.job, at.version, &character.id);
                let id = character.id.clone();
                let request = PortraitRequest { character, size: PORTRAIT_SIZE, seed };
                let image = painter.draw_portrait(&request).await?;
                ctx.blob.put(&key, image.png, "image/png").await?;
                Ok::<_, PhaseError>((id, key))
            }
        })
        .buffered(ctx.image_concurrency)
        .try_collect()
        .await?;
    for (id, portrait) in &portraits {
        if let Some(sheet) = bible.characters.iter_mut().find(|c| &c.id == id) {
            sheet.portrait = Some(portrait.clone());
        }
    }

    let quality = check(&concept, &bible);
    save_json(ctx.blob.as_ref(), &key, &bible).await?;
    Ok(PhaseOutput { outputs: std::iter::once(key).chain(portraits.into_iter().map(|(_, k)| k)).collect(), quality })
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
