//! What people do in a sentence, as far as a pose can show it: point, wave,
//! run, laugh, cry, shout, think, rage, start. The panel art poses the
//! person the panel is about (or everyone, with no one in focus) for the
//! first deed its action names.

use manga_domain::Language;

use super::language::{detect, in_text_order, is_word_char};

/// Something a figure's pose and face can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deed {
    /// Points at something.
    Point,
    /// Waves, or raises both hands.
    Wave,
    /// Runs.
    Run,
    /// Laughs or smiles.
    Laugh,
    /// Cries.
    Cry,
    /// Shouts or screams.
    Shout,
    /// Thinks, wonders.
    Think,
    /// Is angry.
    Rage,
    /// Is startled.
    Start,
}

use Deed::{Cry, Laugh, Point, Rage, Run, Shout, Start, Think, Wave};

/// Japanese stems, found anywhere.
const JA_DEEDS: &[(&str, Deed)] = &[
    ("指さ", Point),
    ("指差", Point),
    ("手を振", Wave),
    ("手を挙げ", Wave),
    ("手を上げ", Wave),
    ("走", Run),
    ("駆け", Run),
    ("逃げ", Run),
    ("笑", Laugh),
    ("微笑", Laugh),
    ("泣", Cry),
    ("涙", Cry),
    ("叫", Shout),
    ("怒鳴", Shout),
    ("考え", Think),
    ("首をかしげ", Think),
    ("怒", Rage),
    ("にらみ", Rage),
    ("驚", Start),
    ("びくり", Start),
    ("ぎょっと", Start),
];

/// English word beginnings: `laugh` finds laughed and laughing.
const EN_DEEDS: &[(&str, Deed)] = &[
    // Not `point` alone: Gull Point is a place, and the sea's waves wave nobody.
    ("pointed at", Point),
    ("pointed to", Point),
    ("pointing", Point),
    ("points at", Point),
    ("waved", Wave),
    ("waving", Wave),
    ("raised her hand", Wave),
    ("raised his hand", Wave),
    ("ran ", Run),
    ("run", Run),
    ("rush", Run),
    ("raced", Run),
    ("fled", Run),
    ("laugh", Laugh),
    ("smil", Laugh),
    ("grinn", Laugh),
    ("cried", Cry),
    ("crying", Cry),
    ("wept", Cry),
    ("weep", Cry),
    ("sobb", Cry),
    ("tears", Cry),
    ("shout", Shout),
    ("scream", Shout),
    ("yell", Shout),
    ("wonder", Think),
    ("ponder", Think),
    ("frown", Think),
    ("angr", Rage),
    ("furious", Rage),
    ("glar", Rage),
    ("gasp", Start),
    ("startl", Start),
    ("jumped", Start),
];

/// The deeds a text names, in the order it names them, each once.
pub fn deeds_in(text: &str) -> Vec<Deed> {
    let lower = text.to_lowercase();
    let lang = detect(text);
    let table = if lang == Language::Ja { JA_DEEDS } else { EN_DEEDS };
    let found: Vec<(usize, Deed)> = table
        .iter()
        .flat_map(|&(stem, deed)| {
            lower
                .match_indices(stem)
                .filter(|(at, _)| lang == Language::Ja || !lower[..*at].chars().next_back().is_some_and(is_word_char))
                .map(move |(at, _)| (at, deed))
        })
        .collect();
    in_text_order(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeds_are_found_in_either_language_in_order() {
        assert_eq!(deeds_in("「見て、あれはハートの形だ」と美咲が指さした。"), vec![Point]);
        assert_eq!(deeds_in("二人は来た廊下を全速力で駆け戻った。"), vec![Run]);
        assert_eq!(deeds_in("Elias laughed and tapped his chest."), vec![Laugh]);
        assert_eq!(deeds_in("She screamed, then wept."), vec![Shout, Cry]);
    }

    #[test]
    fn stems_start_words_in_english() {
        assert_eq!(deeds_in("Her disappointment grew."), vec![]);
        assert_eq!(deeds_in("The waves broke below the lighthouse on Gull Point."), vec![]);
        assert_eq!(deeds_in("Mara pointed at the boat and waved."), vec![Point, Wave]);
    }
}
