//! Phase 3 by rules: scenes from chapter headings, paragraphs and changes
//! of place or time, merged to fit the page count; beats by position
//! (起承転結 or three acts) with 転 on the turning point; pages by weight.

use manga_domain::{
    Beat, CharacterId, Concept, Language, LineId, Mood, PlaceKind, Plot, Scene, SceneId, SentenceSpan, StoryText,
    Structure, TimeOfDay,
};

use super::mentions::locate;
use super::{mood, pages, places, quotes, sentences, summary};

/// A run of sentences that may become a scene.
#[derive(Debug, Clone)]
struct Unit {
    first: usize,
    last: usize,
    /// Whether a heading or a change of place or time opens it (costly to merge away).
    hard: bool,
}

/// The plot of `concept`. `concept.sentences` must not be empty.
pub(crate) fn outline(story: &StoryText, concept: &Concept) -> Plot {
    let n = concept.sentences.len();
    let weights = sentence_weights(concept);
    let page_count = concept.page_count.get().max(1);
    let mut units = units(story, concept);
    let target = (usize::from(page_count) * 3).div_ceil(4).max(1);
    merge_down(&mut units, &weights, target);
    split_up(&mut units, &weights, usize::from(page_count).div_ceil(2));
    merge_down(&mut units, &weights, usize::from(page_count));
    debug_assert!(units.first().is_some_and(|u| u.first == 0) && units.last().is_some_and(|u| u.last + 1 == n));

    let unit_weights: Vec<u64> = units.iter().map(|u| weights[u.first..=u.last].iter().sum()).collect();
    let pages = pages::allot(&unit_weights, page_count);
    let beats = beats(concept, &units, &unit_weights);
    let mut carried: (Option<String>, PlaceKind, TimeOfDay) = (None, PlaceKind::Unknown, TimeOfDay::Unknown);
    let scenes = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            // A scene that names only the sky (`夜空を見つめた`) stays on the ground the story stood on.
            let grounded = !matches!(carried.1, PlaceKind::Unknown | PlaceKind::Sky);
            let (place, place_kind) = match scene_place(concept, u) {
                Some((_, PlaceKind::Sky)) if grounded => (carried.0.clone(), carried.1),
                Some((p, k)) => (Some(p), k),
                None if carried.1 == PlaceKind::Unknown => unnamed_place(concept, u),
                None => (carried.0.clone(), carried.1),
            };
            let marks = scene_times(concept, u);
            let time_of_day = marks.first().copied().unwrap_or(carried.2);
            // The next scene starts where this one ends: after `夕方 … 夜`, it is night, and
            // after a festival street and then the riverbank, it is the riverbank.
            let (last_place, last_kind) =
                last_place(concept, u).map_or((place.clone(), place_kind), |(p, k)| (Some(p), k));
            carried = (last_place, last_kind, marks.last().copied().unwrap_or(time_of_day));
            let text: String =
                concept.sentences[u.first..=u.last].iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
            Scene {
                id: SceneId(i as u32),
                title: scene_title(concept, u, place.as_deref(), i),
                beat: beats[i],
                place,
                place_kind,
                time_of_day,
                cast: cast(concept, u),
                sentences: SentenceSpan { first: u.first as u32, last: u.last as u32 },
                lines: concept
                    .dialogue
                    .iter()
                    .filter(|l| (u.first..=u.last).contains(&(l.sentence as usize)))
                    .map(|l| l.id)
                    .collect::<Vec<LineId>>(),
                pages: pages[i],
                summary: scene_summary(concept, u),
                mood: if text.trim().is_empty() { Mood::Calm } else { mood::mood_of(&text, concept.language) },
            }
        })
        .collect();
    let structure = if concept.language == Language::Ja { Structure::Kishotenketsu } else { Structure::ThreeAct };
    Plot { structure, scenes }
}

/// Characters of text plus 40 per dialogue line, per sentence.
fn sentence_weights(concept: &Concept) -> Vec<u64> {
    let mut w: Vec<u64> = concept.sentences.iter().map(|s| s.text.chars().count() as u64).collect();
    for line in &concept.dialogue {
        if let Some(x) = w.get_mut(line.sentence as usize) {
            *x += 40;
        }
    }
    w
}

/// Paragraphs (and, in Japanese text without blank lines, lines), split at headings.
fn units(story: &StoryText, concept: &Concept) -> Vec<Unit> {
    let s = &concept.sentences;
    let resplit = sentences::split(story.as_str(), concept.language);
    let same = resplit.sentences.len() == s.len() && resplit.sentences.iter().zip(s).all(|(a, b)| a.text == b.text);
    let few_paragraphs = s.last().map_or(0, |x| x.paragraph) < 3;
    let mut out: Vec<Unit> = Vec::new();
    let mut place = None;
    let mut time = None;
    for i in 0..s.len() {
        let new_place = places::places_in(&s[i].text, concept.language).first().map(|p| p.1);
        let new_time = concept.times.iter().find(|t| t.sentence as usize == i).map(|t| t.time_of_day);
        let changed = (new_place.is_some() && new_place != place && place.is_some())
            || (new_time.is_some() && new_time != time && time.is_some());
        let after_heading = i > 0 && s[i - 1].heading;
        let opens = i == 0
            || (s[i].heading && !after_heading)
            || (!after_heading && s[i].paragraph != s[i - 1].paragraph)
            || (!after_heading && few_paragraphs && same && resplit.starts_line[i] && changed);
        if opens {
            out.push(Unit { first: i, last: i, hard: s[i].heading || changed });
        } else if let Some(u) = out.last_mut() {
            u.last = i;
            u.hard |= changed && u.first + 1 >= i;
        }
        place = new_place.or(place);
        time = new_time.filter(|t| *t != TimeOfDay::Unknown).or(time);
    }
    out
}

fn weight(u: &Unit, weights: &[u64]) -> u64 {
    weights[u.first..=u.last].iter().sum()
}

/// Merges neighbours, lightest pairs and soft breaks first, until at most `target` remain.
fn merge_down(units: &mut Vec<Unit>, weights: &[u64], target: usize) {
    while units.len() > target.max(1) {
        let best = (0..units.len() - 1)
            .min_by_key(|&k| {
                let cost = weight(&units[k], weights) + weight(&units[k + 1], weights);
                (if units[k + 1].hard { cost * 3 } else { cost }, k)
            })
            .unwrap_or(0);
        let next = units.remove(best + 1);
        units[best].last = next.last;
    }
}

/// Splits the heaviest scenes at their weight midpoint until there are at least `minimum`.
fn split_up(units: &mut Vec<Unit>, weights: &[u64], minimum: usize) {
    while units.len() < minimum {
        let Some(k) = (0..units.len())
            .filter(|&k| units[k].last > units[k].first)
            .max_by_key(|&k| (weight(&units[k], weights), std::cmp::Reverse(k)))
        else {
            return;
        };
        let u = units[k].clone();
        let half = weight(&u, weights) / 2;
        let mut acc = 0;
        let mut cut = u.first + 1;
        for (i, w) in weights.iter().enumerate().take(u.last).skip(u.first) {
            acc += w;
            cut = i + 1;
            if acc >= half {
                break;
            }
        }
        units[k].last = cut - 1;
        units.insert(k + 1, Unit { first: cut, last: u.last, hard: false });
    }
}

/// The places a sentence's narration names, in order, each with whether
/// people are there: a place only talked about (`「店、おじさんが代わってくれた」`)
/// is not named, and one someone leaves (`村を抜け出した`) is not where they are.
fn told_places(text: &str, lang: Language) -> Vec<(String, PlaceKind, bool)> {
    let mut told = text.to_owned();
    for q in quotes::spans(text, lang).iter().rev() {
        told.replace_range(q.outer.clone(), "。");
    }
    places::places_in(&told, lang).into_iter().map(|(name, kind)| (name.clone(), kind, !left(&told, &name))).collect()
}

/// Where a sentence's narration puts people, if it says: the first ground
/// place it names that no one leaves (`村の広場には…田んぼを指さして` is in the
/// square; the sky is only a backdrop), as (name, kind).
fn ground_told(text: &str, lang: Language) -> Option<(String, PlaceKind)> {
    told_places(text, lang)
        .into_iter()
        .find(|(_, kind, here)| *here && *kind != PlaceKind::Sky)
        .map(|(name, kind, _)| (name, kind))
}

/// The kind of place a sentence's narration puts people at, if it says ([`ground_told`]).
pub fn place_told(text: &str, lang: Language) -> Option<PlaceKind> {
    ground_told(text, lang).map(|(_, kind)| kind)
}

/// Where a scene is when its narration names nowhere and the story has not
/// said yet: a place its people talk about being in (`Then who is in the
/// kitchen?`, a story told only in dialogue), else indoors when something
/// happens outside (`the snow fell outside`, `外では雪が`).
fn unnamed_place(concept: &Concept, u: &Unit) -> (Option<String>, PlaceKind) {
    let sentences = &concept.sentences[u.first..=u.last];
    let talked_of = sentences
        .iter()
        .flat_map(|s| places::places_in(&s.text, concept.language))
        .find(|(_, kind)| *kind != PlaceKind::Sky);
    if let Some((name, kind)) = talked_of {
        return (Some(name), kind);
    }
    let outside = ["outside", "外では", "窓の外", "外は"];
    let indoors = sentences.iter().any(|s| outside.iter().any(|w| s.text.to_lowercase().contains(w)));
    (None, if indoors { PlaceKind::Room } else { PlaceKind::Unknown })
}

/// The last ground place the scene's narration puts people at.
fn last_place(concept: &Concept, u: &Unit) -> Option<(String, PlaceKind)> {
    concept.sentences[u.first..=u.last].iter().rev().find_map(|s| ground_told(&s.text, concept.language))
}

/// The scene's most named place, as (name, kind).
fn scene_place(concept: &Concept, u: &Unit) -> Option<(String, PlaceKind)> {
    let mut seen: Vec<(String, PlaceKind, usize)> = Vec::new();
    for s in &concept.sentences[u.first..=u.last] {
        for (name, kind, here) in told_places(&s.text, concept.language) {
            let here = usize::from(here);
            match seen.iter_mut().find(|(n, _, _)| *n == name) {
                Some(entry) => entry.2 += here,
                None => seen.push((name, kind, here)),
            }
        }
    }
    // The sky is a backdrop, never the ground people stand on, unless nothing else is named.
    let rank = |e: &(String, PlaceKind, usize)| (e.1 != PlaceKind::Sky, e.2);
    // A place only left (`had gone down to the village`) is not where the scene is.
    let best = seen.iter().map(rank).max().filter(|best| best.1 > 0)?;
    seen.into_iter().find(|e| rank(e) == best).map(|(n, k, _)| (n, k))
}

/// Whether the place `name` is only where someone comes from or leaves
/// (`村を抜け出した`, `out of the village`), not where they are.
fn left(text: &str, name: &str) -> bool {
    let Some(at) = text.find(name) else { return false };
    let after = &text[at + name.len()..];
    let before = text[..at].to_lowercase();
    // English places are found with or without their article (`the village`).
    let before = before.trim_end().trim_end_matches("the").trim_end();
    // `村を抜け出した` leaves; `山道を登った` walks on, and is where they are.
    let leaving_verb = ["出", "離れ", "抜け", "後に", "去", "発"];
    after.strip_prefix('を').is_some_and(|verb| leaving_verb.iter().any(|v| verb.starts_with(v)))
        || after.starts_with("から")
        || ["from", "left", "leaving", "out of", "gone to", "gone down to", "gone up to", "gone off to"]
            .iter()
            .any(|w| before.ends_with(w))
}

/// The times of day the scene names, in order.
fn scene_times(concept: &Concept, u: &Unit) -> Vec<TimeOfDay> {
    concept
        .times
        .iter()
        .filter(|t| (u.first..=u.last).contains(&(t.sentence as usize)) && t.time_of_day != TimeOfDay::Unknown)
        .map(|t| t.time_of_day)
        .collect()
}

/// Who is named or speaks in the scene, most present first.
fn cast(concept: &Concept, u: &Unit) -> Vec<CharacterId> {
    let mut counts: Vec<(usize, usize, usize)> = Vec::new(); // (who, count, first position)
    let mut bump = |who: usize, at: usize| match counts.iter_mut().find(|c| c.0 == who) {
        Some(c) => c.1 += 1,
        None => counts.push((who, 1, at)),
    };
    for (k, s) in concept.sentences[u.first..=u.last].iter().enumerate() {
        for hit in locate(&s.text, &concept.characters, concept.language) {
            bump(hit.who, k);
        }
        for line in concept.dialogue.iter().filter(|l| l.sentence == s.index) {
            if let Some(who) = line.speaker.as_ref().and_then(|id| concept.characters.iter().position(|c| &c.id == id))
            {
                bump(who, k);
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    counts.into_iter().map(|(who, _, _)| concept.characters[who].id.clone()).collect()
}

fn scene_title(concept: &Concept, u: &Unit, place: Option<&str>, i: usize) -> String {
    let heading =
        concept.sentences[u.first..=u.last].iter().find(|s| s.heading && (s.text != concept.title || s.index > 0));
    if let Some(h) = heading {
        return h.text.clone();
    }
    match (place, concept.language) {
        (Some(p), _) => p.to_owned(),
        (None, Language::Ja) => format!("場面{}", i + 1),
        (None, Language::En) => format!("Scene {}", i + 1),
    }
}

fn scene_summary(concept: &Concept, u: &Unit) -> String {
    let span = &concept.sentences[u.first..=u.last];
    let first = span.iter().find(|s| !s.heading).or(span.first());
    first.map(|s| summary::trim_chars(&s.text, 80)).unwrap_or_default()
}

/// Beats by each scene's weighted midpoint, with 転 (or the climax) on the turning point.
fn beats(concept: &Concept, units: &[Unit], unit_weights: &[u64]) -> Vec<Beat> {
    let total: u64 = unit_weights.iter().sum::<u64>().max(1);
    let mut acc = 0u64;
    let mids: Vec<f32> = unit_weights
        .iter()
        .map(|&w| {
            let mid = (acc as f32 + w as f32 / 2.0) / total as f32;
            acc += w;
            mid
        })
        .collect();
    let turn = summary::turning_point(&concept.sentences)
        .and_then(|t| units.iter().position(|u| (u.first..=u.last).contains(&t)))
        .filter(|&k| k > 0 && (0.3..=0.9).contains(&mids[k]));
    let n = units.len();
    let ja = concept.language == Language::Ja;
    (0..n)
        .map(|k| {
            let m = mids[k];
            let by_position = if ja {
                if k == 0 || m < 0.25 {
                    Beat::Ki
                } else if m < 0.5 {
                    Beat::Sho
                } else if m < 0.75 {
                    Beat::Ten
                } else {
                    Beat::Ketsu
                }
            } else if k == 0 || m < 0.25 {
                Beat::Setup
            } else if m < 0.8 {
                Beat::Confrontation
            } else {
                Beat::Resolution
            };
            let last = n >= 2 && k == n - 1;
            match (turn, ja) {
                (Some(t), true) if k == t => Beat::Ten,
                (Some(t), true) if k < t && by_position != Beat::Ki => Beat::Sho,
                (Some(t), true) if k > t && (last || m >= 0.75) => Beat::Ketsu,
                (Some(t), true) if k > t => Beat::Ten,
                (Some(t), false) if k == t && !last => Beat::Confrontation,
                _ if last && ja => Beat::Ketsu,
                _ if last => Beat::Resolution,
                _ => by_position,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::left;

    #[test]
    fn a_place_left_or_come_from_is_not_where_one_is() {
        assert!(left("その日の夕方、二人はこっそり村を抜け出した。", "村"));
        assert!(left("山から風が吹いた。", "山"));
        assert!(left("She ran out of the village.", "the village"));
        assert!(left("He came from the harbour.", "harbour"));
        assert!(!left("森の入り口で、ハルは振り返った。", "森"));
        assert!(!left("二人は細い山道を登った。", "山道"), "a path climbed is where they are");
        assert!(!left("They reached the village at dusk.", "the village"));
    }
}
