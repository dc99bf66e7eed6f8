/*!
Deterministic generator of realistic cPanel & WHM transfer-session
directories, following the writer behaviour described in docs/FORMAT.md:
interleaved workers of both queues, item logs with percentages, modules,
warnings, errors, summaries and results, and every scenario the replay
must get right (clean, warnings, failures with RESTORE cascade, worker
crash and respawn, pause/resume, abort, running with a cut final line,
renamed accounts, the old 1.6 format, garbage lines, an item log the
master never mentions).

Every session directory also gets `expected.json`: what replay must
reconstruct from it ([`Expected`]), so tests can check replay against the
generator on any number of seeds.

# Example

```
let dir = std::env::temp_dir().join(format!("xferlens-gen-doc-{}", std::process::id()));
let opts = xferlens_gen::GenOptions { accounts: 3, lines_per_item: 5, ..Default::default() };
let expected = xferlens_gen::generate_session(&dir, &opts)?;
assert_eq!(expected.state, "COMPLETED");
assert!(dir.join(&expected.id).join("master.log").exists());
# std::fs::remove_dir_all(&dir)?;
# Ok::<(), std::io::Error>(())
```
*/
#![deny(missing_docs)]

mod fixtures;
mod rng;
mod session;

pub use crate::fixtures::write_fixtures;
pub use crate::rng::Rng;
pub use crate::session::{
    accounts_to_rerun, generate_fleet, generate_session, lines_for_target, write_api_response,
    Expected, ExpectedModule, ExpectedMove, ExpectedQueue, FleetOptions, GenOptions, Profile,
    Scenario,
};
