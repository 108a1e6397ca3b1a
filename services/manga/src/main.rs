//! `manga`: turn a story into a finished manga in one process (embedded mode).
//!
//! `manga generate STORY --out DIR` runs all eight phases with the built-in
//! offline provider and writes PDF, CBZ, PNG pages and job.json;
//! `manga serve` runs the web page and the API in this process;
//! `manga providers check` tries each configured model provider once.

mod cli;
mod generate;
mod input;
mod models;
mod progress;
mod serve;
mod topology;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        cli::Command::Generate(args) => match runtime.block_on(generate::run(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                eprintln!("error: {failure}");
                failure.exit_code()
            }
        },
        cli::Command::Serve(args) => match runtime.block_on(serve::run(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        cli::Command::Providers { command: cli::ProvidersCommand::Check(args) } => {
            match runtime.block_on(models::check(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::Topology(args) => match runtime.block_on(topology::run(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Logs go to stderr (stdout belongs to the progress display and summary);
/// warnings only unless `-v` or `RUST_LOG` asks for more.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
