//! Phase 4, name (storyboard): scenes become pages, sentences and dialogue
//! become panels with shots, cast, balloons and SFX.
//!
//! The rules make a whole storyboard, deterministic and model-free: the layout
//! library gives real manga pages, and every dialogue line lands in exactly one
//! panel, in story order. A remote text model may then propose the koma-wari
//! of those pages ([`apply`]); a proposal that does not check out leaves the
//! rule-based storyboard in place, and the quality report says so.

pub mod layouts;
mod panels;

use manga_ai::{AiError, StoryboardProposal, StoryboardRequest};
use manga_domain::{
    ArtifactKey, BalloonKind, BalloonPlan, CharacterBible, Concept, JobOptions, LineId, PagePlan, PageSize, PanelId,
    PanelPlan, PhaseId, Plot, QualityReport, Reason, Storyboard,
};
use manga_proto::PhaseAddress;

use crate::artifacts::{load_json, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput};
pub use layouts::{Layout, reading_order_violations};
pub use panels::{balloon_text, max_balloon_chars, split_balloon_text};

/// Panels a page may have.
pub const PANELS_PER_PAGE: std::ops::RangeInclusive<usize> = 3..=7;

/// Builds the storyboard and stores `name.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let bible: CharacterBible =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters)).await?;
    let plot: Plot = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Plot)).await?;
    let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
    let base = storyboard(&concept, &bible, &plot, options.seed, at.attempt)?;
    let layouts = layouts::LAYOUTS.iter().map(|l| (l.name.to_owned(), l.cells.len())).collect();
    let request = StoryboardRequest { concept: &concept, bible: &bible, plot: &plot, base: &base, layouts };
    let proposed = match ctx.text(PhaseId::Name, &options)?.plan_storyboard(&request).await {
        Ok(None) => Ok(None),
        Ok(Some(proposal)) => apply(&concept, &base, &proposal).map(Some),
        // A model that is away fails the phase so it is tried again; one that answered badly is replaced.
        Err(e @ AiError::Unavailable { .. }) => return Err(e.into()),
        Err(e) => Err(e.to_string()),
    };
    let (storyboard, fallback) = match proposed {
        Ok(Some(storyboard)) => (storyboard, None),
        Ok(None) => (base, None),
        Err(why) => (base, Some(why)),
    };
    let mut quality = check(&concept, &storyboard);
    if let Some(why) = fallback {
        // Said, not scored: the rule-based storyboard is a whole, checked one.
        quality.reasons.push(Reason {
            code: "storyboard_fallback".into(),
            message: format!("the model's storyboard was not used, the rule-based one was: {why}"),
            blame: PhaseId::Name,
            penalty: 0.0,
        });
    }
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Name);
    save_json(blob, &key, &storyboard).await?;
    Ok(PhaseOutput { outputs: vec![key], quality })
}

/// The storyboard for a plot. `attempt` varies layout choices on a retry.
///
/// # Errors
/// [`PhaseError::Invalid`] for a plot without scenes.
pub fn storyboard(
    concept: &Concept,
    bible: &CharacterBible,
    plot: &Plot,
    seed: u64,
    attempt: u32,
) -> Result<Storyboard, PhaseError> {
    if plot.scenes.is_empty() {
        return Err(PhaseError::Invalid("the plot has no scenes to storyboard".into()));
    }
    let size = PageSize::B5;
    let direction = concept.reading_direction;
    let mut pages: Vec<PagePlan> = Vec::new();
    for scene in &plot.scenes {
        let page_count = usize::from(scene.pages.max(1));
        let groups = panels::group_beats(concept, scene, page_count);
        let per_page = panels::panels_per_page(groups.len(), page_count);
        let mut groups = groups.into_iter();
        for (i, &n) in per_page.iter().enumerate() {
            let number = pages.len() as u16 + 1;
            let layout = choose_layout(n, i == 0, seed ^ u64::from(attempt).wrapping_mul(0x9e37_79b9), number);
            let frames = layout.frames(size, direction);
            let page_groups: Vec<_> = groups.by_ref().take(n).collect();
            let mut panel_plans = page_groups
                .iter()
                .zip(frames)
                .enumerate()
                .map(|(j, (group, frame))| {
                    panels::plan_panel(concept, bible, scene, group, number, j, frame, i == 0 && j == 0, seed)
                })
                .collect::<Result<Vec<_>, _>>()?;
            panels::rebalance(&mut panel_plans, concept.language);
            for panel in &mut panel_plans {
                panels::stand_speakers_in_reading_order(panel, direction);
            }
            pages.push(PagePlan { number, scene: scene.id, layout: layout.name.to_owned(), panels: panel_plans });
        }
    }
    Ok(Storyboard { reading_direction: direction, page_size: size, pages })
}

/// A model's proposal on the rule-based storyboard's pages: its layouts, shots, angles,
/// actions, cast and lines; the page's place, time, mood, effects, captions and sound
/// effects stay as the rules set them (each panel's captions and sounds on the proposed
/// panel of the same number, those of panels the proposal lacks on its last).
///
/// # Errors
/// A sentence when the proposal does not fit the pages (it was checked by the model layer,
/// so this is a defence, not a repair).
pub fn apply(concept: &Concept, base: &Storyboard, proposal: &StoryboardProposal) -> Result<Storyboard, String> {
    if proposal.pages.len() != base.pages.len() {
        return Err(format!("{} pages proposed for {}", proposal.pages.len(), base.pages.len()));
    }
    let mut pages = Vec::with_capacity(base.pages.len());
    for (page, plan) in base.pages.iter().zip(&proposal.pages) {
        let layout = layouts::LAYOUTS.iter().find(|l| l.name == plan.layout);
        let layout = layout.ok_or_else(|| format!("page {}: no layout {:?}", page.number, plan.layout))?;
        let frames = layout.frames(base.page_size, base.reading_direction);
        if frames.len() != plan.panels.len() || page.panels.is_empty() {
            return Err(format!("page {}: {} panels for layout {}", page.number, plan.panels.len(), layout.name));
        }
        let captions_of = |panels: &[PanelPlan]| -> Vec<BalloonPlan> {
            panels.iter().flat_map(|p| p.balloons.iter().filter(|b| b.line.is_none()).cloned()).collect()
        };
        let mut panels = Vec::with_capacity(frames.len());
        let last = plan.panels.len() - 1;
        for (j, (proposed, frame)) in plan.panels.iter().zip(frames).enumerate() {
            let rules = &page.panels[j.min(page.panels.len() - 1)];
            let mut balloons = match j {
                j if j == last => captions_of(page.panels.get(j..).unwrap_or_default()),
                j => captions_of(page.panels.get(j..=j).unwrap_or_default()),
            };
            let mut cast = proposed.cast.clone();
            for id in &proposed.lines {
                let line = concept.dialogue.iter().find(|l| l.id == *id).ok_or_else(|| format!("no line {id}"))?;
                balloons.extend(panels::line_balloons(line, concept.language));
                // Whoever speaks is drawn, so the tail has someone to point at.
                if let Some(speaker) = line.speaker.as_ref().filter(|s| !cast.contains(s) && cast.len() < 3) {
                    cast.push(speaker.clone());
                }
            }
            let focus = balloons.iter().find_map(|b| b.speaker.clone()).filter(|s| cast.contains(s));
            let mut panel = PanelPlan {
                id: PanelId::new(page.number, j as u8 + 1).map_err(|e| e.to_string())?,
                frame,
                shot: proposed.shot,
                angle: proposed.angle,
                place_kind: rules.place_kind,
                time_of_day: rules.time_of_day,
                mood: rules.mood,
                focus: focus.or_else(|| cast.first().cloned()),
                cast,
                action: if proposed.action.is_empty() { rules.action.clone() } else { proposed.action.clone() },
                effect: rules.effect,
                balloons,
                // Sounds, like captions, of panels the proposal lacks go on its last.
                sfx: match j {
                    j if j == last => {
                        page.panels.get(j..).unwrap_or_default().iter().flat_map(|p| p.sfx.clone()).collect()
                    }
                    j => page.panels.get(j).map(|p| p.sfx.clone()).unwrap_or_default(),
                },
            };
            panels::stand_speakers_in_reading_order(&mut panel, base.reading_direction);
            panels.push(panel);
        }
        pages.push(PagePlan { number: page.number, scene: page.scene, layout: layout.name.to_owned(), panels });
    }
    Ok(Storyboard { reading_direction: base.reading_direction, page_size: base.page_size, pages })
}

/// Picks a layout with `n` panels; a scene's first page opens with a wide panel.
fn choose_layout(n: usize, opens_scene: bool, seed: u64, page: u16) -> &'static Layout {
    let candidates: Vec<&Layout> = Layout::with_panels(n).filter(|l| !opens_scene || l.opens_wide()).collect();
    let pick = manga_domain_hash(seed, u64::from(page)) as usize % candidates.len().max(1);
    candidates.get(pick).copied().unwrap_or(&layouts::LAYOUTS[0])
}

/// A small stable mix of two numbers.
pub(crate) fn manga_domain_hash(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Checks the storyboard: every line once and whole, reading order, panel counts, balloon text length.
pub fn check(concept: &Concept, storyboard: &Storyboard) -> QualityReport {
    let mut reasons = Vec::new();
    let mut reason = |code: &str, message: String, penalty: f32| {
        reasons.push(Reason { code: code.into(), message, blame: PhaseId::Name, penalty });
    };
    // Dialogue coverage: parts of a line, in order, must rebuild it exactly.
    let mut seen: Vec<(LineId, String)> = Vec::new();
    for balloon in storyboard.panels().flat_map(|p| &p.balloons) {
        let Some(line) = balloon.line else { continue };
        match seen.last_mut() {
            Some((last, text)) if *last == line => text.push_str(&balloon.text),
            _ => seen.push((line, balloon.text.clone())),
        }
    }
    let expected: Vec<(LineId, String)> =
        concept.dialogue.iter().map(|l| (l.id, compact(&balloon_text(&l.text, concept.language)))).collect();
    let got: Vec<(LineId, String)> = seen.into_iter().map(|(id, t)| (id, compact(&t))).collect();
    if got != expected {
        let missing = expected.iter().filter(|e| !got.contains(e)).count();
        let extra = got.len().saturating_sub(expected.len() - missing);
        reason(
            "dialogue_coverage",
            format!("{missing} dialogue lines missing or altered, {extra} extra or repeated"),
            0.5,
        );
    }
    let (missing, total) = narration_missing(concept, storyboard);
    if missing > 0 {
        // Any loss keeps the page under 0.9; more loss, lower.
        let penalty = (0.15 + 0.5 * missing as f32 / total.max(1) as f32).min(0.6);
        reason(
            "narration_coverage",
            format!("{missing} of {total} narrative sentences are not on any page whole"),
            penalty,
        );
    }
    for page in &storyboard.pages {
        if !PANELS_PER_PAGE.contains(&page.panels.len()) {
            reason("panel_count", format!("page {} has {} panels", page.number, page.panels.len()), 0.1);
        }
        let frames: Vec<_> = page.panels.iter().map(|p| p.frame).collect();
        let violations = reading_order_violations(&frames, storyboard.reading_direction);
        if violations > 0 {
            reason("reading_order", format!("page {} breaks reading order {violations} times", page.number), 0.2);
        }
    }
    // Each line in the balloon its kind calls for: a whisper dashed, a notice boxed, a thought a cloud.
    let lines: Vec<_> = storyboard.panels().flat_map(|p| &p.balloons).filter_map(|b| Some((b, b.line?))).collect();
    let miscast = lines
        .iter()
        .filter(|(b, id)| concept.dialogue.iter().any(|l| l.id == *id && panels::balloon_kind_of(l.kind) != b.kind))
        .count();
    if miscast > 0 {
        let penalty = (0.15 + 0.3 * miscast as f32 / lines.len() as f32).min(0.45);
        reason(
            "balloon_kind",
            format!("{miscast} of {} line balloons are not of their line's kind", lines.len()),
            penalty,
        );
    }
    // A sentence that is only a sound is lettered as a sound effect, not a caption.
    let sounds: Vec<&String> = storyboard.panels().flat_map(|p| &p.sfx).collect();
    let unheard = (0..concept.sentences.len() as u32)
        .filter_map(|index| panels::sound_of(concept, index))
        .filter(|sound| !sounds.contains(&sound))
        .count();
    if unheard > 0 {
        reason("sound_missing", format!("{unheard} of the story's sounds are on no panel"), 0.1);
    }
    let limit = max_balloon_chars(concept.language);
    let long = storyboard
        .panels()
        .flat_map(|p| &p.balloons)
        .filter(|b| b.kind != BalloonKind::Narration && b.text.chars().count() > limit)
        .count();
    if long > 0 {
        reason("balloon_length", format!("{long} balloons exceed {limit} characters"), 0.1);
    }
    QualityReport::from_reasons(reasons)
}

/// How many sentences' narration ([`panels::narration_of`]) no caption carries
/// whole and in story order, of how many have narration.
pub fn narration_missing(concept: &Concept, storyboard: &Storyboard) -> (usize, usize) {
    let captions: String = storyboard
        .panels()
        .flat_map(|p| &p.balloons)
        .filter(|b| b.kind == BalloonKind::Narration)
        .map(|b| compact(&b.text))
        .collect();
    let mut from = 0;
    let (mut missing, mut total) = (0, 0);
    for index in 0..concept.sentences.len() as u32 {
        let Some(narration) = panels::narration_of(concept, index) else { continue };
        total += 1;
        let wanted = compact(&narration);
        match captions[from..].find(&wanted) {
            Some(at) => from += at + wanted.len(),
            None => missing += 1,
        }
    }
    (missing, total)
}

/// Text without whitespace, for comparing a line with its re-joined parts.
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use manga_ai::ConceptRequest;
    use manga_ai::local::analysis;
    use manga_domain::{CharacterId, LineKind, PageCount, Shot, StoryText, TimeOfDay};

    use super::*;

    fn example(name: &str, pages: u32) -> (Concept, CharacterBible, Plot) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name);
        let story = StoryText::parse(std::fs::read_to_string(path).unwrap()).unwrap();
        let request = ConceptRequest { pages: Some(PageCount::parse(pages).unwrap()), ..Default::default() };
        let concept = analysis::analyse_story(&story, &request).unwrap();
        let bible = analysis::design_characters(&story, &concept).unwrap();
        let plot = analysis::outline_plot(&story, &concept, &bible).unwrap();
        (concept, bible, plot)
    }

    #[test]
    fn every_line_of_both_examples_lands_once_in_reading_order_at_any_length() {
        for name in ["kumo-to-kaze.txt", "the-lighthouse-keeper.txt"] {
            for pages in [1, 4, 8, 24] {
                let (concept, bible, plot) = example(name, pages);
                let board = storyboard(&concept, &bible, &plot, 7, 1).unwrap();
                let report = check(&concept, &board);
                assert_eq!(report.reasons, vec![], "{name} at {pages} pages");
                assert_eq!(board.pages.len(), pages as usize, "{name}");
                let lines: Vec<LineId> = board.panels().flat_map(|p| &p.balloons).filter_map(|b| b.line).collect();
                assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{name}: lines out of story order");
            }
        }
    }

    #[test]
    fn kumo_to_kazes_whisper_is_dashed_and_a_line_in_the_wrong_balloon_is_scored_under_the_gate() {
        let (concept, bible, plot) = example("kumo-to-kaze.txt", 8);
        let whisper = concept.dialogue.iter().find(|l| l.text.starts_with("ねえ、祠へ")).unwrap();
        assert_eq!(whisper.kind, LineKind::Whisper, "told by 「…耳にささやいた。」 just before it");
        let mut board = storyboard(&concept, &bible, &plot, 7, 1).unwrap();
        fn balloon(board: &mut Storyboard, line: LineId) -> &mut BalloonPlan {
            let mut balloons = board.pages.iter_mut().flat_map(|p| &mut p.panels).flat_map(|p| &mut p.balloons);
            balloons.find(|b| b.line == Some(line)).unwrap()
        }
        assert_eq!(balloon(&mut board, whisper.id).kind, BalloonKind::Whisper);
        balloon(&mut board, whisper.id).kind = BalloonKind::Speech;
        let report = check(&concept, &board);
        assert_eq!(report.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["balloon_kind"]);
        assert!(report.score.get() < 0.9, "{report:?}");
    }

    #[test]
    fn each_scene_opens_with_a_wide_establishing_panel() {
        let (concept, bible, plot) = example("kumo-to-kaze.txt", 8);
        let board = storyboard(&concept, &bible, &plot, 1, 1).unwrap();
        let mut last_scene = None;
        for page in &board.pages {
            if last_scene != Some(page.scene) {
                let first = &page.panels[0];
                assert_eq!(first.shot, Shot::Wide, "page {} opens scene {:?}", page.number, page.scene);
                assert!(
                    first.frame.w > 0.9 * (board.page_size.width as f32 - 150.0),
                    "page {}: not full width",
                    page.number
                );
            }
            last_scene = Some(page.scene);
        }
    }

    #[test]
    fn japanese_panels_read_from_the_right_and_english_from_the_left() {
        let (ja, ja_bible, ja_plot) = example("kumo-to-kaze.txt", 6);
        let (en, en_bible, en_plot) = example("the-lighthouse-keeper.txt", 6);
        let ja = storyboard(&ja, &ja_bible, &ja_plot, 1, 1).unwrap();
        let en = storyboard(&en, &en_bible, &en_plot, 1, 1).unwrap();
        let side_by_side = |board: &Storyboard| {
            board
                .pages
                .iter()
                .flat_map(|p| p.panels.windows(2).map(|w| (w[0].frame, w[1].frame)))
                .filter(|(a, b)| (a.y - b.y).abs() < 1.0)
                .collect::<Vec<_>>()
        };
        assert!(side_by_side(&ja).iter().all(|(a, b)| a.x > b.x));
        assert!(side_by_side(&en).iter().all(|(a, b)| a.x < b.x));
        assert!(!side_by_side(&ja).is_empty() && !side_by_side(&en).is_empty());
    }

    #[test]
    fn a_sound_standing_alone_is_a_sound_effect_not_a_caption_and_the_gate_misses_it_when_lost() {
        let text = "夏祭り\n\n　石段の下から下駄の音が聞こえてきた。カラン、コロン。\n　夜空に大きな光の花が咲いた。\n　ドーン！\n　麺がジュウジュウと音を立てている。\n";
        let story = StoryText::parse(text.to_owned()).unwrap();
        let concept = analysis::analyse_story(&story, &ConceptRequest::default()).unwrap();
        let bible = analysis::design_characters(&story, &concept).unwrap();
        let plot = analysis::outline_plot(&story, &concept, &bible).unwrap();
        let mut board = storyboard(&concept, &bible, &plot, 1, 1).unwrap();
        let sfx: Vec<String> = board.panels().flat_map(|p| p.sfx.clone()).collect();
        for sound in ["カラン、コロン", "ドーン！", "ジュウジュウ"] {
            assert!(sfx.iter().any(|s| s == sound), "{sound} in {sfx:?}");
        }
        let captions: String = board.panels().flat_map(|p| &p.balloons).map(|b| b.text.clone()).collect();
        assert!(!captions.contains("ドーン") && !captions.contains("コロン"), "{captions}");
        assert!(captions.contains("麺がジュウジュウと音を立てている"), "a sentence that says more stays a caption");
        assert!(check(&concept, &board).reasons.is_empty(), "{:?}", check(&concept, &board).reasons);

        for panel in board.pages.iter_mut().flat_map(|p| &mut p.panels) {
            panel.sfx.retain(|s| s != "ドーン！");
        }
        let report = check(&concept, &board);
        assert_eq!(report.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["sound_missing"]);
    }

    #[test]
    fn a_panel_is_lit_at_the_time_the_story_has_reached() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/stories/ja_dialogue.txt");
        let story = StoryText::parse(std::fs::read_to_string(path).unwrap()).unwrap();
        let concept = analysis::analyse_story(&story, &ConceptRequest::default()).unwrap();
        let bible = analysis::design_characters(&story, &concept).unwrap();
        let plot = analysis::outline_plot(&story, &concept, &bible).unwrap();
        let board = storyboard(&concept, &bible, &plot, 1, 1).unwrap();
        let panels: Vec<&PanelPlan> = board.panels().collect();
        let said = |words: &str| panels.iter().position(|p| p.balloons.iter().any(|b| b.text.contains(words))).unwrap();
        assert_eq!(panels[0].time_of_day, TimeOfDay::Evening, "夕暮れの商店街");
        let night = said("夜空に大きな光の花");
        assert!(panels[night..].iter().all(|p| p.time_of_day == TimeOfDay::Night), "fireworks light the night sky");
    }

    #[test]
    fn speakers_stand_in_the_order_their_balloons_are_read() {
        let (ja, ja_bible, ja_plot) = example("kumo-to-kaze.txt", 6);
        let (en, en_bible, en_plot) = example("the-lighthouse-keeper.txt", 6);
        for (board, right_to_left) in [
            (storyboard(&ja, &ja_bible, &ja_plot, 1, 1).unwrap(), true),
            (storyboard(&en, &en_bible, &en_plot, 1, 1).unwrap(), false),
        ] {
            let mut two_speakers = 0;
            for panel in board.panels() {
                let mut speakers: Vec<&CharacterId> = Vec::new();
                for id in panel.balloons.iter().filter_map(|b| b.speaker.as_ref()) {
                    if panel.cast.contains(id) && !speakers.contains(&id) {
                        speakers.push(id);
                    }
                }
                let stands = |id: &CharacterId| panel.cast.iter().position(|c| c == id).unwrap();
                let at: Vec<usize> = speakers.iter().map(|id| stands(id)).collect();
                // Left to right in the cast; read from the right in Japanese.
                let in_order = at.windows(2).all(|w| if right_to_left { w[0] > w[1] } else { w[0] < w[1] });
                assert!(in_order, "{}: speakers {speakers:?} stand as {:?}", panel.id, panel.cast);
                two_speakers += usize::from(speakers.len() > 1);
            }
            assert!(two_speakers > 0, "the example has panels where two people speak");
        }
    }

    #[test]
    fn a_retry_changes_the_layouts_but_not_the_dialogue() {
        let (concept, bible, plot) = example("the-lighthouse-keeper.txt", 8);
        let first = storyboard(&concept, &bible, &plot, 3, 1).unwrap();
        let retry = storyboard(&concept, &bible, &plot, 3, 2).unwrap();
        let layouts = |b: &Storyboard| b.pages.iter().map(|p| p.layout.clone()).collect::<Vec<_>>();
        let texts = |b: &Storyboard| b.panels().flat_map(|p| &p.balloons).map(|b| b.text.clone()).collect::<Vec<_>>();
        assert_ne!(layouts(&first), layouts(&retry));
        assert_eq!(texts(&first), texts(&retry));
    }
}
