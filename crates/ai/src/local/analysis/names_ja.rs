//! Japanese name rules: names before honorifics (`花子さん`), `〜と云う男`,
//! subjects of saying verbs (`太郎が叫んだ`), repeated katakana words,
//! kanji words that keep returning before particles (`犍陀多は`), and role
//! words that act in the story (`おばあちゃんは言った`).

use manga_domain::Sentence;

use super::language::{is_hiragana, is_kanji, is_katakana};
use super::pool::{Pool, add};

/// Honorifics, longest first so `さま` is not read as `ま`.
pub(crate) const HONORIFICS: &[&str] = &["先生", "ちゃん", "さま", "さん", "くん", "様", "君", "殿"];

/// Verbs of saying whose subject is a speaker.
#[rustfmt::skip]
pub(crate) const SAYING: &[&str] = &[
    "言った", "言いました", "言う", "云った", "云いました", "叫んだ", "叫びました", "怒鳴った", "答えた", "答えました", "尋ねた", "尋ねました", "訊いた", "聞いた",
    "呟いた", "つぶやいた", "囁いた", "ささやいた", "笑った", "言い返した", "申した", "続けた", "思った", "考えた", "頷いた", "うなずいた", "つぶやく", "呟く", "叫ぶ",
    "ささやく", "言って", "云って", "叫んで", "答えて", "尋ねて", "呟いて", "つぶやいて", "囁いて", "ささやいて", "言いながら",
    "声をかけた", "声をかけて", "呼びかけた", "呼びかけて", "思い直した", "思い直して", "わめいた", "わめいて",
];

/// What may follow a name: particles and punctuation.
const AFTER_NAME: &str = "はがのにをともへやで、。！？」』）…";

/// Katakana words that are things, not people.
#[rustfmt::skip]
const KATAKANA_STOP: &[&str] = &[
    "ドア", "テレビ", "コーヒー", "ラジオ", "ランプ", "テーブル", "ベッド", "カップ", "パン", "バス", "タクシー", "ホテル", "レストラン", "スープ", "ミルク", "ケーキ",
    "ボール", "ノート", "ペン", "カメラ", "スマホ", "メール", "ニュース", "ピアノ", "ギター", "シャツ", "コート", "スカート", "ズボン", "ポケット", "バッグ", "カバン",
    "ガラス", "ビル", "エレベーター", "トイレ", "キッチン", "シャワー", "ページ", "メートル", "キロ", "センチ", "グラム", "ロープ", "ナイフ", "ボート", "ヨット",
    "トンネル", "ベンチ", "カーテン", "ストーブ", "ソファ", "クラス", "チーム", "ゲーム", "ドキドキ", "ゴロゴロ", "ザアザア", "ピカピカ", "キラキラ", "ニコニコ",
    "ワクワク", "ガタガタ", "ザワザワ", "ポツポツ", "シーン", "ホッ", "ライト", "ロウソク", "マッチ", "リンゴ", "ミカン", "バケツ",
];

/// Kanji words that take particles often but are not people.
#[rustfmt::skip]
pub(crate) const KANJI_STOP: &[&str] = &[
    "自分", "今日", "明日", "昨日", "今夜", "今年", "去年", "来年", "今度", "先月", "来月", "今月", "毎年", "全部", "全員", "今朝", "一人", "二人", "三人",
    "皆", "誰", "何", "様子", "途中", "最後", "最初", "世界", "一番", "一度", "一緒", "其処", "此処", "彼", "彼女", "私", "僕", "俺", "貴方", "自身",
    "以上", "本当", "仕事", "言葉", "身体", "足元", "周り", "辺り", "向こう", "真ん中", "時間", "瞬間", "毎日", "毎朝", "気持", "声", "顔", "涙", "心",
    "頭", "胸", "手", "目", "足", "水", "火", "風", "雨", "雪", "光", "音", "影", "空気", "地面", "足跡", "両手", "背中", "物語", "昔", "今",
    "時", "事", "物", "者", "人", "中", "上", "下", "前", "後", "間", "辺", "方", "所", "家族", "仲間", "友達", "子供", "大人", "村人", "人々",
    "人間", "相手", "名前", "明かり", "夜明", "朝日", "夕日", "月", "星", "太陽", "小屋", "道", "橋", "舟", "船", "岸", "石", "木", "花",
];

/// Kinship and role words kept whole with their honorific (`お婆さん`, `神様`), since the stem alone reads oddly.
#[rustfmt::skip]
const KIN: &[&str] = &[
    "婆", "爺", "祖母", "祖父", "母", "父", "兄", "姉", "嫁", "坊", "嬢", "上", "頭", "神", "王", "姫", "仏", "鬼", "殿", "主", "娘",
];

/// Kinship and role words that stand for a person (`おばあちゃんは言った`), whole and longest first.
#[rustfmt::skip]
const ROLE_WORDS: &[&str] = &[
    "おばあちゃん", "おじいちゃん", "おばあさん", "おじいさん", "お婆ちゃん", "お爺ちゃん", "お祖母さん", "お祖父さん", "お兄ちゃん", "お姉ちゃん",
    "お婆さん", "お爺さん", "お母さん", "お父さん", "お母様", "お父様", "お兄さん", "お姉さん", "お姫様", "お殿様", "婆さん", "爺さん", "母さん", "父さん",
    "兄さん", "姉さん", "兄ちゃん", "姉ちゃん", "姫様", "殿様", "王様", "神様", "先生", "女王", "王子", "船長", "村長", "和尚", "ママ", "パパ", "姫",
];

fn is_name_script(c: char) -> bool {
    is_kanji(c) || is_katakana(c)
}

/// The run of kanji or katakana that ends just before byte `end`.
fn stem_before(text: &str, end: usize) -> &str {
    let before = &text[..end];
    let Some(last) = before.chars().next_back() else { return "" };
    if !is_name_script(last) {
        return "";
    }
    let same = |c: char| if is_kanji(last) { is_kanji(c) } else { is_katakana(c) };
    let start = before.char_indices().rev().take_while(|&(_, c)| same(c)).last().map_or(end, |(i, _)| i);
    &before[start..]
}

/// Splits a trailing honorific off a kanji run: `御釈迦様` -> (`御釈迦`, `御釈迦様`).
fn strip_honorific(run: &str) -> (&str, Option<&str>) {
    for h in HONORIFICS {
        if let Some(stem) = run.strip_suffix(h).filter(|s| s.chars().count() >= 2) {
            return (stem, Some(run));
        }
    }
    (run, None)
}

fn acceptable(stem: &str) -> bool {
    let n = stem.chars().count();
    let numeral = stem.chars().next().is_some_and(|c| "一二三四五六七八九十百千何数".contains(c));
    (2..=8).contains(&n)
        && !numeral
        && !KANJI_STOP.contains(&stem)
        && !KATAKANA_STOP.contains(&stem)
        && !super::places::is_place_word(stem)
        && !super::places::is_time_word(stem)
        && !super::things::is_thing_word(stem)
}

/// Name candidates of a Japanese story.
pub(crate) fn candidates(sentences: &[Sentence]) -> Pool {
    let mut pool = Pool::new();
    let mut weak = Pool::new();
    for s in sentences.iter().filter(|s| !s.heading) {
        honorific_names(&s.text, &mut pool);
        introduced_names(&s.text, &mut pool);
        speaking_subjects(&s.text, &mut pool);
        particle_runs(&s.text, &mut weak);
    }
    role_words(sentences, &mut pool);
    for (name, c) in weak {
        let katakana = name.chars().all(is_katakana);
        // A person is the subject (は/が) of something at least once; a word only ever
        // worn, held or looked at (`タオルを巻いた`) is a thing.
        let enough = c.strong && if katakana { c.weak >= 2 } else { c.weak >= 3 };
        if enough || pool.contains_key(&name) {
            let entry = pool.entry(name).or_default();
            entry.weak += c.weak;
            entry.aliases.extend(c.aliases);
        }
    }
    latin_spellings(sentences, &mut pool);
    // A name inside a stronger, longer one (`釈迦` in `御釈迦`) is the same person.
    let names: Vec<String> = pool.keys().cloned().collect();
    for short in &names {
        let inside_longer = names.iter().any(|long| long != short && long.contains(short.as_str()));
        if inside_longer && !pool.get(short).is_some_and(|c| c.strong && c.weak >= 2) {
            pool.remove(short);
        }
    }
    pool
}

/// A katakana name also written in Latin letters in the story (`マイク` and "Mike" in a
/// story that mixes the two) gets its Latin spelling as an alias, so lines tagged
/// "Mike laughed" or calling "Ken" find their person.
fn latin_spellings(sentences: &[Sentence], pool: &mut Pool) {
    let mut words: Vec<&str> = Vec::new();
    for s in sentences {
        for word in s.text.split(|c: char| !c.is_ascii_alphabetic()) {
            let capital = word.len() >= 2 && word.starts_with(|c: char| c.is_ascii_uppercase());
            if capital && word[1..].chars().all(|c| c.is_ascii_lowercase()) && !words.contains(&word) {
                words.push(word);
            }
        }
    }
    for (name, candidate) in pool.iter_mut().filter(|(n, _)| n.chars().all(is_katakana)) {
        let Some(sound) = kana_consonants(name) else { continue };
        for word in words.iter().filter(|w| latin_consonants(w) == sound) {
            candidate.aliases.insert((*word).to_owned());
        }
    }
}

/// The consonants a katakana word is read with, as Latin letters (`マイク` → "mk",
/// `ケン` → "kn"); `None` for a kana outside the table.
fn kana_consonants(kana: &str) -> Option<String> {
    #[rustfmt::skip]
    const ROWS: &[(&str, char)] = &[
        ("カキクケコ", 'k'), ("ガギグゲゴ", 'g'), ("サシスセソ", 's'), ("ザジズゼゾ", 'z'), ("タチツテト", 't'),
        ("ダヂヅデド", 'd'), ("ナニヌネノン", 'n'), ("ハヒフヘホ", 'h'), ("バビブベボヴ", 'b'), ("パピプペポ", 'p'),
        ("マミムメモ", 'm'), ("ヤユヨ", 'y'), ("ラリルレロ", 'r'), ("ワヲ", 'w'),
    ];
    let mut out = String::new();
    for c in kana.chars() {
        if "アイウエオァィゥェォャュョッー".contains(c) {
            continue;
        }
        let row = ROWS.iter().find(|(kana, _)| kana.contains(c))?.1;
        if !out.ends_with(row) {
            out.push(row);
        }
    }
    Some(out)
}

/// The consonants of a Latin name as katakana would write them ("Mike" → "mk",
/// "Alice" → "rs": `l` is `r`, a soft `c` is `s`, `v` is `b`, `f` is `h`).
fn latin_consonants(word: &str) -> String {
    let lower: Vec<char> = word.to_ascii_lowercase().chars().collect();
    let mut out = String::new();
    for (i, &c) in lower.iter().enumerate() {
        let next = lower.get(i + 1).copied();
        let sound = match c {
            'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'h' | 'w' => continue,
            'c' if matches!(next, Some('e' | 'i' | 'y')) => 's',
            'c' | 'q' => 'k',
            'l' => 'r',
            'v' => 'b',
            'f' => 'h',
            'j' => 'z',
            'x' => 'k',
            other => other,
        };
        if !out.ends_with(sound) {
            out.push(sound);
        }
    }
    out
}

fn honorific_names(text: &str, pool: &mut Pool) {
    for h in HONORIFICS {
        for (at, _) in text.match_indices(h) {
            let after = text[at + h.len()..].chars().next();
            if !after.is_none_or(|c| AFTER_NAME.contains(c)) {
                continue;
            }
            let stem = stem_before(text, at);
            // `先生` inside `山田先生` is an honorific; a bare `先生` is a person called so.
            let (stem, h) = match HONORIFICS.iter().find(|x| stem.ends_with(*x) && stem.len() > x.len()) {
                Some(inner) => (&stem[..stem.len() - inner.len()], *inner),
                None => (stem, *h),
            };
            // `真っ逆さま`, `様々`: words that end like an honorific.
            if stem.is_empty() || ["皆", "奥", "客", "誰", "貴", "同", "有", "模", "仕", "逆", "様"].contains(&stem)
            {
                continue;
            }
            let full = format!("{stem}{h}");
            let with_o = at.checked_sub(stem.len()).and_then(|b| text.get(..b)).is_some_and(|t| t.ends_with('お'));
            if KIN.contains(&stem) {
                let full = if with_o { format!("お{full}") } else { full };
                add(pool, &full, None, true);
            } else if acceptable(stem) || (stem.chars().count() == 1 && !KANJI_STOP.contains(&stem)) {
                add(pool, stem, Some(&full), true);
            }
        }
    }
}

fn introduced_names(text: &str, pool: &mut Pool) {
    for marker in ["と云う", "という", "と言う", "という名の", "と名乗る"] {
        for (at, _) in text.match_indices(marker) {
            let next = text[at + marker.len()..].chars().next();
            if !next.is_some_and(|c| "男女者老人少年少女娘名侍僧若".contains(c)) {
                continue;
            }
            let (stem, alias) = strip_honorific(stem_before(text, at));
            if acceptable(stem) {
                add(pool, stem, alias, true);
            }
        }
    }
}

fn speaking_subjects(text: &str, pool: &mut Pool) {
    for verb in SAYING {
        for (at, _) in text.match_indices(verb) {
            let before = &text[..at];
            let Some(particle) = before.chars().next_back().filter(|c| *c == 'は' || *c == 'が') else { continue };
            let end = at - particle.len_utf8();
            let run = stem_before(text, end);
            let (stem, alias) = strip_honorific(run);
            if acceptable(stem) {
                add(pool, stem, alias, true);
            }
        }
    }
}

/// Role words (`おばあちゃん`, `先生`, `姫`) that act in the story: the subject of a saying
/// verb, or mentioned twice. The whole word is the name, since its stem alone (`おばあ`) is no one.
fn role_words(sentences: &[Sentence], pool: &mut Pool) {
    let mut seen: Vec<(&str, u32, bool)> = Vec::new();
    for s in sentences.iter().filter(|s| !s.heading) {
        for (at, word) in role_word_positions(&s.text) {
            let rest = &s.text[at + word.len()..];
            let speaks = rest.strip_prefix(['は', 'が']).is_some_and(|r| {
                let clause: String = r.chars().take_while(|c| !"。「『".contains(*c)).take(12).collect();
                SAYING.iter().any(|v| clause.contains(v))
            });
            match seen.iter_mut().find(|(w, _, _)| *w == word) {
                Some(entry) => {
                    entry.1 += 1;
                    entry.2 |= speaks;
                }
                None => seen.push((word, 1, speaks)),
            }
        }
    }
    for (word, count, speaks) in seen {
        if speaks || count >= 2 {
            add(pool, word, None, true);
        }
    }
}

/// Where role words stand alone (not `山田先生`, whose `先生` is an honorific), longest first.
fn role_word_positions(text: &str) -> Vec<(usize, &'static str)> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for word in ROLE_WORDS {
        for (at, _) in text.match_indices(word) {
            let end = at + word.len();
            let glued = |c: Option<char>| c.is_some_and(is_name_script);
            if glued(text[..at].chars().next_back()) || glued(text[end..].chars().next()) || titles_a_name(&text[end..])
            {
                continue;
            }
            if found.iter().all(|&(b, w)| end <= b || at >= b + w.len()) {
                found.push((at, word));
            }
        }
    }
    found.sort_unstable();
    found
}

/// Whether a role word is the title of the name after it (`村長の茂平さん`), not a person of its own.
fn titles_a_name(rest: &str) -> bool {
    let Some(after) = rest.strip_prefix('の') else { return false };
    let run = after.chars().take_while(|&c| is_name_script(c)).map(char::len_utf8).sum::<usize>();
    // A kanji honorific (`先生`, `様`) is part of the run itself.
    run > 0 && HONORIFICS.iter().any(|h| after[run..].starts_with(h) || after[..run].ends_with(h))
}

/// Kanji and katakana runs followed by a particle; `strong` marks one seen as a subject (は/が).
fn particle_runs(text: &str, weak: &mut Pool) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if !is_name_script(c) || (i > 0 && same_script(chars[i - 1].1, c)) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && same_script(chars[j].1, c) {
            j += 1;
        }
        let start = chars[i].0;
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        let next = chars.get(j).map(|&(_, n)| n);
        let prev_is_o = i > 0 && is_hiragana(chars[i - 1].1) && chars[i - 1].1 == 'お';
        if let Some(p) = next.filter(|n| "はがのにをともへ".contains(*n)) {
            let run = &text[start..end];
            let run = run.trim_start_matches(['ー', '・']);
            let (stem, alias) = strip_honorific(run);
            if acceptable(stem) && !prev_is_o {
                add(weak, stem, alias, false);
                if let Some(entry) = weak.get_mut(stem).filter(|_| p == 'は' || p == 'が') {
                    entry.strong = true;
                }
            }
        }
        i = j;
    }
}

fn same_script(a: char, b: char) -> bool {
    (is_kanji(a) && is_kanji(b)) || (is_katakana(a) && is_katakana(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_katakana_name_takes_its_latin_spelling_and_nothing_else() {
        assert_eq!(kana_consonants("マイク").as_deref(), Some("mk"));
        assert_eq!(latin_consonants("Mike"), "mk");
        assert_eq!(kana_consonants("アリス"), Some(latin_consonants("Alice")));
        assert_eq!(kana_consonants("ケン"), Some(latin_consonants("Ken")));
        assert_ne!(kana_consonants("ケン"), Some(latin_consonants("Kate")));
        let text = "　雨の中、アメリカ人の友人マイクが声をかけた。\nMike laughed. \"Come on, Ken.\"\n　ケンは答えた。";
        let sentences = super::super::sentences::split(text, manga_domain::Language::Ja).sentences;
        let pool = candidates(&sentences);
        let aliases = |name: &str| pool.get(name).map(|c| c.aliases.iter().cloned().collect::<Vec<_>>());
        assert_eq!(aliases("マイク"), Some(vec!["Mike".to_owned()]), "{pool:?}");
    }

    #[test]
    fn honorifics_are_stripped_and_kept_as_aliases() {
        let mut pool = Pool::new();
        honorific_names("花子さんは笑った。御釈迦様は歩いた。お婆さんが来た。皆さんの様子。", &mut pool);
        let names: Vec<&str> = pool.keys().map(String::as_str).collect();
        assert_eq!(names, vec!["お婆さん", "御釈迦", "花子"]);
        assert!(pool["花子"].aliases.contains("花子さん"));
    }

    #[test]
    fn an_animal_or_a_word_ending_like_an_honorific_is_no_one() {
        let text = "蜘蛛が糸をかけていた。蜘蛛は銀色に光った。蜘蛛が下りてきた。カンダタは真っ逆さまに落ちた。カンダタは叫んだ。";
        let sentences = super::super::sentences::split(text, manga_domain::Language::Ja).sentences;
        let names: Vec<String> = candidates(&sentences).into_keys().collect();
        assert_eq!(names, vec!["カンダタ"]);
    }

    #[test]
    fn an_introduced_man_and_a_speaking_subject_are_names() {
        let mut pool = Pool::new();
        introduced_names("犍陀多と云う男が居た。", &mut pool);
        speaking_subjects("「待て」と太郎が叫んだ。", &mut pool);
        assert!(pool.contains_key("犍陀多") && pool.contains_key("太郎"), "{pool:?}");
    }

    #[test]
    fn role_words_that_speak_or_return_are_characters_under_their_whole_word() {
        let s = |text: &str| Sentence { index: 0, paragraph: 0, text: text.into(), heading: false, dialogue: false };
        let mut pool = Pool::new();
        let sentences = [
            s("翌朝、駅の前に健太とおばあちゃんが立っていた。"),
            s("「これはお礼よ」とおばあちゃんは言って、包みを差し出した。"),
            s("「先生、さようなら」と姫が言った。山田先生は笑った。お母さんの話をした。"),
            s("村長の茂平さんが来た。村長の茂平さんは帰った。"),
        ];
        role_words(&sentences, &mut pool);
        assert_eq!(pool.keys().collect::<Vec<_>>(), vec!["おばあちゃん", "姫"], "once-only words stay out");
    }
}
