//! `xferlens-gen`: writes synthetic transfer-session directories, fleets,
//! and the project's fixtures.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xferlens_gen::{
    generate_fleet, generate_session, lines_for_target, write_fixtures, FleetOptions, GenOptions,
    Profile, Scenario,
};

/// Deterministic generator of cPanel transfer-session logs.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// One session directory under OUT.
    Session {
        /// Directory to create the session in.
        out: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Accounts in the session.
        #[arg(long, default_value_t = 5)]
        accounts: usize,
        /// `out` lines per item log.
        #[arg(long, default_value_t = 20)]
        lines: usize,
        /// Workers per queue.
        #[arg(long, default_value_t = 3)]
        workers: usize,
        /// Scenario: clean, warnings, failures, worker-crash, pause-resume,
        /// abort, running, renamed, old-format, garbage, mixed.
        #[arg(long, default_value = "mixed")]
        scenario: String,
        /// Session id (default derived from seed and scenario).
        #[arg(long)]
        id: Option<String>,
        /// Size the item logs so the session totals about this many bytes.
        #[arg(long)]
        target_bytes: Option<u64>,
        /// Line mix: generator (the fixtures' mix) or realistic (random key
        /// orders, escapes, Perl warnings, action-heavy restores).
        #[arg(long, default_value = "generator", value_parser = parse_profile)]
        profile: Profile,
    },
    /// Many session directories under OUT (an archive-like fleet).
    Fleet {
        /// Directory to create the sessions in.
        out: PathBuf,
        /// Number of sessions.
        #[arg(long, default_value_t = 100)]
        sessions: usize,
        /// Seed of the first session.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Approximate total bytes.
        #[arg(long, default_value_t = 100 << 20)]
        target_bytes: u64,
        /// Accounts per session (varied around this).
        #[arg(long, default_value_t = 20)]
        accounts: usize,
        /// Chance (0 to 1) that a session with accounts left to re-run is
        /// followed by a retry campaign from the same host.
        #[arg(long, default_value_t = 0.25)]
        retries: f64,
        /// Line mix: generator (the fixtures' mix) or realistic (random key
        /// orders, escapes, Perl warnings, action-heavy restores).
        #[arg(long, default_value = "generator", value_parser = parse_profile)]
        profile: Profile,
    },
    /// Regenerates the synthetic fixtures under DIR (normally `fixtures`).
    Fixtures {
        /// The fixtures directory.
        dir: PathBuf,
    },
}

/// A `--profile` value.
fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s).ok_or_else(|| format!("`{s}`: use generator or realistic"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Session {
            out,
            seed,
            accounts,
            lines,
            workers,
            scenario,
            id,
            target_bytes,
            profile,
        } => {
            let Some(scenario) = Scenario::parse(&scenario) else {
                eprintln!("xferlens-gen: unknown scenario {scenario:?}");
                return ExitCode::from(2);
            };
            let mut o = GenOptions {
                seed,
                accounts,
                lines_per_item: lines,
                workers,
                scenario,
                id,
                profile,
                ..GenOptions::default()
            };
            let sized = match target_bytes {
                Some(b) => lines_for_target(&o, b).map(|lines| o.lines_per_item = lines),
                None => Ok(()),
            };
            sized
                .and_then(|()| generate_session(&out, &o))
                .map(|e| println!("{}: {} bytes, {}", e.id, e.bytes, e.state))
        }
        Cmd::Fleet {
            out,
            sessions,
            seed,
            target_bytes,
            accounts,
            retries,
            profile,
        } => {
            let f = FleetOptions {
                sessions,
                seed,
                target_bytes,
                accounts,
                retries,
                profile,
            };
            generate_fleet(&out, &f).map(|v| {
                let bytes: u64 = v.iter().map(|e| e.bytes).sum();
                println!("{} sessions, {} bytes", v.len(), bytes);
            })
        }
        Cmd::Fixtures { dir } => {
            let seed = dir.join("seed/vm5docscpanelcopya20140224163412sylG/master.log");
            write_fixtures(&dir, &seed)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xferlens-gen: {e}");
            ExitCode::from(1)
        }
    }
}
