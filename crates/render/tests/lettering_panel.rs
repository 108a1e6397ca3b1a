//! Lettering whole panels: pixels and placed structures.

use manga_domain::{BalloonKind, BalloonPlan, CharacterId, Figure, Language, LineId, PlacedBalloon, Point, Rect};
use manga_render::lettering::{LetteringOutcome, LetteringRequest, letter_panel};
use manga_render::tiny_skia::{Color, Pixmap};

const BACKGROUND: (u8, u8, u8) = (40, 160, 200);

fn blank(w: u32, h: u32) -> Pixmap {
    let mut p = Pixmap::new(w, h).expect("a panel-sized pixmap");
    p.fill(Color::from_rgba8(BACKGROUND.0, BACKGROUND.1, BACKGROUND.2, 255));
    p
}

fn plan(i: u32, kind: BalloonKind, speaker: Option<&str>, text: &str) -> BalloonPlan {
    BalloonPlan {
        line: (kind != BalloonKind::Narration).then_some(LineId(i)),
        kind,
        speaker: speaker.map(CharacterId::from_name),
        text: text.to_owned(),
    }
}

fn figure(name: &str, face: Rect) -> Figure {
    Figure {
        character: CharacterId::from_name(name),
        body: Rect::new(face.x - face.w * 0.5, face.y, face.w * 2.0, face.h * 4.0),
        face,
        mouth: Point { x: face.center().x, y: face.y + face.h * 0.75 },
    }
}

fn letter(
    pixmap: &mut Pixmap,
    balloons: &[BalloonPlan],
    figures: &[Figure],
    language: Language,
    sfx: &[String],
) -> LetteringOutcome {
    let request = LetteringRequest {
        balloons,
        sfx,
        figures,
        language,
        reading_direction: language.reading_direction(),
        attempt: 1,
        detail: None,
    };
    letter_panel(pixmap, &request)
}

fn is_background(p: manga_render::tiny_skia::PremultipliedColorU8) -> bool {
    p.red() == BACKGROUND.0 && p.green() == BACKGROUND.1 && p.blue() == BACKGROUND.2
}

fn is_dark(p: manga_render::tiny_skia::PremultipliedColorU8) -> bool {
    p.red() < 100 && p.green() < 100 && p.blue() < 100
}

fn inside(r: &Rect, x: u32, y: u32) -> bool {
    let (cx, cy) = (x as f32 + 0.5, y as f32 + 0.5);
    cx >= r.x && cy >= r.y && cx <= r.right() && cy <= r.bottom()
}

/// Texts of every length the storyboard allows, and beyond.
fn japanese_texts() -> Vec<&'static str> {
    vec![
        "えっ？",
        "「それ」は何だ？",
        "むかしむかし、あるところに、おじいさんとおばあさんがすんでいました。",
        "ちょっと待ってよ！　そんなこと、聞いてないってば……本当に行っちゃうの？",
        "地獄の底の血の池で、ほかの罪人と一しょに、浮いたり沈んだりしていたカンダタでございます。それは御釈迦様が極楽の蓮池のふちに立って下を御覧になった時のことでした。",
    ]
}

fn english_texts() -> Vec<&'static str> {
    vec![
        "What?",
        "I told you not to open that door, didn't I?",
        "The spider's thread hung before him, thin as moonlight, and for the first time in a thousand years he dared to hope.",
        "Supercalifragilisticexpialidociously long words must still stay inside the balloon no matter what happens here.",
    ]
}

fn sizes() -> Vec<(u32, u32)> {
    vec![(250, 300), (500, 600), (1100, 400), (300, 900)]
}

fn check_ink_inside(pixmap: &Pixmap, outcome: &LetteringOutcome, what: &str) {
    for b in &outcome.balloons {
        assert!(b.bounds.contains_rect(&b.text_box, 0.0), "{what}: text box {:?} outside {:?}", b.text_box, b.bounds);
        assert!(b.bounds.x >= 5.9 && b.bounds.y >= 5.9, "{what}: balloon too near the edge: {:?}", b.bounds);
        assert!(b.bounds.right() <= pixmap.width() as f32 - 5.9 && b.bounds.bottom() <= pixmap.height() as f32 - 5.9);
        let min = manga_render::lettering::min_px(b.kind);
        assert!(b.font_px >= min - 0.01, "{what}: {} px is under the {min:.1} px minimum", b.font_px);
        assert!(!b.text.is_empty());
        if b.kind == BalloonKind::Speech {
            // The ink box lies inside the outline's ellipse, corners included.
            let c = b.bounds.center();
            let (a, e) = (b.bounds.w / 2.0, b.bounds.h / 2.0);
            for (x, y) in [
                (b.text_box.x, b.text_box.y),
                (b.text_box.right(), b.text_box.y),
                (b.text_box.x, b.text_box.bottom()),
                (b.text_box.right(), b.text_box.bottom()),
            ] {
                let r = ((x - c.x) / a).powi(2) + ((y - c.y) / e).powi(2);
                assert!(r <= 1.0, "{what}: text corner ({x},{y}) outside the ellipse of {:?}", b.bounds);
            }
        }
    }
    // Without tails or SFX, nothing at all is drawn outside the balloons.
    let w = pixmap.width();
    for (i, p) in pixmap.pixels().iter().enumerate() {
        let (x, y) = (i as u32 % w, i as u32 / w);
        if !outcome.balloons.iter().any(|b| inside(&b.bounds, x, y)) {
            assert!(is_background(*p), "{what}: ink at ({x},{y}) outside every balloon");
        }
    }
}

#[test]
fn balloons_contain_their_texts_ink_in_japanese_at_every_panel_size() {
    for (w, h) in sizes() {
        for (i, text) in japanese_texts().into_iter().enumerate() {
            let mut pixmap = blank(w, h);
            let plans = [plan(1, BalloonKind::Speech, None, text)];
            let outcome = letter(&mut pixmap, &plans, &[], Language::Ja, &[]);
            assert!(!outcome.balloons.is_empty());
            assert!(outcome.balloons.iter().all(|b| b.vertical));
            check_ink_inside(&pixmap, &outcome, &format!("ja text {i} in {w}x{h}"));
            if !outcome.balloons.iter().any(|b| b.overflow) {
                let lettered: String = outcome.balloons.iter().map(|b| b.text.as_str()).collect();
                assert_eq!(lettered, text, "in {w}x{h}");
            }
        }
    }
}

#[test]
fn balloons_contain_their_texts_ink_in_english_at_every_panel_size() {
    for (w, h) in sizes() {
        for (i, text) in english_texts().into_iter().enumerate() {
            let mut pixmap = blank(w, h);
            let plans = [plan(1, BalloonKind::Speech, None, text)];
            let outcome = letter(&mut pixmap, &plans, &[], Language::En, &[]);
            assert!(outcome.balloons.iter().all(|b| !b.vertical));
            check_ink_inside(&pixmap, &outcome, &format!("en text {i} in {w}x{h}"));
        }
    }
}

#[test]
fn every_balloon_kind_keeps_its_text_inside() {
    for kind in BalloonKind::ALL {
        for language in [Language::Ja, Language::En] {
            let text = if language == Language::Ja { japanese_texts()[3] } else { english_texts()[1] };
            let mut pixmap = blank(500, 600);
            let outcome = letter(&mut pixmap, &[plan(1, kind, None, text)], &[], language, &[]);
            assert_eq!(outcome.balloons[0].kind, kind);
            check_ink_inside(&pixmap, &outcome, &format!("{kind:?} {language:?}"));
        }
    }
}

const KANDATA: &str = "地獄の底の血の池で、ほかの罪人と一しょに、浮いたり沈んだりしていたカンダタでございます。何しろどちらを見ても、まっ暗で、たまにそのくら暗からぼんやり浮き上っているものがあると思いますと、それは恐しい針の山の針が光るのでございます。";

#[test]
fn a_text_too_long_for_one_balloon_is_split_whole_into_balloons_of_the_same_line() {
    // Two sentences: too long for one balloon at the minimum size in this panel, not for two.
    let line = "地獄の底の血の池で、ほかの罪人と一しょに、浮いたり沈んだりしていたカンダタでございます。何しろどちらを見ても、まっ暗で、たまにそのくら暗からぼんやり浮き上っているものがある。";
    let mut pixmap = blank(400, 500);
    let outcome = letter(&mut pixmap, &[plan(7, BalloonKind::Speech, None, line)], &[], Language::Ja, &[]);
    let n = outcome.balloons.len();
    assert!((2..=4).contains(&n), "{n} balloons: {:?}", outcome.balloons);
    assert!(outcome.balloons.iter().all(|b| b.line == Some(LineId(7)) && !b.overflow));
    let joined: String = outcome.balloons.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(joined, line, "the parts, in order, are the line");
    for (i, a) in outcome.balloons.iter().enumerate() {
        for b in &outcome.balloons[i + 1..] {
            assert!(a.bounds.intersection(&b.bounds).is_none(), "split balloons overlap");
        }
    }
    check_ink_inside(&pixmap, &outcome, "split");
}

#[test]
fn a_text_no_panel_size_can_hold_overflows_rather_than_shrinking_below_the_minimum() {
    let mut pixmap = blank(250, 300);
    let outcome = letter(&mut pixmap, &[plan(7, BalloonKind::Speech, None, KANDATA)], &[], Language::Ja, &[]);
    assert!(outcome.balloons.iter().any(|b| b.overflow), "the gate is told: {:?}", outcome.balloons);
    assert!(outcome.balloons.len() <= 4);
    check_ink_inside(&pixmap, &outcome, "overflow");
}

#[test]
fn vertical_columns_run_right_to_left_in_a_lettered_panel() {
    let mut pixmap = blank(500, 600);
    // Heavy characters first, light ones last: the first column holds much ink, the last little.
    let text = "國國國國國國國國國國國一一一一一一一一一一一";
    let outcome = letter(&mut pixmap, &[plan(1, BalloonKind::Narration, None, text)], &[], Language::Ja, &[]);
    let b = &outcome.balloons[0];
    assert!(b.text_box.w > b.font_px * 1.5, "needs at least two columns: {:?}", b.text_box);
    let t = b.text_box;
    let w = pixmap.width();
    let dark_in = |x0: f32, x1: f32| {
        (t.y as u32..t.bottom() as u32)
            .flat_map(move |y| (x0 as u32..x1 as u32).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = pixmap.pixels()[(y * w + x) as usize];
                is_dark(p)
            })
            .count()
    };
    let col = b.font_px;
    let right_ink = dark_in(t.right() - col, t.right());
    let left_ink = dark_in(t.x, t.x + col);
    assert!(right_ink > 0 && left_ink > 0);
    assert!(right_ink > 3 * left_ink, "right {right_ink} vs left {left_ink}");
}

#[test]
fn english_reads_from_the_top_left_and_japanese_from_the_top_right() {
    for (language, text) in [(Language::En, "Hello there."), (Language::Ja, "こんにちは。")] {
        let mut pixmap = blank(600, 600);
        let plans = [plan(1, BalloonKind::Speech, None, text), plan(2, BalloonKind::Speech, None, text)];
        let outcome = letter(&mut pixmap, &plans, &[], language, &[]);
        let (first, second) = (&outcome.balloons[0], &outcome.balloons[1]);
        let c = first.bounds.center();
        assert!(c.y < 300.0, "{language:?}: first balloon in the top half");
        match language {
            Language::En => assert!(c.x < 300.0 && second.bounds.center().x >= c.x, "{:?}", outcome.balloons),
            Language::Ja => assert!(c.x > 300.0 && second.bounds.center().x <= c.x, "{:?}", outcome.balloons),
        }
    }
}

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a.intersection(b).is_some()
}

#[test]
fn no_balloon_covers_a_face_when_there_is_room_and_balloons_never_overlap() {
    let figures = [
        figure("Kandata", Rect::new(320.0, 120.0, 90.0, 100.0)),
        figure("Buddha", Rect::new(80.0, 260.0, 90.0, 100.0)),
    ];
    for language in [Language::Ja, Language::En] {
        let (t1, t2, t3) = match language {
            Language::Ja => ("この糸は己のものだぞ。", "下りろ。下りろ。", "あっ……！"),
            Language::En => ("This thread is mine!", "Get off! Get off!", "Ah...!"),
        };
        let plans = [
            plan(1, BalloonKind::Speech, Some("Kandata"), t1),
            plan(2, BalloonKind::Shout, Some("Kandata"), t2),
            plan(3, BalloonKind::Thought, Some("Buddha"), t3),
            plan(4, BalloonKind::Narration, None, t3),
        ];
        let mut pixmap = blank(500, 600);
        let outcome = letter(&mut pixmap, &plans, &figures, language, &["ドドド".to_owned()]);
        let placed: &[PlacedBalloon] = &outcome.balloons;
        assert_eq!(placed.len(), 4);
        for (i, a) in placed.iter().enumerate() {
            for f in &figures {
                assert!(!overlaps(&a.bounds, &f.face), "{language:?}: balloon {i} covers a face: {:?}", a.bounds);
            }
            for b in &placed[i + 1..] {
                assert!(
                    !overlaps(&a.bounds, &b.bounds),
                    "{language:?}: balloons overlap: {:?} {:?}",
                    a.bounds,
                    b.bounds
                );
            }
        }
        for (text, rect) in &outcome.sfx {
            for f in &figures {
                assert!(!overlaps(rect, &f.face), "{language:?}: sfx {text} covers a face");
            }
            for b in placed {
                assert!(!overlaps(rect, &b.bounds), "{language:?}: sfx {text} covers a balloon");
            }
        }
        // Tails point at the speaker and stop short of the face.
        let speech = &placed[0];
        let tip = speech.tail.expect("speaker in panel: a tail");
        let face = figures[0].face;
        assert!(!inside(&face, tip.x as u32, tip.y as u32), "tail tip inside the face");
        let (c, m) = (speech.bounds.center(), figures[0].mouth);
        let d_tip = ((tip.x - m.x).powi(2) + (tip.y - m.y).powi(2)).sqrt();
        let d_centre = ((c.x - m.x).powi(2) + (c.y - m.y).powi(2)).sqrt();
        assert!(d_tip < d_centre, "tail tip heads towards the mouth");
        assert!(placed[3].tail.is_none(), "narration has no tail");
        assert_eq!(placed[3].kind, BalloonKind::Narration);
    }
}

#[test]
fn a_sound_effect_is_lettered_large_with_black_ink_and_a_white_outline() {
    let mut pixmap = blank(600, 600);
    let outcome = letter(&mut pixmap, &[], &[], Language::Ja, &["ドーン".to_owned()]);
    let (text, rect) = &outcome.sfx[0];
    assert_eq!(text, "ドーン");
    assert!(rect.h >= 48.0 && rect.w >= 120.0, "{rect:?}");
    let (mut dark, mut white) = (0, 0);
    let w = pixmap.width();
    for (i, p) in pixmap.pixels().iter().enumerate() {
        let (x, y) = (i as u32 % w, i as u32 / w);
        if !is_background(*p) {
            assert!(inside(&rect.inflate(1.0), x, y), "sfx ink outside its box at ({x},{y})");
        }
        dark += usize::from(is_dark(*p));
        white += usize::from(p.red() > 240 && p.green() > 240 && p.blue() > 240);
    }
    assert!(dark > 500 && white > 500, "dark {dark} white {white}");
}

#[test]
fn a_shout_too_long_for_its_burst_keeps_every_word_in_a_plain_balloon() {
    // The en_narration panel: a long shouted line beside two figures in a 357 × 360 panel.
    let text = "Elsie! The clockwork, I saw the beam from the village road...";
    let figures =
        [figure("Thomas", Rect::new(53.0, 188.0, 87.0, 94.0)), figure("Elsie", Rect::new(227.0, 163.0, 74.0, 80.0))];
    let lettered = |kind: BalloonKind| {
        let mut pixmap = blank(357, 360);
        letter(&mut pixmap, &[plan(0, kind, Some("Thomas"), text)], &figures, Language::En, &[]).balloons
    };
    let said: String =
        lettered(BalloonKind::Shout).iter().map(|b| b.text.trim().to_owned()).collect::<Vec<_>>().join(" ");
    assert_eq!(said, text, "every word lettered");
    let shout = lettered(BalloonKind::Shout);
    assert!(shout.iter().all(|b| !b.overflow), "{shout:?}");
    assert!(shout.iter().all(|b| b.kind == BalloonKind::Speech), "set plain, since no burst held it: {shout:?}");
    // A short cry keeps its burst.
    let mut pixmap = blank(357, 360);
    let cry =
        letter(&mut pixmap, &[plan(0, BalloonKind::Shout, Some("Thomas"), "Elsie!")], &figures, Language::En, &[]);
    assert_eq!(cry.balloons[0].kind, BalloonKind::Shout);
}
