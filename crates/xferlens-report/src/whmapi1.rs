//! The re-queue script (`retry --format whmapi1`): `whmapi1` commands an
//! admin runs as root, written from logs that remote servers wrote.
//!
//! Every physical line is a comment or one complete command, so a line
//! taken alone (`grep bob requeue.sh | sh`, `split -l`, `head -n`) never
//! leaves a quote open. Names and item types go into a command only when
//! cPanel could have written them (`crate::cpanel`); any other is listed
//! in a comment, escaped to printable ASCII, with the reason. The file is
//! printable ASCII and newlines, so `cat requeue.sh` cannot drive a
//! terminal. Accounts are grouped by the session they need: a root
//! session per source host (`create_remote_root_transfer_session`), a
//! user session per account (`create_remote_user_transfer_session`: a
//! root session refuses `AccountRemoteUser` items), a local restore per
//! account (`start_local_cpmove_restore`). Each command names its session
//! through its own shell variable, guarded with `${VAR:?...}`, so a
//! command whose session was not set up refuses to run.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use crate::accounts::{History, RetryList, UNKNOWN_HOST};
use crate::cpanel;
use crate::escape::visible_ascii;

/// At most this many characters of a log value in a comment.
const SHOWN: usize = 100;

/// `s` as one POSIX shell word: single-quoted, a `'` written as `'\''`.
/// Inside single quotes nothing is interpreted.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The accounts of a re-queue list, by the session each one needs.
#[derive(Default)]
struct Plan<'h> {
    /// `AccountRemoteRoot`, by source host.
    root: BTreeMap<&'h str, Vec<&'h History>>,
    /// `AccountRemoteUser`.
    user: Vec<&'h History>,
    /// `AccountLocal`.
    local: Vec<&'h History>,
    /// `AccountUpload`.
    upload: Vec<&'h History>,
    /// Not written as commands, with the reason.
    refused: Vec<(&'h History, String)>,
}

impl<'h> Plan<'h> {
    fn of(list: &RetryList<'h>) -> Self {
        let mut p = Plan::default();
        for &h in &list.accounts {
            let k = &h.key;
            if let Some(why) = cpanel::refusal(&k.item_type, &k.item, h.local_item()) {
                p.refused.push((h, why));
                continue;
            }
            match k.item_type.as_str() {
                "AccountRemoteRoot" => p.root.entry(&k.remote_host).or_default().push(h),
                "AccountRemoteUser" => p.user.push(h),
                "AccountLocal" => p.local.push(h),
                "AccountUpload" => p.upload.push(h),
                _ => p
                    .refused
                    .push((h, "xferlens writes no command for this item type".into())),
            }
        }
        p
    }
}

/// Shell variable names, each used once: `PREFIX_` and the ASCII letters
/// and digits of a value (the rest `_`), cut to 40, numbered on a clash.
#[derive(Default)]
struct Vars(HashSet<String>);

impl Vars {
    fn name(&mut self, prefix: &str, raw: &str) -> String {
        let base: String = raw
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(40)
            .collect();
        let mut name = format!("{prefix}_{base}");
        let mut n = 1;
        while self.0.contains(&name) {
            n += 1;
            name = format!("{prefix}_{base}_{n}");
        }
        self.0.insert(name.clone());
        name
    }
}

/// `"${VAR:?...}"`: the variable's value, or the shell stops there.
fn guarded(var: &str) -> String {
    format!("\"${{{var}:?not set, see the comments of its block in the script}}\"")
}

/// A host name as a shell word for a comment's example, or `HOST`.
fn host_word(host: &str) -> String {
    let plain = host != UNKNOWN_HOST
        && (1..=253).contains(&host.len())
        && !host.starts_with('-')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if plain {
        shell_quote(host)
    } else {
        "HOST".to_owned()
    }
}

/// One comment line about an account: where its last attempt ran and why
/// it is listed.
fn about<W: Write>(out: &mut W, h: &History) -> io::Result<()> {
    let l = h.last();
    writeln!(
        out,
        "# {} from {}: {} attempt(s), last {} in session {}: {}",
        visible_ascii(&h.key.item, SHOWN),
        visible_ascii(&h.key.remote_host, SHOWN),
        h.attempts.len(),
        l.status.as_str(),
        visible_ascii(&l.session_id, SHOWN),
        visible_ascii(&plain_quotes(l.reason.as_deref().unwrap_or("")), SHOWN)
    )
}

/// cPanel's messages quote with “ ” and ‘ ’, and xferlens cuts with …:
/// written as ASCII in comments, where an escape would only be noise.
fn plain_quotes(s: &str) -> String {
    s.replace(['\u{201c}', '\u{201d}'], "\"")
        .replace(['\u{2018}', '\u{2019}'], "'")
        .replace('\u{2026}', "...")
}

/// The `enqueue_transfer_item` command of a checked account.
fn enqueue<W: Write>(out: &mut W, var: &str, h: &History) -> io::Result<()> {
    let local = h.local_item().unwrap_or(&h.key.item);
    let size = h.size().map(|n| format!(" size={n}")).unwrap_or_default();
    writeln!(
        out,
        "whmapi1 enqueue_transfer_item transfer_session_id={} module={} user={} localuser={}{size}",
        guarded(var),
        shell_quote(&h.key.item_type),
        shell_quote(&h.key.item),
        shell_quote(local)
    )
}

fn start<W: Write>(out: &mut W, var: &str) -> io::Result<()> {
    writeln!(
        out,
        "whmapi1 start_transfer_session transfer_session_id={}",
        guarded(var)
    )
}

/// One block per source host: its own root session and variable.
fn root_blocks<W: Write>(out: &mut W, p: &Plan<'_>, vars: &mut Vars) -> io::Result<()> {
    for (host, accounts) in &p.root {
        let var = vars.name("SESSION", host);
        let hw = host_word(host);
        writeln!(
            out,
            "\n# ==== Root copies (AccountRemoteRoot) from {}: {} account(s) ====",
            visible_ascii(host, SHOWN),
            accounts.len()
        )?;
        if hw == "HOST" {
            writeln!(
                out,
                "# The logs give no plain host name: write the source server's name for HOST."
            )?;
        }
        writeln!(
            out,
            "# 1. Create a session for this host only (each source host needs its own):\n\
             #      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host={hw} user=root password=...\n\
             # 2. export {var}=<the transfer_session_id it returns>\n\
             # 3. Run this block; its last line starts the session."
        )?;
        for h in accounts {
            about(out, h)?;
            enqueue(out, &var, h)?;
        }
        start(out, &var)?;
    }
    Ok(())
}

/// One user session per account: it logs in with that account's own
/// password, and a root session refuses these items.
fn user_block<W: Write>(out: &mut W, p: &Plan<'_>, vars: &mut Vars) -> io::Result<()> {
    if p.user.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n# ==== Copies with the account's own password (AccountRemoteUser): {} account(s) ====\n\
         # A root session refuses these items: each needs a user session of its own, created\n\
         # with that cPanel user's password. Then export the variable its lines name.",
        p.user.len()
    )?;
    for h in &p.user {
        let var = vars.name(
            "USER_SESSION",
            &format!("{}_{}", h.key.remote_host, h.key.item),
        );
        about(out, h)?;
        writeln!(
            out,
            "#   whmapi1 create_remote_user_transfer_session host={} password=...\n\
             #   export {var}=<the transfer_session_id it returns>",
            host_word(&h.key.remote_host)
        )?;
        enqueue(out, &var, h)?;
        start(out, &var)?;
    }
    Ok(())
}

/// Local restores: `start_local_cpmove_restore` creates and starts its own
/// session; the archive's path must be filled in.
fn local_block<W: Write>(out: &mut W, p: &Plan<'_>, vars: &mut Vars) -> io::Result<()> {
    if p.local.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n# ==== Local restores (AccountLocal): {} account(s) ====\n\
         # start_local_cpmove_restore creates and starts a session for each archive. The logs\n\
         # xferlens reads do not give the archive's path: it is in the item log's \"Restore File:\"\n\
         # line (xferlens log --account NAME --queue RESTORE --grep 'Restore File' SESSION_DIR).\n\
         # Export each CPMOVE_ variable below to the path; a line whose variable is unset refuses.",
        p.local.len()
    )?;
    for h in &p.local {
        let user = h.local_item().unwrap_or(&h.key.item);
        let var = vars.name("CPMOVE", user);
        about(out, h)?;
        writeln!(
            out,
            "whmapi1 start_local_cpmove_restore cpmovepath={} username={}",
            guarded(&var),
            shell_quote(user)
        )?;
    }
    Ok(())
}

/// Uploaded archives: restored with `delete_archive`, so gone.
fn upload_block<W: Write>(out: &mut W, p: &Plan<'_>) -> io::Result<()> {
    if p.upload.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n# ==== Uploaded archives (AccountUpload): {} account(s), no command ====\n\
         # An uploaded archive is restored with delete_archive=1, so it is gone: upload the\n\
         # account's archive again (or restore a copy with start_local_cpmove_restore).",
        p.upload.len()
    )?;
    for h in &p.upload {
        about(out, h)?;
    }
    Ok(())
}

/// Accounts whose names or types cPanel could not have written.
fn refused_block<W: Write>(out: &mut W, p: &Plan<'_>) -> io::Result<()> {
    if p.refused.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n# ==== Refused: {} account(s) no cPanel server can have, no command ====",
        p.refused.len()
    )?;
    for (h, why) in &p.refused {
        writeln!(
            out,
            "# {} {} from {} (last {} in session {}): refused: {}",
            visible_ascii(&h.key.item_type, SHOWN),
            visible_ascii(&h.key.item, SHOWN),
            visible_ascii(&h.key.remote_host, SHOWN),
            h.last().status.as_str(),
            visible_ascii(&h.last().session_id, SHOWN),
            visible_ascii(why, 2 * SHOWN)
        )?;
    }
    Ok(())
}

/// Writes the re-queue list as a POSIX shell script of `whmapi1` commands:
/// a block per session kind and source host (see the module's comment).
pub fn retry_whmapi1<W: Write>(list: &RetryList<'_>, out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "#!/bin/sh\n\
# Re-queue the accounts whose latest transfer failed or was never restored.\n\
# Written by xferlens from transfer logs. Every line is a comment or one complete\n\
# command, and each command names its session through its own variable, which\n\
# must be set first (\"${{VAR:?...}}\": unset, the shell stops there). So a line\n\
# run alone (grep NAME requeue.sh | sh) is as safe as the whole file. Only names\n\
# a cPanel account can have are written as commands; others are listed at the end."
    )?;
    let plan = Plan::of(list);
    let mut vars = Vars::default();
    root_blocks(out, &plan, &mut vars)?;
    user_block(out, &plan, &mut vars)?;
    local_block(out, &plan, &mut vars)?;
    upload_block(out, &plan)?;
    refused_block(out, &plan)?;
    if list.in_progress > 0 {
        writeln!(
            out,
            "\n# {} account(s) still in progress in a running session are not listed.",
            list.in_progress
        )?;
    }
    for h in &list.others {
        let what = format!("{} {}", h.key.item_type, h.key.item);
        writeln!(
            out,
            "# also failed (not an account): {}",
            visible_ascii(&what, SHOWN)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_hostile_names() {
        assert_eq!(shell_quote("bob"), "'bob'");
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        let evil = "x'; rm -rf / #$(id)`id`\n";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(evil)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), evil);
    }

    #[test]
    fn variable_names_never_clash() {
        let mut v = Vars::default();
        assert_eq!(
            v.name("SESSION", "src1.example.net"),
            "SESSION_src1_example_net"
        );
        assert_eq!(
            v.name("SESSION", "src1-example.net"),
            "SESSION_src1_example_net_2"
        );
        assert_eq!(
            v.name("SESSION", "src1_example_net_2"),
            "SESSION_src1_example_net_2_2"
        );
        assert_eq!(v.name("SESSION", "h\n$(x)"), "SESSION_h___x_");
        assert_eq!(
            v.name("SESSION", &"a".repeat(600)).len(),
            "SESSION_".len() + 40
        );
    }

    #[test]
    fn host_words_are_plain_or_placeholders() {
        assert_eq!(host_word("src1.example.net"), "'src1.example.net'");
        assert_eq!(host_word("2001:db8::1"), "'2001:db8::1'");
        assert_eq!(host_word(UNKNOWN_HOST), "HOST");
        assert_eq!(host_word("a b"), "HOST");
        assert_eq!(host_word("-oProxyCommand=x"), "HOST");
    }
}
