//! Session-directory file names: what each file is, and which names taken
//! from log content are safe to open.

/// What a file in a session directory is, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRole {
    /// `master.log` (or `.master.log` while active).
    Master {
        /// Dot name: still being written.
        active: bool,
    },
    /// `master.error_log` (or `.master.error_log` while active):
    /// plain-text stderr of the session.
    ErrorLog {
        /// Dot name: still being written.
        active: bool,
    },
    /// `item-*` (or `.item-*` while active).
    ItemLog {
        /// The completed name (without the leading dot or `.gz`).
        name: String,
        /// Dot name: still being written.
        active: bool,
    },
    /// Anything else.
    Other,
}

/// Classifies a file name (a trailing `.gz` of an archived copy is ignored).
pub fn classify(file_name: &str) -> FileRole {
    let base = file_name.strip_suffix(".gz").unwrap_or(file_name);
    let (active, plain) = match base.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, base),
    };
    if plain == "master.log" {
        FileRole::Master { active }
    } else if plain == "master.error_log" {
        // Written under its dot name while the session runs, renamed
        // with the master log at the end (Session/Logs.pm
        // `open_master_error_log_file`, `mark_session_completed`).
        FileRole::ErrorLog { active }
    } else if plain.starts_with("item-") && safe_file_name(plain) {
        FileRole::ItemLog {
            name: plain.to_owned(),
            active,
        }
    } else {
        FileRole::Other
    }
}

/// True when `name` (taken from untrusted log content) is a plain file name
/// that can only refer to a file directly inside the session directory:
/// not empty, no `/` or `\`, not `.` or `..`, no NUL or control characters,
/// at most 255 bytes.
pub fn safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

/// Splits `item-QUEUE_ItemType_item` into its three parts.
pub fn item_log_parts(name: &str) -> Option<(&str, &str, &str)> {
    let rest = name.strip_prefix("item-")?;
    let (queue, rest) = rest.split_once('_')?;
    let (item_type, item) = rest.split_once('_')?;
    if queue.is_empty() || item_type.is_empty() || item.is_empty() {
        return None;
    }
    Some((queue, item_type, item))
}

/// The item log name the writer uses for an item.
pub fn default_log_name(queue: &str, item_type: &str, item: &str) -> String {
    format!("item-{queue}_{item_type}_{item}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("master.log"), FileRole::Master { active: false });
        assert_eq!(classify(".master.log"), FileRole::Master { active: true });
        assert_eq!(
            classify("master.log.gz"),
            FileRole::Master { active: false }
        );
        assert_eq!(
            classify("master.error_log"),
            FileRole::ErrorLog { active: false }
        );
        assert_eq!(
            classify(".master.error_log"),
            FileRole::ErrorLog { active: true }
        );
        assert_eq!(
            classify(".item-RESTORE_AccountRemoteRoot_bob"),
            FileRole::ItemLog {
                name: "item-RESTORE_AccountRemoteRoot_bob".into(),
                active: true
            }
        );
        assert_eq!(classify("notes.txt"), FileRole::Other);
    }

    #[test]
    fn unsafe_names() {
        for bad in [
            "../../etc/passwd",
            "/etc/shadow",
            "item-x/../../y",
            "..",
            ".",
            "",
            "a\\b",
            "a\nb",
        ] {
            assert!(!safe_file_name(bad), "{bad:?}");
        }
        assert!(safe_file_name("item-TRANSFER_AccountRemoteRoot_fred_fred"));
    }

    #[test]
    fn parts() {
        assert_eq!(
            item_log_parts("item-TRANSFER_AccountRemoteRoot_fred_x"),
            Some(("TRANSFER", "AccountRemoteRoot", "fred_x"))
        );
        assert_eq!(item_log_parts("item-bad"), None);
    }
}
