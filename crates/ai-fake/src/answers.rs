//! Text answers: what task a request is, and a plausible answer to it read from the prompt.

use serde_json::{Value, json};

use crate::schema::{self, Filler, conform, generic_string};
use crate::story::{self, LOOKS, MOODS, PLACES, TIMES};

/// A dialogue line listed in the prompt's `<lines>` block (`L3 (sentence 5): "Words."`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line number (`L3` is 3).
    pub number: u32,
    /// The sentence it is in.
    pub sentence: u32,
    /// Its words as listed.
    pub words: String,
}

/// A text request as the fake reads it, handed to [`FakeProviders::answer_with`](crate::FakeProviders::answer_with).
#[derive(Debug, Clone)]
pub struct TextTask {
    /// `concept`, `characters`, `plot`, `feedback`, the schema's name without `_reply`, or `unknown`.
    pub task: String,
    /// The system instruction.
    pub system: String,
    /// The user turn.
    pub user: String,
    /// The schema as sent (JSON Schema for OpenAI, Gemini's dialect for Gemini), `null` when none.
    pub schema: Value,
    /// The story's sentences: the numbered ones inside `<story>`, else the block's prose split up.
    pub sentences: Vec<(u32, String)>,
    /// The dialogue lines inside `<lines>`.
    pub lines: Vec<Line>,
    /// The characters: as listed in the prompt when it lists them, else the names found in the story.
    pub names: Vec<String>,
    /// Other names of each of `names`, in the same order (`Elias Crane` for `Elias`).
    pub aliases: Vec<Vec<String>>,
    /// The reader's words inside `<message>`, for the chat task.
    pub message: Option<String>,
}

/// The system instruction and the user turn of a Gemini or OpenAI request body.
pub(crate) fn prompt_parts(body: &Value) -> (String, String) {
    let texts = |parts: Option<&Value>| -> Vec<String> {
        parts
            .and_then(Value::as_array)
            .map(|parts| {
                parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).map(str::to_owned).collect()
            })
            .unwrap_or_default()
    };
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        let content = |m: &Value| match m.get("content") {
            Some(Value::String(s)) => s.clone(),
            Some(parts @ Value::Array(_)) => texts(Some(parts)).join("\n"),
            _ => String::new(),
        };
        let of = |roles: &[&str]| {
            messages
                .iter()
                .filter(|m| m.get("role").and_then(Value::as_str).is_some_and(|r| roles.contains(&r)))
                .map(content)
                .collect::<Vec<_>>()
                .join("\n")
        };
        return (of(&["system", "developer"]), of(&["user"]));
    }
    let system = texts(body.pointer("/systemInstruction/parts")).join("\n");
    let user = body
        .get("contents")
        .and_then(Value::as_array)
        .map(|contents| {
            contents
                .iter()
                .filter(|c| c.get("role").and_then(Value::as_str).is_none_or(|r| r == "user"))
                .flat_map(|c| texts(c.get("parts")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    (system, user)
}

/// The schema a text request carries, and its name (OpenAI's `json_schema.name`).
pub(crate) fn request_schema(body: &Value) -> (Value, Option<String>) {
    if let Some(format) = body.pointer("/response_format/json_schema") {
        let name = format.get("name").and_then(Value::as_str).map(str::to_owned);
        return (format.get("schema").cloned().unwrap_or(Value::Null), name);
    }
    let config = body.get("generationConfig");
    let schema = config
        .and_then(|c| c.get("responseSchema").or_else(|| c.get("responseJsonSchema")))
        .cloned()
        .unwrap_or(Value::Null);
    (schema, None)
}

fn infer_task(name: Option<&str>, schema: &Value, system: &str) -> String {
    if let Some(name) = name {
        return name.strip_suffix("_reply").unwrap_or(name).to_owned();
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    let has = |key: &str| properties.is_some_and(|p| p.contains_key(key));
    let item_has =
        |array: &str, key: &str| schema.pointer(&format!("/properties/{array}/items/properties/{key}")).is_some();
    if has("lines") && has("title") {
        return "concept".into();
    }
    if has("scenes") {
        return "plot".into();
    }
    if has("characters") && (item_has("characters", "hair_color") || item_has("characters", "appearance")) {
        return "characters".into();
    }
    if has("action") {
        return "feedback".into();
    }
    if has("pages") && item_has("pages", "layout") {
        return "storyboard".into();
    }
    if has("faces") {
        return "faces".into();
    }
    let system = system.to_lowercase();
    for (words, task) in [
        ("story editor", "concept"),
        ("character designer", "characters"),
        ("structures a manga", "plot"),
        ("editing action", "feedback"),
        ("the name (storyboard)", "storyboard"),
        ("find the faces", "faces"),
    ] {
        if system.contains(words) {
            return task.into();
        }
    }
    "unknown".into()
}

/// `- Name (aliases: A, B; the story says: …)` lines, or a `Characters: A, B` line, before the story.
fn listed_names(user: &str) -> Option<Vec<(String, Vec<String>)>> {
    let head = user.split("<story>").next().unwrap_or(user);
    let dashed: Vec<(String, Vec<String>)> = head
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| {
            let (name, rest) = l.split_once(" (aliases:").unwrap_or((l, ""));
            let aliases = rest.split(';').next().unwrap_or("");
            let aliases = aliases.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
            let name = name.trim();
            (!name.is_empty()).then(|| (name.to_owned(), aliases))
        })
        .collect();
    if !dashed.is_empty() {
        return Some(dashed);
    }
    let line = head.lines().find_map(|l| l.strip_prefix("Characters:"))?;
    Some(line.split(',').map(str::trim).filter(|n| !n.is_empty()).map(|n| (n.to_owned(), Vec::new())).collect())
}

fn parse_lines(user: &str) -> Vec<Line> {
    let Some(block) = story::block(user, "lines") else { return Vec::new() };
    block
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix('L')?;
            let (number, rest) = rest.split_once(' ')?;
            let rest = rest.strip_prefix("(sentence ")?;
            let (sentence, words) = rest.split_once("):")?;
            Some(Line {
                number: number.parse().ok()?,
                sentence: sentence.trim().parse().ok()?,
                words: words.trim().to_owned(),
            })
        })
        .collect()
}

/// A number written after `prefix` in `text` ("Pages add up to 8").
fn number_after(text: &str, prefix: &str) -> Option<u32> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl TextTask {
    pub(crate) fn from_request(body: &Value) -> Self {
        let (system, user) = prompt_parts(body);
        let (schema, name) = request_schema(body);
        let task = infer_task(name.as_deref(), &schema, &system);
        let sentences = story::block(&user, "story").map(story::sentences).unwrap_or_default();
        let lines = parse_lines(&user);
        let characters = listed_names(&user).unwrap_or_else(|| story::characters(&sentences));
        let (names, aliases) = characters.into_iter().unzip();
        let message = story::block(&user, "message").map(|m| m.trim().to_owned());
        Self { task, system, user, schema, sentences, lines, names, aliases, message }
    }

    /// The fake's own answer: plausible for the task, and fitting the schema whatever it is.
    pub fn default_answer(&self) -> Value {
        let candidate = match self.task.as_str() {
            "concept" => self.concept(),
            "characters" => self.characters(),
            "plot" => self.plot(),
            "feedback" => self.feedback(),
            "storyboard" => self.storyboard(),
            "faces" => self.faces(),
            _ => Value::Null,
        };
        if self.schema.is_null() {
            return if candidate.is_null() { json!({"ok": true}) } else { candidate };
        }
        conform(&self.schema, (!candidate.is_null()).then_some(&candidate), self)
    }

    /// Why `answer` does not fit this request's schema, if it does not.
    pub fn schema_violation(&self, answer: &Value) -> Option<String> {
        schema::violation(&self.schema, answer)
    }

    /// The character named first in `text`, by any of their names.
    fn who_in(&self, text: &str) -> Option<String> {
        let forms: Vec<(String, &String)> = self
            .names
            .iter()
            .enumerate()
            .flat_map(|(i, name)| {
                let aliases = self.aliases.get(i).map(Vec::as_slice).unwrap_or(&[]);
                std::iter::once(name.clone()).chain(aliases.iter().cloned()).map(move |form| (form, name))
            })
            .collect();
        let spelled: Vec<String> = forms.iter().map(|(form, _)| form.clone()).collect();
        let first = story::first_name_in(text, &spelled)?;
        forms.into_iter().find(|(form, _)| *form == first).map(|(_, name)| name.clone())
    }

    /// Whether `text` names the character `index` by any of their names.
    fn names_character(&self, text: &str, index: usize) -> bool {
        let aliases = self.aliases.get(index).map(Vec::as_slice).unwrap_or(&[]);
        self.names.get(index).into_iter().chain(aliases).any(|form| story::mentions(text, form))
    }

    fn sentence(&self, index: u32) -> &str {
        self.sentences.iter().find(|(i, _)| *i == index).map_or("", |(_, s)| s.as_str())
    }

    fn prose(&self) -> impl Iterator<Item = &(u32, String)> {
        self.sentences.iter().filter(|(_, s)| !story::is_heading(s))
    }

    fn whole_story(&self) -> String {
        self.sentences.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join(" ")
    }

    fn mood_of(&self, text: &str) -> &'static str {
        story::keyword(text, MOODS).map_or("calm", |(_, mood)| mood)
    }

    fn title(&self) -> String {
        if let Some((_, first)) = self.sentences.first()
            && story::is_heading(first)
        {
            return first.trim().to_owned();
        }
        match self.names.first() {
            Some(name) => format!("The Tale of {name}"),
            None => self.prose().next().map_or_else(
                || "Untitled".to_owned(),
                |(_, s)| s.split_whitespace().take(4).collect::<Vec<_>>().join(" ").trim_end_matches('.').to_owned(),
            ),
        }
    }

    fn concept(&self) -> Value {
        let whole = self.whole_story();
        let mood = self.mood_of(&whole);
        let genre = match mood {
            "comic" => "comedy",
            "dark" => "dark fantasy",
            "tense" => "adventure",
            "mysterious" => "mystery",
            "melancholy" | "warm" => "drama",
            _ => "slice of life",
        };
        let mut themes: Vec<&str> = Vec::new();
        for (word, theme) in [
            ("light", "hope"),
            ("hope", "hope"),
            ("duty", "duty"),
            ("keep", "duty"),
            ("friend", "friendship"),
            ("mother", "family"),
            ("father", "family"),
            ("brother", "family"),
            ("sister", "family"),
            ("brave", "courage"),
            ("fear", "courage"),
            ("love", "love"),
            ("lost", "loss"),
            ("home", "home"),
            ("sea", "the sea"),
            ("greed", "greed"),
            ("mercy", "mercy"),
        ] {
            if story::keyword(&whole, &[(word, theme)]).is_some() && !themes.contains(&theme) && themes.len() < 4 {
                themes.push(theme);
            }
        }
        for filler in ["courage", "friendship"] {
            if themes.len() < 2 && !themes.contains(&filler) {
                themes.push(filler);
            }
        }
        let prose: Vec<&str> = self.prose().map(|(_, s)| s.as_str()).collect();
        let mut summary = match (prose.first(), prose.last()) {
            (Some(first), Some(last)) if first != last => format!("{first} {last}"),
            (Some(first), _) => (*first).to_owned(),
            _ => "A short story.".to_owned(),
        };
        if summary.chars().count() > 400 {
            summary = summary.chars().take(400).collect::<String>() + "…";
        }
        let characters: Vec<Value> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let descriptors: Vec<&str> = self
                    .prose()
                    .filter(|(_, s)| {
                        self.names_character(s, i) && LOOKS.iter().any(|w| story::keyword(s, &[(*w, "")]).is_some())
                    })
                    .map(|(_, s)| s.as_str())
                    .take(3)
                    .collect();
                json!({"name": name, "aliases": self.aliases.get(i).cloned().unwrap_or_default(), "descriptors": descriptors})
            })
            .collect();
        let mut places: Vec<Value> = Vec::new();
        let mut times: Vec<Value> = Vec::new();
        for (index, sentence) in &self.sentences {
            if let Some((word, kind)) = story::keyword(sentence, PLACES)
                && !places.iter().any(|p| p["name"] == word)
                && places.len() < 4
            {
                places.push(json!({"name": word, "kind": kind, "first_sentence": index}));
            }
            if let Some((word, time)) = story::keyword(sentence, TIMES)
                && !times.iter().any(|t| t["text"] == word)
                && times.len() < 4
            {
                times.push(json!({"text": word, "time_of_day": time, "sentence": index}));
            }
        }
        if places.is_empty() {
            places.push(json!({"name": "where the story happens", "kind": "unknown", "first_sentence": 0}));
        }
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let sentence = self.sentence(line.sentence);
                let speaker = self.who_in(&story::outside_quotes(sentence));
                let words = line.words.trim_matches(|c: char| matches!(c, '"' | '“' | '”' | ' '));
                let lower = sentence.to_lowercase();
                let kind = if words.ends_with('!') || lower.contains("shout") || lower.contains("cried out") {
                    "shout"
                } else if words.starts_with('(') || lower.contains("thought") || lower.contains("wondered") {
                    "thought"
                } else {
                    "speech"
                };
                json!({"line": line.number, "speaker": speaker, "kind": kind})
            })
            .collect();
        json!({
            "title": self.title(),
            "genre": genre,
            "mood": mood,
            "themes": themes,
            "summary": summary,
            "characters": characters,
            "places": places,
            "times": times,
            "lines": lines,
        })
    }

    fn characters(&self) -> Value {
        const HAIR: [(&str, &str); 6] = [
            ("#1b1b1b", "black"),
            ("#6b4423", "brown"),
            ("#d8c07a", "blond"),
            ("#8a8a8a", "grey"),
            ("#a23b2a", "red"),
            ("#f2f2f2", "white"),
        ];
        const STYLES: [&str; 7] = ["long", "short", "ponytail", "spiky", "bob", "bun", "bald"];
        const BUILDS: [&str; 4] = ["slim", "average", "sturdy", "heavy"];
        const OUTFITS: [(&str, &str, &str); 6] = [
            ("casual", "#2f4f6f", "a navy jacket"),
            ("kimono", "#7a2e3a", "a crimson kimono"),
            ("uniform", "#3c3c3c", "a grey uniform"),
            ("robe", "#5a4a7a", "a violet robe"),
            ("suit", "#222222", "a dark suit"),
            ("dress", "#3f6f4f", "a green dress"),
        ];
        let whole = self.whole_story().to_lowercase();
        let sheets: Vec<Value> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let about: String = self
                    .sentences
                    .iter()
                    .filter(|(_, s)| self.names_character(s, i))
                    .map(|(_, s)| s.to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" ");
                // What the prompt lists as said of them comes first.
                let listed = self
                    .user
                    .lines()
                    .find(|l| l.starts_with(&format!("- {name} (")))
                    .and_then(|l| l.split("the story says:").nth(1))
                    .map(|said| said.trim().trim_end_matches(')').to_lowercase())
                    .filter(|said| !said.is_empty());
                let about = listed.unwrap_or(if about.is_empty() { whole.clone() } else { about });
                let said = |words: &[&str]| words.iter().any(|w| story::keyword(&about, &[(*w, "")]).is_some());
                let age = if said(&["old", "grey", "elder", "grandfather", "grandmother", "老", "白髪"]) {
                    "old"
                } else if said(&["child", "little", "boy", "girl", "少女", "少年", "子供", "娘"]) {
                    "child"
                } else if i % 2 == 0 {
                    "adult"
                } else {
                    "young"
                };
                let role = if i == 0 {
                    "protagonist"
                } else if said(&["villain", "demon", "enemy", "thief", "cruel", "鬼"]) {
                    "antagonist"
                } else {
                    "support"
                };
                let (hair_color, hair_word) = if age == "old" { HAIR[3 + 2 * (i % 2)] } else { HAIR[i % 3] };
                let style = STYLES[i % STYLES.len()];
                let build = BUILDS[i % BUILDS.len()];
                let (outfit, outfit_color, outfit_words) = OUTFITS[i % OUTFITS.len()];
                let spectacles = i % 3 == 2;
                let height = match age {
                    "child" => 0.65,
                    _ => [1.0, 0.92, 1.08, 0.96][i % 4],
                };
                let hair = if style == "bald" { "a bald head".to_owned() } else { format!("{style} {hair_word} hair") };
                let who = match age {
                    "child" => "child",
                    "young" => "young person",
                    "old" => "elderly person",
                    _ => "adult",
                };
                let article = if build.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                let appearance = format!(
                    "{name} is {article} {build} {who} with {hair}{}, wearing {outfit_words}.",
                    if spectacles { " and round glasses" } else { "" }
                );
                let eye_color = ["#3b2a1a", "#1f3b5a", "#2d4a2d"][i % 3];
                let skin = ["#f1d3b3", "#d9a77f", "#b57e55"][i % 3];
                let accent_color = ["#c9a227", "#b0413e", "#4a7ab0"][i % 3];
                let personality = [
                    "Steady and stubborn, quick to act.",
                    "Warm and curious, a little reckless.",
                    "Quiet and watchful, slow to trust.",
                ][i % 3];
                let speech_style = ["Short, plain sentences.", "Lively and talkative.", "Formal and measured."][i % 3];
                json!({
                    "name": name,
                    "role": role,
                    "hair_color": hair_color,
                    "hair_style": style,
                    "eye_color": eye_color,
                    "skin": skin,
                    "build": build,
                    "age": age,
                    "outfit": outfit,
                    "outfit_color": outfit_color,
                    "accent_color": accent_color,
                    "spectacles": spectacles,
                    "height": height,
                    "personality": personality,
                    "speech_style": speech_style,
                    "appearance": appearance,
                })
            })
            .collect();
        json!({ "characters": sheets })
    }

    fn plot(&self) -> Value {
        let count = self.sentences.len() as u32;
        let last = number_after(&self.system, "the last ends at sentence").unwrap_or(count.saturating_sub(1));
        let total = count.max(last + 1).max(1);
        let pages = number_after(&self.system, "Pages add up to").unwrap_or(4).max(1);
        let kishotenketsu = self.system.to_lowercase().contains("kishotenketsu");
        let (structure, beats): (&str, &[&str]) = if kishotenketsu {
            ("kishotenketsu", &["ki", "sho", "ten", "ketsu"])
        } else {
            ("three_act", &["setup", "confrontation", "resolution"])
        };
        let scenes = (beats.len() as u32).min(pages).min(total).max(1);
        // Contiguous spans of near-equal length.
        let spans: Vec<(u32, u32)> =
            (0..scenes).map(|i| (i * total / scenes, ((i + 1) * total / scenes).saturating_sub(1))).collect();
        // Pages in proportion to sentences, at least one each, adding up.
        let mut allotted: Vec<u32> = vec![1; scenes as usize];
        let mut spare = pages.saturating_sub(scenes);
        let mut turn = 0usize;
        while spare > 0 {
            allotted[turn % scenes as usize] += 1;
            spare -= 1;
            turn += 1;
        }
        let beat_for = |i: u32| {
            if scenes == 1 {
                beats[0]
            } else {
                beats[((i as usize) * (beats.len() - 1) + (scenes as usize - 1) / 2) / (scenes as usize - 1)]
            }
        };
        let list: Vec<Value> = spans
            .iter()
            .enumerate()
            .map(|(i, (first, last))| {
                let texts: Vec<&str> = (*first..=*last).map(|n| self.sentence(n)).filter(|s| !s.is_empty()).collect();
                let joined = texts.join(" ");
                let opening = texts.iter().find(|s| !story::is_heading(s)).or(texts.first()).copied().unwrap_or("");
                let title: String = opening.split_whitespace().take(5).collect::<Vec<_>>().join(" ");
                let title = title.trim_end_matches(['.', ',', '!', '?', '"']).to_owned();
                let place = story::keyword(&joined, PLACES);
                let time = story::keyword(&joined, TIMES).map_or("unknown", |(_, t)| t);
                let cast: Vec<&String> = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.names_character(&joined, *i))
                    .map(|(_, n)| n)
                    .collect();
                json!({
                    "title": if title.is_empty() { format!("Scene {}", i + 1) } else { title },
                    "beat": beat_for(i as u32),
                    "place": place.map(|(word, _)| word),
                    "place_kind": place.map_or("unknown", |(_, kind)| kind),
                    "time_of_day": time,
                    "cast": cast,
                    "first_sentence": first,
                    "last_sentence": last,
                    "pages": allotted[i],
                    "summary": if opening.is_empty() { "The story goes on.".to_owned() } else { opening.to_owned() },
                    "mood": self.mood_of(&joined),
                })
            })
            .collect();
        json!({ "structure": structure, "scenes": list })
    }

    /// Each page listed keeps its panel count and takes a layout with that many panels; the
    /// dialogue lines (`L<n> speaker: words`) are dealt out over all panels in story order.
    fn storyboard(&self) -> Value {
        let layouts: Vec<(String, usize)> = self
            .user
            .lines()
            .find_map(|l| l.strip_prefix("Layouts (name: panels): "))
            .map(|list| {
                list.split(", ")
                    .filter_map(|item| item.rsplit_once(": "))
                    .filter_map(|(name, n)| Some((name.to_owned(), n.trim().parse().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        let counts: Vec<usize> = self
            .user
            .lines()
            .filter(|l| l.starts_with("page "))
            .filter_map(|l| l.rsplit_once(", ")?.1.strip_suffix(" panels")?.parse().ok())
            .collect();
        let numbers: Vec<u32> =
            self.user.lines().filter_map(|l| l.strip_prefix('L')?.split_once(' ')?.0.parse().ok()).collect();
        let total: usize = counts.iter().sum::<usize>().max(1);
        let mut next = 0usize;
        let mut panel_index = 0usize;
        let pages: Vec<Value> = counts
            .iter()
            .map(|&count| {
                let layout = layouts.iter().find(|(_, n)| *n == count).map_or("3-tiers", |(name, _)| name.as_str());
                let panels: Vec<Value> = (0..count)
                    .map(|j| {
                        panel_index += 1;
                        // Lines up to this panel's share of the whole, so every line lands once, in order.
                        let until = (numbers.len() * panel_index).div_ceil(total).min(numbers.len());
                        let lines: Vec<u32> = numbers[next..until].to_vec();
                        next = until;
                        json!({
                            "shot": if j == 0 { "wide" } else if lines.is_empty() { "close_up" } else { "medium" },
                            "angle": if j == 0 { "high" } else { "eye" },
                            "action": if lines.is_empty() { "a quiet look" } else { "they talk" },
                            "cast": self.names.iter().take(1).cloned().collect::<Vec<_>>(),
                            "lines": lines,
                        })
                    })
                    .collect();
                json!({ "layout": layout, "panels": panels })
            })
            .collect();
        json!({ "pages": pages })
    }

    /// A face for each character listed, side by side across the upper part of the picture.
    fn faces(&self) -> Value {
        let ids: Vec<&str> = self
            .user
            .lines()
            .find_map(|l| l.strip_prefix("Characters who may be in the panel (id: name, look): "))
            .map(|list| list.split("; ").filter_map(|c| c.split_once(": ").map(|(id, _)| id.trim())).collect())
            .unwrap_or_default();
        let n = ids.len().max(1) as i64;
        let faces: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(k, id)| {
                let (left, width) = (1000 * k as i64 / n, 1000 / n);
                json!({"character": id, "box_2d": [150, left + width / 4, 400, left + 3 * width / 4]})
            })
            .collect();
        json!({ "faces": faces })
    }

    fn feedback(&self) -> Value {
        let message = self.message.clone().unwrap_or_default();
        let lower = message.to_lowercase();
        let number_after_word = |word: &str| number_after(&lower, word);
        let moods = ["calm", "warm", "tense", "dark", "melancholy", "mysterious", "comic"];
        let quoted = message.split('"').nth(1).map(str::to_owned);
        let (action, target, text, mood, summary) = if lower.trim().is_empty() {
            ("unclear", None, None, None, "The message was empty.".to_owned())
        } else if let (Some(line), Some(words)) = (number_after_word("line "), quoted.clone()) {
            (
                "edit_line",
                Some(format!("line:{line}")),
                Some(words.clone()),
                None,
                format!("Line {line} will read \"{words}\"."),
            )
        } else if ["redraw", "regenerate", "again", "redo"].iter().any(|w| lower.contains(w))
            && let Some(page) = number_after_word("page ")
        {
            ("regenerate", Some(format!("page:{page}")), None, None, format!("Page {page} will be drawn again."))
        } else if let Some(mood) =
            moods.iter().find(|m| lower.contains(*m)).filter(|_| lower.contains("mood") || lower.contains("more"))
        {
            ("set_mood", None, None, Some((*mood).to_owned()), format!("The mood will be {mood}."))
        } else if ["approve", "looks good", "lgtm", "perfect", "go on", "great"].iter().any(|w| lower.contains(w)) {
            ("approve", None, None, None, "The phase is approved and the work goes on.".to_owned())
        } else {
            ("revise", None, Some(message.clone()), None, format!("The phase will be revised: {message}"))
        };
        json!({
            "action": action,
            "target": target,
            "text": text,
            "comment": text,
            "mood": mood,
            "summary": summary,
        })
    }
}

impl Filler for TextTask {
    fn string(&self, key: &str, index: usize) -> String {
        let prose: Vec<&str> = self.prose().map(|(_, s)| s.as_str()).collect();
        let sentence = prose.get(index % prose.len().max(1)).copied();
        if key == "title" {
            return self.title();
        }
        generic_string(key, index, sentence, &self.names)
    }

    fn integer(&self, key: &str, index: usize, min: i64, max: i64) -> i64 {
        let key = key.to_lowercase();
        let n = self.sentences.len().max(1) as i64;
        let value = if key.contains("sentence") {
            (index as i64).min(n - 1)
        } else if key.contains("page") || key.contains("count") {
            1
        } else if key == "line" || key.ends_with("_line") {
            self.lines.get(index).map_or(index as i64, |l| i64::from(l.number))
        } else {
            index as i64
        };
        value.clamp(min, max)
    }
}

/// The answer text cut off at the length limit: inside the last object, after its first key.
pub(crate) fn truncate(text: &str) -> String {
    let Some(open) = text.rfind('{').filter(|i| *i > 0) else {
        return text.chars().take(text.chars().count() / 2).collect();
    };
    let after: String = text[open..].chars().take(6).collect();
    format!("{}{after}", &text[..open])
}

/// The answer made not to fit the schema: its first required field taken out.
pub(crate) fn violate(answer: &Value, schema: &Value) -> Value {
    let mut answer = answer.clone();
    let first = schema
        .get("required")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| answer.as_object().and_then(|o| o.keys().next().cloned()));
    match (answer.as_object_mut(), first) {
        (Some(object), Some(first)) => {
            object.remove(&first);
            object.insert("unexpected_field".into(), json!("not in the schema"));
            answer
        }
        _ => json!("not what the schema asks"),
    }
}

/// A rough token count: four characters a token.
pub(crate) fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONCEPT_USER: &str = "<story>\n[0] The Keeper\n[1] Mara climbed the lighthouse that night.\n[2] \"Is the lamp lit?\" she asked.\n[3] \"Not yet,\" said Tom.\n[4] \"Then light it!\" Mara said.\n</story>\n\nThe dialogue lines (line number, sentence number, words):\n<lines>\nL0 (sentence 2): \"Is the lamp lit?\"\nL1 (sentence 3): \"Not yet,\"\nL2 (sentence 4): \"Then light it!\"\n</lines>";

    fn openai(name: &str, system: &str, user: &str) -> Value {
        json!({"model": "m", "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
               "response_format": {"type": "json_schema", "json_schema": {"name": name, "strict": true, "schema": {}}}})
    }

    #[test]
    fn the_concept_answer_reads_names_lines_places_and_times_from_the_prompt() {
        let task = TextTask::from_request(&openai("concept_reply", "You are the story editor", CONCEPT_USER));
        assert_eq!(task.task, "concept");
        assert_eq!(task.names, ["Mara", "Tom"]);
        let answer = task.concept();
        assert_eq!(answer["title"], "The Keeper");
        assert_eq!(answer["characters"][0]["name"], "Mara");
        assert_eq!(answer["lines"][0], json!({"line": 0, "speaker": null, "kind": "speech"}));
        assert_eq!(answer["lines"][1]["speaker"], "Tom");
        assert_eq!(answer["lines"][2], json!({"line": 2, "speaker": "Mara", "kind": "shout"}));
        assert_eq!(answer["places"][0], json!({"name": "lighthouse", "kind": "water", "first_sentence": 1}));
        assert_eq!(answer["times"][0]["time_of_day"], "night");
    }

    #[test]
    fn the_plot_answer_covers_every_sentence_once_with_the_pages_asked() {
        let system = "structure (three acts: setup, confrontation, resolution). the last ends at sentence 4), Pages add up to 5;";
        let task = TextTask::from_request(&openai(
            "plot_reply",
            system,
            "Characters: Mara, Tom\n\n<story>\n[0] The Keeper\n[1] Mara climbed.\n[2] a.\n[3] Tom said.\n[4] b.\n</story>",
        ));
        let answer = task.plot();
        assert_eq!(answer["structure"], "three_act");
        let scenes = answer["scenes"].as_array().unwrap();
        assert_eq!(scenes.len(), 3);
        assert_eq!(scenes[0]["first_sentence"], 0);
        assert_eq!(scenes[2]["last_sentence"], 4);
        for pair in scenes.windows(2) {
            assert_eq!(pair[1]["first_sentence"].as_u64().unwrap(), pair[0]["last_sentence"].as_u64().unwrap() + 1);
        }
        assert_eq!(scenes.iter().map(|s| s["pages"].as_u64().unwrap()).sum::<u64>(), 5);
        assert_eq!(
            scenes.iter().map(|s| s["beat"].as_str().unwrap()).collect::<Vec<_>>(),
            ["setup", "confrontation", "resolution"]
        );
        assert_eq!(scenes[0]["cast"], json!([]), "the heading names nobody");
        assert_eq!(scenes[1]["cast"], json!(["Mara"]));
        assert_eq!(scenes[2]["cast"], json!(["Tom"]));
    }

    #[test]
    fn an_unknown_task_gets_an_instance_of_its_schema_from_the_story() {
        let mut body =
            openai("thumbnails_reply", "", "<story>\n[0] Mara ran to Tom.\n[1] Tom hid from Mara.\n</story>");
        body["response_format"]["json_schema"]["schema"] = json!({"type": "object", "properties": {
            "pages": {"type": "array", "items": {"type": "object", "properties": {
                "panels": {"type": "array", "items": {"type": "object", "properties": {
                    "first_sentence": {"type": "integer", "minimum": 0}, "shot": {"type": "string", "enum": ["wide", "close_up"]},
                    "speaker": {"type": ["string", "null"]}}}}}}}}});
        let task = TextTask::from_request(&body);
        assert_eq!(task.task, "thumbnails");
        let answer = task.default_answer();
        assert_eq!(task.schema_violation(&answer), None);
        assert_eq!(answer["pages"][0]["panels"][0]["shot"], "wide");
        assert_eq!(answer["pages"][0]["panels"][0]["speaker"], "Mara");
    }

    #[test]
    fn a_feedback_message_becomes_an_action() {
        let user = |m: &str| format!("The reader is looking at: images.\n<message>\n{m}\n</message>");
        let answer = |m: &str| TextTask::from_request(&openai("feedback_reply", "", &user(m))).feedback();
        assert_eq!(answer("Please redraw page 3")["target"], "page:3");
        assert_eq!(answer("Make line 2 say \"Hello there\"")["action"], "edit_line");
        assert_eq!(answer("make the mood more dark")["mood"], "dark");
        assert_eq!(answer("looks good")["action"], "approve");
        assert_eq!(answer("the hero should smile")["action"], "revise");
    }

    #[test]
    fn truncation_cuts_inside_the_last_object_and_violation_drops_a_required_field() {
        let text = r#"{"a":[{"x":1},{"x":2}]}"#;
        assert_eq!(truncate(text), r#"{"a":[{"x":1},{"x":2"#);
        let schema = json!({"required": ["a"]});
        assert!(violate(&json!({"a": 1}), &schema).get("a").is_none());
    }
}
