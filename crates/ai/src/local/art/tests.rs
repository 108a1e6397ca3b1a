//! Tests of the panel and portrait art: real renders, decoded and measured.

use manga_domain::{
    AgeGroup, Angle, BalloonKind, BalloonPlan, Build, CharacterId, CharacterSheet, Effect, HairStyle, Look, Mood,
    OutfitKind, PanelId, PanelPlan, PlaceKind, Rect, Rgb, Role, Shot, TimeOfDay,
};
use manga_render::image_io::decode_png;
use manga_render::tiny_skia::Pixmap;

use super::*;
use crate::PortraitRequest;

fn look(hair: Rgb, style: HairStyle, outfit: OutfitKind, colour: Rgb) -> Look {
    Look {
        hair_color: hair,
        hair_style: style,
        eye_color: Rgb(60, 110, 170),
        skin: Rgb(245, 214, 190),
        build: Build::Average,
        age: AgeGroup::Young,
        outfit,
        outfit_color: colour,
        accent_color: Rgb(210, 60, 60),
        spectacles: false,
        height: 1.0,
        from_text: vec![],
    }
}

fn sheet(name: &str, look: Look) -> CharacterSheet {
    CharacterSheet {
        id: CharacterId::from_name(name),
        name: name.into(),
        role: Role::Support,
        look,
        personality: String::new(),
        speech_style: String::new(),
        portrait: None,
        appearance: String::new(),
    }
}

fn kandata() -> CharacterSheet {
    let mut l = look(Rgb(30, 25, 25), HairStyle::Spiky, OutfitKind::Rags, Rgb(120, 100, 80));
    l.build = Build::Sturdy;
    l.age = AgeGroup::Adult;
    sheet("Kandata", l)
}

fn buddha() -> CharacterSheet {
    let mut l = look(Rgb(60, 60, 90), HairStyle::Bun, OutfitKind::Robe, Rgb(240, 200, 110));
    l.age = AgeGroup::Old;
    l.spectacles = true;
    sheet("Buddha", l)
}

fn girl() -> CharacterSheet {
    let mut l = look(Rgb(200, 90, 40), HairStyle::Ponytail, OutfitKind::Dress, Rgb(90, 150, 210));
    l.age = AgeGroup::Child;
    l.height = 0.65;
    sheet("Mio", l)
}

fn request(shot: Shot, place: PlaceKind, cast: &[CharacterSheet]) -> PanelRequest {
    let ids: Vec<CharacterId> = cast.iter().map(|c| c.id.clone()).collect();
    PanelRequest {
        panel: PanelPlan {
            id: PanelId::new(2, 3).unwrap(),
            frame: Rect::new(0.0, 0.0, 600.0, 600.0),
            shot,
            angle: Angle::Eye,
            place_kind: place,
            time_of_day: TimeOfDay::Day,
            mood: Mood::Calm,
            focus: ids.first().cloned(),
            cast: ids,
            action: "looks up".into(),
            effect: Effect::None,
            balloons: vec![BalloonPlan { line: None, kind: BalloonKind::Speech, speaker: None, text: "はい".into() }],
            sfx: vec![],
        },
        characters: cast.to_vec(),
        width: 600,
        height: 600,
        seed: 42,
        attempt: 0,
        references: vec![],
        right_to_left: true,
    }
}

fn decode(image: &DrawnImage) -> Pixmap {
    decode_png(&image.png).unwrap()
}

fn mean_luma(p: &Pixmap) -> f32 {
    let sum: f32 =
        p.pixels().iter().map(|c| 0.2126 * c.red() as f32 + 0.7152 * c.green() as f32 + 0.0722 * c.blue() as f32).sum();
    sum / p.pixels().len() as f32
}

fn near(a: Rgb, r: u8, g: u8, b: u8, tolerance: i32) -> bool {
    (a.0 as i32 - r as i32).abs() <= tolerance
        && (a.1 as i32 - g as i32).abs() <= tolerance
        && (a.2 as i32 - b as i32).abs() <= tolerance
}

fn pixels_in(p: &Pixmap, r: &Rect) -> Vec<Rgb> {
    let mut out = vec![];
    for y in r.y.max(0.0) as u32..(r.bottom() as u32).min(p.height()) {
        for x in r.x.max(0.0) as u32..(r.right() as u32).min(p.width()) {
            let c = p.pixel(x, y).unwrap();
            out.push(Rgb(c.red(), c.green(), c.blue()));
        }
    }
    out
}

#[test]
fn a_panel_is_not_blank_and_has_the_requested_size() {
    let mut req = request(Shot::Wide, PlaceKind::Street, &[kandata(), girl()]);
    (req.width, req.height) = (640, 420);
    let image = draw_panel(&req).unwrap();
    let p = decode(&image);
    assert_eq!((p.width(), p.height(), image.width, image.height), (640, 420, 640, 420));
    let inked = p.pixels().iter().filter(|c| !near(Rgb(c.red(), c.green(), c.blue()), 250, 248, 242, 6)).count();
    assert!(inked > p.pixels().len() / 2, "only {inked} pixels differ from paper");
}

#[test]
fn every_cast_member_gets_a_figure_with_its_face_inside_the_panel_and_its_body() {
    let cast = [
        kandata(),
        buddha(),
        girl(),
        sheet("Extra", look(Rgb(10, 10, 10), HairStyle::Bob, OutfitKind::Suit, Rgb(40, 40, 60))),
    ];
    for shot in [Shot::Wide, Shot::Medium] {
        for n in 1..=4 {
            for angle in [Angle::Eye, Angle::High, Angle::Low] {
                let mut req = request(shot, PlaceKind::Field, &cast[..n]);
                req.panel.angle = angle;
                for (w, h) in [(600, 600), (1240, 500), (300, 900), (200, 1700), (1240, 200)] {
                    (req.width, req.height) = (w, h);
                    let image = draw_panel(&req).unwrap();
                    assert_eq!(image.figures.len(), n, "{shot:?} {angle:?} {w}x{h}");
                    let panel = Rect::new(0.0, 0.0, w as f32, h as f32);
                    for (f, c) in image.figures.iter().zip(&cast) {
                        assert_eq!(f.character, c.id);
                        assert!(panel.contains_rect(&f.face, 0.5) && panel.contains_rect(&f.body, 0.5), "{f:?}");
                        assert!(f.body.contains_rect(&f.face, 0.5), "{f:?}");
                        assert!(f.face.w > 4.0 && f.face.h > 4.0, "{f:?}");
                        let m = f.mouth;
                        assert!(m.x >= f.face.x && m.x <= f.face.right() && m.y >= f.face.y && m.y <= f.face.bottom());
                    }
                }
            }
        }
    }
}

#[test]
fn a_close_up_draws_one_large_face_of_the_focus() {
    let mut req = request(Shot::CloseUp, PlaceKind::Room, &[kandata(), girl()]);
    req.panel.focus = Some(girl().id);
    req.panel.effect = Effect::FocusLines;
    let image = draw_panel(&req).unwrap();
    assert_eq!(image.figures.len(), 1);
    let f = &image.figures[0];
    assert_eq!(f.character, girl().id);
    assert!(f.face.h >= 600.0 * 0.5 && f.face.h <= 600.0 * 0.75, "{:?}", f.face);
}

#[test]
fn heads_are_drawn_below_the_room_the_panels_text_needs() {
    let line = "山の向こうの大岩に、僕の翼が挟まれてしまったんだ。だから、ここから一歩も動けない。";
    for shot in [Shot::Wide, Shot::Medium, Shot::CloseUp] {
        let mut req = request(shot, PlaceKind::Field, &[kandata(), girl()]);
        let quiet = draw_panel(&req).unwrap();
        req.panel.balloons = (0..3)
            .map(|_| BalloonPlan { line: None, kind: BalloonKind::Speech, speaker: None, text: line.into() })
            .collect();
        let band = staging::text_band(&req.panel, 600.0, 600.0);
        assert!(band > 0.3, "three long lines need a third of the panel: {band}");
        let talky = draw_panel(&req).unwrap();
        for (f, before) in talky.figures.iter().zip(&quiet.figures) {
            // A tilted head reaches a little higher than it was placed: 2 % of the panel.
            assert!(f.face.y >= (band - 0.02) * 600.0, "{shot:?}: a face at {:?} is under the text's {band}", f.face);
            assert!(f.face.y >= before.face.y, "{shot:?}: the head moved down, not up");
        }
        if shot == Shot::CloseUp {
            assert!(talky.figures[0].face.h >= 0.35 * 600.0, "still a close-up: {:?}", talky.figures[0].face);
        }
    }
}

#[test]
fn the_face_box_contains_skin_coloured_pixels() {
    for shot in [Shot::Wide, Shot::Medium, Shot::CloseUp] {
        let image = draw_panel(&request(shot, PlaceKind::Unknown, &[girl(), buddha()])).unwrap();
        let p = decode(&image);
        let face = &image.figures[0].face;
        let skin = pixels_in(&p, face).iter().filter(|c| near(**c, 245, 214, 190, 12)).count();
        let area = (face.w * face.h) as usize;
        assert!(skin * 8 > area, "{shot:?}: {skin} skin pixels in a face of {area}");
    }
}

#[test]
fn different_characters_look_different() {
    let red = sheet("Aka", look(Rgb(200, 30, 30), HairStyle::Long, OutfitKind::Kimono, Rgb(200, 40, 40)));
    let blue = sheet("Ao", look(Rgb(30, 30, 200), HairStyle::Short, OutfitKind::Suit, Rgb(40, 40, 200)));
    let reddish = |c: &Rgb| c.0 > 150 && c.1 < 90 && c.2 < 90;
    let blueish = |c: &Rgb| c.2 > 150 && c.0 < 90 && c.1 < 90;
    let count = |who: &CharacterSheet| {
        let image = draw_panel(&request(Shot::Medium, PlaceKind::Unknown, std::slice::from_ref(who))).unwrap();
        let inside = pixels_in(&decode(&image), &image.figures[0].body);
        (inside.iter().filter(|c| reddish(c)).count(), inside.iter().filter(|c| blueish(c)).count())
    };
    let ((red_red, red_blue), (blue_red, blue_blue)) = (count(&red), count(&blue));
    assert!(red_red > 5_000 && red_blue < red_red / 20, "red figure: {red_red} red, {red_blue} blue pixels");
    assert!(blue_blue > 5_000 && blue_red < blue_blue / 5, "blue figure: {blue_red} red, {blue_blue} blue pixels");
}

#[test]
fn the_same_request_gives_identical_pngs_and_another_seed_changes_them() {
    let req = request(Shot::Wide, PlaceKind::Forest, &[kandata(), buddha()]);
    let (a, b) = (draw_panel(&req).unwrap(), draw_panel(&req).unwrap());
    assert_eq!(a.png, b.png);
    let mut other = req.clone();
    other.seed = 43;
    assert_ne!(draw_panel(&other).unwrap().png, a.png);
    let mut retry = req.clone();
    retry.attempt = 1;
    assert_ne!(draw_panel(&retry).unwrap().png, a.png);
}

#[test]
fn hell_is_darker_than_heaven_and_night_darker_than_day() {
    let luma = |place: PlaceKind, time: TimeOfDay| {
        let mut req = request(Shot::Wide, place, &[kandata()]);
        req.panel.time_of_day = time;
        mean_luma(&decode(&draw_panel(&req).unwrap()))
    };
    let (hell, heaven) = (luma(PlaceKind::Hell, TimeOfDay::Unknown), luma(PlaceKind::Heaven, TimeOfDay::Unknown));
    assert!(hell + 60.0 < heaven, "hell {hell} vs heaven {heaven}");
    for place in [PlaceKind::Street, PlaceKind::Field, PlaceKind::Room] {
        let (night, day) = (luma(place, TimeOfDay::Night), luma(place, TimeOfDay::Day));
        assert!(night + 40.0 < day, "{place:?}: night {night} vs day {day}");
    }
}

#[test]
fn every_place_draws_with_and_without_a_cast() {
    let places = [
        PlaceKind::Sky,
        PlaceKind::Water,
        PlaceKind::Room,
        PlaceKind::Forest,
        PlaceKind::Street,
        PlaceKind::Mountain,
        PlaceKind::Field,
        PlaceKind::Hell,
        PlaceKind::Heaven,
        PlaceKind::School,
        PlaceKind::Unknown,
    ];
    for place in places {
        for cast in [vec![], vec![kandata(), girl()]] {
            let mut req = request(Shot::Wide, place, &cast);
            req.panel.effect = Effect::SpeedLines;
            let image = draw_panel(&req).unwrap();
            assert_eq!(image.figures.len(), cast.len());
            let p = decode(&image);
            let distinct: std::collections::HashSet<_> =
                p.pixels().iter().map(|c| (c.red() / 16, c.green() / 16, c.blue() / 16)).collect();
            assert!(distinct.len() > 12, "{place:?} has only {} colours", distinct.len());
        }
    }
}

#[test]
fn a_cast_member_without_a_sheet_is_still_drawn() {
    let mut req = request(Shot::Medium, PlaceKind::School, &[kandata()]);
    req.panel.cast.push(CharacterId::from_name("Nobody"));
    assert_eq!(draw_panel(&req).unwrap().figures.len(), 2);
}

#[test]
fn an_impossible_size_is_rejected() {
    let mut req = request(Shot::Wide, PlaceKind::Sky, &[]);
    req.width = 0;
    assert!(matches!(draw_panel(&req), Err(AiError::Rejected { .. })));
}

#[test]
fn a_portrait_is_a_square_bust_of_the_one_character() {
    let req = PortraitRequest { character: buddha(), size: 384, seed: 9 };
    let image = draw_portrait(&req).unwrap();
    let p = decode(&image);
    assert_eq!((p.width(), p.height()), (384, 384));
    assert_eq!(image.figures.len(), 1);
    let face = image.figures[0].face;
    assert!(face.h > 384.0 * 0.3, "{face:?}");
    let skin = pixels_in(&p, &face).iter().filter(|c| near(**c, 245, 214, 190, 12)).count();
    assert!(skin * 8 > (face.w * face.h) as usize);
    assert_eq!(draw_portrait(&req).unwrap().png, image.png);
}

#[test]
fn a_close_up_keeps_what_falls_and_what_is_held_but_not_what_stands() {
    use crate::local::analysis::Thing;
    let mut panel = request(Shot::CloseUp, PlaceKind::Street, &[girl()]).panel;
    panel.action = "She held the letter while the snow fell and the dog barked.".into();
    assert_eq!(props::planned(&panel), vec![Thing::Letter, Thing::Snow]);
    panel.shot = Shot::Wide;
    assert_eq!(props::planned(&panel), vec![Thing::Letter, Thing::Snow, Thing::Dog]);
    panel.action = "A dog, a cat, a horse and a boat, in the rain.".into();
    assert_eq!(
        props::planned(&panel),
        vec![Thing::Dog, Thing::Cat, Thing::Horse, Thing::Rain],
        "three and the weather"
    );
}

/// Pixels of `image` close to the colour `c`.
fn count_near(p: &Pixmap, c: Rgb, tolerance: i32) -> usize {
    p.pixels().iter().filter(|px| near(Rgb(px.red(), px.green(), px.blue()), c.0, c.1, c.2, tolerance)).count()
}

#[test]
fn a_dog_by_the_fire_in_the_snow_is_drawn_with_nobody_there() {
    let mut req = request(Shot::Wide, PlaceKind::Room, &[]);
    let plain = decode(&draw_panel(&req).unwrap());
    req.panel.action = "The old dog slept by the fire while the snow fell outside.".into();
    let drawn = decode(&draw_panel(&req).unwrap());
    let flame = Rgb(240, 120, 40);
    let coat = Rgb(165, 115, 65);
    assert!(count_near(&plain, flame, 12) < 50, "no fire without the words");
    assert!(count_near(&drawn, flame, 12) > 2_000, "a fire the size of the subject: {}", count_near(&drawn, flame, 12));
    assert!(count_near(&drawn, coat, 12) > count_near(&plain, coat, 12) + 2_000, "a dog");
}

#[test]
fn snow_falls_over_a_street_but_only_in_the_window_of_a_room() {
    let changed = |place: PlaceKind| {
        let mut req = request(Shot::Wide, place, &[girl()]);
        req.panel.action = "looks up".into();
        let plain = decode(&draw_panel(&req).unwrap());
        req.panel.action = "Mio looked up at the snow.".into();
        let snowy = decode(&draw_panel(&req).unwrap());
        let differ = plain.pixels().iter().zip(snowy.pixels()).filter(|(a, b)| a != b).count();
        differ as f32 / plain.pixels().len() as f32
    };
    let (street, room) = (changed(PlaceKind::Street), changed(PlaceKind::Room));
    assert!(street > 0.008, "snow over the street: {street}");
    assert!(room > 0.0003 && room < street / 2.0, "snow in the window only: {room} against {street}");
}

#[test]
fn what_the_focus_holds_is_drawn_beside_them_and_leaves_their_face_alone() {
    let mut req = request(Shot::Medium, PlaceKind::Street, &[girl()]);
    let plain = draw_panel(&req).unwrap();
    req.panel.action = "Mio opened her umbrella and read the letter.".into();
    let drawn = draw_panel(&req).unwrap();
    assert_eq!(plain.figures[0].face, drawn.figures[0].face, "the same figure");
    let (before, after) = (decode(&plain), decode(&drawn));
    let face = drawn.figures[0].face;
    assert_eq!(pixels_in(&before, &face), pixels_in(&after, &face), "nothing is drawn over the face");
    let canopy = Rgb(70, 100, 160);
    assert!(count_near(&after, canopy, 8) > count_near(&before, canopy, 8) + 500, "an umbrella");
}
