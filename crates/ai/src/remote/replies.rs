//! The shapes remote models answer in, and their conversion into domain types.
//!
//! A model decides what needs judgement (who speaks, who the characters are,
//! how they look, where scenes break); what is mechanical (sentences, the
//! dialogue lines themselves, page sizes) comes from the local analysis, so
//! no line of the story can be lost or invented by a model. Conversions
//! repair what is safe (a number out of range, a name in another case) and
//! note it; what cannot be repaired is an error fed back to the model.

use manga_domain::Rect;
use manga_domain::{
    AgeGroup, Beat, Build, CharacterBible, CharacterId, Concept, HairStyle, LineKind, Mood, NamedCharacter, OutfitKind,
    Place, PlaceKind, Plot, Rgb, Role, Scene, SceneId, SentenceSpan, Structure, TimeMark, TimeOfDay,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::usage::note;

/// Phase 1's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ConceptReply {
    /// The story's title: its own heading if it has one, else a short fitting title.
    pub title: String,
    /// The genre in a few words.
    pub genre: String,
    /// The overall mood.
    pub mood: Mood,
    /// Two to five themes.
    pub themes: Vec<String>,
    /// Two or three sentences.
    pub summary: String,
    /// Beings that act, speak or are spoken to.
    pub characters: Vec<CharacterNote>,
    /// Where scenes happen.
    pub places: Vec<PlaceNote>,
    /// Words that fix the time of day.
    pub times: Vec<TimeNote>,
    /// One entry per numbered dialogue line.
    pub lines: Vec<LineNote>,
}

/// A character in phase 1's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CharacterNote {
    /// The name the story uses most.
    pub name: String,
    /// Other names for the same character.
    pub aliases: Vec<String>,
    /// What the story says of their looks, in its own words.
    pub descriptors: Vec<String>,
}

/// A place in phase 1's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PlaceNote {
    /// Its name or description in the story's words.
    pub name: String,
    /// The nearest kind.
    pub kind: PlaceKind,
    /// The sentence number where it first appears.
    pub first_sentence: u32,
}

/// A time in phase 1's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct TimeNote {
    /// The story's words.
    pub text: String,
    /// What they mean for lighting.
    pub time_of_day: TimeOfDay,
    /// The sentence number.
    pub sentence: u32,
}

/// A dialogue line's speaker in phase 1's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct LineNote {
    /// The line number.
    pub line: u32,
    /// The speaker's name as in `characters`, or null when the story does not tell.
    pub speaker: Option<String>,
    /// Speech, shout, thought, whisper, or sign (written words read out: a notice, a letter).
    pub kind: LineKind,
}

/// Phase 2's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CharactersReply {
    /// One sheet per listed character.
    pub characters: Vec<SheetNote>,
}

/// One character's sheet in phase 2's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct SheetNote {
    /// The name exactly as listed.
    pub name: String,
    /// Their role in the story.
    pub role: Role,
    /// Hair colour as `#rrggbb`.
    pub hair_color: String,
    /// Hair style.
    pub hair_style: HairStyle,
    /// Eye colour as `#rrggbb`.
    pub eye_color: String,
    /// Skin tone as `#rrggbb`.
    pub skin: String,
    /// Build.
    pub build: Build,
    /// Age group.
    pub age: AgeGroup,
    /// Outfit.
    pub outfit: OutfitKind,
    /// The outfit's main colour as `#rrggbb`.
    pub outfit_color: String,
    /// An accent colour as `#rrggbb`.
    pub accent_color: String,
    /// Whether they wear glasses.
    pub spectacles: bool,
    /// Height relative to an average adult, 0.5 to 1.2.
    pub height: f32,
    /// Personality in a sentence.
    pub personality: String,
    /// How they speak in a sentence.
    pub speech_style: String,
    /// One sentence in English describing how they look, for an image model.
    pub appearance: String,
}

/// Phase 3's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PlotReply {
    /// The structure.
    pub structure: Structure,
    /// Scenes in story order.
    pub scenes: Vec<SceneNote>,
}

/// One scene in phase 3's answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct SceneNote {
    /// A short title.
    pub title: String,
    /// Its beat in the structure.
    pub beat: Beat,
    /// The place in the story's words, if named.
    pub place: Option<String>,
    /// The nearest kind of place.
    pub place_kind: PlaceKind,
    /// Time of day.
    pub time_of_day: TimeOfDay,
    /// Characters present, by name.
    pub cast: Vec<String>,
    /// The first sentence number it covers.
    pub first_sentence: u32,
    /// The last sentence number it covers.
    pub last_sentence: u32,
    /// Pages it gets (at least 1).
    pub pages: u16,
    /// One sentence.
    pub summary: String,
    /// Its mood.
    pub mood: Mood,
}

/// Finds a character by name or alias, ignoring case and surrounding space.
fn resolve(characters: &[NamedCharacter], name: &str) -> Option<CharacterId> {
    let name = name.trim().to_lowercase();
    characters
        .iter()
        .find(|c| {
            std::iter::once(&c.name).chain(&c.aliases).any(|n| n.trim().to_lowercase() == name && !name.is_empty())
        })
        .map(|c| c.id.clone())
}

/// Whether `name` is written in `story`: whole, or (for a longer name) by a
/// word of it of four letters or more, or two characters of a Japanese name.
fn written_in(story: &str, name: &str) -> bool {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return false;
    }
    if story.contains(&name) {
        return true;
    }
    let mut words = name.split(|c: char| !c.is_alphanumeric());
    if words.any(|w| w.chars().count() >= 4 && w.is_ascii() && story.contains(w)) {
        return true;
    }
    let chars: Vec<char> = name.chars().filter(|c| !c.is_ascii()).collect();
    chars.windows(2).any(|pair| story.contains(&pair.iter().collect::<String>()))
}

/// Rejects an answer that is not about this story: a character no sentence
/// names, a place the story never mentions, a summary of a word or two. The
/// message goes back to the model with the retry.
fn check_grounded(
    base: &Concept,
    characters: &[NamedCharacter],
    places: &[PlaceNote],
    summary: &str,
) -> Result<(), String> {
    let unnamed: Vec<&str> = characters.iter().filter(|c| c.mentions == 0).map(|c| c.name.as_str()).collect();
    if !unnamed.is_empty() {
        return Err(format!(
            "no sentence of the story names these characters: {}; list only people the story names, spelled as it spells them",
            unnamed.join(", ")
        ));
    }
    let story: String = base.sentences.iter().map(|s| s.text.to_lowercase()).collect::<Vec<_>>().join("\n");
    let unplaced: Vec<&str> = places.iter().map(|p| p.name.as_str()).filter(|name| !written_in(&story, name)).collect();
    if !unplaced.is_empty() {
        return Err(format!(
            "the story never mentions these places: {}; list only places it names, in its own words",
            unplaced.join(", ")
        ));
    }
    let words = summary.split_whitespace().count().max(summary.chars().filter(|c| !c.is_ascii()).count() / 2);
    if !summary.trim().is_empty() && words < 4 && base.sentences.len() > 3 {
        return Err(format!(
            "the summary “{}” says nothing about the story; summarise it in a sentence or two",
            summary.trim()
        ));
    }
    Ok(())
}

/// Rejects scenes that are not about this story: a place it never mentions,
/// someone not among its characters, or a summary of a word or two for a
/// scene of several sentences. The message goes back to the model with the retry.
fn check_scenes_grounded(concept: &Concept, scenes: &[SceneNote]) -> Result<(), String> {
    let story: String = concept.sentences.iter().map(|s| s.text.to_lowercase()).collect::<Vec<_>>().join("\n");
    let unplaced: Vec<&str> = scenes
        .iter()
        .filter_map(|s| s.place.as_deref())
        .filter(|p| !p.trim().is_empty() && !written_in(&story, p))
        .collect();
    if !unplaced.is_empty() {
        return Err(format!(
            "the story never mentions these scene places: {}; name places in its own words, or leave `place` empty",
            unplaced.join(", ")
        ));
    }
    let strangers: Vec<&str> = scenes
        .iter()
        .flat_map(|s| &s.cast)
        .map(String::as_str)
        .filter(|name| resolve(&concept.characters, name).is_none())
        .collect();
    if !strangers.is_empty() {
        return Err(format!(
            "these scene cast members are not among the characters: {}; use only these names: {}",
            strangers.join(", "),
            concept.characters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let empty = scenes.iter().find(|s| {
        let words = s.summary.split_whitespace().count().max(s.summary.chars().filter(|c| !c.is_ascii()).count() / 2);
        words < 3 && s.last_sentence.saturating_sub(s.first_sentence) >= 2
    });
    if let Some(scene) = empty {
        return Err(format!(
            "the summary “{}” of the scene from sentence {} says nothing about it; say what happens in a sentence",
            scene.summary.trim(),
            scene.first_sentence
        ));
    }
    Ok(())
}

/// Phase 1: the model's judgement over the local analysis `base`.
///
/// # Errors
/// A sentence for the model when the answer cannot be used: no lines answered
/// while the story has dialogue, or an answer not grounded in the story
/// (characters or places it never names, an empty summary).
pub fn into_concept(base: Concept, reply: ConceptReply, forced_title: bool) -> Result<Concept, String> {
    let n = base.sentences.len() as u32;
    let last = n.saturating_sub(1);
    if !base.dialogue.is_empty() && reply.lines.is_empty() {
        return Err(format!("`lines` is empty, but the story has {} dialogue lines; answer each", base.dialogue.len()));
    }
    let mut characters: Vec<NamedCharacter> = Vec::new();
    for note in reply.characters.into_iter().filter(|c| !c.name.trim().is_empty()) {
        let id = CharacterId::from_name(note.name.trim());
        if let Some(existing) = characters.iter_mut().find(|c| c.id == id) {
            existing.aliases.extend(note.aliases);
            continue;
        }
        let names: Vec<String> =
            std::iter::once(note.name.trim().to_owned()).chain(note.aliases.iter().cloned()).collect();
        let mentioned_in: Vec<u32> = base
            .sentences
            .iter()
            .filter(|s| names.iter().any(|name| !name.is_empty() && s.text.contains(name.as_str())))
            .map(|s| s.index)
            .collect();
        characters.push(NamedCharacter {
            id,
            name: note.name.trim().to_owned(),
            aliases: note.aliases,
            mentions: mentioned_in.len() as u32,
            first_sentence: mentioned_in.first().copied().unwrap_or(0),
            descriptors: note.descriptors,
        });
    }
    check_grounded(&base, &characters, &reply.places, &reply.summary)?;
    let mut dialogue = base.dialogue.clone();
    let (mut unknown_names, mut unanswered) = (Vec::new(), 0);
    for line in &mut dialogue {
        match reply.lines.iter().find(|l| l.line == line.id.0) {
            Some(answer) => {
                line.kind = answer.kind;
                line.speaker = answer.speaker.as_deref().and_then(|name| {
                    let found = resolve(&characters, name);
                    if found.is_none() && !name.trim().is_empty() {
                        unknown_names.push(name.to_owned());
                    }
                    found
                });
            }
            None => {
                unanswered += 1;
                line.speaker = None;
            }
        }
    }
    if unanswered > 0 {
        note(format!("the model left {unanswered} of {} dialogue lines unattributed", dialogue.len()));
    }
    if !unknown_names.is_empty() {
        note(format!("speakers not among the characters were kept unknown: {}", unknown_names.join(", ")));
    }
    let title =
        if forced_title || reply.title.trim().is_empty() { base.title.clone() } else { reply.title.trim().to_owned() };
    Ok(Concept {
        title,
        genre: if reply.genre.trim().is_empty() { base.genre.clone() } else { reply.genre.trim().to_owned() },
        mood: reply.mood,
        themes: reply.themes,
        summary: if reply.summary.trim().is_empty() { base.summary.clone() } else { reply.summary.trim().to_owned() },
        characters,
        places: reply
            .places
            .into_iter()
            .map(|p| Place { name: p.name, kind: p.kind, first_sentence: p.first_sentence.min(last) })
            .collect(),
        times: reply
            .times
            .into_iter()
            .map(|t| TimeMark { text: t.text, time_of_day: t.time_of_day, sentence: t.sentence.min(last) })
            .collect(),
        dialogue,
        ..base
    })
}

fn parse_hex(text: &str) -> Option<Rgb> {
    let hex = text.trim().strip_prefix('#').unwrap_or(text.trim());
    if hex.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
}

/// Phase 2: the model's sheets over the local design `base` (one sheet per character, kept when the model skips one).
///
/// # Errors
/// A sentence for the model when it answered no sheet at all.
pub fn into_bible(base: CharacterBible, concept: &Concept, reply: CharactersReply) -> Result<CharacterBible, String> {
    if !base.characters.is_empty() && reply.characters.is_empty() {
        return Err(format!("`characters` is empty; give a sheet to each of the {} characters", base.characters.len()));
    }
    let mut sheets = Vec::with_capacity(base.characters.len());
    for mut sheet in base.characters {
        let named: Vec<NamedCharacter> = concept.characters.iter().filter(|c| c.id == sheet.id).cloned().collect();
        let answer =
            reply.characters.iter().find(|s| resolve(&named, &s.name).is_some() || s.name.trim() == sheet.name);
        let Some(answer) = answer else {
            note(format!("{} was designed locally: the model gave no sheet", sheet.name));
            sheets.push(sheet);
            continue;
        };
        let mut bad_colours = Vec::new();
        let mut colour = |text: &str, field: &str, slot: &mut Rgb| match parse_hex(text) {
            Some(rgb) => *slot = rgb,
            None => bad_colours.push(format!("{field} {text:?}")),
        };
        let look = &mut sheet.look;
        colour(&answer.hair_color, "hair_color", &mut look.hair_color);
        colour(&answer.eye_color, "eye_color", &mut look.eye_color);
        colour(&answer.skin, "skin", &mut look.skin);
        colour(&answer.outfit_color, "outfit_color", &mut look.outfit_color);
        colour(&answer.accent_color, "accent_color", &mut look.accent_color);
        if !bad_colours.is_empty() {
            note(format!("{}: kept the local colours for {}", sheet.name, bad_colours.join(", ")));
        }
        look.hair_style = answer.hair_style;
        look.build = answer.build;
        look.age = answer.age;
        look.outfit = answer.outfit;
        look.spectacles = answer.spectacles;
        look.height = if answer.height.is_finite() { answer.height.clamp(0.5, 1.2) } else { look.height };
        sheet.role = answer.role;
        sheet.personality = answer.personality.trim().to_owned();
        sheet.speech_style = answer.speech_style.trim().to_owned();
        sheet.appearance = answer.appearance.trim().to_owned();
        sheets.push(sheet);
    }
    Ok(CharacterBible { characters: sheets })
}

/// Phase 3: the model's scenes, checked to cover every sentence once in order, with pages adding up.
///
/// # Errors
/// A sentence for the model when the scenes cannot be made to cover the story.
pub fn into_plot(concept: &Concept, reply: PlotReply) -> Result<Plot, String> {
    let n = concept.sentences.len() as u32;
    let pages = u32::from(concept.page_count.get());
    let mut scenes = reply.scenes;
    if scenes.is_empty() {
        return Err("`scenes` is empty; divide the story into scenes".into());
    }
    check_scenes_grounded(concept, &scenes)?;
    scenes.sort_by_key(|s| s.first_sentence);
    // Repair: contiguous spans from 0 to the last sentence; a scene squeezed to nothing is dropped.
    let mut repaired = false;
    let mut next_first = 0;
    let mut kept: Vec<SceneNote> = Vec::new();
    let count = scenes.len();
    for (i, mut scene) in scenes.into_iter().enumerate() {
        if scene.first_sentence != next_first {
            repaired = true;
            scene.first_sentence = next_first;
        }
        if i + 1 == count && scene.last_sentence != n.saturating_sub(1) {
            repaired = true;
            scene.last_sentence = n.saturating_sub(1);
        }
        if scene.last_sentence < scene.first_sentence || scene.first_sentence >= n {
            repaired = true;
            if let Some(previous) = kept.last_mut() {
                previous.last_sentence = previous.last_sentence.max(scene.last_sentence.min(n.saturating_sub(1)));
                next_first = previous.last_sentence + 1;
            }
            continue;
        }
        scene.last_sentence = scene.last_sentence.min(n.saturating_sub(1));
        next_first = scene.last_sentence + 1;
        kept.push(scene);
    }
    if let Some(last) = kept.last_mut() {
        last.last_sentence = n.saturating_sub(1);
    }
    if kept.is_empty() {
        return Err(format!("no scene covers the story's sentences 0 to {}", n.saturating_sub(1)));
    }
    if kept.len() as u32 > pages {
        return Err(format!("{} scenes do not fit {pages} pages; give at most {pages} scenes", kept.len()));
    }
    if repaired {
        note("the model's scene boundaries were adjusted to cover every sentence once, in order");
    }
    let allotted = allot_pages(&kept.iter().map(|s| u32::from(s.pages.max(1))).collect::<Vec<_>>(), pages);
    if kept.iter().map(|s| u32::from(s.pages)).sum::<u32>() != pages {
        note(format!("the model's page counts were scaled to add up to {pages}"));
    }
    let scenes = kept
        .into_iter()
        .zip(allotted)
        .enumerate()
        .map(|(i, (note, pages))| {
            let span = SentenceSpan { first: note.first_sentence, last: note.last_sentence };
            let cast = note.cast.iter().filter_map(|name| resolve(&concept.characters, name)).collect();
            Scene {
                id: SceneId(i as u32),
                title: note.title,
                beat: note.beat,
                place: note.place,
                place_kind: note.place_kind,
                time_of_day: note.time_of_day,
                cast,
                sentences: span,
                lines: concept.dialogue.iter().filter(|l| span.contains(l.sentence)).map(|l| l.id).collect(),
                pages: pages as u16,
                summary: note.summary,
                mood: note.mood,
            }
        })
        .collect();
    Ok(Plot { structure: reply.structure, scenes })
}

/// Scales `wanted` pages per scene to add up to `total`, each at least 1 (largest remainders first).
fn allot_pages(wanted: &[u32], total: u32) -> Vec<u32> {
    let sum: u32 = wanted.iter().sum::<u32>().max(1);
    let spare = total.saturating_sub(wanted.len() as u32);
    let weights: Vec<f64> = wanted.iter().map(|w| f64::from(*w) * f64::from(spare) / f64::from(sum)).collect();
    let mut out: Vec<u32> = weights.iter().map(|w| 1 + w.floor() as u32).collect();
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by(|a, b| (weights[*b] - weights[*b].floor()).total_cmp(&(weights[*a] - weights[*a].floor())));
    let mut left = total.saturating_sub(out.iter().sum());
    for i in order.into_iter().cycle().take(wanted.len() * 2) {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// Phase 4's answer: the koma-wari, page by page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct StoryboardReply {
    /// One entry per page, in order.
    pub pages: Vec<PageReply>,
}

/// One page of the storyboard answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PageReply {
    /// A layout name from the list offered.
    pub layout: String,
    /// The panels in reading order; as many as the layout has.
    pub panels: Vec<PanelReply>,
}

/// One panel of the storyboard answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PanelReply {
    /// Camera distance.
    pub shot: manga_domain::Shot,
    /// Camera height.
    pub angle: manga_domain::Angle,
    /// What happens, in a few words.
    pub action: String,
    /// Who is in it: ids or names from the character list, at most three.
    pub cast: Vec<String>,
    /// The numbers of the dialogue lines it carries, in story order.
    pub lines: Vec<u32>,
}

/// A storyboard answer checked against the request.
///
/// # Errors
/// A sentence for the model: the wrong number of pages, an unknown layout, a panel count no
/// layout has, or dialogue lines missing, repeated or out of story order.
pub fn into_proposal(
    request: &crate::StoryboardRequest<'_>,
    reply: StoryboardReply,
) -> Result<crate::StoryboardProposal, String> {
    use crate::{ProposedPage, ProposedPanel, StoryboardProposal};
    let want = request.base.pages.len();
    if reply.pages.len() != want {
        return Err(format!("give exactly {want} pages, one per page listed; the answer has {}", reply.pages.len()));
    }
    let expected: Vec<u32> = request.concept.dialogue.iter().map(|l| l.id.0).collect();
    let given: Vec<u32> =
        reply.pages.iter().flat_map(|p| p.panels.iter().flat_map(|q| q.lines.iter().copied())).collect();
    if given != expected {
        let missing: Vec<u32> = expected.iter().copied().filter(|l| !given.contains(l)).collect();
        return Err(format!(
            "every dialogue line must be carried exactly once, in story order (L0 to L{}); missing: {missing:?}, given in this order: {given:?}",
            expected.len().saturating_sub(1)
        ));
    }
    let cast_of = |names: &[String]| {
        let mut cast: Vec<CharacterId> = Vec::new();
        for name in names {
            let wanted = name.trim().to_lowercase();
            let found = request
                .bible
                .characters
                .iter()
                .find(|c| c.id.as_str() == wanted || c.name.to_lowercase() == wanted)
                .map(|c| c.id.clone());
            match found {
                Some(id) if !cast.contains(&id) && cast.len() < 3 => cast.push(id),
                Some(_) => {}
                None => note(format!("the storyboard named {name:?}, who is not in the bible; left out")),
            }
        }
        cast
    };
    let mut pages = Vec::with_capacity(want);
    for (number, page) in reply.pages.into_iter().enumerate() {
        let count = page.panels.len();
        let named = request.layouts.iter().find(|(name, _)| *name == page.layout);
        let layout = match named {
            Some((name, n)) if *n == count => name.clone(),
            // Safe: the same panels in another layout of the library with that many cells.
            _ => match request.layouts.iter().find(|(_, n)| *n == count) {
                Some((name, _)) => {
                    note(format!("page {}: layout {:?} has no {count} panels; used {name}", number + 1, page.layout));
                    name.clone()
                }
                None => {
                    return Err(format!(
                        "page {}: no layout has {count} panels; use 3 to 7 panels and a layout from the list",
                        number + 1
                    ));
                }
            },
        };
        let panels = page
            .panels
            .into_iter()
            .map(|p| ProposedPanel {
                shot: p.shot,
                angle: p.angle,
                action: p.action.trim().to_owned(),
                cast: cast_of(&p.cast),
                lines: p.lines.into_iter().map(manga_domain::LineId).collect(),
            })
            .collect();
        pages.push(ProposedPage { layout, panels });
    }
    Ok(StoryboardProposal { pages })
}

/// Phase 6's face answer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct FacesReply {
    /// One entry per listed character whose face is visible.
    pub faces: Vec<FaceReply>,
}

/// One face.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct FaceReply {
    /// The character's id from the list.
    pub character: String,
    /// `[ymin, xmin, ymax, xmax]`, each 0–1000 of the picture's height or width.
    #[schemars(length(equal = 4))]
    pub box_2d: Vec<i32>,
}

/// Face boxes in panel pixels.
///
/// # Errors
/// A sentence for the model: a box that is not four numbers with min below max.
pub fn into_faces(request: &crate::FaceRequest<'_>, reply: FacesReply) -> Result<Vec<crate::FaceBox>, String> {
    let (w, h) = (request.width as f32, request.height as f32);
    let mut faces = Vec::new();
    for face in reply.faces {
        let wanted = face.character.trim().to_lowercase();
        let Some(sheet) = request.cast.iter().find(|c| c.id.as_str() == wanted || c.name.to_lowercase() == wanted)
        else {
            note(format!("a face was given for {:?}, who is not in the panel's cast; left out", face.character));
            continue;
        };
        let [ymin, xmin, ymax, xmax] = face.box_2d[..] else {
            return Err(format!("box_2d of {} must be [ymin, xmin, ymax, xmax]", face.character));
        };
        let clamp = |v: i32| v.clamp(0, 1000) as f32 / 1000.0;
        let (top, left, bottom, right) = (clamp(ymin), clamp(xmin), clamp(ymax), clamp(xmax));
        if bottom <= top || right <= left {
            return Err(format!("box_2d of {} has a min not below its max: {:?}", face.character, face.box_2d));
        }
        let rect = Rect::new(left * w, top * h, (right - left) * w, (bottom - top) * h);
        faces.push(crate::FaceBox { character: sheet.id.clone(), face: rect });
    }
    Ok(faces)
}

/// What a chat message asks for, as the model reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// Accept the phase and go on.
    Approve,
    /// Run the phase again with the reader's comment.
    Revise,
    /// Redraw one target: `page:N`, `panel:ID` or `portrait:ID`.
    Regenerate,
    /// Replace one dialogue line's words: target `line:N`, `text` the new words.
    EditLine,
    /// Change the mood.
    SetMood,
    /// Nothing the studio can do was asked.
    Unclear,
}

/// The chat task's answer: one editing action.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct FeedbackReply {
    /// The action.
    pub action: FeedbackKind,
    /// The phase (1–8) it applies to; absent: the phase the reader is looking at.
    #[schemars(range(min = 1, max = 8))]
    pub phase: Option<u32>,
    /// For regenerate: `page:N`, `panel:ID` or `portrait:ID`; for edit_line: `line:N`.
    pub target: Option<String>,
    /// For edit_line: the line's new words.
    pub text: Option<String>,
    /// For revise: what to change, in the reader's words.
    pub comment: Option<String>,
    /// For set_mood: the new mood.
    pub mood: Option<Mood>,
    /// One sentence in the message's language saying what will happen.
    pub summary: String,
}

/// A chat answer as a suggestion; `Ok(Err(..))` when the model found nothing to do (not worth asking again).
///
/// # Errors
/// A sentence for the model when the answer names a phase, panel, page, character or line that does not exist.
pub fn into_feedback(
    request: &crate::FeedbackRequest<'_>,
    reply: FeedbackReply,
) -> Result<Result<manga_domain::FeedbackSuggestion, String>, String> {
    use manga_domain::{FeedbackAction, FeedbackSuggestion, LineId, PhaseId, Target};
    let asked = match reply.phase {
        // Some models say "no phase" with a zero: the same as leaving it out.
        None | Some(0) => None,
        Some(n) => Some(PhaseId::from_number(n).map_err(|_| format!("`phase` {n} is not 1 to 8"))?),
    };
    let summary = reply.summary.trim().to_owned();
    let (phase, action) = match reply.action {
        FeedbackKind::Unclear => {
            return Ok(Err(if summary.is_empty() {
                "the message asks for nothing the studio can do".into()
            } else {
                summary
            }));
        }
        FeedbackKind::Approve => {
            let phase = asked.or(request.phase).ok_or("`phase` is needed: which phase is approved?")?;
            (phase, FeedbackAction::Approve)
        }
        FeedbackKind::Revise => {
            let phase = asked.or(request.phase).ok_or("`phase` is needed: which phase is revised?")?;
            let comment = reply.comment.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| request.message.clone());
            (phase, FeedbackAction::Revise { comment })
        }
        FeedbackKind::Regenerate => {
            let text = reply.target.as_deref().ok_or("`target` is needed for regenerate")?;
            let target =
                Target::parse(text).map_err(|_| format!("`target` {text:?} is not page:N, panel:ID or portrait:ID"))?;
            let exists = match &target {
                Target::Panel(id) => request.storyboard.is_some_and(|s| s.panel(*id).is_some()),
                Target::Page(n) => request.storyboard.is_some_and(|s| usize::from(*n) <= s.pages.len()),
                Target::Portrait(id) => request.bible.is_some_and(|b| b.get(id).is_some()),
            };
            if !exists {
                return Err(format!("`target` {text:?} names nothing in this manga; use one of those listed"));
            }
            let phase = if matches!(target, Target::Portrait(_)) { PhaseId::Characters } else { PhaseId::Images };
            (phase, FeedbackAction::Regenerate { target })
        }
        FeedbackKind::EditLine => {
            let text = reply.target.as_deref().ok_or("`target` line:N is needed for edit_line")?;
            let line = text.strip_prefix("line:").and_then(|n| n.trim().parse::<u32>().ok()).map(LineId);
            let line = line.ok_or_else(|| format!("`target` {text:?} is not line:N"))?;
            let words =
                reply.text.filter(|t| !t.trim().is_empty()).ok_or("`text` (the new words) is needed for edit_line")?;
            let storyboard = request.storyboard.ok_or("there is no storyboard yet, so no line to edit")?;
            let field = storyboard.pages.iter().enumerate().find_map(|(i, page)| {
                page.panels.iter().enumerate().find_map(|(j, panel)| {
                    let k = panel.balloons.iter().position(|b| b.line == Some(line))?;
                    Some(format!("/pages/{i}/panels/{j}/balloons/{k}/text"))
                })
            });
            let field = field.ok_or_else(|| format!("there is no line {} in the storyboard", line.0))?;
            (PhaseId::Name, FeedbackAction::Edit { field, value: serde_json::Value::String(words.trim().to_owned()) })
        }
        FeedbackKind::SetMood => {
            let mood = reply.mood.ok_or("`mood` is needed for set_mood")?;
            let value = serde_json::to_value(mood).map_err(|e| e.to_string())?;
            (PhaseId::Concept, FeedbackAction::Edit { field: "/mood".into(), value })
        }
    };
    let summary = if summary.is_empty() { format!("{} for {}.", action.name(), phase.name()) } else { summary };
    Ok(Ok(FeedbackSuggestion { phase, action, summary }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_scaled_to_the_total_with_at_least_one_each() {
        assert_eq!(allot_pages(&[1, 1, 1], 6).iter().sum::<u32>(), 6);
        assert_eq!(allot_pages(&[10, 1], 4), vec![3, 1]);
        assert!(allot_pages(&[5, 5, 5, 5], 4).iter().all(|p| *p == 1));
    }

    #[test]
    fn hex_colours_parse_with_or_without_a_hash() {
        assert_eq!(parse_hex("#1a2B3c"), Some(Rgb(0x1a, 0x2b, 0x3c)));
        assert_eq!(parse_hex("ffffff"), Some(Rgb(255, 255, 255)));
        assert_eq!(parse_hex("red"), None);
    }
}
