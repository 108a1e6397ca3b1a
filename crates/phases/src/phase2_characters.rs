//! Phase 2, characters: a sheet per character from the text model, and a
//! reference portrait each from the image model. The designs and each portrait
//! leave a receipt for their attempt, so a redelivery pays for neither again.

use std::collections::HashSet;

use manga_ai::PortraitRequest;
use manga_domain::{
    ArtifactKey, CharacterBible, CharacterId, CharacterSheet, Concept, JobOptions, PhaseId, QualityReport, Reason,
};
use manga_proto::{PhaseAddress, PhaseRequest};

use crate::artifacts::{UntilFirstFailure, load_json, pay_once, receipt, save_json};
use crate::phase1_concept::load_story;
use crate::{PhaseContext, PhaseError, PhaseOutput};

/// Portrait size in pixels.
pub const PORTRAIT_SIZE: u32 = 384;

/// What a request of phase 2 works from: the concept, the job's options, the bible (designed for
/// this attempt, or the stored one when only some portraits are redrawn) and the characters whose
/// portraits it draws.
struct Designs {
    concept: Concept,
    options: JobOptions,
    bible: CharacterBible,
    todo: Vec<CharacterSheet>,
}

impl Designs {
    async fn of(ctx: &PhaseContext, at: PhaseAddress, request: &PhaseRequest) -> Result<Self, PhaseError> {
        let concept: Concept =
            load_json(ctx.blob.as_ref(), &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
        let options: JobOptions = load_json(ctx.blob.as_ref(), &ArtifactKey::options(at.job, at.version)).await?;
        // Named characters: redraw only their portraits from the stored (perhaps edited) bible.
        let only: Vec<CharacterId> =
            request.characters.iter().map(|c| CharacterId::parse(c)).collect::<Result<_, _>>()?;
        let bible = if only.is_empty() {
            // Kept per attempt, like each portrait: a redelivery does not ask the model again.
            let designed = ArtifactKey::designed_characters(at.job, at.version, at.attempt);
            pay_once(ctx.blob.as_ref(), &designed, async {
                let story = load_story(ctx, at).await?;
                Ok(ctx.text(PhaseId::Characters, &options)?.design_characters(&story, &concept).await?)
            })
            .await?
        } else {
            let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters);
            let bible: CharacterBible = load_json(ctx.blob.as_ref(), &key).await?;
            if let Some(unknown) = only.iter().find(|id| bible.get(id).is_none()) {
                return Err(PhaseError::Invalid(format!("there is no character {unknown} in the bible")));
            }
            bible
        };
        let todo = bible.characters.iter().filter(|c| only.is_empty() || only.contains(&c.id)).cloned().collect();
        Ok(Self { concept, options, bible, todo })
    }

    /// Draws one character's portrait for the attempt, once: its receipt keeps it.
    async fn draw(
        &self,
        ctx: &PhaseContext,
        at: PhaseAddress,
        character: CharacterSheet,
    ) -> Result<(CharacterId, ArtifactKey), PhaseError> {
        // A redraw varies with the attempt; the first attempt keeps the job's seed.
        let seed = self.options.seed.wrapping_add(u64::from(at.attempt.saturating_sub(1)));
        let painter = ctx.image(PhaseId::Characters, &self.options)?;
        let id = character.id.clone();
        let drawn = ArtifactKey::drawn_portrait(at.job, at.version, at.attempt, &id);
        let key = pay_once(ctx.blob.as_ref(), &drawn, async {
            let key = ArtifactKey::portrait(at.job, at.version, &character.id);
            let request = PortraitRequest { character, size: PORTRAIT_SIZE, seed };
            let image = painter.draw_portrait(&request).await?;
            ctx.blob.put(&key, image.png, "image/png").await?;
            Ok(key)
        })
        .await?;
        Ok((id, key))
    }
}

/// The characters of a request whose portraits this attempt has not drawn yet (asking the text
/// model for the designs first, once): the fleet sends one message for each.
///
/// # Errors
/// [`PhaseError`] when inputs are missing, a named character is unknown, or the model fails.
pub async fn portraits_to_draw(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
) -> Result<Vec<CharacterId>, PhaseError> {
    let designs = Designs::of(ctx, at, request).await?;
    let mut missing = Vec::new();
    for character in designs.todo {
        let drawn = ArtifactKey::drawn_portrait(at.job, at.version, at.attempt, &character.id);
        if receipt::<ArtifactKey>(ctx.blob.as_ref(), &drawn).await?.is_none() {
            missing.push(character.id);
        }
    }
    Ok(missing)
}

/// Draws one character's portrait for the attempt a request belongs to, once.
///
/// # Errors
/// [`PhaseError`] when inputs are missing, the character is unknown, or the model fails.
pub async fn draw_portrait(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
    character: &CharacterId,
) -> Result<(), PhaseError> {
    let designs = Designs::of(ctx, at, request).await?;
    let sheet = designs
        .todo
        .iter()
        .find(|c| &c.id == character)
        .cloned()
        .ok_or_else(|| PhaseError::Invalid(format!("there is no character {character} to draw")))?;
    designs.draw(ctx, at, sheet).await.map(drop)
}

/// Designs the characters, draws their portraits, stores `characters.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or a model fails.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress, request: &PhaseRequest) -> Result<PhaseOutput, PhaseError> {
    let mut designs = Designs::of(ctx, at, request).await?;
    let todo = std::mem::take(&mut designs.todo);
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters);
    let drawing = todo.into_iter().map(|character| designs.draw(ctx, at, character)).collect();
    let mut drawing = UntilFirstFailure::new(drawing, ctx.image_concurrency);
    let mut portraits = std::collections::HashMap::new();
    while let Some((id, portrait)) = drawing.next().await {
        portraits.insert(id, portrait);
    }
    drawing.finish()?;
    // In the bible's order, whichever portrait landed first.
    let mut outputs = vec![key.clone()];
    for sheet in &mut designs.bible.characters {
        if let Some(portrait) = portraits.remove(&sheet.id) {
            sheet.portrait = Some(portrait.clone());
            outputs.push(portrait);
        }
    }
    let quality = check(&designs.concept, &designs.bible);
    save_json(ctx.blob.as_ref(), &key, &designs.bible).await?;
    Ok(PhaseOutput { outputs, quality })
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
