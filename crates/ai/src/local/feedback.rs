//! Chat messages to feedback, by rules (the local provider; a remote model
//! answers the same request with JSON against a schema).
//!
//! Understood, in English and Japanese: approval ("looks good", 「いいね」),
//! redrawing a panel or a page ("redraw panel 3 on page 2", 「2ページ目の3コマ目を描き直して」),
//! a character's hair, eye or outfit colour ("make Kandata's hair white",
//! 「カンダタの髪を白く」), the mood ("darker", 「もっと暗い雰囲気に」), a line
//! of dialogue (`change "A" to "B"`, 「A」を「B」に), and a crowded page
//! (→ the storyboard is revised with the comment).

use manga_domain::{CharacterBible, FeedbackAction, FeedbackSuggestion, Mood, PanelId, PhaseId, Storyboard, Target};

use crate::{AiError, FeedbackRequest};

fn rejected(message: String) -> AiError {
    AiError::Rejected { provider: super::NAME.into(), message }
}

/// What the rules understand, for the error when nothing matched.
const UNDERSTOOD: &str = "I understand: approval (\"looks good\"), redrawing a panel or page \
(\"redraw panel 2 on page 3\"), a character's hair, eye or outfit colour (\"make Kandata's hair white\"), \
the mood (\"darker\", \"brighter\"), changing a line (change \"A\" to \"B\"), and a crowded page \
(\"page 2 is too crowded\")";

/// Understands one message.
///
/// # Errors
/// [`AiError::Rejected`] saying what is understood, or why a named thing does not exist.
pub fn suggest(request: &FeedbackRequest<'_>) -> Result<FeedbackSuggestion, AiError> {
    let text = normalise(&request.message);
    let lower = text.to_lowercase();
    let ja = is_japanese(&text);
    let say = |en: String, jp: String| if ja { jp } else { en };

    if let Some(target) = panel_or_page(&lower, request.storyboard)? {
        let summary = match &target {
            Target::Panel(id) => say(format!("Panel {id} is redrawn."), format!("コマ {id} を描き直します。")),
            Target::Page(n) => {
                say(format!("Every panel of page {n} is redrawn."), format!("{n}ページ目のコマをすべて描き直します。"))
            }
            Target::Portrait(id) => {
                say(format!("{id}'s portrait is redrawn."), format!("{id} の立ち絵を描き直します。"))
            }
        };
        return Ok(FeedbackSuggestion {
            phase: PhaseId::Images,
            action: FeedbackAction::Regenerate { target },
            summary,
        });
    }
    if let Some((from, to)) = quoted_change(&text) {
        return line_edit(request.storyboard, &from, &to, ja);
    }
    if let Some(suggestion) = colour_edit(&lower, request.bible, ja)? {
        return Ok(suggestion);
    }
    if let Some(mood) = mood_of(&lower) {
        let name = mood_name(mood);
        let summary = say(
            format!("The mood becomes {name}; everything after the concept is redone."),
            format!("雰囲気を「{name}」にして、以降をやり直します。"),
        );
        let value = serde_json::to_value(mood).unwrap_or_default();
        return Ok(FeedbackSuggestion {
            phase: PhaseId::Concept,
            action: FeedbackAction::Edit { field: "/mood".into(), value },
            summary,
        });
    }
    if ["crowded", "too many panels", "cramped", "busy", "詰め込", "ごちゃごちゃ", "窮屈", "コマが多"]
        .iter()
        .any(|w| lower.contains(w))
    {
        let summary = say(
            "The storyboard is laid out again with your comment.".into(),
            "コメントをもとにネームを組み直します。".into(),
        );
        return Ok(FeedbackSuggestion {
            phase: PhaseId::Name,
            action: FeedbackAction::Revise { comment: request.message.trim().to_owned() },
            summary,
        });
    }
    if is_approval(&lower) {
        let phase = request.phase.ok_or_else(|| rejected("which phase is good? Open one and say it again".into()))?;
        let summary = say(format!("{phase} is approved."), format!("{phase} を承認します。"));
        return Ok(FeedbackSuggestion { phase, action: FeedbackAction::Approve, summary });
    }
    Err(rejected(format!("I did not understand {:?}. {UNDERSTOOD}.", request.message.trim())))
}

/// Full-width digits and Japanese numerals to ASCII digits; curly quotes to straight.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '０'..='９' => out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '“' | '”' => out.push('"'),
            '‘' | '’' => out.push('\''),
            _ => out.push(c),
        }
    }
    // 一..十 as counters before ページ/コマ.
    for (kanji, digit) in [
        ("十", "10"),
        ("一", "1"),
        ("二", "2"),
        ("三", "3"),
        ("四", "4"),
        ("五", "5"),
        ("六", "6"),
        ("七", "7"),
        ("八", "8"),
        ("九", "9"),
    ] {
        for counter in ["ページ", "コマ", "枚"] {
            out = out.replace(&format!("{kanji}{counter}"), &format!("{digit}{counter}"));
        }
    }
    out
}

fn is_japanese(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

fn is_approval(lower: &str) -> bool {
    let t = lower.trim().trim_end_matches(['.', '!', '。', '！']);
    [
        "ok",
        "okay",
        "looks good",
        "good",
        "great",
        "perfect",
        "lgtm",
        "approve",
        "approved",
        "yes",
        "いいね",
        "いいです",
        "良い",
        "よし",
        "オーケー",
        "承認",
        "これで",
    ]
    .iter()
    .any(|w| {
        t == *w
            || t.starts_with(&format!("{w} "))
            || t.starts_with(&format!("{w},"))
            || (is_japanese(w) && t.starts_with(w))
    })
}

/// The number right before or after a word ("page 3", "3ページ", "third page").
fn number_near(lower: &str, words: &[&str]) -> Option<u32> {
    const ORDINALS: [(&str, u32); 10] = [
        ("first", 1),
        ("second", 2),
        ("third", 3),
        ("fourth", 4),
        ("fifth", 5),
        ("sixth", 6),
        ("seventh", 7),
        ("eighth", 8),
        ("ninth", 9),
        ("tenth", 10),
    ];
    for word in words {
        let Some(at) = lower.find(word) else { continue };
        let after: String = lower[at + word.len()..].trim_start().chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = after.parse() {
            return Some(n);
        }
        let before = lower[..at].trim_end();
        let digits: String =
            before.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
        if let Ok(n) = digits.parse() {
            return Some(n);
        }
        if let Some((_, n)) = ORDINALS.iter().find(|(o, _)| before.ends_with(o)) {
            return Some(*n);
        }
    }
    None
}

fn panel_or_page(lower: &str, storyboard: Option<&Storyboard>) -> Result<Option<Target>, AiError> {
    let redraw = ["redraw", "regenerate", "draw again", "re-draw", "描き直", "書き直", "やり直", "作り直"];
    if !redraw.iter().any(|w| lower.contains(w)) {
        return Ok(None);
    }
    // An explicit id: "p03-2".
    if let Some(id) = lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '-').find_map(|w| PanelId::parse(w).ok())
    {
        return exists(storyboard, Target::Panel(id)).map(Some);
    }
    let page = number_near(lower, &["page", "ページ", "頁"]);
    let panel = number_near(lower, &["panel", "コマ", "frame"]);
    match (page, panel) {
        (Some(page), Some(panel)) => {
            let id = u16::try_from(page).ok().zip(u8::try_from(panel).ok()).and_then(|(p, i)| PanelId::new(p, i).ok());
            let id = id.ok_or_else(|| rejected(format!("there is no panel {panel} on page {page}")))?;
            exists(storyboard, Target::Panel(id)).map(Some)
        }
        (Some(page), None) => {
            let page = u16::try_from(page).map_err(|_| rejected(format!("there is no page {page}")))?;
            exists(storyboard, Target::Page(page)).map(Some)
        }
        _ => Ok(None),
    }
}

fn exists(storyboard: Option<&Storyboard>, target: Target) -> Result<Target, AiError> {
    let Some(storyboard) = storyboard else { return Ok(target) };
    let found = match &target {
        Target::Panel(id) => storyboard.panel(*id).is_some(),
        Target::Page(n) => storyboard.pages.iter().any(|p| p.number == *n),
        Target::Portrait(_) => true,
    };
    if found {
        Ok(target)
    } else {
        Err(rejected(format!(
            "there is no {} in this storyboard ({} pages)",
            target.to_string().replace(':', " "),
            storyboard.pages.len()
        )))
    }
}

/// `change "A" to "B"`, `replace "A" with "B"`, 「A」を「B」に.
fn quoted_change(text: &str) -> Option<(String, String)> {
    let quoted = |open: char, close: char| -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else { break };
            found.push(after[..end].to_owned());
            rest = &after[end + close.len_utf8()..];
        }
        found
    };
    for (open, close) in [('「', '」'), ('"', '"'), ('『', '』')] {
        if let [from, to, ..] = quoted(open, close).as_slice()
            && !from.is_empty()
        {
            return Some((from.clone(), to.clone()));
        }
    }
    None
}

fn line_edit(storyboard: Option<&Storyboard>, from: &str, to: &str, ja: bool) -> Result<FeedbackSuggestion, AiError> {
    let storyboard = storyboard.ok_or_else(|| rejected("there is no storyboard yet, so no line to change".into()))?;
    for (i, page) in storyboard.pages.iter().enumerate() {
        for (j, panel) in page.panels.iter().enumerate() {
            for (k, balloon) in panel.balloons.iter().enumerate() {
                if balloon.text.contains(from) {
                    let text = balloon.text.replacen(from, to, 1);
                    let summary = if ja {
                        format!("{} のセリフを「{text}」にします。", panel.id)
                    } else {
                        format!("The line in panel {} becomes \"{text}\".", panel.id)
                    };
                    return Ok(FeedbackSuggestion {
                        phase: PhaseId::Name,
                        action: FeedbackAction::Edit {
                            field: format!("/pages/{i}/panels/{j}/balloons/{k}/text"),
                            value: serde_json::Value::String(text),
                        },
                        summary,
                    });
                }
            }
        }
    }
    Err(rejected(format!("no line of the storyboard contains {from:?}")))
}

const COLOURS: [(&[&str], &str, &str); 13] = [
    (&["white", "白", "しろ"], "#f0f0f0", "white"),
    (&["black", "黒", "くろ"], "#1c1c1c", "black"),
    (&["silver", "grey", "gray", "銀", "灰"], "#a8a8b0", "silver"),
    (&["blonde", "blond", "gold", "金"], "#e2c068", "gold"),
    (&["red", "赤", "あか"], "#b8322a", "red"),
    (&["orange", "オレンジ", "橙"], "#e07b39", "orange"),
    (&["yellow", "黄"], "#e8cf4a", "yellow"),
    (&["green", "緑", "みどり"], "#2e8b57", "green"),
    (&["blue", "青", "あお"], "#2e5fa8", "blue"),
    (&["purple", "violet", "紫"], "#7b4fa0", "purple"),
    (&["pink", "ピンク", "桃"], "#e89ab0", "pink"),
    (&["brown", "茶"], "#6b4226", "brown"),
    (&["navy", "紺"], "#1f2d50", "navy"),
];

fn colour_edit(lower: &str, bible: Option<&CharacterBible>, ja: bool) -> Result<Option<FeedbackSuggestion>, AiError> {
    let part = if ["hair", "髪"].iter().any(|w| lower.contains(w)) {
        ("hair_color", "hair", "髪")
    } else if ["eye", "目", "瞳"].iter().any(|w| lower.contains(w)) {
        ("eye_color", "eyes", "目")
    } else if ["outfit", "clothes", "coat", "dress", "服", "衣装", "着物"].iter().any(|w| lower.contains(w)) {
        ("outfit_color", "outfit", "服")
    } else {
        return Ok(None);
    };
    let Some((_, hex, colour)) = COLOURS.iter().find(|(words, _, _)| words.iter().any(|w| lower.contains(w))) else {
        return Ok(None);
    };
    let bible = bible.ok_or_else(|| rejected("there are no characters yet".into()))?;
    let index = bible
        .characters
        .iter()
        .position(|c| lower.contains(&c.name.to_lowercase()) || lower.contains(c.id.as_str()))
        .or_else(|| (bible.characters.len() == 1).then_some(0));
    let Some(index) = index else {
        let names: Vec<&str> = bible.characters.iter().map(|c| c.name.as_str()).collect();
        return Err(rejected(format!("whose {}? The characters are {}", part.1, names.join(", "))));
    };
    let name = &bible.characters[index].name;
    let summary = if ja {
        format!("{name}の{}を{colour}（{hex}）にします。", part.2)
    } else {
        format!("{name}'s {} becomes {colour} ({hex}).", part.1)
    };
    Ok(Some(FeedbackSuggestion {
        phase: PhaseId::Characters,
        action: FeedbackAction::Edit {
            field: format!("/characters/{index}/look/{}", part.0),
            value: serde_json::Value::String((*hex).to_owned()),
        },
        summary,
    }))
}

fn mood_of(lower: &str) -> Option<Mood> {
    let table: [(&[&str], Mood); 7] = [
        (&["darker", "dark", "grim", "scarier", "暗", "怖", "ダーク"], Mood::Dark),
        (&["brighter", "happier", "warmer", "cheerful", "明る", "楽し", "温か"], Mood::Warm),
        (&["sadder", "melancholy", "wistful", "悲し", "切な", "寂し"], Mood::Melancholy),
        (&["funnier", "comic", "lighter", "面白", "コミカル", "ギャグ"], Mood::Comic),
        (&["tense", "suspense", "緊迫", "緊張", "ハラハラ"], Mood::Tense),
        (&["mysterious", "eerie", "不思議", "ミステリ", "謎"], Mood::Mysterious),
        (&["calm", "quiet", "peaceful", "穏やか", "静か"], Mood::Calm),
    ];
    let moody = ["mood", "atmosphere", "tone", "feel", "雰囲気", "空気", "トーン", "more", "もっと", "make it", "less"];
    let (words, mood) = table.iter().find(|(words, _)| words.iter().any(|w| lower.contains(w)))?;
    let _ = words;
    moody.iter().any(|w| lower.contains(w)).then_some(*mood)
}

fn mood_name(mood: Mood) -> String {
    serde_json::to_value(mood).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use manga_domain::StoryText;

    use super::*;
    use crate::ConceptRequest;
    use crate::local::analysis;

    fn ask(message: &str) -> Result<FeedbackSuggestion, AiError> {
        suggest(&FeedbackRequest { message: message.into(), phase: Some(PhaseId::Plot), ..FeedbackRequest::default() })
    }

    fn action(message: &str) -> (PhaseId, FeedbackAction) {
        let s = ask(message).unwrap();
        (s.phase, s.action)
    }

    #[test]
    fn redraws_name_a_panel_or_a_page_in_either_language() {
        let panel = |p, i| FeedbackAction::Regenerate { target: Target::Panel(PanelId::new(p, i).unwrap()) };
        assert_eq!(action("redraw panel 3 on page 2"), (PhaseId::Images, panel(2, 3)));
        assert_eq!(action("2ページ目の3コマ目を描き直して"), (PhaseId::Images, panel(2, 3)));
        assert_eq!(action("二ページ目の三コマ目を描き直して"), (PhaseId::Images, panel(2, 3)));
        assert_eq!(action("please regenerate p01-4"), (PhaseId::Images, panel(1, 4)));
        assert_eq!(action("redraw the second page").1, FeedbackAction::Regenerate { target: Target::Page(2) });
        assert!(ask("2ページ目の3コマ目を描き直して").unwrap().summary.contains("描き直します"));
    }

    #[test]
    fn moods_edit_the_concept() {
        let dark = FeedbackAction::Edit { field: "/mood".into(), value: serde_json::json!("dark") };
        assert_eq!(action("もっと暗い雰囲気に"), (PhaseId::Concept, dark.clone()));
        assert_eq!(action("make it darker"), (PhaseId::Concept, dark));
        let (_, warm) = action("a brighter mood please");
        assert_eq!(warm, FeedbackAction::Edit { field: "/mood".into(), value: serde_json::json!("warm") });
    }

    #[test]
    fn approval_crowding_and_nonsense() {
        assert_eq!(action("Looks good!"), (PhaseId::Plot, FeedbackAction::Approve));
        assert_eq!(action("いいね"), (PhaseId::Plot, FeedbackAction::Approve));
        let (phase, revise) = action("the second page is too crowded");
        assert_eq!(phase, PhaseId::Name);
        assert!(matches!(revise, FeedbackAction::Revise { comment } if comment.contains("crowded")));
        let err = ask("qwertyuiop").unwrap_err().to_string();
        assert!(err.contains("did not understand \"qwertyuiop\"") && err.contains("I understand"), "{err}");
    }

    #[test]
    fn colours_edit_the_named_characters_look() {
        let story = StoryText::parse(
            "Kandata climbed the thread. \"Help me!\" Kandata cried. Mira watched from above. \"Climb,\" said Mira."
                .to_owned(),
        )
        .unwrap();
        let concept = analysis::analyse_story(&story, &ConceptRequest::default()).unwrap();
        let bible = analysis::design_characters(&story, &concept).unwrap();
        let kandata = bible.characters.iter().position(|c| c.name == "Kandata").unwrap();
        let request = FeedbackRequest {
            message: "make Kandata's hair white".into(),
            bible: Some(&bible),
            ..FeedbackRequest::default()
        };
        let s = suggest(&request).unwrap();
        assert_eq!(s.phase, PhaseId::Characters);
        assert_eq!(
            s.action,
            FeedbackAction::Edit {
                field: format!("/characters/{kandata}/look/hair_color"),
                value: serde_json::json!("#f0f0f0")
            }
        );
        assert_eq!(s.summary, "Kandata's hair becomes white (#f0f0f0).");
        let request = FeedbackRequest {
            message: "make the hair white".into(),
            bible: Some(&bible),
            ..FeedbackRequest::default()
        };
        let err = suggest(&request).unwrap_err().to_string();
        assert!(err.contains("whose hair?") && err.contains("Kandata"), "{err}");
    }
}
