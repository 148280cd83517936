//! Builds the dashboard with the npm toolchain pinned in package-lock.json, so that a plain
//! `cargo build` yields a binary that serves it: `npm ci` when node_modules does not match the
//! lockfile, then `node build.mjs`, writing the site into OUT_DIR (embedded by src/lib.rs) and
//! mirroring it into crates/web/assets (what Terraform uploads to S3).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for input in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", dir.join(input).display());
    }

    // Two builds at once (debug and release, or clippy beside a build) share node_modules.
    let lock = fs::File::create(dir.join(".build.lock"))
        .unwrap_or_else(|e| fail(&format!("cannot create crates/web/.build.lock: {e}")));
    lock.lock().unwrap_or_else(|e| fail(&format!("cannot lock crates/web/.build.lock: {e}")));

    install(&dir);
    let site = out.join("site");
    run(
        Command::new("node")
            .current_dir(&dir)
            .arg("build.mjs")
            .arg("--out")
            .arg(&site)
            .arg("--gzip-dir")
            .arg(out.join("site-gzip"))
            .arg("--rust")
            .arg(out.join("assets.rs")),
        "node build.mjs",
    );
    mirror(&site, &dir.join("assets"));
}

/// `npm ci` unless node_modules was installed from this very lockfile.
fn install(dir: &Path) {
    let lockfile = fs::read(dir.join("package-lock.json"))
        .unwrap_or_else(|e| fail(&format!("cannot read package-lock.json: {e}")));
    let stamp = dir.join("node_modules/.installed-package-lock.json");
    if fs::read(&stamp).is_ok_and(|installed| installed == lockfile) {
        return;
    }
    run(
        Command::new("npm").current_dir(dir).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]),
        "npm ci",
    );
    if let Err(e) = fs::write(&stamp, &lockfile) {
        println!("cargo:warning=cannot write {}: {e}", stamp.display());
    }
}

fn run(command: &mut Command, what: &str) {
    match command.output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => fail(&format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(&format!(
            "{what}: {} is not installed. Building the web dashboard (crates/web) needs Node.js 20 or later \
             with npm, e.g. `apt-get install nodejs npm`; npm installs the pinned packages from its registry",
            command.get_program().to_string_lossy()
        )),
        Err(e) => fail(&format!("{what}: {e}")),
    }
}

/// crates/web/assets becomes an exact copy of the built site. A read-only checkout only
/// warns: the binary embeds its own copy from OUT_DIR.
fn mirror(site: &Path, assets: &Path) {
    let copy = || -> std::io::Result<()> {
        if assets.exists() {
            fs::remove_dir_all(assets)?;
        }
        fs::create_dir_all(assets)?;
        for entry in fs::read_dir(site)? {
            let entry = entry?;
            fs::copy(entry.path(), assets.join(entry.file_name()))?;
        }
        Ok(())
    };
    if let Err(e) = copy() {
        println!("cargo:warning=cannot write {}: {e}", assets.display());
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    panic!("building the web dashboard failed: {message}");
}
