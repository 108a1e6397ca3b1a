//! Pub/Sub resource names: the short names we use (`phase-3-requests`) and
//! the full ones the API wants (`projects/{project}/topics/phase-3-requests`).

// The REST forms and full paths are for the admin client (the `pubsub` feature).
#![cfg_attr(not(feature = "pubsub"), allow(dead_code))]

/// A topic, subscription or project name that Pub/Sub would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} name {name:?} is invalid: {reason}")]
pub struct NameError {
    /// `topic`, `subscription` or `project`.
    pub kind: &'static str,
    /// The name as given.
    pub name: String,
    /// Which rule it breaks.
    pub reason: &'static str,
}

/// The suffix of a topic's dead-letter topic, as in terraform:
/// `phase-3-requests` -> `phase-3-requests-dead-letter`.
pub const DEAD_LETTER_SUFFIX: &str = "-dead-letter";

/// The dead-letter topic's name for `topic`.
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}{DEAD_LETTER_SUFFIX}")
}

/// `projects/{project}/topics/{topic}`.
///
/// # Errors
/// [`NameError`] when either name breaks Pub/Sub's rules.
pub fn topic_path(project: &str, topic: &str) -> Result<String, NameError> {
    check_project(project)?;
    check("topic", topic)?;
    Ok(format!("projects/{project}/topics/{topic}"))
}

/// `projects/{project}/subscriptions/{subscription}`.
///
/// # Errors
/// [`NameError`] when either name breaks Pub/Sub's rules.
pub fn subscription_path(project: &str, subscription: &str) -> Result<String, NameError> {
    check_project(project)?;
    check("subscription", subscription)?;
    Ok(format!("projects/{project}/subscriptions/{subscription}"))
}

/// The short name at the end of a full resource name (`projects/p/topics/t` -> `t`).
pub(crate) fn short_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Pub/Sub's rule for topic and subscription ids: 3..=255 characters, starting
/// with a letter, then letters, digits and `-_.~+%`, never starting with `goog`.
/// Checking here turns a typo into a clear error instead of a bare 400.
fn check(kind: &'static str, name: &str) -> Result<(), NameError> {
    let fail = |reason| Err(NameError { kind, name: name.to_owned(), reason });
    if !(3..=255).contains(&name.len()) {
        return fail("it must be 3 to 255 characters long");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return fail("it must start with a letter");
    }
    if name.starts_with("goog") {
        return fail("it must not start with \"goog\"");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c)) {
        return fail("only letters, digits and - _ . ~ + % are allowed");
    }
    Ok(())
}

/// Project ids are looser on the emulator than in the cloud; we only refuse
/// what would break the URL or the resource path.
fn check_project(project: &str) -> Result<(), NameError> {
    if project.is_empty() || !project.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
        return Err(NameError {
            kind: "project",
            name: project.to_owned(),
            reason: "it must be non-empty letters, digits and - _ . :",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_name_becomes_its_full_path() {
        assert_eq!(topic_path("p1", "phase-3-requests").unwrap(), "projects/p1/topics/phase-3-requests");
        assert_eq!(subscription_path("p1", "s-1").unwrap(), "projects/p1/subscriptions/s-1");
    }

    #[test]
    fn names_pubsub_would_refuse_are_rejected_with_the_rule_they_break() {
        let too_short = topic_path("p", "ab").unwrap_err();
        assert_eq!(too_short.to_string(), "topic name \"ab\" is invalid: it must be 3 to 255 characters long");
        assert_eq!(topic_path("p", "1abc").unwrap_err().reason, "it must start with a letter");
        assert_eq!(topic_path("p", "google-x").unwrap_err().reason, "it must not start with \"goog\"");
        assert_eq!(subscription_path("p", "a/b/c").unwrap_err().kind, "subscription");
        assert_eq!(topic_path("a/b", "topic").unwrap_err().kind, "project");
    }

    #[test]
    fn the_dead_letter_topic_is_the_topic_name_with_a_suffix() {
        assert_eq!(dead_letter_topic("phase-completed"), "phase-completed-dead-letter");
        assert_eq!(short_name("projects/p/topics/phase-completed"), "phase-completed");
    }
}
