//! What cPanel itself accepts, for the re-queue script: the item types of
//! a transfer session and the account names a cPanel user can have. A
//! value from a log that cPanel could not have written is refused, never
//! passed on to `whmapi1`.
//!
//! Sources (cPanel's Perl, `github:asmrdevelop/cpanel`):
//! `Whostmgr/Transfers/Session/Config.pm` (`%ITEMTYPE_NAMES`, which
//! `Whostmgr::Transfers::Session::Items::available` and so
//! `enqueue_transfer_item` check a `module` against) and
//! `Cpanel/Validate/Username/Core.pm` (`get_regexp_str`, `is_valid`:
//! "for validating transferred as well as new account names").

/// Every item type (`module=`) of a transfer session, from
/// `%ITEMTYPE_NAMES` in `Whostmgr/Transfers/Session/Config.pm`.
pub const ITEM_TYPES: [&str; 19] = [
    "FeatureListRemoteRoot",
    "BackupsRemoteRoot",
    "EximRemoteRoot",
    "ThemesRemoteRoot",
    "ApacheRemoteRoot",
    "GreyListRemoteRoot",
    "AutoSSLOptionsRemoteRoot",
    "ModSecurityRemoteRoot",
    "MySQLRemoteRoot",
    "WHMConfRemoteRoot",
    "HulkRemoteRoot",
    "PackageRemoteRoot",
    "AccountRemoteRoot",
    "AccountRemoteUser",
    "AccountLocal",
    "LegacyAccountBackup",
    "AccountUpload",
    "RearrangeAccount",
    "MailboxConversion",
];

/// The longest cPanel user name (`$MAX_LENGTH` in
/// `Cpanel/Validate/Username/Core.pm`: "Constrained by MySQL").
pub const USERNAME_MAX_LEN: usize = 16;

/// True when `t` is one of cPanel's item types ([`ITEM_TYPES`]).
pub fn is_item_type(t: &str) -> bool {
    ITEM_TYPES.contains(&t)
}

/// Why a name cannot be a cPanel account's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// No name at all.
    #[error("is empty")]
    Empty,
    /// A control, format (bidi, zero-width), line or paragraph separator
    /// character: it could end a script line, drive a terminal or hide
    /// what a reader sees.
    #[error("contains the control or invisible character U+{:04X}", u32::from(*.0))]
    Invisible(char),
    /// Longer than [`USERNAME_MAX_LEN`] bytes (a name cut by xferlens's
    /// own budget is always longer).
    #[error("is {0} bytes long, over cPanel's limit of 16")]
    TooLong(usize),
    /// A character outside `a-z 0-9 - . _`.
    #[error("contains {0} (U+{code:04X}), outside cPanel's user name characters (a-z 0-9 - . _)", code = u32::from(*.0))]
    Char(char),
    /// Starts with `-` or `.`.
    #[error("starts with {0}")]
    Lead(char),
}

/// Checks `name` against cPanel's rule for account names
/// (`Cpanel::Validate::Username::Core::is_valid`: `[-._a-z0-9]{1,16}`,
/// not starting with `-` or `.`). A leading digit is accepted: cPanel
/// allows it on servers with `/etc/allowstupidstuff`
/// (`Cpanel::Validate::Username::Mode::allows_leading_digits`), and the
/// source server made the account.
pub fn check_username(name: &str) -> Result<(), NameError> {
    if let Some(c) = name.chars().find(|&c| is_invisible(c)) {
        return Err(NameError::Invisible(c));
    }
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > USERNAME_MAX_LEN {
        return Err(NameError::TooLong(name.len()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '.' | '_'))
    {
        return Err(NameError::Char(c));
    }
    match name.chars().next() {
        Some(c @ ('-' | '.')) => Err(NameError::Lead(c)),
        _ => Ok(()),
    }
}

/// Control characters (C0, DEL, C1), bidi controls, zero-width and other
/// format characters, the line and paragraph separators, and the tag
/// characters: what must never reach a script line or a terminal raw.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}' | '\u{061c}' | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}')
}

/// Why the re-queue script cannot name this account: an unknown item
/// type, or a source or destination name no cPanel account can have.
pub fn refusal(item_type: &str, item: &str, local: Option<&str>) -> Option<String> {
    if !is_item_type(item_type) {
        return Some("not one of cPanel's item types".to_owned());
    }
    if let Err(e) = check_username(item) {
        return Some(format!("the account name {e}"));
    }
    match local.map(check_username) {
        Some(Err(e)) => Some(format!("the destination name {e}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_cpanels_rule() {
        for ok in ["bob", "a1", "a-b.c_d", "1bob", "abcdefghijklmnop"] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        let bad = [
            ("", NameError::Empty),
            ("abcdefghijklmnopq", NameError::TooLong(17)),
            ("Bob", NameError::Char('B')),
            ("bo b", NameError::Char(' ')),
            ("b'ob", NameError::Char('\'')),
            ("-bob", NameError::Lead('-')),
            (".bob", NameError::Lead('.')),
            ("nul\0b", NameError::Invisible('\0')),
            ("a\nb", NameError::Invisible('\n')),
            ("b\u{200b}ob", NameError::Invisible('\u{200b}')),
            ("bob\u{202e}", NameError::Invisible('\u{202e}')),
            ("bob\u{85}", NameError::Invisible('\u{85}')),
            ("bob\u{e0041}", NameError::Invisible('\u{e0041}')),
            ("bób", NameError::Char('ó')),
        ];
        for (name, want) in bad {
            assert_eq!(check_username(name), Err(want), "{name:?}");
        }
        assert_eq!(
            NameError::Invisible('\u{1b}').to_string(),
            "contains the control or invisible character U+001B"
        );
    }

    #[test]
    fn only_cpanels_item_types_pass() {
        assert!(is_item_type("AccountRemoteRoot") && is_item_type("MailboxConversion"));
        assert!(!is_item_type("AccountRemoteRoot'") && !is_item_type("accountremoteroot"));
        assert_eq!(refusal("AccountRemoteRoot", "bob", Some("bob2")), None);
        assert!(refusal("AccountRemoteRoot", "bob", Some("Bob")).is_some());
        assert!(refusal("AccountEvil", "bob", None).is_some());
    }
}
