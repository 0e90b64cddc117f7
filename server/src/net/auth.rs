//! Connect-auth checks.

use tickstate_shared::protocol::limits::{MAX_NAME_CHARS, MAX_ROOM_CHARS};

/// Removes control and formatting characters, trims, and cuts to [`MAX_NAME_CHARS`].
pub fn sanitize_name(raw: &str) -> String {
    let cleaned: String = raw.chars().filter(|c| !c.is_control() && !is_invisible(*c)).collect();
    cleaned
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

fn is_invisible(c: char) -> bool {
    // Bidi overrides and zero-width characters can make one name look like another.
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// The room name if it is 1 to [`MAX_ROOM_CHARS`] characters of `A-Z a-z 0-9 _ -`.
pub fn validate_room(raw: &str) -> Option<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_ROOM_CHARS
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_cut() {
        assert_eq!(sanitize_name("  Ada\n\u{202e}Lovelace\t "), "AdaLovelace");
        assert_eq!(sanitize_name(&"x".repeat(100)).chars().count(), MAX_NAME_CHARS);
        assert_eq!(sanitize_name("\u{0}\u{1}"), "");
        assert_eq!(sanitize_name("Zoë 🚀"), "Zoë 🚀");
    }

    #[test]
    fn room_names_are_restricted() {
        assert_eq!(validate_room("arena-2_b"), Some("arena-2_b"));
        assert_eq!(validate_room(""), None);
        assert_eq!(validate_room("a b"), None);
        assert_eq!(validate_room("ü"), None);
        assert_eq!(validate_room(&"a".repeat(33)), None);
    }
}
