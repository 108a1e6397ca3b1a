//! How a model's koma-wari is checked before phase 4 uses it: what is repaired
//! (a layout with the wrong count, an unknown name) and what is sent back.

#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

mod common;

use manga_ai::StoryboardRequest;
use manga_ai::remote::replies::{StoryboardReply, into_proposal};
use manga_ai::{Ledger, TextModel as _};
use manga_domain::{LineId, PagePlan, PageSize, ReadingDirection, SceneId, Shot, Storyboard};
use serde_json::{Value, json};

fn panel(lines: &[u32], cast: &[&str]) -> Value {
    json!({"shot": "medium", "angle": "eye", "action": "they talk", "cast": cast, "lines": lines})
}

#[tokio::test]
async fn a_proposal_keeps_every_line_once_in_order_takes_a_fitting_layout_and_only_known_cast() {
    let (concept, bible) = common::local_cast().await;
    assert_eq!(concept.dialogue.len(), 3, "the sample story has three lines");
    let plot = manga_ai::LocalProvider.outline_plot(&common::story(), &concept, &bible).await.unwrap();
    let page = PagePlan { number: 1, scene: SceneId(0), layout: "3-tiers".into(), panels: vec![] };
    let base =
        Storyboard { reading_direction: ReadingDirection::LeftToRight, page_size: PageSize::B5, pages: vec![page] };
    let layouts = vec![("3-tiers".to_owned(), 3), ("4-grid".to_owned(), 4)];
    let request = StoryboardRequest { concept: &concept, bible: &bible, plot: &plot, base: &base, layouts };
    let check = |reply: Value| into_proposal(&request, serde_json::from_value::<StoryboardReply>(reply).unwrap());

    let ledger = Ledger::default();
    let good = json!({"pages": [{"layout": "4-grid", "panels": [panel(&[0], &["Mara", "Zed"]), panel(&[1], &["tom"]), panel(&[2], &[])]}]});
    let proposal = ledger.scope(async { check(good) }).await.unwrap();
    let page = &proposal.pages[0];
    assert_eq!(page.layout, "3-tiers", "three panels take the layout with three");
    assert_eq!(page.panels[0].cast.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["mara"], "Zed is not in the bible");
    assert_eq!(page.panels[1].lines, [LineId(1)]);
    assert_eq!(page.panels[0].shot, Shot::Medium);
    let notes = ledger.notes().join("\n");
    assert!(notes.contains("\"Zed\"") && notes.contains("used 3-tiers"), "{notes}");

    let refused = [
        (
            json!({"pages": [{"layout": "3-tiers", "panels": [panel(&[1], &[]), panel(&[0], &[]), panel(&[2], &[])]}]}),
            "in story order",
        ),
        (
            json!({"pages": [{"layout": "3-tiers", "panels": [panel(&[0, 1], &[]), panel(&[], &[]), panel(&[], &[])]}]}),
            "missing: [2]",
        ),
        (
            json!({"pages": [{"layout": "3-tiers", "panels": [panel(&[0], &[]), panel(&[1, 1, 2], &[]), panel(&[], &[])]}]}),
            "exactly once",
        ),
        (
            json!({"pages": [{"layout": "3-tiers", "panels": [panel(&[0, 1, 2], &[]), panel(&[], &[])]}]}),
            "no layout has 2 panels",
        ),
        (json!({"pages": []}), "give exactly 1 pages"),
    ];
    for (reply, expected) in refused {
        let err = check(reply.clone()).unwrap_err();
        assert!(err.contains(expected), "{reply}: {err}");
    }
}
