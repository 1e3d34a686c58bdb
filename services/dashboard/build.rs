//! Builds the dashboard's styles and scripts (GOV.UK Frontend, with Node.js and npm) before the
//! crate embeds them, so that a plain `cargo build` works as well as `make`.

use std::path::Path;
use std::process::Command;

fn main() {
    let assets = Path::new("assets");
    for watched in ["src", "package.json", "package-lock.json", "build.mjs"] {
        println!("cargo:rerun-if-changed=assets/{watched}");
    }
    println!("cargo:rerun-if-changed=assets/dist");
    let script = Path::new("../../scripts/ensure-assets");
    let status = Command::new(script).status();
    let built = assets.join("dist/waymark.css").exists();
    match status {
        Ok(s) if s.success() && built => {}
        Ok(_) | Err(_) if built => {
            println!("cargo:warning=could not rebuild the dashboard assets; using the last build");
        }
        _ => panic!(
            "failed to build the dashboard's assets: they need Node.js 20 or later and npm \
             (run scripts/ensure-assets to see why)"
        ),
    }
}
