//! What a change redoes: from a person's [`FeedbackAction`] on a phase to the
//! narrowed runs that depend on it, and an estimate of their cost, before
//! anything is applied.
//!
//! The rule is the phases' data flow: art (5) depends on the storyboard and
//! the bible; lettering (6) on art and the storyboard's balloons; compose (7)
//! on lettering, page by page; publish (8) on every page. So one redrawn panel
//! is one image, one page re-lettered and re-composed, and the export redone.

use std::collections::BTreeSet;

use manga_ai::Demand;
use manga_domain::{
    AiUsage, CharacterBible, CharacterId, FeedbackAction, PanelId, PhaseId, PhaseRecord, Storyboard, Target,
};
use serde::Serialize;

use crate::machine::PlannedRun;

/// Why a change cannot be planned: the person named something that does not exist, or asked the impossible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// What a phase's outputs look like, as far as planning needs: what exists.
#[derive(Debug, Clone, Default)]
pub struct PlanInputs<'a> {
    /// Phase 2's output, once it has run.
    pub bible: Option<&'a CharacterBible>,
    /// Phase 4's output, once it has run.
    pub storyboard: Option<&'a Storyboard>,
    /// How long each phase took last time, for the estimate.
    pub records: &'a [PhaseRecord],
}

/// A change's plan and what it will cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    /// The runs, in order.
    #[schema(value_type = Vec<Object>)]
    pub runs: Vec<PlannedRun>,
    /// Pages whose image changes.
    pub pages: Vec<u16>,
    /// Panels redrawn or re-lettered (ids like `p03-2`).
    #[schema(value_type = Vec<String>)]
    pub panels: Vec<PanelId>,
    /// Model calls the runs make (text calls and images drawn).
    pub ai_calls: u32,
    /// Estimated wall time, from this job's own phase timings.
    pub estimated_ms: u64,
    /// What the calls cost at list prices, per provider and model (empty when all is local);
    /// filled in by the service, which knows the models.
    #[schema(value_type = Vec<Object>)]
    pub usage: Vec<AiUsage>,
    /// The sum of `usage`, in US dollars, before retries and cache hits.
    pub cost_usd: f64,
    /// The calls per phase, for pricing.
    #[serde(skip)]
    pub demands: Vec<Demand>,
}

impl Plan {
    /// Prices the plan's calls with `price` (the models a job uses).
    pub fn priced(mut self, price: impl FnOnce(&[Demand]) -> Vec<AiUsage>) -> Self {
        self.usage = price(&self.demands);
        self.cost_usd = self.usage.iter().map(|u| u.cost_usd).sum();
        self
    }
}

/// Plans `action` on `phase`. `Approve` plans nothing (it is not a change).
///
/// # Errors
/// [`PlanError`] when the target does not exist or the phase's output cannot be edited.
pub fn plan(phase: PhaseId, action: &FeedbackAction, inputs: &PlanInputs<'_>) -> Result<Plan, PlanError> {
    let runs = match action {
        FeedbackAction::Approve => Vec::new(),
        FeedbackAction::Revise { .. } => {
            PhaseId::ALL.into_iter().filter(|p| *p >= phase).map(PlannedRun::whole).collect()
        }
        FeedbackAction::Regenerate { target } => regenerate(phase, target, inputs)?,
        FeedbackAction::Edit { field, .. } => edit(phase, field, inputs)?,
    };
    Ok(cost(runs, inputs))
}

fn regenerate(phase: PhaseId, target: &Target, inputs: &PlanInputs<'_>) -> Result<Vec<PlannedRun>, PlanError> {
    match target {
        Target::Portrait(id) => {
            character_index(inputs, id)?;
            Ok(vec![PlannedRun { characters: vec![id.clone()], ..PlannedRun::whole(PhaseId::Characters) }])
        }
        Target::Panel(id) => {
            let storyboard = storyboard(inputs)?;
            if storyboard.panel(*id).is_none() {
                return Err(PlanError(format!("there is no panel {id} in the storyboard")));
            }
            Ok(from_art(phase, vec![*id]))
        }
        Target::Page(n) => {
            let storyboard = storyboard(inputs)?;
            let page = storyboard.pages.iter().find(|p| p.number == *n).ok_or_else(|| {
                PlanError(format!("there is no page {n}; the storyboard has {}", storyboard.pages.len()))
            })?;
            Ok(from_art(phase, page.panels.iter().map(|p| p.id).collect()))
        }
    }
}

/// Panels redrawn from `phase` (5, or 6 when only text changed) onwards, then the export.
fn from_art(phase: PhaseId, panels: Vec<PanelId>) -> Vec<PlannedRun> {
    let first = phase.max(PhaseId::Images).min(PhaseId::Lettering);
    let mut runs: Vec<PlannedRun> = [PhaseId::Images, PhaseId::Lettering, PhaseId::Compose]
        .into_iter()
        .filter(|p| *p >= first)
        .map(|p| PlannedRun { panels: panels.clone(), ..PlannedRun::whole(p) })
        .collect();
    runs.push(PlannedRun::whole(PhaseId::Publish));
    runs
}

fn edit(phase: PhaseId, field: &str, inputs: &PlanInputs<'_>) -> Result<Vec<PlannedRun>, PlanError> {
    let parts = pointer_parts(field)?;
    let index = |i: usize| parts.get(i).and_then(|s| s.parse::<usize>().ok());
    match phase {
        PhaseId::Concept => Ok(everything_after(PhaseId::Concept)),
        PhaseId::Plot => Ok(everything_after(PhaseId::Plot)),
        PhaseId::Characters => {
            let bible = inputs.bible.ok_or_else(|| PlanError("the characters have not been made yet".into()))?;
            let (Some("characters"), Some(i)) = (parts.first().map(String::as_str), index(1)) else {
                return Err(PlanError(format!("{field} is not a character's field; use /characters/<index>/…")));
            };
            let sheet = bible.characters.get(i).ok_or_else(|| {
                PlanError(format!("there is no character {i}; the bible has {}", bible.characters.len()))
            })?;
            let mut runs =
                vec![PlannedRun { characters: vec![sheet.id.clone()], ..PlannedRun::whole(PhaseId::Characters) }];
            if let Some(storyboard) = inputs.storyboard {
                let panels: Vec<PanelId> =
                    storyboard.panels().filter(|p| p.cast.contains(&sheet.id)).map(|p| p.id).collect();
                if !panels.is_empty() {
                    runs.extend(from_art(PhaseId::Images, panels));
                }
            }
            Ok(runs)
        }
        PhaseId::Name => {
            let storyboard = storyboard(inputs)?;
            match (parts.first().map(String::as_str), index(1), parts.get(2).map(String::as_str), index(3)) {
                (Some("pages"), Some(page), Some("panels"), Some(panel)) => {
                    let plan = storyboard
                        .pages
                        .get(page)
                        .and_then(|p| p.panels.get(panel))
                        .ok_or_else(|| PlanError(format!("{field} names a panel the storyboard does not have")))?;
                    // Words and sound effects are lettering; anything else about a panel changes its picture.
                    let text_only = matches!(parts.get(4).map(String::as_str), Some("balloons" | "sfx"));
                    let from = if text_only { PhaseId::Lettering } else { PhaseId::Images };
                    Ok(from_art(from, vec![plan.id]))
                }
                _ => Ok(everything_after(PhaseId::Name)),
            }
        }
        other => Err(PlanError(format!(
            "phase {other}'s output is drawn, not written, so it cannot be edited; regenerate a panel or page instead"
        ))),
    }
}

fn everything_after(phase: PhaseId) -> Vec<PlannedRun> {
    PhaseId::ALL.into_iter().filter(|p| *p > phase).map(PlannedRun::whole).collect()
}

fn storyboard<'a>(inputs: &PlanInputs<'a>) -> Result<&'a Storyboard, PlanError> {
    inputs.storyboard.ok_or_else(|| PlanError("the storyboard has not been made yet".into()))
}

fn character_index(inputs: &PlanInputs<'_>, id: &CharacterId) -> Result<usize, PlanError> {
    let bible = inputs.bible.ok_or_else(|| PlanError("the characters have not been made yet".into()))?;
    bible.characters.iter().position(|c| &c.id == id).ok_or_else(|| {
        let known: Vec<&str> = bible.characters.iter().map(|c| c.id.as_str()).collect();
        PlanError(format!("there is no character {id}; the characters are {}", known.join(", ")))
    })
}

/// Splits a JSON pointer (RFC 6901) into its unescaped parts.
///
/// # Errors
/// [`PlanError`] when it does not start with `/`.
pub fn pointer_parts(pointer: &str) -> Result<Vec<String>, PlanError> {
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| PlanError(format!("{pointer:?} is not a JSON pointer; it must start with /")))?;
    Ok(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

/// Sets the value at `pointer` inside `doc`. The field must exist already:
/// an edit changes the output, it does not invent new fields.
///
/// # Errors
/// [`PlanError`] naming the pointer when it leads nowhere.
pub fn set_pointer(doc: &mut serde_json::Value, pointer: &str, value: serde_json::Value) -> Result<(), PlanError> {
    pointer_parts(pointer)?;
    let slot = doc.pointer_mut(pointer).ok_or_else(|| PlanError(format!("there is no field {pointer} to edit")))?;
    *slot = value;
    Ok(())
}

fn cost(runs: Vec<PlannedRun>, inputs: &PlanInputs<'_>) -> Plan {
    let all_panels: Vec<PanelId> = inputs.storyboard.map(|s| s.panels().map(|p| p.id).collect()).unwrap_or_default();
    let total_panels = all_panels.len().max(1) as u64;
    let characters = inputs.bible.map_or(1, |b| b.characters.len().max(1)) as u64;
    let took = |phase: PhaseId| inputs.records.iter().find(|r| r.phase == phase).map_or(1000, |r| r.duration_ms);

    let mut panels = BTreeSet::new();
    let mut pages = BTreeSet::new();
    let (mut ai_calls, mut estimated_ms) = (0u32, 0u64);
    let mut demands = Vec::new();
    for run in &runs {
        let phase = run.phase();
        let share = |n: u64, of: u64| took(phase) * n.min(of) / of.max(1);
        let (input, output) = text_call_size(phase, inputs.records);
        let text = Demand::text(phase, 1, input, output);
        let images = |n: u64| Demand::images(phase, u32::try_from(n).unwrap_or(u32::MAX));
        let (asks, ms) = match phase {
            PhaseId::Characters if !run.characters.is_empty() => {
                let n = run.characters.len() as u64;
                (vec![images(n)], share(n, characters))
            }
            PhaseId::Characters => (vec![text, images(characters)], took(phase)),
            PhaseId::Images if !run.panels.is_empty() => {
                let n = run.panels.len() as u64;
                (vec![images(n)], share(n, total_panels))
            }
            PhaseId::Images => (vec![images(total_panels)], took(phase)),
            PhaseId::Lettering | PhaseId::Compose if !run.panels.is_empty() => {
                (Vec::new(), share(run.panels.len() as u64, total_panels))
            }
            PhaseId::Lettering | PhaseId::Compose | PhaseId::Publish => (Vec::new(), took(phase)),
            PhaseId::Concept | PhaseId::Plot | PhaseId::Name => (vec![text], took(phase)),
        };
        ai_calls += asks.iter().map(|d| d.text_calls + d.images).sum::<u32>();
        estimated_ms += ms;
        demands.extend(asks);
        let touched: Vec<PanelId> = match phase {
            PhaseId::Images | PhaseId::Lettering | PhaseId::Compose if run.panels.is_empty() => all_panels.clone(),
            PhaseId::Images | PhaseId::Lettering | PhaseId::Compose => run.panels.clone(),
            _ => Vec::new(),
        };
        for panel in touched {
            pages.insert(panel.page());
            panels.insert(panel);
        }
    }
    Plan {
        runs,
        pages: pages.into_iter().collect(),
        panels: panels.into_iter().collect(),
        ai_calls,
        estimated_ms,
        demands,
        ..Plan::default()
    }
}

/// The tokens in and out of one text call of `phase`: as big as this job's last ones of that
/// phase were (their recorded tokens per request), else a typical call.
fn text_call_size(phase: PhaseId, records: &[PhaseRecord]) -> (u64, u64) {
    records
        .iter()
        .find(|r| r.phase == phase)
        .map(|r| {
            let text: Vec<&AiUsage> = r.usage.iter().filter(|u| u.images == 0).collect();
            let requests = text.iter().map(|u| u64::from(u.requests)).sum::<u64>().max(1);
            let sum = |tokens: fn(&AiUsage) -> u64| text.iter().map(|u| tokens(u)).sum::<u64>() / requests;
            (sum(|u| u.input_tokens), sum(|u| u.output_tokens))
        })
        .filter(|(i, o)| i + o > 0)
        .unwrap_or((2_000, 800))
}

#[cfg(test)]
mod tests {
    use manga_domain::{Quality, StoryText};

    use super::*;

    async fn outputs() -> (CharacterBible, Storyboard) {
        let dir = tempfile::tempdir().unwrap();
        let story = StoryText::parse(include_str!("../../../examples/kumo-to-kaze.txt").to_owned()).unwrap();
        let pipeline = crate::embedded::Embedded::start(dir.path()).await.unwrap();
        let spec = crate::JobSpec {
            job: manga_domain::JobId::new(),
            story,
            options: manga_domain::JobOptions {
                pages: Some(manga_domain::PageCount::parse(4).unwrap()),
                ..Default::default()
            },
        };
        pipeline.run_job(&spec).await.unwrap();
        let v = manga_domain::Version::FIRST;
        let read = async |phase| {
            let key = manga_domain::ArtifactKey::phase_output(spec.job, v, phase);
            manga_blob::BlobStore::get(pipeline.blob.as_ref(), &key).await.unwrap()
        };
        let bible = serde_json::from_slice(&read(PhaseId::Characters).await).unwrap();
        let storyboard = serde_json::from_slice(&read(PhaseId::Name).await).unwrap();
        (bible, storyboard)
    }

    fn records() -> Vec<PhaseRecord> {
        PhaseId::ALL
            .into_iter()
            .map(|phase| PhaseRecord {
                phase,
                attempts: 1,
                quality: Quality::PERFECT,
                reasons: vec![],
                duration_ms: 800,
                usage: vec![],
            })
            .collect()
    }

    fn phases(plan: &Plan) -> Vec<(PhaseId, usize)> {
        plan.runs.iter().map(|r| (r.phase(), r.panels.len() + r.characters.len())).collect()
    }

    #[tokio::test]
    async fn one_redrawn_panel_is_one_image_one_page_and_the_export() {
        let (bible, storyboard) = outputs().await;
        let records = records();
        let inputs = PlanInputs { bible: Some(&bible), storyboard: Some(&storyboard), records: &records };
        let panel = storyboard.pages[1].panels[0].id;
        let plan =
            plan(PhaseId::Images, &FeedbackAction::Regenerate { target: Target::Panel(panel) }, &inputs).unwrap();
        assert_eq!(
            phases(&plan),
            vec![(PhaseId::Images, 1), (PhaseId::Lettering, 1), (PhaseId::Compose, 1), (PhaseId::Publish, 0)]
        );
        assert_eq!((plan.pages.clone(), plan.panels.clone(), plan.ai_calls), (vec![2], vec![panel], 1));
        let total = storyboard.panels().count() as u64;
        assert_eq!(plan.estimated_ms, 3 * (800 / total) + 800, "a share of 5, 6 and 7 and all of 8");
    }

    #[tokio::test]
    async fn edits_redo_only_what_reads_the_edited_field() {
        let (bible, storyboard) = outputs().await;
        let records = records();
        let inputs = PlanInputs { bible: Some(&bible), storyboard: Some(&storyboard), records: &records };
        let edit = |field: &str| FeedbackAction::Edit { field: field.into(), value: serde_json::json!("x") };

        let words = plan(PhaseId::Name, &edit("/pages/0/panels/0/balloons/0/text"), &inputs).unwrap();
        assert_eq!(phases(&words), vec![(PhaseId::Lettering, 1), (PhaseId::Compose, 1), (PhaseId::Publish, 0)]);
        assert_eq!(words.ai_calls, 0, "new words need no new art");

        let action = plan(PhaseId::Name, &edit("/pages/0/panels/0/action"), &inputs).unwrap();
        assert_eq!(action.runs[0].phase(), PhaseId::Images);

        let hair = plan(PhaseId::Characters, &edit("/characters/0/look/hair_color"), &inputs).unwrap();
        let cast = storyboard.panels().filter(|p| p.cast.contains(&bible.characters[0].id)).count();
        assert_eq!(hair.runs[0].characters, vec![bible.characters[0].id.clone()]);
        assert_eq!(hair.runs[1].panels.len(), cast, "every panel the character is in is redrawn");

        let concept = plan(PhaseId::Concept, &edit("/mood"), &inputs).unwrap();
        assert_eq!(concept.runs.len(), 7);
    }

    #[tokio::test]
    async fn unknown_targets_and_undrawable_edits_are_refused_with_a_reason() {
        let (bible, storyboard) = outputs().await;
        let inputs = PlanInputs { bible: Some(&bible), storyboard: Some(&storyboard), records: &[] };
        let missing = Target::Panel(PanelId::parse("p60-9").unwrap());
        let err = plan(PhaseId::Images, &FeedbackAction::Regenerate { target: missing }, &inputs).unwrap_err();
        assert_eq!(err.0, "there is no panel p60-9 in the storyboard");
        let err = plan(PhaseId::Images, &FeedbackAction::Regenerate { target: Target::Page(60) }, &inputs).unwrap_err();
        assert!(err.0.starts_with("there is no page 60"), "{err}");
        let nobody = Target::Portrait(CharacterId::parse("nobody").unwrap());
        let err = plan(PhaseId::Characters, &FeedbackAction::Regenerate { target: nobody }, &inputs).unwrap_err();
        assert!(err.0.starts_with("there is no character nobody; the characters are"), "{err}");
        let edit = FeedbackAction::Edit { field: "/panels".into(), value: serde_json::json!(1) };
        assert!(plan(PhaseId::Images, &edit, &inputs).unwrap_err().0.contains("cannot be edited"));
    }

    #[test]
    fn pointers_set_only_existing_fields() {
        let mut doc = serde_json::json!({"characters": [{"look": {"hair": "black"}}], "a/b": 1});
        set_pointer(&mut doc, "/characters/0/look/hair", serde_json::json!("white")).unwrap();
        assert_eq!(doc["characters"][0]["look"]["hair"], "white");
        set_pointer(&mut doc, "/a~1b", serde_json::json!(2)).unwrap();
        assert_eq!(doc["a/b"], 2);
        assert_eq!(
            set_pointer(&mut doc, "/characters/3/look", serde_json::json!(1)).unwrap_err().0,
            "there is no field /characters/3/look to edit"
        );
        assert!(set_pointer(&mut doc, "characters", serde_json::json!(1)).is_err());
    }
}
