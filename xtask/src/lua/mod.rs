//! `cargo xtask lua --check`: the check of the Redis adapter's Lua scripts.
//!
//! The check does not exist yet. The command fails in every case, so that its
//! exit status is never mistaken for a passed check.

use crate::cargo::workspace_root;
use crate::error::Error;
use crate::test::REDIS_CRATE_DIR;

/// Fails, naming what is missing.
pub fn run(options: &[String]) -> Result<(), Error> {
    if options.is_empty() {
        return Err(Error::Usage("`lua` requires `--check`".to_owned()));
    }
    if options != ["--check"] {
        return Err(Error::Usage(format!(
            "`lua` takes only `--check`, got `{}`",
            options.join(" ")
        )));
    }

    if !workspace_root().join(REDIS_CRATE_DIR).is_dir() {
        return Err(Error::Unavailable(format!(
            "{REDIS_CRATE_DIR} does not exist yet, so there are no Lua scripts to check"
        )));
    }
    // NOTE: the Redis adapter exists but this check was never written, so the
    // `lua` step of `cargo xtask test` fails until it is.
    Err(Error::Unavailable(format!(
        "`lua --check` is not implemented yet; write it in xtask/src/lua.rs for the scripts in {REDIS_CRATE_DIR}"
    )))
}
