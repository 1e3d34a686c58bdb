//! `waymark`: the command line.

use clap::Parser;

#[tokio::main]
async fn main() {
    let code = cli::main_with(cli::Cli::parse()).await;
    std::process::exit(code);
}
