//! Installing what the benchmarks compare kauth with, under
//! `target/bench-peers/` so that nothing is committed or installed system-wide
//! beyond Debian packages the machine lacks:
//!
//! - `python/`: a virtual environment with `limits[async-redis]` (pip);
//! - `node/`: `rate-limiter-flexible` and `ioredis` (npm);
//! - `fail2ban/`: Debian's fail2ban package unpacked, not installed, so that
//!   no service starts; only `fail2ban-regex` is run from it.
//!
//! The Rust peers (governor, tower-sessions) are dependencies of the benches
//! crate, built by cargo. Each install is skipped when already done. A peer
//! that cannot be installed keeps the reason, which its rows show.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench::process::{self, on_path};
use crate::bench::target_dir;

/// The pip requirement of the Python peer, pinned so that runs compare.
const PYTHON_REQUIREMENT: &str = "limits[async-redis]==5.8.0";
/// The npm packages of the Node peer, pinned so that runs compare.
const NODE_PACKAGES: [&str; 2] = ["rate-limiter-flexible@11.4.0", "ioredis@6.1.0"];

/// Programs the benchmarks run, with the Debian package providing each.
const DEBIAN_PROGRAMS: [(&str, &str); 6] = [
    ("redis-server", "redis-server"),
    ("redis-cli", "redis-tools"),
    ("redis-benchmark", "redis-tools"),
    ("python3", "python3"),
    ("node", "nodejs"),
    ("npm", "npm"),
];

/// The installed peers, or why each is missing.
#[derive(Debug)]
pub struct Peers {
    /// The Python interpreter of the virtual environment.
    pub python: Result<PathBuf, String>,
    /// The `node_modules` folder holding the Node peer.
    pub node_modules: Result<PathBuf, String>,
    /// The folder fail2ban's package was unpacked into.
    pub fail2ban: Result<PathBuf, String>,
    versions: Vec<String>,
}

impl Peers {
    /// Returns the peers' versions, for the table's header.
    pub fn versions(&self) -> String {
        self.versions.join(", ")
    }
}

/// Installs every peer that is not installed yet.
pub fn install() -> Peers {
    println!("==> peers: installing into {}", peers_dir().display());
    install_debian_programs();

    let python = install_python();
    let node_modules = install_node();
    let fail2ban = install_fail2ban();

    let mut versions = vec![command_version("redis-server", &["--version"], 2)];
    if let Ok(python) = &python {
        versions.push(python_version(python));
    }
    if let Ok(node_modules) = &node_modules {
        versions.push(node_version(node_modules, "rate-limiter-flexible"));
        versions.push(node_version(node_modules, "ioredis"));
    }
    if fail2ban.is_ok() {
        versions.push(fail2ban_version());
    }
    for (name, result) in [("python", &python), ("node", &node_modules), ("fail2ban", &fail2ban)] {
        if let Err(reason) = result {
            println!("    {name} peer missing: {reason}");
        }
    }
    Peers {
        python,
        node_modules,
        fail2ban,
        versions,
    }
}

fn peers_dir() -> PathBuf {
    target_dir().join("bench-peers")
}

/// Installs the Debian packages of the programs missing from `PATH`.
fn install_debian_programs() {
    let mut packages: Vec<&str> = DEBIAN_PROGRAMS
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    packages.dedup();
    if packages.is_empty() {
        return;
    }

    println!("    installing Debian packages: {}", packages.join(" "));
    let installed = run_quietly(Command::new("apt-get").args(["update", "-qq"]))
        .and_then(|()| run_quietly(Command::new("apt-get").args(["install", "-y", "-qq"]).args(&packages)));
    if let Err(reason) = installed {
        println!("    could not install {}: {reason}", packages.join(" "));
    }
}

fn install_python() -> Result<PathBuf, String> {
    let venv = peers_dir().join("python");
    let python = venv.join("bin").join("python");
    let ready = |python: &Path| run_quietly(Command::new(python).args(["-c", "import limits, coredis"])).is_ok();
    if python.is_file() && ready(&python) {
        return Ok(python);
    }

    if !on_path("python3") {
        return Err("python3 is not installed".to_owned());
    }
    run_quietly(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .map_err(|reason| format!("cannot create the virtual environment: {reason}"))?;
    run_quietly(Command::new(&python).args(["-m", "pip", "install", "--quiet", PYTHON_REQUIREMENT]))
        .map_err(|reason| format!("pip install {PYTHON_REQUIREMENT} failed: {reason}"))?;
    match ready(&python) {
        true => Ok(python),
        false => Err("limits or coredis cannot be imported after pip install".to_owned()),
    }
}

fn install_node() -> Result<PathBuf, String> {
    let prefix = peers_dir().join("node");
    let modules = prefix.join("node_modules");
    let ready = || {
        ["rate-limiter-flexible", "ioredis"]
            .iter()
            .all(|package| modules.join(package).join("package.json").is_file())
    };
    if ready() {
        return Ok(modules);
    }

    if !on_path("node") || !on_path("npm") {
        return Err("node or npm is not installed".to_owned());
    }
    std::fs::create_dir_all(&prefix).map_err(|error| format!("cannot create {}: {error}", prefix.display()))?;
    run_quietly(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args(["--no-audit", "--no-fund", "--silent"])
            .args(NODE_PACKAGES),
    )
    .map_err(|reason| format!("npm install {} failed: {reason}", NODE_PACKAGES.join(" ")))?;
    match ready() {
        true => Ok(modules),
        false => Err("rate-limiter-flexible or ioredis is missing after npm install".to_owned()),
    }
}

fn install_fail2ban() -> Result<PathBuf, String> {
    let root = peers_dir().join("fail2ban");
    if fail2ban_regex(&root).is_file() {
        return Ok(root);
    }

    let download = root.join("download");
    std::fs::create_dir_all(&download).map_err(|error| format!("cannot create {}: {error}", download.display()))?;
    let fetch = || {
        run_quietly(
            Command::new("apt-get")
                .args(["download", "fail2ban"])
                .current_dir(&download),
        )
    };
    // apt-get finds no package until its package lists have been fetched.
    fetch()
        .or_else(|_| run_quietly(Command::new("apt-get").args(["update", "-qq"])).and_then(|()| fetch()))
        .map_err(|reason| format!("apt-get download fail2ban failed: {reason}"))?;

    let package = std::fs::read_dir(&download)
        .map_err(|error| format!("cannot list {}: {error}", download.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|extension| extension == "deb"))
        .ok_or_else(|| "apt-get download fail2ban left no .deb file".to_owned())?;
    run_quietly(Command::new("dpkg").arg("-x").arg(&package).arg(&root))
        .map_err(|reason| format!("dpkg -x {} failed: {reason}", package.display()))?;
    match fail2ban_regex(&root).is_file() {
        true => Ok(root),
        false => Err("the fail2ban package has no usr/bin/fail2ban-regex".to_owned()),
    }
}

/// `fail2ban-regex` inside the unpacked package.
pub fn fail2ban_regex(root: &Path) -> PathBuf {
    root.join("usr").join("bin").join("fail2ban-regex")
}

/// Runs a command, printing nothing unless it fails.
fn run_quietly(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|error| format!("cannot start {:?}: {error}", command.get_program()))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last_line = stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("");
    Err(format!("exited with {}: {}", output.status, last_line.trim()))
}

/// Returns the `field`-th word (from 0) of `program args`'s first line.
fn command_version(program: &str, args: &[&str], field: usize) -> String {
    let version = Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|output| {
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.split_whitespace().nth(field).map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{program} {version}")
}

fn python_version(python: &Path) -> String {
    let script = "import limits, coredis; print(f'limits {limits.__version__} (coredis {coredis.__version__})')";
    let mut command = Command::new(python);
    command.args(["-c", script]);
    match process::run("peers", &mut command, false) {
        Ok(finished) => finished.lines.join(" "),
        Err(_) => "limits (version unknown)".to_owned(),
    }
}

fn node_version(modules: &Path, package: &str) -> String {
    let manifest = modules.join(package).join("package.json");
    let version = std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| {
            json.get("version")
                .and_then(|version| version.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{package} {version}")
}

fn fail2ban_version() -> String {
    let download = peers_dir().join("fail2ban").join("download");
    let version = std::fs::read_dir(download)
        .ok()
        .and_then(|entries| {
            entries.filter_map(Result::ok).find_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Debian names packages NAME_VERSION_ARCH.deb.
                name.strip_suffix(".deb")?.split('_').nth(1).map(str::to_owned)
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    format!("fail2ban {version}")
}
