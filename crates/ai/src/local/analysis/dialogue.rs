//! Every quoted line of the story, with its kind (speech, shout, thought,
//! whisper, or sign: written words read out) and its speaker: an
//! attribution in the same sentence (`と太郎が叫んだ`, `said Tom`) always
//! wins; lines without one are left to [`super::turns`].
//! An English quote split by its attribution (`"Well," Ann said, "it is."`)
//! is one line.

use manga_domain::{DialogueLine, Language, LineId, LineKind, NamedCharacter, Sentence};

use super::address;
use super::draft::{Draft, outside, verb_positions, without_quotes};
use super::gender;
use super::mentions::{Hit, locate};
use super::names_ja;
use super::quotes::{self, QuoteSpan};
use super::turns;

const SHOUT_WORDS: &[&str] =
    &["叫", "怒鳴", "わめ", "shout", "yell", "cried", "scream", "roar", "bellow", "called out", "calls out"];
const THINK_WORDS: &[&str] = &["思った", "思いました", "思い直", "と思って", "考えた", "thought", "wondered"];
const WHISPER_WORDS: &[&str] =
    &["ささや", "囁", "小声", "つぶや", "呟", "whisper", "murmur", "mutter", "under her breath", "under his breath"];
/// Words that say a quote is written, not spoken: it is read off a sign, a notice, a letter.
const SIGN_WORDS: &[&str] = &[
    "書いてあ",
    "書かれ",
    "貼り紙",
    "張り紙",
    "看板",
    "立て札",
    "札には",
    "sign read",
    "sign said",
    "signs read",
    "notice read",
    "notice said",
    "was written",
    "were written",
    "written on",
    "painted on",
    "it read:",
    "it read,",
    "it said:",
    "it says:",
];
/// Things with words on them: one named in a sentence that introduces its quote with a colon
/// (`The sign on the door read: "…"`, `a notice was taped to the glass: "…"`) is read, not said.
const WRITTEN_THINGS: &[&str] =
    &["sign", "notice", "note", "label", "poster", "placard", "banner", "plaque", "inscription", "headline", "card"];

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
        let (stated, unnamed) = attribution(&s.text, &spans, &hits, &verbs, lang);
        let pronoun =
            (lang == Language::En && stated.is_none()).then(|| gender::pronoun_at_verb(&s.text, &verbs)).flatten();
        let narration = without_quotes(&s.text, &spans, ' ').to_lowercase();
        // A quote standing alone may be told by the sentence before it: `ハルは耳にささやいた。「ねえ…」`.
        let lead_in = match si.checked_sub(1).map(|p| &sentences[p].text) {
            Some(before) if narration.trim().is_empty() && quotes::spans(before, lang).is_empty() => {
                before.to_lowercase()
            }
            _ => String::new(),
        };
        // …or by the clause after it: `「遅いなあ」 美咲が腕時計を見てつぶやくと、…`.
        let lead_out = match sentences.get(si + 1).map(|s| &s.text) {
            Some(after) if narration.trim().is_empty() && quotes::spans(after, lang).is_empty() => {
                after.split(['、', ',', '。']).next().unwrap_or("").to_lowercase()
            }
            _ => String::new(),
        };
        let around = Around { narration: &narration, lead_in: &lead_in, lead_out: &lead_out };
        // `"Heaven help me," he thought. "Am I a fool?"`: a quote carrying on a thought on its line is thought too.
        let carries_thought = lang == Language::En
            && narration.trim().is_empty()
            && !starts_line.get(si).copied().unwrap_or(true)
            && drafts.last().is_some_and(|d| d.sentence + 1 == si && d.kind == LineKind::Thought);
        let first_here = drafts.len();
        for span in &spans {
            let text = s.text[span.inner.clone()].trim().to_owned();
            if text.is_empty() {
                continue;
            }
            // `"Well," Ansel said, "it seems…"`: one speech broken by its attribution; a comma left it open.
            if let Some(open) =
                drafts[first_here..].last_mut().filter(|d| lang == Language::En && d.text.ends_with(','))
            {
                open.text = format!("{} {text}", open.text);
                open.kind = kind_of(&open.text, span, around);
                open.addressee = address::addressee(&open.text, characters, lang);
                continue;
            }
            let kind = if carries_thought { LineKind::Thought } else { kind_of(&text, span, around) };
            let stated_here = stated.is_some() || unnamed;
            let addressee = address::addressee(&text, characters, lang);
            drafts.push(Draft { sentence: si, text, kind, speaker: stated, stated: stated_here, pronoun, addressee });
        }
    }
    turns::settle(&mut drafts, sentences, starts_line, characters, lang);
    drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| DialogueLine {
            id: LineId(i as u32),
            sentence: sentences[d.sentence].index,
            // Written words have nobody to speak them.
            speaker: d.speaker.filter(|_| d.kind != LineKind::Sign).map(|w| characters[w].id.clone()),
            text: d.text,
            kind: d.kind,
        })
        .collect()
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

/// The speaker a sentence names for its own quotes, and whether it names someone who is no character.
fn attribution(
    text: &str,
    spans: &[QuoteSpan],
    hits: &[Hit],
    verbs: &[usize],
    lang: Language,
) -> (Option<usize>, bool) {
    let pronoun = pronoun_subject(text, verbs, lang);
    // A stated subject wins over every guess, even when it is nobody we know (`と若い男が言った`).
    if lang == Language::Ja
        && let Some(subject) = ja_subject(text, spans, hits, verbs)
    {
        return (subject, subject.is_none() && !pronoun);
    }
    let stated = stated_speaker(text, spans, hits, verbs, lang);
    // `a sailor said`: someone unnamed speaks, so nobody should be guessed. Japanese leaves out a
    // subject that is already the topic (`「行こう」と言った`), so there a guess is right.
    let unnamed = lang == Language::En && stated.is_none() && !verbs.is_empty() && !pronoun;
    (stated, unnamed)
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

/// The `は`/`が` subject of a saying verb: between the quote and the verb (`」とおばあちゃんは言って`),
/// else before the quote (`花子は「…」と尋ねた`), else just after a verb that carries on
/// (`」と言って、健太は立った`). Where a clause holds several subjects (`ハルは、声が震えて`), the
/// character among them speaks. `Some(Some(who))` for a character, `Some(None)` for anyone else
/// (`と健太の母が言った`: not 健太), `None` when the subject is left out, as Japanese does when it
/// is already the topic.
fn ja_subject(text: &str, spans: &[QuoteSpan], hits: &[Hit], verbs: &[usize]) -> Option<Option<usize>> {
    let subjects = |from: usize, to: usize| -> Vec<usize> {
        text[from..to]
            .char_indices()
            .map(|(i, c)| (from + i, c))
            .filter(|&(at, c)| (c == 'は' || c == 'が') && !spans.iter().any(|s| s.outer.contains(&at)))
            .filter(|&(at, _)| is_subject_particle(text, hits, at))
            .map(|(at, _)| at)
            .collect()
    };
    let who = |particle: usize| hits.iter().find(|h| h.end == particle).map(|h| h.who);
    let speaker = |found: &[usize]| (!found.is_empty()).then(|| found.iter().rev().find_map(|&p| who(p)));
    verbs.iter().find_map(|&v| {
        let quote_end = spans.iter().map(|s| s.outer.end).filter(|&e| e <= v).max().unwrap_or(0);
        if let Some(found) = speaker(&subjects(quote_end, v)).or_else(|| speaker(&subjects(0, quote_end))) {
            return Some(found);
        }
        let verb = names_ja::SAYING.iter().filter(|w| text[v..].starts_with(*w)).max_by_key(|w| w.len())?;
        let carries_on = verb.ends_with(['て', 'で']) || verb.ends_with("ながら");
        let end = v + verb.len();
        let clause_end = text[end..].find(['。', '「', '『']).map_or(text.len(), |i| end + i);
        let after = subjects(end, clause_end);
        carries_on.then(|| after.first().map(|&p| who(p))).flatten()
    })
}

/// Whether the `は`/`が` at `at` marks a subject: it follows a name, a kanji or katakana word, or an
/// honorific (`おばあちゃんは`), rather than sitting inside a word (`ながら`, `では`).
fn is_subject_particle(text: &str, hits: &[Hit], at: usize) -> bool {
    let before = &text[..at];
    hits.iter().any(|h| h.end == at)
        || before.chars().next_back().is_some_and(|c| super::language::is_kanji(c) || super::language::is_katakana(c))
        || names_ja::HONORIFICS.iter().any(|h| before.ends_with(h))
}

/// Whether a pronoun stands next to a saying verb (`he said`, `said she`).
fn pronoun_subject(text: &str, verbs: &[usize], lang: Language) -> bool {
    if lang == Language::Ja {
        return ["彼は", "彼が", "彼女は", "彼女が", "私は", "僕は", "俺は"].iter().any(|p| text.contains(p));
    }
    let lower = text.to_lowercase();
    verbs
        .iter()
        .any(|&v| gender::beside_verb(&lower, v).iter().any(|w| ["he", "she", "they", "i", "we", "you"].contains(w)))
}

/// The words around a quote, lowercased.
#[derive(Clone, Copy)]
struct Around<'a> {
    /// Its own sentence without its quotes.
    narration: &'a str,
    /// For a sentence that is nothing but quotes, the quote-free sentence before it.
    lead_in: &'a str,
    /// For such a sentence, the first clause of the quote-free sentence after it.
    lead_out: &'a str,
}

/// A line's kind from its quote marks, its own end and the words around it: thought, then
/// written words, then whisper (both also from a lead-in sentence), then shout, else speech.
fn kind_of(text: &str, span: &QuoteSpan, around: Around<'_>) -> LineKind {
    let narration = around.narration;
    if span.is_parenthesised() || THINK_WORDS.iter().any(|w| narration.contains(w)) {
        return LineKind::Thought;
    }
    let told = |words: &[&str]| words.iter().any(|w| narration.contains(w) || around.lead_in.contains(w));
    let names_a_written_thing =
        || narration.split(|c: char| !c.is_alphabetic()).any(|word| WRITTEN_THINGS.contains(&word));
    if told(SIGN_WORDS) || (narration.contains(':') && names_a_written_thing()) {
        return LineKind::Sign;
    }
    if told(WHISPER_WORDS) || WHISPER_WORDS.iter().any(|w| around.lead_out.contains(w)) {
        return LineKind::Whisper;
    }
    let last = text.trim_end_matches(['」', '』', '”', '"', ' ']).chars().next_back();
    if last.is_some_and(|c| "！!‼".contains(c)) || text.ends_with("！？") || text.ends_with("!?") {
        return LineKind::Shout;
    }
    if told(SHOUT_WORDS) {
        return LineKind::Shout;
    }
    // `"Elsie! The clockwork…"`: a line opened by a word or two cried out is shouted.
    let opening = text.split_inclusive(['.', '!', '?', '…']).next().unwrap_or("");
    if opening.ends_with('!') && opening.split_whitespace().count() <= 2 && opening.is_ascii() {
        return LineKind::Shout;
    }
    LineKind::Speech
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{names, sentences::split};
    use super::*;

    /// The dialogue of `text` and the characters it was read with.
    pub(in super::super) fn analyse(text: &str, lang: Language) -> (Vec<DialogueLine>, Vec<NamedCharacter>) {
        let split = split(text, lang);
        let c = names::find(&split.sentences, lang);
        (extract(&split.sentences, &split.starts_line, &c, lang), c)
    }

    /// Each line's speaker by name.
    pub(in super::super) fn speaker_names(lines: &[DialogueLine], people: &[NamedCharacter]) -> Vec<Option<String>> {
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
    fn whispers_and_written_words_are_told_by_their_sentence_or_the_one_before() {
        let text = "ハルは小太郎の耳にささやいた。「ねえ、祠へ行こう」\n\
                    戸口の札には「どなたもどうかお入りください」と書いてありました。\n\
                    「入ろう」と小太郎が言った。";
        let (lines, people) = analyse(text, Language::Ja);
        let kinds: Vec<LineKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [LineKind::Whisper, LineKind::Sign, LineKind::Speech]);
        assert_eq!(speaker_names(&lines, &people)[1], None, "nobody speaks a notice");

        let (lines, _) = analyse(
            "\"I kept it burning,\" she whispered. The sign read \"No fishing.\" \"Go,\" said Tom.",
            Language::En,
        );
        let kinds: Vec<LineKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [LineKind::Whisper, LineKind::Sign, LineKind::Speech]);

        let (lines, _) = analyse("Tom got it ready. \"Now.\"", Language::En);
        assert_eq!(lines[0].kind, LineKind::Speech, "\"it ready\" is no sign");
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

    #[test]
    fn a_stated_role_word_speaker_wins_over_the_name_before_it() {
        let text = "健太は高校生だった。健太は毎朝、駅まで歩いた。\n\n翌朝、駅の前に健太とおばあちゃんが立っていた。\n\n\
                    「昨日は本当にありがとう。これはお礼よ」とおばあちゃんは言って、小さな包みを差し出した。";
        let (lines, people) = analyse(text, Language::Ja);
        assert!(people.iter().any(|p| p.name == "おばあちゃん") && !people.iter().any(|p| p.name == "おばあ"));
        assert_eq!(speaker_names(&lines, &people), vec![Some("おばあちゃん".into())]);
    }

    #[test]
    fn a_stated_subject_who_is_no_character_leaves_the_line_unattributed() {
        let text = "健太は高校生だった。健太は毎朝、駅まで歩いた。\n\n翌朝、駅の前に健太が立っていた。\n\n\
                    「これはお礼よ」と女の人は言って、包みを差し出した。「気をつけてね」と健太の母が言った。";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(speaker_names(&lines, &people), vec![None, None]);
    }

    #[test]
    fn a_japanese_subject_just_after_a_verb_that_carries_on_is_the_speaker() {
        let text = "健太は美咲を見た。健太は笑った。美咲は歩いた。\n\n「行こう」と言って、健太は立ち上がった。";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(speaker_names(&lines, &people), vec![Some("健太".into())]);
    }

    #[test]
    fn the_character_among_several_japanese_subjects_is_the_speaker() {
        let text =
            "美咲は健太を見た。健太は笑った。美咲は歩いた。\n\n健太は、声が震えるのをこらえて「大丈夫」と言った。";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(speaker_names(&lines, &people), vec![Some("健太".into())]);
    }

    #[test]
    fn an_english_quote_split_by_its_attribution_is_one_line() {
        let text = "Ansel read the letter twice.\n\n\"Well,\" Ansel said, \"it seems the liar was telling the truth after all.\"";
        let (lines, people) = analyse(text, Language::En);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["Well, it seems the liar was telling the truth after all."]);
        assert_eq!(speaker_names(&lines, &people), vec![Some("Ansel".into())]);
    }
}
