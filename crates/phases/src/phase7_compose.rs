//! Phase 7, compose: lettered panels into pages, and the quality checks that
//! decide whether a phase must be redone.

use std::collections::{BTreeSet, HashMap};

use futures_util::{StreamExt, TryStreamExt, stream};
use manga_domain::{
    ArtifactKey, ComposedPage, Composition, Concept, LetteredPanel, LetteringSet, LineId, PagePlan, PanelId, PhaseId,
    QualityReport, Reason, Storyboard,
};
use manga_proto::{PhaseAddress, PhaseRequest};
use manga_render::compose::{PlacedPanel, compose_page};
use manga_render::image_io::{PngSpeed, decode_png, encode_png};

use crate::artifacts::{load_json, save_json};
use crate::phase4_name::reading_order_violations;
use crate::phase6_lettering::panel_defects;
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// Composes every page and stores `compose.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or images cannot be read.
pub async fn run(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
    progress: &Progress,
) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let storyboard: Storyboard = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
    let lettering: LetteringSet =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Lettering)).await?;
    let set_key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Compose);
    // Named panels recompose only the pages holding them; the others stay as they were.
    let only = crate::scope::requested_panels(request, &storyboard)?;
    let mut kept: HashMap<u16, ComposedPage> = HashMap::new();
    if !only.is_empty() {
        let previous: Composition = load_json(blob, &set_key).await?;
        let touched: BTreeSet<u16> = only.iter().map(|p| p.page()).collect();
        kept = previous.pages.into_iter().filter(|p| !touched.contains(&p.number)).map(|p| (p.number, p)).collect();
    }
    let todo: Vec<PagePlan> = storyboard.pages.iter().filter(|p| !kept.contains_key(&p.number)).cloned().collect();
    let total = todo.len();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let page_size = storyboard.page_size;
    let direction = storyboard.reading_direction;
    let concept = std::sync::Arc::new(concept);
    let composed: Vec<ComposedPage> = stream::iter(todo)
        .map(|plan| {
            let (ctx, progress, done, concept) = (ctx.clone(), progress.clone(), done.clone(), concept.clone());
            let lettered: Result<Vec<LetteredPanel>, PhaseError> = plan
                .panels
                .iter()
                .map(|p| lettering.panels.iter().find(|l| l.panel == p.id).cloned())
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    PhaseError::Invalid(format!("page {} has a panel that was never lettered", plan.number))
                });
            async move {
                let panels = lettered?;
                let mut images = Vec::with_capacity(panels.len());
                for panel in &panels {
                    images.push(ctx.blob.get(&panel.image).await?);
                }
                let number = plan.number;
                let size = page_size;
                let (png, quality) = tokio::task::spawn_blocking(move || {
                    let pixmaps = images.iter().map(|b| decode_png(b)).collect::<Result<Vec<_>, _>>()?;
                    let placed: Vec<PlacedPanel<'_>> = plan
                        .panels
                        .iter()
                        .zip(&pixmaps)
                        .map(|(p, image)| PlacedPanel { frame: p.frame, image })
                        .collect();
                    let page = compose_page(size, &placed, plan.number)?;
                    let quality = check_page(&plan, &panels, direction, &concept);
                    Ok::<_, PhaseError>((encode_png(&page, PngSpeed::Fast)?, quality))
                })
                .await
                .map_err(|e| PhaseError::Invalid(format!("compose worker stopped: {e}")))??;
                let key = ArtifactKey::page(at.job, at.version, number);
                ctx.blob.put(&key, png.into(), "image/png").await?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.advance(n, total, format!("page {number} composed")).await;
                Ok::<_, PhaseError>(ComposedPage {
                    number,
                    image: key,
                    width: page_size.width,
                    height: page_size.height,
                    quality,
                })
            }
        })
        .buffered(cpus)
        .try_collect()
        .await?;
    let outputs = std::iter::once(set_key.clone()).chain(composed.iter().map(|p| p.image.clone())).collect();
    kept.extend(composed.into_iter().map(|p| (p.number, p)));
    let pages: Vec<ComposedPage> = storyboard.pages.iter().filter_map(|p| kept.remove(&p.number)).collect();
    let quality = check_book(&concept, &storyboard, &lettering, &pages);
    let composition = Composition { pages, quality: quality.clone() };
    save_json(blob, &set_key, &composition).await?;
    Ok(PhaseOutput { outputs, quality })
}

/// A page's checks: lettering defects, empty panels, reading order, and
/// whether the page shows who speaks.
pub fn check_page(
    plan: &PagePlan,
    panels: &[LetteredPanel],
    direction: manga_domain::ReadingDirection,
    concept: &Concept,
) -> QualityReport {
    let mut reasons: Vec<Reason> =
        panels.iter().flat_map(|p| panel_defects(p, &concept.characters, direction)).collect();
    reasons.extend(people_defects(plan, panels, concept));
    let frames: Vec<_> = plan.panels.iter().map(|p| p.frame).collect();
    let violations = reading_order_violations(&frames, direction);
    if violations > 0 {
        reasons.push(Reason {
            code: "reading_order".into(),
            message: format!("page {}: panels are out of reading order {violations} times", plan.number),
            blame: PhaseId::Name,
            penalty: 0.3,
        });
    }
    QualityReport::from_reasons(reasons)
}

/// What a reader misses about the people on a page: lines whose speaker the
/// analysis could not tell (blamed on the concept, which finds speakers), and
/// panels where someone speaks or is named but nobody is drawn (blamed on the
/// phase that decides who is in a panel: the storyboard, or the concept when
/// it found nobody at all). Each is one reason per page, at least 0.11 so a
/// page with it cannot score 0.9, growing with the share of lines or panels
/// to 0.14: both together leave 0.72, so an analysis that cannot tell is
/// reported rather than re-run for the same answer.
pub fn people_defects(plan: &PagePlan, panels: &[LetteredPanel], concept: &Concept) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let lines: BTreeSet<LineId> =
        panels.iter().flat_map(|p| &p.balloons).filter(|b| b.kind.has_tail()).filter_map(|b| b.line).collect();
    let unknown: Vec<&str> = lines
        .iter()
        .filter_map(|id| concept.dialogue.get(id.0 as usize))
        .filter(|l| l.speaker.is_none())
        .map(|l| l.text.as_str())
        .collect();
    if let Some(first) = unknown.first() {
        let message = format!(
            "page {}: {} of {} lines have no known speaker, as “{first}”",
            plan.number,
            unknown.len(),
            lines.len()
        );
        let penalty = 0.11 + 0.03 * unknown.len() as f32 / lines.len() as f32;
        reasons.push(Reason { code: "speaker_unknown".into(), message, blame: PhaseId::Concept, penalty });
    }
    let named = |text: &str| concept.characters.iter().any(|c| names_someone(text, c));
    let empty: Vec<PanelId> = panels
        .iter()
        .filter(|p| p.figures.is_empty() && !p.blank_art)
        .filter(|p| p.balloons.iter().any(|b| (b.kind.has_tail() && b.line.is_some()) || named(&b.text)))
        .map(|p| p.panel)
        .collect();
    if let Some(first) = empty.first() {
        let message = format!(
            "page {}: {} of {} panels have someone speaking or named but nobody drawn, as panel {first}",
            plan.number,
            empty.len(),
            panels.len()
        );
        let blame = if concept.characters.is_empty() { PhaseId::Concept } else { PhaseId::Name };
        let penalty = 0.11 + 0.03 * empty.len() as f32 / panels.len() as f32;
        reasons.push(Reason { code: "nobody_drawn".into(), message, blame, penalty });
    }
    reasons
}

/// Whether `text` names `who`: a Latin name only as a whole word (`Tom`, not `Tomorrow`).
fn names_someone(text: &str, who: &manga_domain::NamedCharacter) -> bool {
    std::iter::once(&who.name).chain(&who.aliases).filter(|n| !n.is_empty()).any(|name| {
        text.match_indices(name.as_str()).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            let joins = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            !name.is_ascii() || !(joins(before) || joins(after))
        })
    })
}

/// The book's checks: every dialogue line lettered, and the worst page.
pub fn check_book(
    concept: &Concept,
    storyboard: &Storyboard,
    lettering: &LetteringSet,
    pages: &[ComposedPage],
) -> QualityReport {
    let mut reasons = Vec::new();
    let lettered: BTreeSet<u32> =
        lettering.panels.iter().flat_map(|p| &p.balloons).filter_map(|b| b.line).map(|l| l.0).collect();
    let planned: BTreeSet<u32> =
        storyboard.panels().flat_map(|p| &p.balloons).filter_map(|b| b.line).map(|l| l.0).collect();
    let missing: Vec<u32> = (0..concept.dialogue.len() as u32).filter(|i| !lettered.contains(i)).collect();
    if !missing.is_empty() {
        let blame = if missing.iter().all(|i| planned.contains(i)) { PhaseId::Lettering } else { PhaseId::Name };
        let message = format!("{} of {} dialogue lines are not on any page", missing.len(), concept.dialogue.len());
        reasons.push(Reason { code: "dialogue_coverage".into(), message, blame, penalty: 0.5 });
    }
    // The book is as good as its worst page.
    if let Some(worst) = pages.iter().min_by(|a, b| a.quality.score.get().total_cmp(&b.quality.score.get())) {
        for r in &worst.quality.reasons {
            let message = if r.message.starts_with("page ") {
                r.message.clone()
            } else {
                format!("page {}: {}", worst.number, r.message)
            };
            reasons.push(Reason { message, ..r.clone() });
        }
    }
    QualityReport::from_reasons(reasons)
}

#[cfg(test)]
mod tests {
    use manga_ai::ConceptRequest;
    use manga_ai::local::analysis;
    use manga_domain::{Figure, PageCount, PlacedBalloon, Point, Rect, StoryText};

    use super::*;

    /// A short exchange through the local analysis and storyboard, each panel
    /// "lettered" as planned with its cast drawn.
    fn lettered_page(text: &str) -> (Concept, PagePlan, Vec<LetteredPanel>) {
        let story = StoryText::parse(text.to_owned()).unwrap();
        let request = ConceptRequest { pages: Some(PageCount::parse(1).unwrap()), ..Default::default() };
        let concept = analysis::analyse_story(&story, &request).unwrap();
        let bible = analysis::design_characters(&story, &concept).unwrap();
        let plot = analysis::outline_plot(&story, &concept, &bible).unwrap();
        let board = crate::phase4_name::storyboard(&concept, &bible, &plot, 7, 1).unwrap();
        let page = board.pages[0].clone();
        let panels = page
            .panels
            .iter()
            .map(|plan| {
                let spot = Rect::new(10.0, 10.0, 100.0, 60.0);
                let figures = plan
                    .cast
                    .iter()
                    .map(|who| Figure {
                        character: who.clone(),
                        body: Rect::new(200.0, 200.0, 100.0, 300.0),
                        face: Rect::new(220.0, 200.0, 60.0, 60.0),
                        mouth: Point { x: 250.0, y: 245.0 },
                    })
                    .collect();
                let balloons = plan
                    .balloons
                    .iter()
                    .map(|b| PlacedBalloon {
                        line: b.line,
                        kind: b.kind,
                        text: b.text.clone(),
                        bounds: spot,
                        text_box: spot,
                        font_px: 30.0,
                        vertical: false,
                        tail: None,
                        overflow: false,
                    })
                    .collect();
                LetteredPanel {
                    panel: plan.id,
                    image: ArtifactKey::lettered_panel(
                        manga_domain::JobId::new(),
                        manga_domain::Version::FIRST,
                        plan.id,
                    ),
                    balloons,
                    sfx: vec![],
                    figures,
                    blank_art: false,
                }
            })
            .collect();
        (concept, page, panels)
    }

    const EXCHANGE: &str = "Tom met Mary at the old gate.\n\n\"Is it bad?\" Mary asked.\n\n\"Bad enough,\" said Tom.";

    #[test]
    fn a_page_that_shows_who_speaks_has_no_people_defects() {
        let (concept, page, panels) = lettered_page(EXCHANGE);
        assert_eq!(concept.dialogue.iter().filter(|l| l.speaker.is_some()).count(), 2, "{:?}", concept.dialogue);
        assert_eq!(people_defects(&page, &panels, &concept), vec![]);
    }

    #[test]
    fn a_line_nobody_is_known_to_say_or_a_speaker_not_drawn_keeps_the_page_under_0_9() {
        let (mut concept, page, mut panels) = lettered_page(EXCHANGE);
        concept.dialogue[1].speaker = None;
        let reasons = people_defects(&page, &panels, &concept);
        assert_eq!(
            reasons.iter().map(|r| (r.code.as_str(), r.blame)).collect::<Vec<_>>(),
            [("speaker_unknown", PhaseId::Concept)]
        );
        assert!(reasons[0].message.contains("1 of 2 lines have no known speaker, as “Bad enough,”"), "{reasons:?}");
        assert!(QualityReport::from_reasons(reasons).score.get() < 0.9);

        concept.dialogue[1].speaker = concept.dialogue[0].speaker.clone();
        let speaking = panels.iter_mut().find(|p| p.balloons.iter().any(|b| b.line.is_some())).unwrap();
        speaking.figures.clear();
        let reasons = people_defects(&page, &panels, &concept);
        assert_eq!(
            reasons.iter().map(|r| (r.code.as_str(), r.blame)).collect::<Vec<_>>(),
            [("nobody_drawn", PhaseId::Name)]
        );
        assert!(QualityReport::from_reasons(reasons).score.get() < 0.9);
    }

    #[test]
    fn a_latin_name_is_found_only_as_a_whole_word() {
        let tom = manga_domain::NamedCharacter {
            id: manga_domain::CharacterId::from_name("Tom"),
            name: "Tom".into(),
            aliases: vec![],
            mentions: 3,
            first_sentence: 0,
            descriptors: vec![],
        };
        assert!(names_someone("Then Tom left.", &tom));
        assert!(!names_someone("Tomorrow, then.", &tom));
        let ken = manga_domain::NamedCharacter { name: "健一".into(), ..tom };
        assert!(names_someone("健一は走った。", &ken));
    }
}
