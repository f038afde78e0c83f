//! `cargo xtask`: the set-up, demo, test and bench commands for a fresh Debian/Ubuntu machine.
//!
//! This crate depends on nothing but `std` and on no workspace crate, so that it builds
//! before DPDK is installed: installing DPDK is one of its jobs.
//!
//! Files, one job each:
//! - `main.rs`: argument parsing and dispatch
//! - `setup.rs`: system packages (apt) and Rust components (rustup)
//! - `hugepages.rs`: hugepage reservation, hugetlbfs, the memory mode
//! - `run.rs`: running commands with headers, wall times and a summary
//! - `demo.rs`, `suite.rs`, `bench.rs`: the `demo`, `test` and `bench` commands

mod bench;
mod demo;
mod hugepages;
mod run;
mod setup;
mod suite;

use std::process::ExitCode;

use hugepages::MemoryMode;
use run::Failure;

/// What `cargo xtask help` prints.
const USAGE: &str = "\
cargo xtask <command> [options]

Commands:
  demo     install what is missing, set up hugepages, run the main job
           (examples numa_topology and tour)
  test     install what is missing, set up hugepages, run every test:
             [1/6] cargo fmt --all -- --check
             [2/6] cargo clippy --workspace --all-targets -- -D warnings
             [3/6] cargo clippy -p dns-dataplane --all-targets -- -D warnings
                   (the dataplane without its hyperscan feature)
             [4/6] cargo test --workspace --all-targets       DPDK_RS_MEMORY=hugepages
             [5/6] cargo nextest run --workspace --all-targets DPDK_RS_MEMORY=no-huge
                   (cargo test ... when cargo-nextest is not installed)
             [6/6] cargo test --workspace --doc              (hugepages if available)
           stops at the first failure with `FAILED: <step>` and a non-zero exit
  bench    set up, then cargo bench -p dpdk-bench (results: BENCHMARKS.md)
  setup    only install what is missing and set up hugepages; print the state
  help     this text

Options:
  --quick     (test) skip fmt and clippy, for local iteration
  --no-setup  (demo, test, bench) install nothing and leave hugepages alone; the
              memory mode is decided from what the machine already offers

Set-up, as root: apt-get installs the missing packages, 512 x 2 MiB hugepages are
reserved through /proc/sys/vm/nr_hugepages and hugetlbfs is mounted at /dev/hugepages.
Not root: the exact sudo command is printed and nothing is installed. Without
hugepages everything runs with --no-huge (DPDK_RS_MEMORY=no-huge) after a loud notice.
With CI=true, the hugepage test pass fails instead of being skipped. demo and bench
keep a DPDK_RS_MEMORY already set in the environment.";

/// The sub-command to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    /// `cargo xtask demo`.
    Demo,
    /// `cargo xtask test`.
    Test,
    /// `cargo xtask bench`.
    Bench,
    /// `cargo xtask setup`.
    Setup,
    /// `cargo xtask help`.
    Help,
}

/// A parsed command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Options {
    /// The sub-command.
    command: Command,
    /// `--quick`: skip fmt and clippy (test only).
    quick: bool,
    /// `--no-setup`: install nothing, leave hugepages as they are.
    no_setup: bool,
}

/// Parses the arguments after `cargo xtask`.
fn parse_args<I, S>(args: I) -> Result<Options, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut command = None;
    let mut quick = false;
    let mut no_setup = false;
    for arg in args {
        match arg.as_ref() {
            "--quick" => quick = true,
            "--no-setup" => no_setup = true,
            "-h" | "--help" | "help" => return Ok(Options::help()),
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            word => {
                if let Some(first) = command {
                    return Err(format!("one command at a time (got `{first:?}` and `{word}`)"));
                }
                let parsed = match word {
                    "demo" => Command::Demo,
                    "test" => Command::Test,
                    "bench" => Command::Bench,
                    "setup" => Command::Setup,
                    other => return Err(format!("unknown command `{other}`")),
                };
                command = Some((parsed, word.to_owned()));
            }
        }
    }
    let command = command.map_or(Command::Help, |(command, _)| command);
    if quick && command != Command::Test {
        return Err("`--quick` only applies to `test`".to_owned());
    }
    if no_setup && matches!(command, Command::Setup | Command::Help) {
        return Err("`--no-setup` only applies to `demo`, `test` and `bench`".to_owned());
    }
    Ok(Options { command, quick, no_setup })
}

impl Options {
    /// The options that print the help.
    fn help() -> Options {
        Options { command: Command::Help, quick: false, no_setup: false }
    }
}

/// Installs what is missing and sets up hugepages (or only looks, with `--no-setup`).
fn prepare(no_setup: bool) -> Result<hugepages::State, Failure> {
    let is_root = setup::is_root();
    let state = if no_setup {
        println!("==> set-up skipped (--no-setup): installing nothing, leaving hugepages alone");
        hugepages::probe(is_root)
    } else {
        println!("==> set-up: system packages");
        setup::ensure_packages(is_root)?;
        println!("==> set-up: hugepages");
        hugepages::prepare(is_root)
    };
    state.report();
    Ok(state)
}

/// The memory mode for `demo` and `bench`: `DPDK_RS_MEMORY` from the environment wins.
fn memory_mode_for_programs(state: &hugepages::State) -> MemoryMode {
    match std::env::var(MemoryMode::ENV) {
        Ok(value) => match MemoryMode::parse(&value) {
            Some(mode) => {
                if mode != state.mode {
                    println!(
                        "{}={mode} taken from the environment (set-up found: {})",
                        MemoryMode::ENV,
                        state.mode
                    );
                }
                mode
            }
            None => {
                eprintln!(
                    "warning: ignoring {}={value:?} (expected `hugepages` or `no-huge`)",
                    MemoryMode::ENV
                );
                state.mode
            }
        },
        Err(_) => state.mode,
    }
}

/// Runs the parsed command.
fn dispatch(options: Options) -> Result<(), Failure> {
    match options.command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Setup => {
            let state = prepare(false)?;
            println!();
            setup::print_state();
            println!(
                "memory mode: {} -> export {}={}",
                state.describe(),
                MemoryMode::ENV,
                state.mode
            );
            Ok(())
        }
        Command::Demo => {
            let state = prepare(options.no_setup)?;
            demo::run(memory_mode_for_programs(&state))
        }
        Command::Bench => {
            let state = prepare(options.no_setup)?;
            bench::run(memory_mode_for_programs(&state))
        }
        Command::Test => {
            let state = prepare(options.no_setup)?;
            if !options.no_setup && !options.quick {
                setup::ensure_rust_components()?;
            }
            suite::run(&state, options.quick)
        }
    }
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match dispatch(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("FAILED: {failure}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_args(args.iter().copied())
    }

    #[test]
    fn commands_and_options() {
        assert_eq!(parse(&[]).unwrap().command, Command::Help);
        assert_eq!(parse(&["demo"]).unwrap().command, Command::Demo);
        assert_eq!(parse(&["setup"]).unwrap().command, Command::Setup);
        assert_eq!(parse(&["bench", "--no-setup"]).unwrap().command, Command::Bench);
        let test = parse(&["test", "--quick", "--no-setup"]).unwrap();
        assert_eq!(test, Options { command: Command::Test, quick: true, no_setup: true });
        assert_eq!(parse(&["--quick", "test"]).unwrap(), parse(&["test", "--quick"]).unwrap());
        assert_eq!(parse(&["test", "--help"]).unwrap().command, Command::Help);
    }

    #[test]
    fn bad_command_lines_are_refused() {
        assert!(parse(&["frobnicate"]).is_err());
        assert!(parse(&["test", "--fast"]).is_err());
        assert!(parse(&["demo", "test"]).is_err());
        assert!(parse(&["demo", "--quick"]).is_err());
        assert!(parse(&["setup", "--no-setup"]).is_err());
    }
}
