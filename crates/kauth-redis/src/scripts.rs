//! The generated Lua scripts, one per operation.
//!
//! The files in `lua/` are written by `cargo xtask lua` from the definitions
//! in kauth-core and committed; `cargo xtask lua --check` fails when they are
//! stale. They are compiled into the binary, so a deployment cannot run
//! scripts from another version.

use std::sync::LazyLock;

use crate::script::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub(crate) static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new($file, include_str!(concat!("../lua/", $file, ".lua"))));
    };
}

script!(RATE_CHECK, "rate_check");
script!(RATE_PEEK, "rate_peek");
script!(RATE_RESET, "rate_reset");
script!(SESSION_CREATE, "session_create");
script!(SESSION_VALIDATE, "session_validate");
script!(SESSION_REVOKE, "session_revoke");
script!(SESSION_REVOKE_ALL, "session_revoke_all");
script!(SESSION_LIST, "session_list");
script!(SESSION_COUNT, "session_count");
script!(SESSION_ROTATE, "session_rotate");
