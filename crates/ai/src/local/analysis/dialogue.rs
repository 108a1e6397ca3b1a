//! Every quoted line of the story, with its kind (speech, shout, thought)
//! and its speaker: an attribution in the same sentence (`と太郎が叫んだ`,
//! `said Tom`), else the turn-taking of a two-person exchange, else the
//! character named just before or just after.

use manga_domain::{DialogueLine, Language, LineId, LineKind, NamedCharacter, Sentence};

use super::names::{Hit, locate};
use super::names_ja;
use super::quotes::{self, QuoteSpan};

/// English saying verbs (beyond those that tie quotes together in `sentences`).
#[rustfmt::skip]
const EN_SAYING: &[&str] = &[
    "said", "says", "asked", "asks", "shouted", "yelled", "cried", "replied", "answered", "whispered", "called",
    "muttered", "murmured", "added", "thought", "wondered", "screamed", "roared", "snapped", "laughed", "exclaimed",
    "told", "continued", "began", "sighed", "breathed", "bellowed", "grunted", "growled", "pleaded", "insisted",
];
const SHOUT_WORDS: &[&str] = &["叫", "怒鳴", "わめ", "shout", "yell", "cried", "scream", "roar", "bellow"];
const THINK_WORDS: &[&str] = &["思った", "思いました", "考えた", "thought", "wondered"];

/// A line found in a sentence, before speakers are settled.
struct Draft {
    sentence: usize,
    text: String,
    kind: LineKind,
    speaker: Option<usize>,
    /// Whether the speaker was stated rather than guessed.
    stated: bool,
}

/// Every quoted line of `sentences`, numbered from 0 in story order.
///
/// `starts_line[i]` says whether sentence `i` begins a line of the text; an
/// English quote that carries on a speaker's line keeps that speaker.
pub(crate) fn extract(
    sentences: &[Sentence],
    starts_line: &[bool],
    characters: &[NamedCharacter],
    lang: Language,
) -> Vec<DialogueLine> {
    let mut drafts: Vec<Draft> = Vec::new();
    for (si, s) in sentences.iter().enumerate() {
        if s.heading {
            continue;
        }
        let spans = quotes::spans(&s.text, lang);
        if spans.is_empty() {
            continue;
        }
        let hits: Vec<Hit> = outside(&locate(&s.text, characters, lang), &spans);
        let verbs = verb_positions(&s.text, &spans, lang);
        let stated = stated_speaker(&s.text, &spans, &hits, &verbs, lang);
        // `と若い男が言った`, `a sailor said`: someone unnamed speaks, so nobody should be guessed.
        let unnamed = stated.is_none() && !verbs.is_empty() && !pronoun_subject(&s.text, &verbs, lang);
        let narration = narration(&s.text, &spans).to_lowercase();
        for span in &spans {
            let text = s.text[span.inner.clone()].trim().to_owned();
            if text.is_empty() {
                continue;
            }
            let kind = kind_of(&text, span, &narration);
            drafts.push(Draft { sentence: si, text, kind, speaker: stated, stated: stated.is_some() || unnamed });
        }
    }
    settle_unstated(&mut drafts, sentences, starts_line, characters, lang);
    drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| DialogueLine {
            id: LineId(i as u32),
            sentence: sentences[d.sentence].index,
            speaker: d.speaker.map(|w| characters[w].id.clone()),
            text: d.text,
            kind: d.kind,
        })
        .collect()
}

fn outside(hits: &[Hit], spans: &[QuoteSpan]) -> Vec<Hit> {
    hits.iter().copied().filter(|h| !spans.iter().any(|s| s.outer.start <= h.start && h.start < s.outer.end)).collect()
}

/// The sentence with its quotes taken out.
fn narration(text: &str, spans: &[QuoteSpan]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for s in spans {
        out.push_str(&text[at..s.outer.start]);
        out.push(' ');
        at = s.outer.end;
    }
    out.push_str(&text[at..]);
    out
}

/// How many narration characters lie between two byte positions (quotes do not count as distance).
fn distance(text: &str, spans: &[QuoteSpan], a: usize, b: usize) -> usize {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    // Positions may come from a lowercased copy; `get` keeps a mismatch from panicking.
    text.get(lo..hi)
        .unwrap_or("")
        .char_indices()
        .filter(|&(i, _)| !spans.iter().any(|s| s.outer.contains(&(lo + i))))
        .count()
}

/// Byte positions of saying verbs outside quotes.
fn verb_positions(text: &str, spans: &[QuoteSpan], lang: Language) -> Vec<usize> {
    let mut out: Vec<usize> = match lang {
        Language::Ja => names_ja::SAYING.iter().flat_map(|v| text.match_indices(v).map(|(i, _)| i)).collect(),
        Language::En => {
            let lower = text.to_lowercase();
            if lower.len() != text.len() {
                return Vec::new();
            }
            EN_SAYING.iter().flat_map(|v| super::language::find_all(&lower, v, lang)).collect()
        }
    };
    out.retain(|&i| !spans.iter().any(|s| s.outer.contains(&i)));
    out.sort_unstable();
    out.dedup();
    out
}

/// The speaker a sentence names for its own quotes.
fn stated_speaker(text: &str, spans: &[QuoteSpan], hits: &[Hit], verbs: &[usize], lang: Language) -> Option<usize> {
    if hits.is_empty() {
        return None;
    }
    let limit = if lang == Language::Ja { 16 } else { 24 };
    let by_verb = verbs
        .iter()
        .flat_map(|&v| hits.iter().map(move |h| (h, v)))
        // Japanese puts the subject before the verb; English either side (`Tom said`, `said Tom`).
        .filter(|(h, v)| lang == Language::En || h.end <= *v)
        .map(|(h, v)| (distance(text, spans, if h.end <= v { h.end } else { h.start }, v), h.start, h.who))
        .filter(|&(d, _, _)| d <= limit)
        .min();
    if let Some((_, _, who)) = by_verb {
        return Some(who);
    }
    if !verbs.is_empty() {
        return None; // `"Fine," he said.`: a pronoun speaks; a name elsewhere in the sentence is not the speaker
    }
    let first_quote = spans.first().map_or(0, |s| s.outer.start);
    hits.iter().min_by_key(|h| distance(text, spans, h.start, first_quote)).map(|h| h.who)
}

/// Whether a pronoun stands next to a saying verb (`he said`, `said she`).
fn pronoun_subject(text: &str, verbs: &[usize], lang: Language) -> bool {
    if lang == Language::Ja {
        return ["彼は", "彼が", "彼女は", "彼女が", "私は", "僕は", "俺は"].iter().any(|p| text.contains(p));
    }
    let lower = text.to_lowercase();
    verbs.iter().any(|&v| {
        let before = lower.get(..v).and_then(|b| b.split_whitespace().next_back()).unwrap_or("");
        let after = lower.get(v..).and_then(|a| a.split_whitespace().nth(1)).unwrap_or("");
        let pronoun =
            |w: &str| ["he", "she", "they", "i", "we", "you"].contains(&w.trim_matches(|c: char| !c.is_alphabetic()));
        pronoun(before) || pronoun(after)
    })
}

fn kind_of(text: &str, span: &QuoteSpan, narration: &str) -> LineKind {
    if span.is_parenthesised() || THINK_WORDS.iter().any(|w| narration.contains(w)) {
        return LineKind::Thought;
    }
    let last = text.trim_end_matches(['」', '』', '”', '"', ' ']).chars().next_back();
    if last.is_some_and(|c| "！!‼".contains(c)) || text.ends_with("！？") || text.ends_with("!?") {
        return LineKind::Shout;
    }
    if SHOUT_WORDS.iter().any(|w| narration.contains(w)) {
        return LineKind::Shout;
    }
    LineKind::Speech
}

/// Speakers for lines the sentence itself does not attribute.
fn settle_unstated(
    drafts: &mut [Draft],
    sentences: &[Sentence],
    starts_line: &[bool],
    characters: &[NamedCharacter],
    lang: Language,
) {
    for i in 0..drafts.len() {
        if drafts[i].stated {
            continue;
        }
        let si = drafts[i].sentence;
        // English gives each new speaker a new paragraph: a quote further along the same line is the same voice.
        let continues = lang == Language::En && !starts_line.get(si).copied().unwrap_or(true);
        let same_line = i
            .checked_sub(1)
            .filter(|&p| continues && sentences[drafts[p].sentence].paragraph == sentences[si].paragraph)
            .and_then(|p| drafts[p].speaker);
        if same_line.is_some() {
            drafts[i].speaker = same_line;
            continue;
        }
        // Lines in one exchange: no narration sentence between them.
        let in_run = |j: usize| {
            drafts[j].sentence + 1 >= drafts[j + 1].sentence
                && same_paragraphs(sentences, drafts[j].sentence, drafts[j + 1].sentence)
        };
        let prev = i.checked_sub(1).filter(|&p| in_run(p)).and_then(|p| drafts[p].speaker.map(|s| (p, s)));
        let before_prev =
            prev.and_then(|(p, _)| p.checked_sub(1)).filter(|&q| in_run(q)).and_then(|q| drafts[q].speaker);
        // After a line by someone unnamed, the one who spoke before them answers.
        let unnamed_prev = i.checked_sub(1).filter(|&p| in_run(p) && drafts[p].stated && drafts[p].speaker.is_none());
        if let Some(b) =
            unnamed_prev.and_then(|p| p.checked_sub(1)).filter(|&q| in_run(q)).and_then(|q| drafts[q].speaker)
        {
            drafts[i].speaker = Some(b);
            continue;
        }
        let guess = match (prev, before_prev) {
            // Two people taking turns: the one before last speaks again.
            (Some((p, a)), Some(b)) if a != b && drafts[p].sentence != si => Some(b),
            (Some((p, a)), _) if drafts[p].sentence == si => Some(a),
            (Some((_, a)), _) => {
                nearby_other(sentences, characters, si, a, lang).or(adjacent(sentences, characters, si, lang))
            }
            _ => adjacent(sentences, characters, si, lang),
        };
        drafts[i].speaker = guess;
    }
}

fn same_paragraphs(sentences: &[Sentence], a: usize, b: usize) -> bool {
    sentences[a].paragraph.abs_diff(sentences[b].paragraph) <= 1
}

/// The character named in the narration just before (or, with a saying verb, just after) sentence `si`.
fn adjacent(sentences: &[Sentence], characters: &[NamedCharacter], si: usize, lang: Language) -> Option<usize> {
    let narration_subject = |s: &Sentence| {
        let spans = quotes::spans(&s.text, lang);
        let hits = outside(&locate(&s.text, characters, lang), &spans);
        let subject = hits.iter().find(|h| lang == Language::En || s.text[h.end..].starts_with(['は', 'が']));
        subject.or(hits.first()).map(|h| h.who)
    };
    let before = si.checked_sub(1).map(|p| &sentences[p]).filter(|s| !s.heading && !s.dialogue);
    if let Some(who) = before.and_then(narration_subject) {
        return Some(who);
    }
    let after = sentences.get(si + 1).filter(|s| !s.heading && !s.dialogue)?;
    let spans = quotes::spans(&after.text, lang);
    if verb_positions(&after.text, &spans, lang).is_empty() {
        return None;
    }
    narration_subject(after)
}

/// Someone other than `speaker` named in the few sentences before `si`: the other side of a conversation.
fn nearby_other(
    sentences: &[Sentence],
    characters: &[NamedCharacter],
    si: usize,
    speaker: usize,
    lang: Language,
) -> Option<usize> {
    let from = si.saturating_sub(4);
    sentences[from..si]
        .iter()
        .rev()
        .flat_map(|s| {
            let spans = quotes::spans(&s.text, lang);
            let mut hits = outside(&locate(&s.text, characters, lang), &spans);
            hits.reverse();
            hits
        })
        .map(|h| h.who)
        .find(|&w| w != speaker)
}

#[cfg(test)]
mod tests {
    use super::super::{names, sentences::split};
    use super::*;

    fn analyse(text: &str, lang: Language) -> (Vec<DialogueLine>, Vec<NamedCharacter>) {
        let split = split(text, lang);
        let c = names::find(&split.sentences, lang);
        (extract(&split.sentences, &split.starts_line, &c, lang), c)
    }

    fn speaker_names(lines: &[DialogueLine], people: &[NamedCharacter]) -> Vec<Option<String>> {
        lines
            .iter()
            .map(|l| l.speaker.as_ref().and_then(|id| people.iter().find(|p| &p.id == id)).map(|p| p.name.clone()))
            .collect()
    }

    #[test]
    fn japanese_lines_get_their_stated_speakers_and_kinds() {
        let (lines, people) =
            analyse("「おい、待て」と太郎が叫んだ。花子さんは「どうしたの？」と尋ねた。", Language::Ja);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["おい、待て", "どうしたの？"]);
        assert_eq!(speaker_names(&lines, &people), vec![Some("太郎".into()), Some("花子".into())]);
        assert_eq!(lines.iter().map(|l| l.kind).collect::<Vec<_>>(), vec![LineKind::Shout, LineKind::Speech]);
        assert_eq!(lines.iter().map(|l| l.id).collect::<Vec<_>>(), vec![LineId(0), LineId(1)]);
    }

    #[test]
    fn a_nested_quote_stays_one_line() {
        let (lines, _) = analyse("「母が『帰れ』と言ったの」と花子さんが言った。", Language::Ja);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "母が『帰れ』と言ったの");
    }

    #[test]
    fn english_attributions_before_and_after_the_quote_are_read() {
        let text = "Tom and Mary stood by the gate. \"Wait!\" shouted Tom. Mary said, \"Why?\"";
        let (lines, people) = analyse(text, Language::En);
        assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), vec!["Wait!", "Why?"]);
        assert_eq!(speaker_names(&lines, &people), vec![Some("Tom".into()), Some("Mary".into())]);
        assert_eq!(lines[0].kind, LineKind::Shout);
        assert_eq!(lines[1].kind, LineKind::Speech);
    }

    #[test]
    fn an_unattributed_exchange_alternates_between_two_speakers() {
        let text = "Tom met Mary at the door.\n\"Is it bad?\" Mary asked.\n\"Bad enough,\" said Tom.\n\"Will it hold?\"\n\"It always has.\"\n\"And tonight?\"";
        let (lines, people) = analyse(text, Language::En);
        let who = speaker_names(&lines, &people);
        let expected: Vec<Option<String>> =
            ["Mary", "Tom", "Mary", "Tom", "Mary"].iter().map(|n| Some((*n).to_owned())).collect();
        assert_eq!(who, expected);
    }

    #[test]
    fn apostrophes_do_not_make_lines() {
        let text = "Tom's dog didn't bark. Mary's cat slept. \"It's quiet,\" she said. Tom smiled at Mary.";
        let (lines, _) = analyse(text, Language::En);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "It's quiet,");
    }

    #[test]
    fn a_thought_in_parentheses_is_a_thought() {
        let (lines, people) =
            analyse("太郎は空を見た。\n（明日は晴れるだろうか）\n太郎は歩いた。太郎は笑った。", Language::Ja);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].kind, LineKind::Thought);
        assert_eq!(speaker_names(&lines, &people), vec![Some("太郎".into())]);
    }
}
