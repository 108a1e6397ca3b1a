//! Tests over the two example stories in `examples/`: the whole of phases
//! 1 to 3 on real text, and the invariants later phases rely on.

use std::collections::BTreeSet;

use manga_domain::{Beat, Concept, Language, LineKind, PageCount, PlaceKind, StoryText, TimeOfDay};

use super::{analyse_story, design_characters, outline_plot};
use crate::ConceptRequest;

const KUMO: &str = include_str!("../../../../../examples/kumo-to-kaze.txt");
const LIGHTHOUSE: &str = include_str!("../../../../../examples/the-lighthouse-keeper.txt");

fn concept(text: &str) -> Concept {
    analyse_story(&StoryText::parse(text).expect("a story"), &ConceptRequest::default()).expect("a concept")
}

fn speaker_of(c: &Concept, line_text: &str) -> Option<String> {
    let line = c.dialogue.iter().find(|l| l.text == line_text).expect("the line exists");
    let id = line.speaker.as_ref()?;
    c.characters.iter().find(|ch| &ch.id == id).map(|ch| ch.name.clone())
}

/// Top-level 「…」 and sentence-opening （…） of raw Japanese text, found independently of the analyser.
fn japanese_quotes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut depth = 0;
        let mut current = String::new();
        let trimmed = line.trim();
        if let Some(thought) = trimmed.strip_prefix('（').and_then(|t| t.strip_suffix('）')) {
            out.push(thought.to_owned());
            continue;
        }
        for c in trimmed.chars() {
            match c {
                '「' if depth == 0 => depth = 1,
                '「' => {
                    depth += 1;
                    current.push(c);
                }
                '」' if depth == 1 => {
                    depth = 0;
                    out.push(std::mem::take(&mut current).trim().to_owned());
                }
                '」' => {
                    depth -= 1;
                    current.push(c);
                }
                _ if depth > 0 => current.push(c),
                _ => {}
            }
        }
    }
    out
}

#[test]
fn every_japanese_quote_in_the_example_is_exactly_one_dialogue_line() {
    let c = concept(KUMO);
    let expected = japanese_quotes(KUMO);
    assert_eq!(expected.len(), KUMO.matches('「').count() + KUMO.matches('（').count(), "nested 『』 are not counted");
    let got: Vec<String> = c.dialogue.iter().map(|l| l.text.clone()).collect();
    assert_eq!(got, expected);
    assert!(c.dialogue.iter().enumerate().all(|(i, l)| l.id.0 as usize == i));
}

/// Straight-quoted speech of raw English text, found independently of the analyser. A quote that ends
/// with a comma and is taken up again before the sentence ends (`"Well," Ann said, "it is."`: no `.!?`
/// or line break between the two) is one speech split by its attribution: it is joined to the next
/// quote with a space, as the analyser does.
fn english_speeches(text: &str) -> Vec<String> {
    let parts: Vec<&str> = text.split('"').collect();
    assert_eq!(parts.len() % 2, 1, "quotes come in pairs");
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for pair in parts[1..].chunks(2) {
        let quote = pair[0].trim();
        match out.last_mut().filter(|_| open) {
            Some(last) => *last = format!("{last} {quote}"),
            None => out.push(quote.to_owned()),
        }
        let gap = pair.get(1).copied().unwrap_or("");
        open = quote.ends_with(',') && !gap.contains(['.', '!', '?', '\n']);
    }
    out
}

fn words(lines: &[String]) -> Vec<&str> {
    lines.iter().flat_map(|l| l.split_whitespace()).collect()
}

#[test]
fn every_english_speech_in_the_example_is_exactly_one_dialogue_line() {
    // The example as written, and with a split quotation added so the joining rule is exercised too.
    let split =
        format!("{LIGHTHOUSE}\n\n\"Well,\" Elias said, \"it seems the liar was telling the truth after all.\"\n");
    for text in [LIGHTHOUSE, split.as_str()] {
        let c = concept(text);
        let expected = english_speeches(text);
        let got: Vec<String> = c.dialogue.iter().map(|l| l.text.clone()).collect();
        assert_eq!(got, expected);
        // No quoted word lost or said twice, whatever was joined.
        let raw: Vec<String> = text.split('"').skip(1).step_by(2).map(str::to_owned).collect();
        assert_eq!(words(&got), words(&raw));
    }
    let joined = concept(&split).dialogue.pop().expect("a line");
    assert_eq!(joined.text, "Well, it seems the liar was telling the truth after all.");
}

#[test]
fn the_japanese_example_is_read_as_its_own_story() {
    let c = concept(KUMO);
    assert_eq!(c.language, Language::Ja);
    assert_eq!(c.title, "雲と風の約束");
    let names: Vec<&str> = c.characters.iter().map(|ch| ch.name.as_str()).collect();
    assert_eq!(names[0], "ハル", "{names:?}");
    for name in ["源蔵", "小太郎", "ソヨギ", "茂平"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(names.len(), 5, "{names:?}");
    let genzo = c.characters.iter().find(|ch| ch.name == "源蔵").expect("源蔵");
    assert!(genzo.aliases.contains(&"源蔵さん".to_owned()) && genzo.descriptors.contains(&"白髪".to_owned()));
    assert_eq!(speaker_of(&c, "雲が迷子になるの？").as_deref(), Some("ハル"));
    assert_eq!(speaker_of(&c, "今年の雲は、どこで道に迷っておるのかのう").as_deref(), Some("源蔵"));
    assert_eq!(speaker_of(&c, "祠の鈴？　風もないのに？").as_deref(), Some("ハル"));
    assert_eq!(speaker_of(&c, "そうなんだ。きっと誰かが、おいらたちを呼んでるんだよ").as_deref(), Some("小太郎"));
    assert_eq!(speaker_of(&c, "祭りなら、先月もやったじゃないか"), None, "an unnamed young man");
    assert_eq!(speaker_of(&c, "では、ほかに何ができる").as_deref(), Some("茂平"));
    let kinds: Vec<PlaceKind> = c.places.iter().map(|p| p.kind).collect();
    assert!(
        kinds.contains(&PlaceKind::Street) && kinds.contains(&PlaceKind::Forest) && kinds.contains(&PlaceKind::Water)
    );
    let times: Vec<TimeOfDay> = c.times.iter().map(|t| t.time_of_day).collect();
    assert!(
        times.contains(&TimeOfDay::Night) && times.contains(&TimeOfDay::Morning) && times.contains(&TimeOfDay::Evening)
    );
    let thought = c.dialogue.iter().find(|l| l.kind == LineKind::Thought).expect("a thought");
    assert!(thought.text.starts_with("源蔵さん、ごめんなさい"));
    assert!(c.summary.starts_with("その年の夏") && c.summary.chars().count() <= 200, "{}", c.summary);
    assert!((3..=5).contains(&c.themes.len()), "{:?}", c.themes);
    assert_eq!(c.page_count.get(), 7);
}

#[test]
fn the_english_example_is_read_as_its_own_story() {
    let c = concept(LIGHTHOUSE);
    assert_eq!(c.language, Language::En);
    assert_eq!(c.title, "The Lighthouse Keeper");
    let names: Vec<&str> = c.characters.iter().map(|ch| ch.name.as_str()).collect();
    assert_eq!(names[..3], ["Elias Crane", "Mara", "Captain Reyes"], "{names:?}");
    assert!(names.contains(&"Tom Hale"), "{names:?}");
    assert!(
        !names.iter().any(|n| ["Morning", "Gull", "Saturday", "October", "Grandfather"].iter().any(|w| n.contains(w))),
        "{names:?}"
    );
    assert_eq!(speaker_of(&c, "Bad enough.").as_deref(), Some("Elias Crane"));
    assert_eq!(speaker_of(&c, "Will the light hold?").as_deref(), Some("Mara"));
    assert_eq!(speaker_of(&c, "Falling faster than I've ever seen it.").as_deref(), Some("Elias Crane"));
    assert_eq!(speaker_of(&c, "Not a cloud out there, Elias.").as_deref(), Some("Captain Reyes"));
    assert_eq!(speaker_of(&c, "I'll do it.").as_deref(), Some("Mara"));
    assert_eq!(speaker_of(&c, "And there's no one else.").as_deref(), Some("Mara"));
    assert_eq!(speaker_of(&c, "Ten yards. My boys wouldn't be alive without it.").as_deref(), Some("Tom Hale"));
    let attributed = c.dialogue.iter().filter(|l| l.speaker.is_some()).count();
    assert_eq!(attributed, c.dialogue.len());
    let mara = c.characters.iter().find(|ch| ch.name == "Mara").expect("Mara");
    assert!(mara.descriptors.contains(&"red hair".to_owned()), "{:?}", mara.descriptors);
    let places: Vec<&str> = c.places.iter().map(|p| p.name.as_str()).collect();
    for place in ["the lighthouse", "the harbour", "the town"] {
        assert!(places.contains(&place), "{place} missing from {places:?}");
    }
    assert!(c.times.iter().any(|t| t.time_of_day == TimeOfDay::Night));
    assert_eq!(c.genre, "adventure");
    assert!(c.summary.contains("Suddenly"), "{}", c.summary);
}

#[test]
fn the_example_plots_cover_every_sentence_and_share_pages_exactly() {
    for text in [KUMO, LIGHTHOUSE] {
        let story = StoryText::parse(text).expect("a story");
        for pages in [4u32, 8, 24] {
            let request =
                ConceptRequest { pages: Some(PageCount::parse(pages).expect("in range")), ..ConceptRequest::default() };
            let c = analyse_story(&story, &request).expect("a concept");
            let bible = design_characters(&story, &c).expect("a bible");
            let plot = outline_plot(&story, &c, &bible).expect("a plot");
            let mut next = 0;
            for scene in &plot.scenes {
                assert_eq!(scene.sentences.first, next, "scenes are contiguous");
                assert!(scene.sentences.last >= scene.sentences.first);
                next = scene.sentences.last + 1;
                assert!(scene.pages >= 1);
                assert!(!scene.title.is_empty() && !scene.summary.is_empty());
            }
            assert_eq!(next as usize, c.sentences.len(), "the last scene ends at the last sentence");
            assert_eq!(plot.scenes.iter().map(|s| u32::from(s.pages)).sum::<u32>(), pages);
            assert!(
                plot.scenes.len() as u32 <= pages
                    && plot.scenes.len() as u32 >= pages.div_ceil(2).min(c.sentences.len() as u32)
            );
            let lines: Vec<u32> = plot.scenes.iter().flat_map(|s| s.lines.iter().map(|l| l.0)).collect();
            assert_eq!(
                lines,
                (0..c.dialogue.len() as u32).collect::<Vec<_>>(),
                "each line in exactly one scene, in order"
            );
            for scene in &plot.scenes {
                for line in &scene.lines {
                    assert!(scene.sentences.contains(c.dialogue[line.0 as usize].sentence));
                }
            }
        }
    }
}

#[test]
fn the_japanese_plot_follows_kishotenketsu_with_the_twist_at_the_storm() {
    let story = StoryText::parse(KUMO).expect("a story");
    let c = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
    let bible = design_characters(&story, &c).expect("a bible");
    let plot = outline_plot(&story, &c, &bible).expect("a plot");
    let beats: Vec<Beat> = plot.scenes.iter().map(|s| s.beat).collect();
    assert_eq!(beats.first(), Some(&Beat::Ki));
    assert_eq!(beats.last(), Some(&Beat::Ketsu));
    let ten = plot.scenes.iter().find(|s| s.beat == Beat::Ten).expect("a 転 scene");
    let ten_text: String =
        (ten.sentences.first..=ten.sentences.last).map(|i| c.sentences[i as usize].text.as_str()).collect();
    assert!(ten_text.contains("突然") || ten_text.contains("崖"), "{ten_text}");
    assert!(plot.scenes.iter().any(|s| s.place_kind == PlaceKind::Forest));
    assert!(plot.scenes.iter().any(|s| s.time_of_day == TimeOfDay::Night));
    let haru = &c.characters[0].id;
    assert!(plot.scenes.iter().filter(|s| s.cast.first() == Some(haru)).count() >= 2);
}

#[test]
fn scenes_are_set_where_the_narration_puts_people_not_in_the_sky_or_where_they_leave() {
    let places = |text: &str| {
        let story = StoryText::parse(text).expect("a story");
        let c = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
        let bible = design_characters(&story, &c).expect("a bible");
        let plot = outline_plot(&story, &c, &bible).expect("a plot");
        plot.scenes.iter().map(|s| (s.place.clone().unwrap_or_default(), s.place_kind)).collect::<Vec<_>>()
    };
    // The forest trip leaves the village (`村を抜け出した`); the last scenes are not in the sky.
    let kumo = places(KUMO);
    assert!(kumo.iter().any(|(name, kind)| name == "森" && *kind == PlaceKind::Forest), "{kumo:?}");
    assert!(kumo.iter().all(|(_, kind)| *kind != PlaceKind::Sky), "{kumo:?}");
    let lighthouse = places(LIGHTHOUSE);
    assert!(lighthouse.iter().all(|(_, kind)| *kind != PlaceKind::Sky), "{lighthouse:?}");
    // Watching fireworks from the riverbank stays on the riverbank; a shop only talked about sets nothing.
    let festival = "夏祭り\n\n\u{3000}二人は川沿いの土手に座った。\n「店、おじさんが代わってくれたんだ」\n\u{3000}三人は夜空を見上げた。\n\n\u{3000}三人はしばらく黙って夜空を見つめた。\n";
    let festival = places(festival);
    assert!(festival.iter().all(|(_, kind)| *kind == PlaceKind::Water), "{festival:?}");
}

#[test]
fn analysis_is_deterministic_and_no_two_characters_share_an_outfit_colour() {
    for text in [KUMO, LIGHTHOUSE] {
        let story = StoryText::parse(text).expect("a story");
        let a = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
        let b = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
        assert_eq!(a, b);
        let bible_a = design_characters(&story, &a).expect("a bible");
        assert_eq!(bible_a, design_characters(&story, &b).expect("a bible"));
        assert_eq!(
            outline_plot(&story, &a, &bible_a).expect("a plot"),
            outline_plot(&story, &b, &bible_a).expect("a plot")
        );
        let colours: BTreeSet<String> = bible_a.characters.iter().map(|s| s.look.outfit_color.to_string()).collect();
        assert_eq!(colours.len(), bible_a.characters.len());
        assert!(bible_a.characters.iter().all(|s| s.portrait.is_none()));
        assert_eq!(
            bible_a.characters.iter().map(|s| &s.id).collect::<Vec<_>>(),
            a.characters.iter().map(|c| &c.id).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_bibles_draw_from_the_text() {
    use manga_domain::{AgeGroup, OutfitKind, Role};
    let story = StoryText::parse(KUMO).expect("a story");
    let c = concept(KUMO);
    let bible = design_characters(&story, &c).expect("a bible");
    let sheet = |name: &str| bible.characters.iter().find(|s| s.name == name).expect("a sheet");
    assert_eq!(sheet("ハル").role, Role::Protagonist);
    assert!(sheet("ハル").look.from_text.contains(&"hair_color:赤毛".to_owned()), "{:?}", sheet("ハル").look.from_text);
    assert_eq!(sheet("源蔵").look.age, AgeGroup::Old);
    assert_eq!(sheet("小太郎").look.age, AgeGroup::Young);
    assert!(sheet("ソヨギ").look.height > 1.0);
    assert_eq!(sheet("ハル").look.outfit, OutfitKind::Kimono);
    assert!(sheet("小太郎").personality.contains("loud"), "{}", sheet("小太郎").personality);

    let story = StoryText::parse(LIGHTHOUSE).expect("a story");
    let c = concept(LIGHTHOUSE);
    let bible = design_characters(&story, &c).expect("a bible");
    let elias = bible.characters.iter().find(|s| s.name == "Elias Crane").expect("Elias");
    assert_eq!(elias.role, Role::Protagonist);
    assert!(elias.look.spectacles && elias.look.age == AgeGroup::Old);
    let reyes = bible.characters.iter().find(|s| s.name == "Captain Reyes").expect("Reyes");
    assert_eq!(reyes.look.outfit, OutfitKind::Uniform);
    assert!(!reyes.speech_style.is_empty() && !reyes.personality.is_empty());
}

#[test]
fn a_story_gets_no_more_pages_than_its_sentences_can_fill() {
    let pages = |text: &str| concept(text).page_count.get();
    assert_eq!(pages("The old dog slept by the fire while the snow fell outside."), 1);
    assert_eq!(pages("Tom woke. He dressed. He ate. He left. It rained."), 2);
    // Stories of normal length keep their pages by length (at least four).
    assert!(pages(LIGHTHOUSE) >= 4 && pages(KUMO) >= 4, "{} {}", pages(LIGHTHOUSE), pages(KUMO));
}

#[test]
fn odd_stories_never_panic_and_keep_the_plot_invariants() {
    let odd = [
        "x",
        "# Only a title",
        "「閉じない鉤括弧のまま終わる",
        "\"Unclosed quote at the end",
        "İstanbul'da İİİ. ẞtraße said Ünal. \"Hi,\" said Ünal. 'Tis Ünal's.",
        "第一章\n\n第二章\n\n第三章",
        "😀😀😀 !!! ??? ... 。。。 」」」 ））） \"\"\"",
        "Mr. Dr. St. Mt. ... ... Chapter 1\n* * *\n◇",
        "（（（入れ子の（括弧）が）閉じない",
        "Tom said \"a\" Tom said \"b\" Tom said \"c\" Mary said \"d\"",
    ];
    for text in odd {
        let story = StoryText::parse(text).expect("a story");
        for pages in [None, Some(2u32), Some(64)] {
            let request = ConceptRequest { pages: pages.map(PageCount::clamped), ..ConceptRequest::default() };
            let c = analyse_story(&story, &request).expect("a concept");
            let bible = design_characters(&story, &c).expect("a bible");
            let plot = outline_plot(&story, &c, &bible).expect("a plot");
            assert_eq!(plot.scenes.first().map(|s| s.sentences.first), Some(0), "{text}");
            assert_eq!(plot.scenes.last().map(|s| s.sentences.last as usize + 1), Some(c.sentences.len()), "{text}");
            assert_eq!(plot.scenes.iter().map(|s| s.pages).sum::<u16>(), c.page_count.get(), "{text}");
        }
    }
}

#[test]
fn a_long_story_is_analysed_in_reasonable_time() {
    let long: String = std::iter::repeat_n(KUMO, 60).collect::<Vec<_>>().join("\n\n");
    let story = StoryText::parse(long).expect("a story");
    let started = std::time::Instant::now();
    let c = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
    let bible = design_characters(&story, &c).expect("a bible");
    let plot = outline_plot(&story, &c, &bible).expect("a plot");
    assert_eq!(c.page_count.get(), 24);
    assert_eq!(plot.scenes.iter().map(|s| s.pages).sum::<u16>(), 24);
    assert_eq!(c.dialogue.len(), 60 * japanese_quotes(KUMO).len());
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
}
