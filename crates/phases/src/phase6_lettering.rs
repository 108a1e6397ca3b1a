//! Phase 6, lettering: balloons and SFX onto every panel, in parallel.

use futures_util::{StreamExt, TryStreamExt, stream};
use manga_domain::{
    ArtifactKey, CharacterBible, CharacterSheet, Concept, Figure, JobOptions, LetteredPanel, LetteringSet,
    NamedCharacter, PanelArt, PanelArtSet, PanelPlan, PhaseId, QualityReport, ReadingDirection, Reason, Rect,
    Storyboard, segments_cross,
};
use std::collections::HashMap;

use manga_ai::{FaceBox, FaceRequest};
use manga_domain::PanelId;
use manga_proto::{PhaseAddress, PhaseRequest};
use manga_render::detail::DetailMap;
use manga_render::image_io::{PngSpeed, decode_png, encode_png, is_blank};
use manga_render::lettering::{LetteringRequest, letter_panel};

use crate::artifacts::{load_json, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// Letters every panel and stores `lettering.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or an image cannot be read.
pub async fn run(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
    progress: &Progress,
) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let storyboard: Storyboard = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
    let art: PanelArtSet = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Images)).await?;
    let set_key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Lettering);
    // Re-lettering named panels keeps every other panel as it was.
    let only = crate::scope::requested_panels(request, &storyboard)?;
    let mut kept: HashMap<PanelId, LetteredPanel> = HashMap::new();
    if !only.is_empty() {
        let previous: LetteringSet = load_json(blob, &set_key).await?;
        kept = previous.panels.into_iter().filter(|p| !only.contains(&p.panel)).map(|p| (p.panel, p)).collect();
    }
    let pairs: Vec<(PanelPlan, PanelArt)> = storyboard
        .panels()
        .filter(|plan| only.is_empty() || only.contains(&plan.id))
        .map(|plan| {
            let drawn = art.panels.iter().find(|a| a.panel == plan.id).cloned();
            drawn
                .map(|a| (plan.clone(), a))
                .ok_or_else(|| PhaseError::Invalid(format!("panel {} was never drawn", plan.id)))
        })
        .collect::<Result<_, _>>()?;
    let total = pairs.len();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Remote art has no figure boxes: a vision model (PHASE6_TEXT_PROVIDER) may find the faces.
    let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
    let eyes = ctx.text(PhaseId::Lettering, &options)?;
    let needs_eyes = art.panels.iter().any(|a| a.figures_estimated);
    let bible: Option<CharacterBible> = if needs_eyes {
        Some(load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters)).await?)
    } else {
        None
    };
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let panels: Vec<LetteredPanel> = stream::iter(pairs)
        .map(|(plan, art)| {
            let language = concept.language;
            let (ctx, progress, done, eyes, seen) =
                (ctx.clone(), progress.clone(), done.clone(), eyes.clone(), seen.clone());
            let cast: Vec<CharacterSheet> =
                plan.cast.iter().filter_map(|id| bible.as_ref().and_then(|b| b.get(id)).cloned()).collect();
            async move {
                let png = ctx.blob.get(&art.image).await?;
                let key = ArtifactKey::lettered_panel(at.job, at.version, plan.id);
                let faces = if art.figures_estimated {
                    let request = FaceRequest { png: &png, width: art.width, height: art.height, cast: &cast };
                    match eyes.locate_faces(&request).await {
                        Ok(found) => found,
                        Err(e) => {
                            // The detail map is always there: a vision model that fails costs nothing but its boxes.
                            tracing::warn!(panel = %plan.id, error = %e, "no face boxes; lettering by the detail map");
                            None
                        }
                    }
                } else {
                    None
                };
                if faces.is_some() {
                    seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                let image = key.clone();
                let (lettered, bytes) = tokio::task::spawn_blocking(move || {
                    letter_one(&plan, &art, &png, faces, language, at.attempt, image)
                })
                .await
                .map_err(|e| PhaseError::Invalid(format!("lettering worker stopped: {e}")))??;
                ctx.blob.put(&key, bytes.into(), "image/png").await?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.advance(n, total, format!("panel {} lettered", lettered.0)).await;
                Ok::<_, PhaseError>(LetteredPanel {
                    panel: lettered.0,
                    image: key,
                    balloons: lettered.1,
                    sfx: lettered.2,
                    figures: lettered.4,
                    blank_art: lettered.3,
                })
            }
        })
        .buffered(cpus)
        .try_collect()
        .await?;
    let outputs = std::iter::once(set_key.clone()).chain(panels.iter().map(|p| p.image.clone())).collect();
    kept.extend(panels.into_iter().map(|p| (p.panel, p)));
    let set = LetteringSet { panels: storyboard.panels().filter_map(|p| kept.remove(&p.id)).collect() };
    let mut quality = check(&set, &concept.characters, concept.language.reading_direction());
    let estimated =
        art.panels.iter().filter(|a| a.figures_estimated && (only.is_empty() || only.contains(&a.panel))).count();
    let by_vision = seen.load(std::sync::atomic::Ordering::Relaxed);
    // Said, not scored: which way the balloons found the figures.
    if by_vision > 0 {
        quality.reasons.push(Reason {
            code: "faces_from_vision_model".into(),
            message: format!("{by_vision} panels came without figure boxes: {} found their faces", eyes.name()),
            blame: PhaseId::Lettering,
            penalty: 0.0,
        });
    }
    if estimated > by_vision {
        quality.reasons.push(Reason {
            code: "figures_from_detail_map".into(),
            message: format!(
                "{} panels came without figure boxes: balloons were placed by the drawing's detail map",
                estimated - by_vision
            ),
            blame: PhaseId::Lettering,
            penalty: 0.0,
        });
    }
    save_json(blob, &set_key, &set).await?;
    Ok(PhaseOutput { outputs, quality })
}

/// A lettered panel's id, balloons, sound effects, whether its art was blank, and the figures lettered around.
type Lettered =
    (manga_domain::PanelId, Vec<manga_domain::PlacedBalloon>, Vec<(String, manga_domain::Rect)>, bool, Vec<Figure>);

/// How many placements a panel's lettering tries before the phase is done
/// with it: a panel lettered with a defect (a crossed tail, a covered face)
/// is lettered again from its clean art, a size smaller and placed anew,
/// and the best of its tries is kept.
const PANEL_TRIES: u32 = 3;

/// Decodes one panel, letters it (again, if the lettering has defects), encodes it again.
fn letter_one(
    plan: &PanelPlan,
    art: &PanelArt,
    png: &[u8],
    faces: Option<Vec<FaceBox>>,
    language: manga_domain::Language,
    attempt: u32,
    image: ArtifactKey,
) -> Result<(Lettered, Vec<u8>), PhaseError> {
    let clean = decode_png(png)?;
    // Checked here, where the art is decoded anyway and before balloons add ink of their own.
    let blank_art = is_blank(&clean);
    // Remote art comes without figure boxes: measure where its ink is, find the figures there, keep balloons off it.
    let detail = art.figures_estimated.then(|| DetailMap::measure(&clean));
    let mut figures = detail.as_ref().map_or_else(|| art.figures.clone(), |map| map.locate_figures(&art.figures));
    for face in faces.unwrap_or_default() {
        if let Some(figure) = figures.iter_mut().find(|f| f.character == face.character) {
            *figure = figure_under(face.face, clean.width() as f32, clean.height() as f32, figure.character.clone());
        }
    }
    let direction = language.reading_direction();
    let mut best: Option<(f32, manga_render::tiny_skia::Pixmap, LetteredPanel)> = None;
    for extra in 0..PANEL_TRIES {
        let mut lettered_art = clean.clone();
        let request = LetteringRequest {
            balloons: &plan.balloons,
            sfx: &plan.sfx,
            figures: &figures,
            language,
            reading_direction: direction,
            attempt: attempt.max(1) + extra,
            detail: detail.as_ref(),
        };
        let outcome = letter_panel(&mut lettered_art, &request);
        let panel = LetteredPanel {
            panel: plan.id,
            image: image.clone(),
            balloons: outcome.balloons,
            sfx: outcome.sfx,
            figures: figures.clone(),
            blank_art,
        };
        // Only what lettering again can mend counts: blank art stays blank.
        let penalty: f32 = panel_defects(&panel, &[], direction)
            .iter()
            .filter(|r| r.blame == PhaseId::Lettering)
            .map(|r| r.penalty)
            .sum();
        if best.as_ref().is_none_or(|(least, _, _)| penalty < *least) {
            best = Some((penalty, lettered_art, panel));
        }
        if penalty == 0.0 {
            break;
        }
    }
    let (_, lettered_art, panel) = best.ok_or_else(|| PhaseError::Invalid("no lettering was tried".into()))?;
    let bytes = encode_png(&lettered_art, PngSpeed::Fast)?;
    Ok(((plan.id, panel.balloons, panel.sfx, blank_art, figures), bytes))
}

/// A figure whose face a vision model found: the body below and around it.
fn figure_under(face: Rect, width: f32, height: f32, character: manga_domain::CharacterId) -> Figure {
    let x = (face.x - face.w * 0.5).max(0.0);
    let body = Rect::new(x, face.y, (face.w * 2.0).min(width - x), (face.h * 4.0).min(height - face.y));
    let mouth = manga_domain::Point { x: face.x + face.w / 2.0, y: face.y + face.h * 0.75 };
    Figure { character, body, face, mouth }
}

/// Scores lettering defects (overflowing text, balloons on faces or on each
/// other) and blank art found while lettering, page by page; `cast` names the
/// faces. The set is as good as its worst page, as a book is in compose's
/// check: summed over the whole set, a long book's small defects would add
/// up to a retry no page deserves.
pub fn check(set: &LetteringSet, cast: &[NamedCharacter], direction: ReadingDirection) -> QualityReport {
    let mut pages: std::collections::BTreeMap<u16, Vec<Reason>> = std::collections::BTreeMap::new();
    for panel in &set.panels {
        pages.entry(panel.panel.page()).or_default().extend(panel_defects(panel, cast, direction));
    }
    pages
        .into_values()
        .map(QualityReport::from_reasons)
        .min_by(|a, b| a.score.get().total_cmp(&b.score.get()))
        .unwrap_or_else(QualityReport::perfect)
}

/// The defects of one lettered panel (shared with compose's page checks), said as a person
/// reads them: characters by name, text as written. Each defect a reader
/// would stumble on takes more than 0.1, so a page with one cannot score 0.9.
pub fn panel_defects(panel: &LetteredPanel, cast: &[NamedCharacter], direction: ReadingDirection) -> Vec<Reason> {
    let name = |id: &manga_domain::CharacterId| {
        cast.iter().find(|c| &c.id == id).map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    let mut reasons = Vec::new();
    if panel.blank_art {
        let message = format!("panel {} is blank", panel.panel);
        reasons.push(Reason { code: "empty_panel".into(), message, blame: PhaseId::Images, penalty: 0.3 });
    }
    let mut reason = |code: &str, message: String, penalty: f32| {
        reasons.push(Reason { code: code.into(), message, blame: PhaseId::Lettering, penalty });
    };
    for b in panel.balloons.iter().filter(|b| b.overflow) {
        reason("text_overflow", format!("panel {}: text does not fit: “{}”", panel.panel, b.text), 0.15);
    }
    for b in &panel.balloons {
        let min = manga_render::lettering::min_px(b.kind);
        if b.font_px + 0.01 < min {
            let pt = |px: f32| px / manga_render::lettering::PX_PER_PT;
            let message = format!(
                "panel {}: text set at {:.1} pt, under the {:.1} pt a reader needs: “{}”",
                panel.panel,
                pt(b.font_px),
                pt(min),
                b.text
            );
            reason("text_too_small", message, 0.15);
        }
    }
    for pair in panel.balloons.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.line.is_some() && a.line == b.line && a.bounds.breaks_reading_order(&b.bounds, direction) {
            let message = format!(
                "panel {}: a split line reads back to front: “{}” comes before “{}”",
                panel.panel, b.text, a.text
            );
            reason("split_out_of_order", message, 0.15);
        }
    }
    for (i, a) in panel.balloons.iter().enumerate() {
        if let Some(tip) = a.tail {
            let crossed = panel
                .balloons
                .iter()
                .enumerate()
                .filter(|&(j, b)| j != i && b.bounds.crossed_by(a.bounds.center(), tip));
            for (_, b) in crossed {
                let message = format!("panel {}: the tail of “{}” crosses “{}”", panel.panel, a.text, b.text);
                reason("tail_crosses_balloon", message, 0.12);
            }
            for b in &panel.balloons[i + 1..] {
                if b.tail.is_some_and(|other| segments_cross((a.bounds.center(), tip), (b.bounds.center(), other))) {
                    let message = format!("panel {}: the tails of “{}” and “{}” cross", panel.panel, a.text, b.text);
                    reason("tails_cross", message, 0.12);
                }
            }
        }
        for b in &panel.balloons[i + 1..] {
            if a.bounds.intersection(&b.bounds).is_some_and(|o| o.area() > 0.02 * a.bounds.area().min(b.bounds.area()))
            {
                reason("balloon_overlap", format!("panel {}: two balloons overlap", panel.panel), 0.08);
            }
        }
        for f in &panel.figures {
            if a.bounds.intersection(&f.face).is_some_and(|o| o.area() > 0.15 * f.face.area()) {
                reason(
                    "balloon_over_face",
                    format!("panel {}: a balloon covers {}'s face", panel.panel, name(&f.character)),
                    0.04,
                );
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use manga_domain::{ArtifactKey, BalloonKind, PanelId, PlacedBalloon, Point, Rect};

    use super::*;

    fn balloon(text: &str, bounds: Rect, tail: Option<Point>) -> PlacedBalloon {
        PlacedBalloon {
            line: None,
            kind: BalloonKind::Speech,
            text: text.into(),
            bounds,
            text_box: bounds.inflate(-10.0),
            font_px: 24.0,
            vertical: false,
            tail,
            overflow: false,
        }
    }

    #[test]
    fn the_set_scores_as_its_worst_page_not_the_sum_of_all_pages() {
        let lettered = |page: u16, faces_covered: usize| {
            let face = Rect::new(10.0, 10.0, 50.0, 50.0);
            let figure = Figure {
                character: manga_domain::CharacterId::from_name("Ann"),
                body: Rect::new(0.0, 0.0, 100.0, 300.0),
                face,
                mouth: Point { x: 35.0, y: 50.0 },
            };
            let panel = PanelId::new(page, 1).unwrap();
            LetteredPanel {
                panel,
                image: ArtifactKey::parse(&format!("jobs/a/v1/lettered/{panel}.png")).unwrap(),
                balloons: vec![balloon("Hi.", face, None)],
                sfx: vec![],
                figures: vec![figure; faces_covered],
                blank_art: false,
            }
        };
        // Three faces covered on each of five pages: 0.6 summed, 0.88 on the worst page.
        let set = LetteringSet { panels: (1..=5).map(|page| lettered(page, 3)).collect() };
        let report = check(&set, &[], ReadingDirection::LeftToRight);
        assert!((report.score.get() - 0.88).abs() < 1e-4, "{report:?}");
        assert_eq!(report.reasons.len(), 3);
        let set = LetteringSet { panels: vec![lettered(1, 1), lettered(2, 3)] };
        assert!((check(&set, &[], ReadingDirection::LeftToRight).score.get() - 0.88).abs() < 1e-4);
    }

    #[test]
    fn a_tail_through_another_balloon_is_a_defect_and_one_beside_it_is_not() {
        // A caption-like balloon with no tail, so only the second's tail can cross anything.
        let first = balloon("He's usually right.", Rect::new(200.0, 20.0, 150.0, 80.0), None);
        // Its speaker stands at the left, under the first balloon: the tail runs through it.
        let second = balloon("He's just slow.", Rect::new(400.0, 20.0, 150.0, 80.0), Some(Point { x: 150.0, y: 90.0 }));
        let mut panel = LetteredPanel {
            panel: PanelId::new(7, 6).unwrap(),
            image: ArtifactKey::parse("jobs/a/v1/lettered/p07-6.png").unwrap(),
            balloons: vec![first.clone(), second],
            sfx: vec![],
            figures: vec![],
            blank_art: false,
        };
        let codes = |p: &LetteredPanel| {
            panel_defects(p, &[], ReadingDirection::LeftToRight).into_iter().map(|r| r.code).collect::<Vec<_>>()
        };
        assert_eq!(codes(&panel), vec!["tail_crosses_balloon".to_owned()]);
        let said = &panel_defects(&panel, &[], ReadingDirection::LeftToRight)[0].message;
        assert!(said.contains("the tail of “He's just slow.” crosses"), "{said}");
        panel.balloons[1].tail = Some(Point { x: 470.0, y: 200.0 });
        assert!(codes(&panel).is_empty(), "{:?}", panel_defects(&panel, &[], ReadingDirection::LeftToRight));
    }

    #[test]
    fn a_split_line_read_back_to_front_or_two_crossed_tails_keep_a_panel_under_0_9() {
        let rtl = ReadingDirection::RightToLeft;
        let part = |text: &str, x: f32, tail: Option<Point>| PlacedBalloon {
            line: Some(manga_domain::LineId(3)),
            ..balloon(text, Rect::new(x, 20.0, 100.0, 150.0), tail)
        };
        let mut panel = LetteredPanel {
            panel: PanelId::new(1, 6).unwrap(),
            image: ArtifactKey::parse("jobs/a/v1/lettered/p01-6.png").unwrap(),
            // Right to left: the second half sits to the right of the first, so it is read first.
            balloons: vec![part("来年も、", 300.0, None), part("三人で来ような", 500.0, None)],
            sfx: vec![],
            figures: vec![],
            blank_art: false,
        };
        let report = |p: &LetteredPanel| QualityReport::from_reasons(panel_defects(p, &[], rtl));
        let found = report(&panel);
        assert_eq!(found.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["split_out_of_order"]);
        assert!(found.reasons[0].message.contains("“三人で来ような” comes before “来年も、”"), "{:?}", found.reasons);
        assert!(found.score.get() < 0.9);
        panel.balloons[1].bounds.x = 100.0;
        assert!(report(&panel).reasons.is_empty(), "in order: {:?}", report(&panel).reasons);

        // Each tail reaches across to the other side's speaker.
        panel.balloons[0].tail = Some(Point { x: 60.0, y: 400.0 });
        panel.balloons[1].tail = Some(Point { x: 420.0, y: 400.0 });
        let crossed = report(&panel);
        assert_eq!(crossed.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["tails_cross"]);
        assert!(crossed.score.get() < 0.9);
    }
}
