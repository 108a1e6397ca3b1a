//! From a scene's sentences to panels: group story beats into panels, then
//! decide each panel's shot, cast, balloons and effects.

use manga_domain::{
    Angle, BalloonKind, BalloonPlan, Beat, CharacterBible, CharacterId, Concept, Effect, Language, LineId, LineKind,
    PanelId, PanelPlan, PlaceKind, ReadingDirection, Rect, Scene, Shot, TimeOfDay,
};

use super::{PANELS_PER_PAGE, manga_domain_hash};
use crate::PhaseError;

/// The most characters one balloon carries before the line is split across balloons.
pub fn max_balloon_chars(language: Language) -> usize {
    match language {
        Language::Ja => 40,
        Language::En => 100,
    }
}

/// Caption (narration box) length limit, in characters.
fn max_caption_chars(language: Language) -> usize {
    match language {
        Language::Ja => 44,
        Language::En => 120,
    }
}

/// Splits a line into balloon-sized parts at sentence or clause ends.
/// The parts, joined, are exactly the input.
pub fn split_balloon_text(text: &str, language: Language) -> Vec<String> {
    split_at_breaks(text, max_balloon_chars(language))
}

/// Splits narration into caption-sized parts, as [`split_balloon_text`] does lines.
pub fn split_caption_text(text: &str, language: Language) -> Vec<String> {
    split_at_breaks(text, max_caption_chars(language))
}

/// Parts of at most `limit` characters, cut at a sentence end, else a clause
/// end, else the space nearest an even share of what is left, else at the
/// limit. The parts, joined, are exactly the input.
fn split_at_breaks(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > limit {
        let window = &rest[..limit];
        // Between words, two boxes of 65 read better than one of 120 and one of 10.
        let even = rest.len().div_ceil(rest.len().div_ceil(limit));
        let cut = last_break(window, &SENTENCE_ENDS)
            .filter(|&i| i >= limit / 4)
            .or_else(|| last_break(window, &['、', ',', ';', '；']).filter(|&i| i >= limit / 3))
            .or_else(|| (limit / 3..=limit).filter(|&i| window[i - 1] == ' ').min_by_key(|&i| i.abs_diff(even)))
            .unwrap_or(limit);
        parts.push(rest[..cut].iter().collect());
        rest.drain(..cut);
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.iter().collect());
    }
    parts
}

/// Characters that end a sentence.
const SENTENCE_ENDS: [char; 7] = ['。', '！', '？', '!', '?', '.', '…'];

/// Whether `b` carries on what `a` began: a part of the same line, or of the same sentence of narration.
fn continues(a: &BalloonPlan, b: &BalloonPlan) -> bool {
    let closers: &[char] = &['」', '』', '"', '\u{201d}', '\'', ')', '）', ' '];
    let ends_sentence = a.text.trim_end_matches(closers).ends_with(SENTENCE_ENDS);
    (a.line.is_some() && a.line == b.line)
        || (a.kind == BalloonKind::Narration && b.kind == BalloonKind::Narration && !ends_sentence)
}

/// The position just after the last break character in `window`, if any.
fn last_break(window: &[char], breaks: &[char]) -> Option<usize> {
    window.iter().rposition(|c| breaks.contains(c)).map(|i| i + 1)
}

/// A panel's worth of story: sentences, the dialogue lines in them, and their narration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    sentences: Vec<u32>,
    lines: Vec<LineId>,
    /// The scene's heading, for its first panel.
    heading: Option<String>,
    /// A panel with no text of its own: a reaction or a view of the place.
    silent: bool,
}

/// Cuts a scene into between 3 and 7 groups per page, in story order; every line lands in exactly one group.
pub(crate) fn group_beats(concept: &Concept, scene: &Scene, pages: usize) -> Vec<Group> {
    let mut heading = None;
    let mut beats: Vec<Group> = Vec::new();
    for s in scene.sentences.first..=scene.sentences.last {
        let Some(sentence) = concept.sentences.get(s as usize) else { continue };
        if sentence.heading {
            heading.get_or_insert_with(|| sentence.text.clone());
            continue;
        }
        let lines: Vec<LineId> = concept.dialogue.iter().filter(|l| l.sentence == s).map(|l| l.id).collect();
        beats.push(Group { sentences: vec![s], lines, heading: None, silent: false });
    }
    // A line whose sentence the scene did not list is still the scene's: never drop one.
    for id in &scene.lines {
        if !beats.iter().any(|b| b.lines.contains(id)) {
            beats.push(Group { lines: vec![*id], ..Group::default() });
        }
    }
    if beats.is_empty() {
        beats.push(Group { silent: true, ..Group::default() });
    }
    let min = PANELS_PER_PAGE.start() * pages;
    let max = PANELS_PER_PAGE.end() * pages;
    let target = beats.len().clamp(min, max);
    // Weighed by how much text a panel must carry, so captions and balloons spread evenly.
    let per_unit = if concept.language == Language::Ja { 12 } else { 30 };
    let weight = |g: &Group| {
        let sentences: usize =
            g.sentences.iter().filter_map(|&s| concept.sentences.get(s as usize)).map(|s| s.text.chars().count()).sum();
        let orphans: usize = g
            .lines
            .iter()
            .filter_map(|id| concept.dialogue.get(id.0 as usize))
            .filter(|l| !g.sentences.contains(&l.sentence))
            .map(|l| l.text.chars().count())
            .sum();
        1 + (sentences + orphans) / per_unit
    };
    let mut groups = if beats.len() > target { merge(beats, target, weight) } else { beats };
    while groups.len() < target {
        // A reaction panel after the busiest panel without one: a beat to breathe.
        let at = groups
            .iter()
            .enumerate()
            .filter(|(i, g)| !g.silent && !groups.get(i + 1).is_some_and(|n| n.silent))
            .max_by_key(|(i, g)| (g.lines.len() * 2 + g.sentences.len(), usize::MAX - i))
            .map_or(groups.len() - 1, |(i, _)| i);
        let sentences = groups[at].sentences.clone();
        let reaction = Group { sentences, lines: vec![], heading: None, silent: true };
        groups.insert(at + 1, reaction);
    }
    if let Some(first) = groups.first_mut() {
        first.heading = heading;
    }
    groups
}

/// Merges neighbouring beats into `target` groups of about equal weight.
fn merge(beats: Vec<Group>, target: usize, weight: impl Fn(&Group) -> usize) -> Vec<Group> {
    let total: usize = beats.iter().map(&weight).sum();
    let mut groups: Vec<Group> = Vec::with_capacity(target);
    let mut acc = 0;
    let count = beats.len();
    for (i, beat) in beats.into_iter().enumerate() {
        let remaining_beats = count - i;
        let remaining_groups = target - groups.len();
        let boundary = total * groups.len() / target;
        let start_new = groups.is_empty()
            || (acc >= boundary && remaining_beats >= remaining_groups)
            || remaining_beats == remaining_groups;
        acc += weight(&beat);
        let full = groups.len() == target;
        match groups.last_mut() {
            Some(last) if !start_new || full => {
                last.sentences.extend(beat.sentences);
                last.lines.extend(beat.lines);
            }
            _ => groups.push(beat),
        }
    }
    groups
}

/// A panel's balloons in reading order: the heading, then sentence by
/// sentence its narration ([`narration_of`], whole, in caption-sized boxes)
/// and its lines (a sentence that opens with a quote puts the line first).
/// A silent panel (a reaction) repeats no words.
fn panel_balloons(concept: &Concept, group: &Group) -> Vec<BalloonPlan> {
    let language = concept.language;
    let mut out: Vec<BalloonPlan> = Vec::new();
    let caption = |text: String| BalloonPlan { line: None, kind: BalloonKind::Narration, speaker: None, text };
    out.extend(group.heading.clone().map(caption));
    let mut pending = String::new();
    let flush = |pending: &mut String, out: &mut Vec<BalloonPlan>| {
        out.extend(
            split_caption_text(pending.trim(), language).into_iter().filter(|p| !p.trim().is_empty()).map(caption),
        );
        pending.clear();
    };
    let mut said: Vec<LineId> = Vec::new();
    let sentences = if group.silent { &[][..] } else { &group.sentences[..] };
    for &s in sentences {
        let lines: Vec<_> = group
            .lines
            .iter()
            .filter_map(|id| concept.dialogue.get(id.0 as usize))
            .filter(|l| l.sentence == s)
            .collect();
        let narration = narration_of(concept, s);
        let quote_first =
            concept.sentences.get(s as usize).is_some_and(|t| t.text.trim_start().starts_with(OPENING_QUOTES));
        if !quote_first {
            add_narration(&mut pending, narration.as_deref(), language);
        }
        if !lines.is_empty() {
            flush(&mut pending, &mut out);
            for line in lines {
                out.extend(line_balloons(line, language));
                said.push(line.id);
            }
        }
        if quote_first {
            add_narration(&mut pending, narration.as_deref(), language);
        }
    }
    flush(&mut pending, &mut out);
    // Lines whose sentence the group does not hold (the scene listed the line, not its sentence).
    for line in group.lines.iter().filter(|id| !said.contains(id)).filter_map(|id| concept.dialogue.get(id.0 as usize))
    {
        out.extend(line_balloons(line, language));
    }
    out
}

/// A sentence that starts with one of these opens with its line.
const OPENING_QUOTES: &[char] = &['「', '『', '“', '"'];

/// Appends a sentence's narration to the caption text being gathered.
fn add_narration(pending: &mut String, narration: Option<&str>, language: Language) {
    let Some(text) = narration else { return };
    if !pending.is_empty() && language == Language::En {
        pending.push(' ');
    }
    pending.push_str(text);
}

/// What of sentence `index` a caption must carry: the sentence itself, or,
/// when it holds dialogue lines, what is left once they are in balloons, less
/// a bare speech tag ("said the Emperor", 「…」と父は言った) whose every line
/// has a known speaker (the tail shows who speaks). `None`: nothing left to say.
pub(crate) fn narration_of(concept: &Concept, index: u32) -> Option<String> {
    let sentence = concept.sentences.get(index as usize).filter(|s| !s.heading)?;
    let lines: Vec<_> = concept.dialogue.iter().filter(|l| l.sentence == index).collect();
    if lines.is_empty() {
        // A sound standing alone is lettered as the panel's sound effect.
        if sound_only(&sentence.text, concept.language).is_some() {
            return None;
        }
        return Some(sentence.text.trim().to_owned()).filter(|t| !t.is_empty());
    }
    let rest = strip_quotes(&sentence.text);
    let bare =
        rest.trim_matches(|c: char| c.is_ascii_punctuation() || "。、！？「」…—".contains(c) || c.is_whitespace());
    if bare.is_empty() || (lines.iter().all(|l| l.speaker.is_some()) && is_speech_tag(bare, concept.language)) {
        return None;
    }
    Some(rest)
}

/// Verbs that only say that someone spoke or thought (the balloon shows how).
const SAYING_JA: &[&str] = &[
    "言った",
    "言いました",
    "言う",
    "いった",
    "いいました",
    "叫んだ",
    "叫びました",
    "尋ねた",
    "たずねた",
    "たずねました",
    "聞いた",
    "訊いた",
    "答えた",
    "答えました",
    "こたえた",
    "つぶやいた",
    "呟いた",
    "つぶやきました",
    "ささやいた",
    "囁いた",
    "怒鳴った",
    "どなった",
    "呼んだ",
    "呼びました",
    "思った",
    "思いました",
    "言い返した",
    "声をかけた",
];
/// The same in English (matched as whole words).
const SAYING_EN: &[&str] = &[
    "said",
    "says",
    "asked",
    "asks",
    "replied",
    "shouted",
    "cried",
    "whispered",
    "called",
    "answered",
    "muttered",
    "murmured",
    "added",
    "exclaimed",
    "yelled",
    "screamed",
    "thought",
    "wondered",
    "told",
    "repeated",
    "begged",
];

/// Whether `rest` (a sentence with its quotes taken out) is only a speech tag:
/// a few words, one of them a verb of saying.
fn is_speech_tag(rest: &str, language: Language) -> bool {
    match language {
        Language::Ja => rest.chars().count() <= 14 && SAYING_JA.iter().any(|v| rest.ends_with(v)),
        Language::En => {
            let words: Vec<String> = rest
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
                .filter(|w| !w.is_empty())
                .collect();
            words.len() <= 4 && words.iter().any(|w| SAYING_EN.contains(&w.as_str()))
        }
    }
}

/// The text without quoted speech (that goes into balloons).
fn strip_quotes(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_ascii = false;
    let mut just_closed = false;
    for c in text.chars() {
        match c {
            '「' | '『' | '“' => depth += 1,
            '」' | '』' | '”' => {
                depth = depth.saturating_sub(1);
                just_closed = depth == 0;
            }
            '"' => {
                in_ascii = !in_ascii;
                just_closed = !in_ascii;
            }
            // The quoting particle belongs to the removed quote: 「…」と健太は言った -> 健太は言った.
            'と' if just_closed => just_closed = false,
            _ if depth == 0 && !in_ascii => {
                just_closed = false;
                out.push(c);
            }
            _ => {}
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    out.trim_matches(|c: char| c == ',' || c == '、' || c.is_whitespace()).to_owned()
}

/// Cuts text to `limit` characters at a clause boundary, marking the cut with an
/// ellipsis: for a drawing prompt, never for words a reader sees.
fn shorten(text: &str, limit: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= limit {
        return text.to_owned();
    }
    let window = &chars[..limit - 1];
    let cut = last_break(window, &['、', ',', '。', ';', ' ']).filter(|&i| i > limit / 2).unwrap_or(limit - 1);
    let head: String = chars[..cut].iter().collect();
    format!("{}…", head.trim_end_matches(|c: char| c == '、' || c == ',' || c.is_whitespace()))
}

/// Spreads `groups` panels over `pages` pages, each within 3..=7.
pub(crate) fn panels_per_page(groups: usize, pages: usize) -> Vec<usize> {
    let pages = pages.max(1);
    let base = groups / pages;
    let extra = groups % pages;
    // Later pages take the extra panels: a scene opens roomy, then quickens.
    (0..pages).map(|i| base + usize::from(i >= pages - extra)).collect()
}

/// Words that mean movement (speed lines). English words match whole words by their start
/// ("ran" matches "ran", not "warn"); Japanese ones anywhere.
const MOTION: &[&str] = &[
    "走り",
    "駆け",
    "逃げ",
    "落ちて",
    "落ちた",
    "飛び",
    "跳",
    "追いかけ",
    "急い",
    "run",
    "ran",
    "rush",
    "jump",
    "chase",
    "fled",
    "flee",
    "raced",
    "dash",
    "leapt",
    "leap",
    "hurried",
    "sprint",
];

/// Sound effects and the words that make them: (triggers, Japanese, English).
const SFX: &[(&[&str], &str, &str)] = &[
    (&["雷", "thunder"], "ゴロゴロ", "RUMBLE"),
    (&["雨が", "大雨", "豪雨", "土砂降り", "pouring", "downpour", "rain lashed", "rain hammered"], "ザアアア", "SHHHH"),
    (&["風が吹", "突風", "嵐", "gale", "howled", "storm hit", "storm broke"], "ゴオオオ", "WHOOSH"),
    (&["扉を閉め", "戸を閉め", "ドアを閉め", "slammed", "slam"], "バタン", "SLAM"),
    (&["banged", "bang"], "バン", "BANG"),
    (&["波が", "大波", "crashed", "breakers"], "ザザーン", "CRASH"),
    (&["糸が切れ", "ぷつり", "snapped", "snap"], "プツッ", "SNAP"),
    // Something falling, not night falling or a bell falling silent.
    (
        &[
            "落ちていく",
            "落ちて行",
            "落ちてしまい",
            "転げ落ち",
            "真っ逆さま",
            "fell from",
            "fell into",
            "fell down",
            "plunged",
        ],
        "ヒュウウ",
        "FWOOSH",
    ),
    (&["走り出", "駆け出", "dashed", "sprinted"], "ダッ", "DASH"),
    (&["鈴が鳴", "鈴の音", "bell rang", "bells rang"], "チリン", "CLANG"),
    (&["鐘が", "鐘の音", "tolled"], "ゴーン", "DONG"),
];

/// Whether `text` says any of `words`: whole-word starts for ASCII words, substrings otherwise.
fn says_any(text: &str, words: &[&str]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|w| {
        if !w.is_ascii() {
            return lower.contains(w);
        }
        lower
            .match_indices(w)
            .any(|(i, _)| i == 0 || !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric))
    })
}

/// A character of a katakana sound word (`ー` and `ッ` included).
fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

/// The sound a sentence of narration is, when it is nothing else: the
/// story's own onomatopoeia standing alone (`カラン、コロン。`, `ドーン！`,
/// "BANG! CRASH!"). It is lettered as the panel's sound effect, not as a
/// caption, with its closing full stop dropped.
fn sound_only(sentence: &str, language: Language) -> Option<String> {
    let text = sentence.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    let sound = text.trim_end_matches(['。', '.']);
    let marks = |c: char| "、・！!？?… 　".contains(c);
    let letters = match language {
        Language::Ja => {
            let ok = sound.chars().all(|c| is_katakana(c) || marks(c));
            ok.then(|| sound.chars().filter(|&c| is_katakana(c)).count())
        }
        // Capitals shouting a sound: one to three words, ending in "!".
        Language::En => {
            let words: Vec<&str> = sound.split_whitespace().collect();
            let loud = |w: &&str| w.chars().filter(char::is_ascii_alphabetic).all(|c| c.is_ascii_uppercase());
            let ok = (1..=3).contains(&words.len()) && words.iter().all(loud) && sound.ends_with('!');
            ok.then(|| sound.chars().filter(char::is_ascii_alphabetic).count())
        }
    };
    letters.filter(|&n| (2..=20).contains(&n)).map(|_| sound.to_owned())
}

/// The sound sentence `index` is, when it is only a sound ([`sound_only`]) and holds no line.
pub(crate) fn sound_of(concept: &Concept, index: u32) -> Option<String> {
    let sentence = concept.sentences.get(index as usize).filter(|s| !s.heading)?;
    if concept.dialogue.iter().any(|l| l.sentence == index) {
        return None;
    }
    sound_only(&sentence.text, concept.language)
}

/// Katakana sounds the narration says something makes (`麺がジュウジュウと音を立てている`,
/// `シュルシュルと鳴る`), in the story's own words.
fn sounds_made(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for marker in ["という音", "と音", "と鳴", "と響"] {
        for (at, _) in text.match_indices(marker) {
            let before = &text[..at];
            let start = before.char_indices().rev().take_while(|&(_, c)| is_katakana(c)).last().map_or(at, |(i, _)| i);
            let sound = &text[start..at];
            if sound.chars().count() >= 2 && !out.iter().any(|o| o == sound) {
                out.push(sound.to_owned());
            }
        }
    }
    out
}

/// A panel's sound effects: the story's own sounds in its sentences, or else
/// the one its narration calls for. At most two.
fn panel_sounds(concept: &Concept, group: &Group, narration: &str) -> Vec<String> {
    let mut sounds: Vec<String> = Vec::new();
    // A silent panel shows a reaction to sentences another panel letters, sounds included.
    let sentences = if group.silent { &[][..] } else { &group.sentences[..] };
    for &index in sentences {
        let Some(sentence) = concept.sentences.get(index as usize).filter(|s| !s.heading) else { continue };
        match sound_of(concept, index) {
            Some(sound) => sounds.push(sound),
            None if concept.language == Language::Ja => sounds.extend(sounds_made(&strip_quotes(&sentence.text))),
            None => {}
        }
    }
    if sounds.is_empty() {
        sounds.extend(sound_effect(narration, concept.language));
    }
    sounds.truncate(2);
    sounds
}

/// The stock sound effect a panel's text calls for, if any.
fn sound_effect(text: &str, language: Language) -> Option<String> {
    SFX.iter()
        .find(|(triggers, _, _)| says_any(text, triggers))
        .map(|(_, ja, en)| if language == Language::Ja { (*ja).to_owned() } else { (*en).to_owned() })
}

/// A line as lettered: English quotations often end in a comma because the
/// sentence goes on ("Wait," she said); in a balloon that reads as a full stop.
pub fn balloon_text(line: &str, language: Language) -> String {
    match line.strip_suffix(',') {
        Some(head) if language == Language::En => format!("{head}."),
        _ => line.to_owned(),
    }
}

/// The balloon a line of `kind` is lettered in.
pub(crate) fn balloon_kind_of(kind: LineKind) -> BalloonKind {
    match kind {
        LineKind::Speech => BalloonKind::Speech,
        LineKind::Shout => BalloonKind::Shout,
        LineKind::Thought => BalloonKind::Thought,
        LineKind::Whisper => BalloonKind::Whisper,
        LineKind::Sign => BalloonKind::Sign,
    }
}

/// The balloons of one dialogue line: its text split to balloon size, in its kind's shape.
pub(crate) fn line_balloons(line: &manga_domain::DialogueLine, language: Language) -> Vec<BalloonPlan> {
    let kind = balloon_kind_of(line.kind);
    split_balloon_text(&balloon_text(&line.text, language), language)
        .into_iter()
        .map(|text| BalloonPlan { line: Some(line.id), kind, speaker: line.speaker.clone(), text })
        .collect()
}

/// About how many characters of text a panel of `frame` holds at the print
/// minimum (≈ 20 px): balloons may take under half the panel, and an oval
/// balloon sets text in about half its box (a fifth of the panel, measured
/// on the corpus). A vertical Japanese character needs a square cell and
/// column spacing; an English one about half a cell and line spacing.
pub(crate) fn text_capacity(frame: Rect, language: Language) -> usize {
    let cell = match language {
        Language::Ja => 20.0 * 20.0 * 1.4,
        Language::En => 20.0 * 11.0 * 1.3,
    };
    (frame.area() * 0.2 / cell) as usize
}

/// Moves whole balloons between neighbouring panels of one page, keeping
/// reading order, while a panel holds more text than it has room for: its
/// last sentence or line forward or its first one back (all its balloons
/// together: a sentence is never split across panels), to a neighbour that
/// stays less crowded than the panel is now. A speaker who moves with a line
/// is drawn in the panel it moves to.
pub(crate) fn rebalance(panels: &mut [PanelPlan], language: Language) {
    let chars = |b: &[BalloonPlan]| b.iter().map(|b| b.text.chars().count()).sum::<usize>();
    let capacity = |p: &PanelPlan| text_capacity(p.frame, language).max(1) as f32;
    let crowding = |p: &PanelPlan, extra: usize| (chars(&p.balloons) + extra) as f32 / capacity(p);
    // Each move lowers the most crowded panel's crowding; a page has a few dozen balloons at most.
    for _ in 0..64 {
        let over = panels
            .iter()
            .enumerate()
            .filter(|(_, p)| p.balloons.len() > 1 && crowding(p, 0) > 1.0)
            .max_by(|(_, a), (_, b)| crowding(a, 0).total_cmp(&crowding(b, 0)))
            .map(|(i, _)| i);
        let Some(i) = over else { return };
        let now = crowding(&panels[i], 0);
        let b = &panels[i].balloons;
        let (last, first) = (trailing_unit(b), leading_unit(b));
        // The panel keeps at least one balloon of its own.
        let forward =
            panels.get(i + 1).filter(|_| last < b.len()).map(|next| crowding(next, chars(&b[b.len() - last..])));
        let back = i.checked_sub(1).filter(|_| first < b.len()).map(|prev| crowding(&panels[prev], chars(&b[..first])));
        let backwards = match (forward.filter(|&c| c < now), back.filter(|&c| c < now)) {
            (Some(f), Some(b)) => b < f,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => return,
        };
        let n = panels[i].balloons.len();
        let (to, moved): (usize, Vec<BalloonPlan>) = if backwards {
            (i - 1, panels[i].balloons.drain(..first).collect())
        } else {
            (i + 1, panels[i].balloons.drain(n - last..).collect())
        };
        let target = &mut panels[to];
        for balloon in &moved {
            if let Some(speaker) = &balloon.speaker
                && !target.cast.contains(speaker)
                && target.cast.len() < 3
            {
                target.cast.push(speaker.clone());
            }
            if target.focus.is_none() {
                target.focus = balloon.speaker.clone();
            }
        }
        if backwards {
            target.balloons.extend(moved);
        } else {
            target.balloons.splice(0..0, moved);
        }
    }
}

/// How many balloons at the end of `balloons` make one sentence or line.
fn trailing_unit(balloons: &[BalloonPlan]) -> usize {
    let n = balloons.len();
    (1..n).find(|&k| !continues(&balloons[n - k - 1], &balloons[n - k])).unwrap_or(n)
}

/// How many balloons at the start of `balloons` make one sentence or line.
fn leading_unit(balloons: &[BalloonPlan]) -> usize {
    (1..balloons.len()).find(|&k| !continues(&balloons[k - 1], &balloons[k])).unwrap_or(balloons.len())
}

/// Stands the panel's cast so the speakers are in the order their balloons are
/// read: the first speaker on the right of a right-to-left page and on the
/// left of a left-to-right one, those who do not speak after them. Balloons
/// are placed in reading order, so tails then run to their speakers without
/// crossing, as a letterer expects the artist to have staged them.
pub(crate) fn stand_speakers_in_reading_order(panel: &mut PanelPlan, direction: ReadingDirection) {
    let first_line = |id: &CharacterId| panel.balloons.iter().position(|b| b.speaker.as_ref() == Some(id));
    let mut order: Vec<(usize, CharacterId)> =
        panel.cast.iter().map(|id| (first_line(id).unwrap_or(usize::MAX), id.clone())).collect();
    // Stable: those who do not speak keep their places among themselves.
    order.sort_by_key(|(at, _)| *at);
    panel.cast = order.into_iter().map(|(_, id)| id).collect();
    if direction == ReadingDirection::RightToLeft {
        panel.cast.reverse();
    }
}

/// The time of day the story has reached by the panel's last sentence: a
/// summer evening that turns to night (`夜空に…花が咲いた`) is lit as night from
/// that panel on, and a scene's first panels keep the time the story had
/// before its first mark (a summer's day before `朝、…` is not morning), and a
/// jump in time (`その秋`) leaves the time unknown until the story says, unless
/// it says within the next two sentences of the scene.
/// `None`: the story says no more than the scene's own time.
fn time_by(concept: &Concept, scene: &Scene, group: &Group, place: PlaceKind) -> Option<TimeOfDay> {
    let last = *group.sentences.iter().max()?;
    // A jump (`翌日`, `その秋`, "years later") is a mark too: the old time no longer holds.
    let so_far = concept.times.iter().filter(|t| t.sentence <= last).max_by_key(|t| t.sentence);
    // Hell has no sun: a morning told above does not reach down into it, only a time told in the panel.
    let so_far = so_far.filter(|t| place != PlaceKind::Hell || group.sentences.contains(&t.sentence));
    let later_in_scene = concept.times.iter().any(|t| scene.sentences.contains(t.sentence));
    // `やがて…。…昼に近くなっていた。`: the time a jump lands on, told within the next sentence
    // or two of the scene, is already the panel's.
    let landed = || {
        concept
            .times
            .iter()
            .filter(|t| t.sentence > last && t.sentence <= last + 2 && scene.sentences.contains(t.sentence))
            .min_by_key(|t| t.sentence)
            .filter(|t| t.time_of_day != TimeOfDay::Unknown)
    };
    match so_far {
        None if place == PlaceKind::Hell => Some(TimeOfDay::Unknown),
        Some(t) if t.time_of_day == TimeOfDay::Unknown => Some(landed().unwrap_or(t).time_of_day),
        Some(t) => Some(t.time_of_day),
        None if later_in_scene => Some(TimeOfDay::Unknown),
        None => None,
    }
}

/// Where the story has gone by the panel's last sentence, from the scene's
/// start: the place the latest sentence whose narration puts people
/// somewhere puts them (a morning at the riverside in a village scene is
/// drawn at the river). `None`: the scene's own place.
fn place_by(concept: &Concept, scene: &Scene, group: &Group) -> Option<PlaceKind> {
    let last = *group.sentences.iter().max()?;
    let told = (scene.sentences.first..=last)
        .rev()
        .filter_map(|i| concept.sentences.get(i as usize))
        .filter(|s| !s.heading)
        .find_map(|s| manga_ai::local::analysis::place_told(&s.text, concept.language))?;
    // Paradise's lotus pond and hell's pool of blood are still paradise and hell.
    let otherworld = |p: PlaceKind| matches!(p, PlaceKind::Heaven | PlaceKind::Hell);
    (otherworld(told) || !otherworld(scene.place_kind)).then_some(told)
}

/// A shout this long or shorter fits a small panel beside a face in close-up
/// (the lettering sets it in the display face).
const SHORT_SHOUT_CHARS: usize = 14;

/// Everything decided about one panel.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_panel(
    concept: &Concept,
    bible: &CharacterBible,
    scene: &Scene,
    group: &Group,
    page: u16,
    index: usize,
    frame: Rect,
    establishing: bool,
    seed: u64,
) -> Result<PanelPlan, PhaseError> {
    let id = PanelId::new(page, index as u8 + 1)?;
    let text: String = group
        .sentences
        .iter()
        .filter_map(|&s| concept.sentences.get(s as usize))
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let lines: Vec<_> = group.lines.iter().filter_map(|id| concept.dialogue.get(id.0 as usize)).collect();

    let balloons = panel_balloons(concept, group);

    let known = |id: &CharacterId| bible.get(id).is_some();
    let mut cast: Vec<CharacterId> = Vec::new();
    let add = |id: &CharacterId, cast: &mut Vec<CharacterId>| {
        if known(id) && !cast.contains(id) && cast.len() < 3 {
            cast.push(id.clone());
        }
    };
    for line in &lines {
        if let Some(s) = &line.speaker {
            add(s, &mut cast);
        }
    }
    for named in &concept.characters {
        let mentioned =
            std::iter::once(&named.name).chain(&named.aliases).any(|n| !n.is_empty() && text.contains(n.as_str()));
        if mentioned {
            add(&named.id, &mut cast);
        }
    }
    if establishing || cast.is_empty() {
        let limit = if establishing { 3 } else { 1 };
        for id in scene.cast.iter().take(limit) {
            add(id, &mut cast);
        }
    }
    let focus =
        lines.iter().find_map(|l| l.speaker.clone()).filter(|s| cast.contains(s)).or_else(|| cast.first().cloned());

    let shout = lines.iter().any(|l| l.kind == LineKind::Shout);
    // A face filling a small panel leaves room for a cry, not for a long shouted sentence.
    let short_shout = lines.iter().any(|l| l.kind == LineKind::Shout && l.text.chars().count() <= SHORT_SHOUT_CHARS);
    let narration = strip_quotes(&text);
    let motion = says_any(&narration, MOTION);
    let speakers = lines.iter().filter_map(|l| l.speaker.as_ref()).collect::<std::collections::HashSet<_>>().len();
    let small = frame.area() < 0.09 * 1240.0 * 1751.0;
    let roll = manga_domain_hash(seed, u64::from(page) * 16 + index as u64);
    let shot = if establishing {
        Shot::Wide
    } else if (short_shout && (small || roll.is_multiple_of(3))) || (group.silent && !cast.is_empty() && small) {
        // A shout in a small panel is a face; in a big one it is a two-shot with focus lines.
        Shot::CloseUp
    } else if cast.is_empty() || (lines.is_empty() && motion) {
        Shot::Wide
    } else if speakers == 1 && small && cast.len() == 1 {
        Shot::CloseUp
    } else {
        Shot::Medium
    };
    let effect = if shout {
        Effect::FocusLines
    } else if motion && !cast.is_empty() {
        // Speed lines move someone; a panel with nobody in it shows the place and its things.
        Effect::SpeedLines
    } else {
        Effect::None
    };
    let angle = match (shot, scene.beat, roll % 6) {
        (Shot::Wide, _, _) if establishing => Angle::High,
        (_, Beat::Ten | Beat::Confrontation, 0..=2) => Angle::Low,
        (_, _, 0) => Angle::Low,
        (_, _, 1) => Angle::High,
        _ => Angle::Eye,
    };
    // Sounds come from what happens, not from what is said about it.
    let sfx = panel_sounds(concept, group, &narration);
    let place_kind = place_by(concept, scene, group).unwrap_or(scene.place_kind);
    let action =
        if group.silent { format!("reaction: {}", shorten(&strip_quotes(&text), 160)) } else { shorten(&text, 200) };
    Ok(PanelPlan {
        id,
        frame,
        shot,
        angle,
        place_kind,
        time_of_day: time_by(concept, scene, group, place_kind).unwrap_or(scene.time_of_day),
        mood: scene.mood,
        cast,
        focus,
        action,
        effect,
        balloons,
        sfx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_splits_at_sentence_ends_and_rejoins_exactly() {
        let line = "お前はいったい何者だ。どこから来て、どこへ行こうとしているのか、正直に答えてもらおうか。嘘をつけば承知しないぞ！";
        let parts = split_balloon_text(line, Language::Ja);
        assert!(parts.len() >= 2, "{parts:?}");
        assert!(parts.iter().all(|p| p.chars().count() <= max_balloon_chars(Language::Ja)));
        assert!(parts[0].ends_with('。'), "{parts:?}");
        assert_eq!(parts.concat(), line);
        let short = split_balloon_text("Hi.", Language::En);
        assert_eq!(short, vec!["Hi."]);
    }

    #[test]
    fn text_without_breaks_is_cut_at_the_limit() {
        let line = "あ".repeat(95);
        let parts = split_balloon_text(&line, Language::Ja);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![40, 40, 15]);
    }

    #[test]
    fn english_words_match_whole_words_and_japanese_anywhere() {
        assert!(says_any("Then he ran.", MOTION));
        assert!(!says_any("He wanted to warn the boats.", MOTION), "ran is not in warn");
        assert!(says_any("少年は走り出した。", MOTION));
        assert_eq!(sound_effect("その年の夏、一滴の雨も降らなかった。", Language::Ja), None);
        assert_eq!(sound_effect("雨が激しく降り出した。", Language::Ja).as_deref(), Some("ザアアア"));
        assert_eq!(sound_effect("The door slammed behind her.", Language::En).as_deref(), Some("SLAM"));
    }

    #[test]
    fn a_trailing_comma_of_an_english_quotation_becomes_a_full_stop() {
        assert_eq!(balloon_text("Captain,", Language::En), "Captain.");
        assert_eq!(balloon_text("そうか、", Language::Ja), "そうか、");
        assert_eq!(balloon_text("Why?", Language::En), "Why?");
    }

    #[test]
    fn panels_spread_evenly_within_bounds() {
        assert_eq!(panels_per_page(10, 2), vec![5, 5]);
        assert_eq!(panels_per_page(11, 3), vec![3, 4, 4]);
        assert_eq!(panels_per_page(21, 3), vec![7, 7, 7]);
    }

    #[test]
    fn captions_drop_quoted_speech_and_prompts_stay_short() {
        assert_eq!(strip_quotes("太郎は「行こう」と言って走り出した。"), "太郎は言って走り出した。");
        assert_eq!(strip_quotes("「ち、違いますよ！」と健太は真っ赤になった。"), "健太は真っ赤になった。");
        assert_eq!(strip_quotes("\"Go,\" said Tom, and ran."), "said Tom, and ran.");
        let long = "The storm came in from the west, black and heavy, and every boat in the harbour pulled at its ropes while the keeper climbed the tower stairs.";
        let short = shorten(long, 60);
        assert!(short.chars().count() <= 60 && short.ends_with('…'), "{short}");
    }

    #[test]
    fn only_a_bare_speech_tag_counts_as_one() {
        assert!(is_speech_tag("父は言った", Language::Ja));
        assert!(is_speech_tag("犍陀多は叫びました", Language::Ja));
        assert!(is_speech_tag("said the Emperor", Language::En));
        assert!(is_speech_tag("her father said", Language::En));
        assert!(!is_speech_tag("she said, and ran to the door", Language::En), "an action follows");
        assert!(!is_speech_tag("父は笑った", Language::Ja), "laughing is not only saying");
        assert!(!is_speech_tag("健太は真っ赤になった", Language::Ja));
        assert!(!is_speech_tag("The old man nodded", Language::En));
    }

    #[test]
    fn long_narration_splits_into_whole_caption_boxes() {
        let text = "The storm came in from the west, black and heavy, and every boat in the harbour pulled at its ropes while the keeper climbed the tower stairs and lit the great lamp.";
        let parts = split_caption_text(text, Language::En);
        assert!(parts.len() == 2 && parts.iter().all(|p| p.chars().count() <= 120), "{parts:?}");
        assert_eq!(parts.concat(), text, "no word dropped or cut");
        assert!(!parts.concat().contains('…'));
    }

    #[test]
    fn a_sentence_without_a_comma_late_enough_splits_between_words_near_its_middle() {
        let text = "Every evening for forty years, Elias Crane had climbed the hundred and twelve steps of the lighthouse on Gull Point and lit the lamp.";
        let parts = split_caption_text(text, Language::En);
        let lengths: Vec<usize> = parts.iter().map(|p| p.chars().count()).collect();
        assert_eq!(parts.concat(), text);
        assert!(
            lengths.len() == 2 && lengths[0].abs_diff(lengths[1]) < 20,
            "two even boxes, not 'and' / 'lit the lamp.': {parts:?}"
        );
        assert!(parts[0].ends_with(' '), "cut between words: {parts:?}");
    }

    fn panel_with(index: u8, frame: Rect, balloons: Vec<BalloonPlan>) -> PanelPlan {
        PanelPlan {
            id: PanelId::new(1, index).unwrap(),
            frame,
            shot: Shot::Medium,
            angle: Angle::Eye,
            place_kind: manga_domain::PlaceKind::Unknown,
            time_of_day: manga_domain::TimeOfDay::Day,
            mood: manga_domain::Mood::Calm,
            cast: vec![],
            focus: None,
            action: String::new(),
            effect: Effect::None,
            balloons,
            sfx: vec![],
        }
    }

    #[test]
    fn a_crowded_panel_hands_on_whole_sentences_never_the_end_of_one() {
        let caption =
            |text: &str| BalloonPlan { line: None, kind: BalloonKind::Narration, speaker: None, text: text.into() };
        let long = "Elias was an old man now, with a grey beard and spectacles that he never remembered to clean, but the light had not failed once.";
        let halves = split_caption_text(long, Language::En);
        assert_eq!(halves.len(), 2);
        // A small panel holding a whole sentence and then both halves of a long one, beside an empty panel.
        let small = Rect::new(0.0, 0.0, 300.0, 250.0);
        let mut balloons = vec![caption("He lit the lamp.")];
        balloons.extend(halves.iter().map(|h| caption(h)));
        let mut panels =
            vec![panel_with(1, small, balloons), panel_with(2, Rect::new(300.0, 0.0, 600.0, 600.0), vec![])];
        rebalance(&mut panels, Language::En);
        let texts = |p: &PanelPlan| p.balloons.iter().map(|b| b.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&panels[0]), vec!["He lit the lamp.".to_owned()], "the long sentence moved on whole");
        assert_eq!(texts(&panels[1]).concat(), long, "both halves together, in order");
    }

    #[test]
    fn the_storys_own_sounds_are_its_sound_effects_and_stock_ones_need_a_sound() {
        assert_eq!(sound_only("　カラン、コロン。", Language::Ja).as_deref(), Some("カラン、コロン"));
        assert_eq!(sound_only("　ドーン！", Language::Ja).as_deref(), Some("ドーン！"));
        assert_eq!(sound_only("BANG! CRASH!", Language::En).as_deref(), Some("BANG! CRASH!"));
        for not_a_sound in ["　ケンは振り返らずに答えた。", "ア。", "Hours passed.", "I!", "No!"] {
            let language = if not_a_sound.is_ascii() { Language::En } else { Language::Ja };
            assert_eq!(sound_only(not_a_sound, language), None, "{not_a_sound}");
        }
        assert_eq!(sounds_made("鉄板の上で麺がジュウジュウと音を立てている。"), vec!["ジュウジュウ".to_owned()]);
        assert_eq!(
            sounds_made("シュルシュルと音を立てて、新しい光の筋が昇っていく。"),
            vec!["シュルシュル".to_owned()]
        );
        assert!(sounds_made("二人はスクランブル交差点を渡った。").is_empty());
        // Opening a door, night falling and a bell falling silent make no stock sound; a door banging open does.
        for quiet in ["扉を開けると、廊下の壁に貼り紙があった。", "The ship's bell grew fainter, then fell silent."]
        {
            let language = if quiet.is_ascii() { Language::En } else { Language::Ja };
            assert_eq!(sound_effect(quiet, language), None, "{quiet}");
        }
        assert_eq!(sound_effect("The door banged open.", Language::En).as_deref(), Some("BANG"));
        // Snow falling outside a sleeping dog's house is no motion.
        assert!(!says_any("The old dog slept by the fire while the snow fell outside.", MOTION));
        assert!(says_any("He ran to the door.", MOTION));
    }
}
