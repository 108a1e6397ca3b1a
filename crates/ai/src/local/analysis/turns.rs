//! Speakers for lines their own sentence does not name: `she said` by
//! gender and recency, a quote carrying on the same line, the next sentence
//! saying whose words they were, the one the line before called by name,
//! the turn-taking of a two-person exchange, else the character named just
//! before or just after (in Japanese the topic closest before the quote).
//! docs/storyboard-and-lettering.md lists the rules in order.

use manga_domain::{Language, LineKind, NamedCharacter, Sentence};

use super::draft::{Draft, outside, verb_positions};
use super::gender::{self, Pronoun};
use super::mentions::{Hit, locate};
use super::quotes;

/// Speakers for lines the sentence itself does not attribute.
pub(super) fn settle(
    drafts: &mut [Draft],
    sentences: &[Sentence],
    starts_line: &[bool],
    characters: &[NamedCharacter],
    lang: Language,
) {
    // Genders and groups are only needed (and only read from English) when a pronoun speaks.
    let people = drafts.iter().any(|d| d.pronoun.is_some()).then(|| gender::People::of(characters, sentences));
    for i in 0..drafts.len() {
        if drafts[i].stated {
            continue;
        }
        // Written words and an animal's cry have no speaker, and take no turn in a conversation.
        if !takes_turn(&drafts[i]) {
            drafts[i].speaker = None;
            continue;
        }
        let si = drafts[i].sentence;
        // `"This one," she said`: the pronoun names the speaker as surely as a name, so it goes first.
        if let (Some(pronoun), Some(people)) = (drafts[i].pronoun, &people) {
            let previous = i.checked_sub(1).and_then(|p| drafts[p].speaker);
            drafts[i].speaker = gender::resolve(pronoun, si, sentences, characters, people, previous);
            // `they` with no group in the story is two people speaking at once, or unknown: read on.
            if drafts[i].speaker.is_some() || pronoun != Pronoun::They {
                continue;
            }
        }
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
        // The sentence after says whose words they were (`翔太の言葉に`, `声の主は翔太だった`).
        if let Some(who) = revealed_after(sentences, characters, si, lang) {
            drafts[i].speaker = Some(who);
            continue;
        }
        // Whoever the line just before called by name answers it (「遅いなあ、蓮くん」…「ごめん、ごめん！」).
        let called = i
            .checked_sub(1)
            .filter(|&p| takes_turn(&drafts[p]) && si - drafts[p].sentence <= 3)
            .and_then(|p| drafts[p].addressee.filter(|&a| Some(a) != drafts[p].speaker));
        if called.is_some() {
            drafts[i].speaker = called;
            continue;
        }
        // Lines in one exchange: no narration sentence between them.
        let in_run = |j: usize| in_one_exchange(drafts, sentences, j);
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
                nearby_other(sentences, characters, si, a, 4, lang).or(adjacent(sentences, characters, si, lang))
            }
            _ => adjacent(sentences, characters, si, lang),
        };
        let guess = guess
            .or_else(|| between_two_lines_of_one_speaker(drafts, i, sentences, characters, lang))
            .or_else(|| turn_across_narration(drafts, i, sentences, characters, lang));
        // Nobody calls themselves by name: the one called is the other side of the exchange.
        drafts[i].speaker = match (guess, drafts[i].addressee) {
            (Some(g), Some(a)) if g == a => nearby_other(sentences, characters, si + 1, a, 5, lang),
            (None, Some(a)) => the_other_in_the_exchange(drafts, i, a),
            _ => guess,
        };
    }
    opening_turns(drafts, sentences);
}

/// Whether lines `j` and `j + 1` are one exchange: no narration sentence between them.
fn in_one_exchange(drafts: &[Draft], sentences: &[Sentence], j: usize) -> bool {
    drafts[j].sentence + 1 >= drafts[j + 1].sentence
        && same_paragraphs(sentences, drafts[j].sentence, drafts[j + 1].sentence)
}

/// Turn-taking read backwards: a line still unknown that opens an exchange
/// whose next two lines are two people's (「寒いね」「うん」と健一が…
/// 「帰ろうか」と美紀が…) is the second one's, as the turns alternate.
fn opening_turns(drafts: &mut [Draft], sentences: &[Sentence]) {
    for i in (0..drafts.len().saturating_sub(2)).rev() {
        let d = &drafts[i];
        if d.stated || d.speaker.is_some() || d.pronoun.is_some() || !takes_turn(d) {
            continue;
        }
        if !(in_one_exchange(drafts, sentences, i) && in_one_exchange(drafts, sentences, i + 1)) {
            continue;
        }
        if !(takes_turn(&drafts[i + 1]) && takes_turn(&drafts[i + 2])) {
            continue;
        }
        let (Some(a), Some(b)) = (drafts[i + 1].speaker, drafts[i + 2].speaker) else { continue };
        // Nobody calls themselves by name.
        if a != b && drafts[i].addressee != Some(b) {
            drafts[i].speaker = Some(b);
        }
    }
}

/// A line between two lines of the same person, a few sentences apart, with
/// someone else named nearby: that someone answers them (`「こんな所に」と美紀。
/// …「人気店かな」…「変じゃない？」と美紀は`).
fn between_two_lines_of_one_speaker(
    drafts: &[Draft],
    i: usize,
    sentences: &[Sentence],
    characters: &[NamedCharacter],
    lang: Language,
) -> Option<usize> {
    let si = drafts[i].sentence;
    let spoken = |d: &&Draft| takes_turn(d);
    let before = drafts[..i].iter().rev().find(spoken).filter(|d| si - d.sentence <= 6)?.speaker?;
    let after = drafts[i + 1..].iter().find(spoken).filter(|d| d.stated && d.sentence - si <= 2)?.speaker?;
    (before == after).then(|| nearby_other(sentences, characters, si, before, 8, lang)).flatten()
}

/// Animal cries, in both languages (`Meow.`, 「ワンワン！」): a line of nothing else is no one's.
const ANIMAL_SOUNDS: &[&str] = &[
    "meow",
    "miaow",
    "mew",
    "purr",
    "woof",
    "bark",
    "arf",
    "moo",
    "baa",
    "oink",
    "quack",
    "tweet",
    "cheep",
    "caw",
    "hoot",
    "neigh",
    "ribbit",
    "hiss",
    "ニャー",
    "ニャア",
    "にゃー",
    "にゃあ",
    "ニャン",
    "ワン",
    "わん",
    "モー",
    "メー",
    "ブー",
    "ガー",
    "コケコッコー",
    "ケロケロ",
    "チュン",
    "ホーホー",
    "ヒヒーン",
    "カー",
];

/// Whether a line is someone's turn in a conversation: not written words, not an animal's cry.
fn takes_turn(draft: &Draft) -> bool {
    draft.kind != LineKind::Sign && !is_animal_sound(&draft.text)
}

fn is_animal_sound(line: &str) -> bool {
    let lower = line.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric() && c != 'ー').filter(|w| !w.is_empty()).collect();
    !words.is_empty()
        && words.iter().all(|w| {
            ANIMAL_SOUNDS.iter().any(|s| {
                // `meow`, `meeeow`, `ワンワン`: the cry, stretched or said again.
                let squeezed: String = w.chars().fold(String::new(), |mut out, c| {
                    if !out.ends_with(c) {
                        out.push(c);
                    }
                    out
                });
                w.split(s).all(str::is_empty) || squeezed == *s
            })
        })
}

/// For a line calling `called` by name whose speaker nothing else tells: the
/// one other person the nearby lines speak or call to (`"Are you awake,
/// Sam?"` … `"It's the cat, Rosa."` → Rosa asked).
fn the_other_in_the_exchange(drafts: &[Draft], i: usize, called: usize) -> Option<usize> {
    let near = &drafts[i.saturating_sub(5)..(i + 6).min(drafts.len())];
    let mut others: Vec<usize> =
        near.iter().flat_map(|d| [d.addressee, d.speaker]).flatten().filter(|&who| who != called).collect();
    others.sort_unstable();
    others.dedup();
    match others.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

/// Two people taking turns with a little narration about them between their
/// lines: the one who spoke before last, when the last two lines are theirs,
/// close, and the narration since names one of them (a scene that moved on
/// names neither).
fn turn_across_narration(
    drafts: &[Draft],
    i: usize,
    sentences: &[Sentence],
    characters: &[NamedCharacter],
    lang: Language,
) -> Option<usize> {
    let spoken: Vec<&Draft> = drafts[..i].iter().rev().filter(|d| takes_turn(d)).take(2).collect();
    let (last, before) = (spoken.first()?, spoken.get(1)?);
    let si = drafts[i].sentence;
    let close = si - last.sentence <= 3 && last.sentence - before.sentence <= 3;
    let (a, b) = (last.speaker?, before.speaker?);
    let about_them = sentences
        .get(last.sentence + 1..si)
        .unwrap_or_default()
        .iter()
        .any(|s| locate(&s.text, characters, lang).iter().any(|h| h.who == a || h.who == b));
    (close && a != b && about_them).then_some(b)
}

/// A quote whose next sentence names its speaker without a saying verb of
/// its own: `翔太の言葉に、三人は黙った`, `威勢のいい声の主は、…翔太だった`,
/// `現れたのは蓮だった`, `蓮がそう言うと`.
fn revealed_after(sentences: &[Sentence], characters: &[NamedCharacter], si: usize, lang: Language) -> Option<usize> {
    if lang != Language::Ja {
        return None;
    }
    let text = narration_after(sentences, si, lang)?.text.as_str();
    locate(text, characters, lang).into_iter().find_map(|h| {
        let rest = &text[h.end..];
        let words = rest.starts_with("の言葉") || rest.starts_with("の声");
        // The cleft `…のは X だった` names who the sentence before was about.
        let cleft = (rest.starts_with("だった") || rest.starts_with("でした"))
            && (text[..h.start].contains("のは") || text[..h.start].contains("の主は"));
        let said_so = rest
            .strip_prefix(['は', 'が'])
            .and_then(|r| r.strip_prefix("そう"))
            .is_some_and(|r| super::names_ja::SAYING.iter().any(|v| r.starts_with(v)));
        (words || cleft || said_so).then_some(h.who)
    })
}

fn same_paragraphs(sentences: &[Sentence], a: usize, b: usize) -> bool {
    sentences[a].paragraph.abs_diff(sentences[b].paragraph) <= 1
}

/// The character named in the narration just before (or, with a saying verb, just after) sentence `si`.
fn adjacent(sentences: &[Sentence], characters: &[NamedCharacter], si: usize, lang: Language) -> Option<usize> {
    let narration_subject = |s: &Sentence| {
        let spans = quotes::spans(&s.text, lang);
        let hits = outside(&locate(&s.text, characters, lang), &spans);
        // Japanese: the topic or actor closest before the quote (`美咲が傘を渡すと、健太は頭を下げた`).
        let subject = hits.iter().rev().find(|h| lang == Language::Ja && s.text[h.end..].starts_with(['は', 'が']));
        subject.or(hits.first()).map(|h| h.who)
    };
    // `「電車が出る！」 健一が叫んで、…`: a saying verb just after the quote names its speaker.
    if let Some(who) = said_just_after(sentences, characters, si, lang) {
        return Some(who);
    }
    let before = si.checked_sub(1).map(|p| &sentences[p]).filter(|s| !s.heading && !s.dialogue);
    if let Some(who) = before.and_then(narration_subject) {
        // `「やばい！」 蓮が叫んで、美咲の手を引いた。「待ってよ」`: that sentence told who said the
        // line before it, so this one is the other person it names.
        let other = before.filter(|_| si >= 2 && sentences[si - 2].dialogue).and_then(|s| {
            let first_verb = *verb_positions(&s.text, &quotes::spans(&s.text, lang), lang).first()?;
            let hits = locate(&s.text, characters, lang);
            let told = named_before(&hits, first_verb)?;
            (told == who).then(|| hits.iter().map(|h| h.who).find(|&w| w != who)).flatten()
        });
        return Some(other.unwrap_or(who));
    }
    let after = narration_after(sentences, si, lang)?;
    let first_verb = *verb_positions(&after.text, &[], lang).first()?;
    // The one named just before the saying verb said it (`健一がそう言うと、美紀は笑った`).
    named_before(&locate(&after.text, characters, lang), first_verb).or_else(|| narration_subject(after))
}

/// The sentence after `si`, when it is narration with no quote of its own (a
/// saying verb in `「うん」と健一がうなずいた。` tags that quote, not the one before).
fn narration_after(sentences: &[Sentence], si: usize, lang: Language) -> Option<&Sentence> {
    sentences.get(si + 1).filter(|s| !s.heading && !s.dialogue && quotes::spans(&s.text, lang).is_empty())
}

/// The character of `hits` named last before byte `at`: the subject of a saying verb there.
fn named_before(hits: &[Hit], at: usize) -> Option<usize> {
    hits.iter().rev().find(|h| h.end <= at).map(|h| h.who)
}

/// The character named just before a saying verb in the first clause of the
/// quote-free sentence after `si` (`健一が叫んで、`, `健一がそう言うと、`).
fn said_just_after(sentences: &[Sentence], characters: &[NamedCharacter], si: usize, lang: Language) -> Option<usize> {
    let after = narration_after(sentences, si, lang)?;
    let clause = after.text.split(['、', ',', '。']).next().unwrap_or("");
    let first_verb = *verb_positions(clause, &[], lang).first()?;
    named_before(&locate(clause, characters, lang), first_verb)
}

/// Someone other than `speaker` named in the `back` sentences before `si`: the other side of a conversation.
fn nearby_other(
    sentences: &[Sentence],
    characters: &[NamedCharacter],
    si: usize,
    speaker: usize,
    back: usize,
    lang: Language,
) -> Option<usize> {
    let from = si.saturating_sub(back);
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
    use manga_domain::Language;

    use super::super::dialogue::tests::{analyse, speaker_names};

    fn named(who: &[&str]) -> Vec<Option<String>> {
        who.iter().map(|n| Some((*n).to_owned())).collect()
    }

    #[test]
    fn a_line_opening_an_exchange_takes_the_turn_of_the_second_to_answer() {
        let text = "あたりはすっかり暗くなっていた。風が冷たい。\n\n「寒いね」\n「うん」と健一がうなずいた。\n「帰ろうか」と美紀が言った。";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(speaker_names(&lines, &people), named(&["美紀", "健一", "美紀"]), "{people:?}");
    }

    #[test]
    fn an_unattributed_exchange_alternates_between_two_speakers() {
        let text = "Tom met Mary at the door.\n\"Is it bad?\" Mary asked.\n\"Bad enough,\" said Tom.\n\"Will it hold?\"\n\"It always has.\"\n\"And tonight?\"";
        let (lines, people) = analyse(text, Language::En);
        assert_eq!(speaker_names(&lines, &people), named(&["Mary", "Tom", "Mary", "Tom", "Mary"]));
    }

    #[test]
    fn a_japanese_quote_after_narration_goes_to_the_last_subject_before_it() {
        let text = "健太は雨の中を走った。美咲は駅で待っていた。健太と美咲は同じ町に住んでいる。\n\n\
                    美咲が傘を渡すと、健太は深く頭を下げた。「ありがとうございます。おばあちゃん、ずっと探していたんです」";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(lines.len(), 1);
        assert_eq!(speaker_names(&lines, &people), named(&["健太"]));
    }

    #[test]
    fn an_english_pronoun_goes_to_the_latest_character_of_its_gender() {
        let text = "Ansel kept the old bookshop by the river. His apprentice, a red-haired girl named Pip, swept the floor.\n\n\
                    \"They're late,\" Pip said.\n\n\"Then find out why,\" Ansel replied.\n\n\
                    Ansel watched Pip walk along the shelves.\n\n\"This one,\" she said, holding it up.\n\n\
                    \"Good,\" he said.";
        let (lines, people) = analyse(text, Language::En);
        assert_eq!(speaker_names(&lines, &people), named(&["Pip", "Ansel", "Pip", "Ansel"]));
    }

    #[test]
    fn a_pronoun_of_unknown_gender_goes_to_whoever_did_not_just_speak() {
        let text = "Robin waited by the gate with Sam.\n\n\"Now?\" said Robin.\n\n\"Soon,\" said Sam.\n\n\
                    Sam looked at Robin.\n\n\"Not yet,\" she said.";
        let (lines, people) = analyse(text, Language::En);
        assert_eq!(speaker_names(&lines, &people), named(&["Robin", "Sam", "Robin"]));
    }

    #[test]
    fn a_sign_takes_no_turn_and_a_line_between_two_of_one_persons_goes_to_the_other() {
        let text = "健一は地図を見た。美紀は空を見上げた。健一は首をかしげた。健一と美紀は山道を歩いた。\n「こんな山の中にレストランがあるなんて」と美紀が言った。\n\
                    扉を開けると、廊下の壁に貼り紙があった。貼り紙には「当店は注文の多い料理店です」と書いてあった。\n\
                    「注文が多いって、人気店ってことかな」\n「ねえ、なんだか変じゃない？」と美紀は小声でささやいた。";
        let (lines, people) = analyse(text, Language::Ja);
        let want = vec![Some("美紀".to_owned()), None, Some("健一".to_owned()), Some("美紀".to_owned())];
        assert_eq!(speaker_names(&lines, &people), want, "{people:?}");
    }

    #[test]
    fn the_one_called_answers_and_the_sentence_after_can_say_whose_words_they_were() {
        let text = "春子と夏樹と秋人は同じ町に住んでいる。夏樹は電車で、秋人は自転車で通う。秋人が一番遅い。\n\
                    春子は駅の前で待っていた。春子は時計を見た。夏樹はまだ来ない。\n「遅いね、夏樹」\n「悪い、電車が止まってた」\n\
                    夏樹はかばんを下ろした。春子は笑った。\n「じゃあ、行こうか」\n\
                    「あそこの店、まだ開いてるよ」\n夏樹の言葉に、春子はうなずいた。\n\
                    「やった！」\n走ってきたのは秋人だった。";
        let (lines, people) = analyse(text, Language::Ja);
        let want = ["春子", "夏樹", "春子", "夏樹", "秋人"];
        assert_eq!(speaker_names(&lines, &people), named(&want), "{people:?}");
    }

    #[test]
    fn an_exchange_with_names_only_in_its_calls_is_told_by_them_and_a_cat_takes_no_turn() {
        let text = "\"Are you awake, Sam?\"\n\"I am now.\"\n\"Listen.\"\n\"It's the wind, Rosa.\"\n\
                    \"It isn't.\"\n\"Meow.\"";
        let (lines, people) = analyse(text, Language::En);
        let mut want = named(&["Rosa", "Sam", "Rosa", "Sam", "Rosa"]);
        want.push(None);
        assert_eq!(speaker_names(&lines, &people), want, "{people:?}");
        assert!(super::is_animal_sound("Meeeow!") && super::is_animal_sound("ワンワン！"));
        assert!(!super::is_animal_sound("Moon.") && !super::is_animal_sound("Woof, he said."));
    }

    #[test]
    fn a_sentence_that_told_the_last_line_gives_the_next_to_the_other_person_it_names() {
        let text = "健一と美紀は駅へ急いだ。健一は時計を見た。美紀は息を切らしていた。美紀が転びそうになった。\n「電車が出る！」\n\
                    健一が叫んで、美紀の手を引いた。\n「待って、走れないよ！」";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(speaker_names(&lines, &people), named(&["健一", "美紀"]), "{people:?}");
    }

    #[test]
    fn a_quote_alone_goes_to_whoever_says_so_in_the_sentence_after() {
        let text = "健一は地図を見た。美紀は空を見上げた。健一は首をかしげた。健一と美紀は山を下りた。遠くでバスが鳴った。\n「ラーメンでも食べて帰ろうか」\n健一がそう言うと、美紀はやっと笑った。";
        let (lines, people) = analyse(text, Language::Ja);
        assert_eq!(speaker_names(&lines, &people), named(&["健一"]), "{people:?} {lines:?}");
    }
}
