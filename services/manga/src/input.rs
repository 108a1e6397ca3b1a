//! Reading the story: every way it can be wrong gets one clear sentence.

use std::io::Read;
use std::path::Path;

use manga_domain::{DomainError, StoryText};

/// Bytes read at most: far above the character limit even for 4-byte UTF-8,
/// so a huge file is refused without being read whole.
const MAX_BYTES: u64 = (StoryText::MAX_CHARS as u64) * 4 + 1024;

/// Reads and parses the story from a file, or stdin for `-`.
///
/// # Errors
/// A sentence naming the problem: missing, a directory, unreadable, not UTF-8, empty, too long.
pub fn read_story(path: &Path) -> Result<StoryText, String> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the story from standard input: {e}"))?;
        ("standard input".to_owned(), bytes)
    } else {
        let name = format!("'{}'", path.display());
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("the story file {name} does not exist"),
            _ => format!("cannot read the story file {name}: {e}"),
        })?;
        if meta.is_dir() {
            return Err(format!("{name} is a directory; give the path of a story text file"));
        }
        let file = std::fs::File::open(path).map_err(|e| format!("cannot open the story file {name}: {e}"))?;
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the story file {name}: {e}"))?;
        (name, bytes)
    };
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("the story in {name} is too long; the limit is {} characters", StoryText::MAX_CHARS));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "the story in {name} is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    StoryText::parse(text).map_err(|e| match e {
        DomainError::EmptyStory => format!("the story in {name} is empty"),
        other => format!("the story in {name} cannot be used: {other}"),
    })
}
