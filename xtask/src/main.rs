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
//! - `lts.rs`: the other LTS releases in Debian chroots
//! - `numa.rs`: the two-node QEMU guest of the NUMA pass

mod bench;
mod demo;
mod hugepages;
mod lts;
mod numa;
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
           stops at the first failure with `FAILED: <step>` and a non-zero exit;
  setup    only install what is missing and set up hugepages; print the state
  help     this text

           then, as root, the same in a Debian chroot for each other LTS release
           (24.11 in trixie, 25.11 in sid; made with debootstrap when missing and
           kept in /var/cache/dpdk-rs); prints which DPDK versions ran
  bench    set up, then cargo bench -p dpdk-bench (results: BENCHMARKS.md)

Options:
  --dpdk V    (test, bench) only DPDK release V (22.11, 24.11, 25.11), in its chroot
              unless the host has it; `--dpdk host` only the host's DPDK (bench runs
              the host's unless --dpdk names another)
  --quick     (test) skip fmt and clippy, for local iteration
  --numa      (test) only the two-node pass: the NUMA tests in a QEMU guest with
              two nodes (installs qemu-system-x86 and busybox-static, fetches
              Debian's kernel into /var/cache/dpdk-rs/numa-kernel)
  --no-setup  (demo, test, bench) install nothing and leave hugepages alone; the
              memory mode is decided from what the machine already offers

Set-up, as root: apt-get installs the missing packages, 512 x 2 MiB hugepages are
reserved through /proc/sys/vm/nr_hugepages and hugetlbfs is mounted at /dev/hugepages.
Not root: the exact sudo command is printed and nothing is installed. Without
hugepages everything runs with --no-huge (DPDK_RS_MEMORY=no-huge) after a loud notice.
With CI=true, the hugepage test pass fails instead of being skipped, and so does an
LTS release whose chroot cannot be made or entered. demo and bench
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
    /// `--dpdk`: which DPDK releases the test command runs on.
    dpdk: Releases,
    /// `--numa`: only the two-node pass (test only).
    numa: bool,
}

/// Which DPDK releases `test` runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Releases {
    /// The host's, then every other tested LTS in its chroot.
    All,
    /// The host's only (`--dpdk host`; what runs inside a chroot).
    Host,
    /// One release (`--dpdk 24.11`).
    One((u32, u32)),
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
    let mut numa = false;
    let mut dpdk = Releases::All;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_ref() {
            "--dpdk" => {
                let value = args.next().ok_or("`--dpdk` needs a release (or `host`)")?;
                dpdk = match value.as_ref() {
                    "host" => Releases::Host,
                    release => Releases::One(lts::parse_release(release)?),
                };
            }
            "--quick" => quick = true,
            "--no-setup" => no_setup = true,
            "--numa" => numa = true,
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
    if numa && command != Command::Test {
        return Err("`--numa` only applies to `test`".to_owned());
    }
    if no_setup && matches!(command, Command::Setup | Command::Help) {
        return Err("`--no-setup` only applies to `demo`, `test` and `bench`".to_owned());
    }
    if dpdk != Releases::All && !matches!(command, Command::Test | Command::Bench) {
        return Err("`--dpdk` only applies to `test` and `bench`".to_owned());
    }
    Ok(Options { command, quick, no_setup, dpdk, numa })
}

impl Options {
    /// The options that print the help.
    fn help() -> Options {
        Options {
            command: Command::Help,
            quick: false,
            no_setup: false,
            dpdk: Releases::All,
            numa: false,
        }
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
        Command::Bench => match options.dpdk {
            Releases::One(release)
                if setup::dpdk_version().as_deref().and_then(setup::versions::parse_version)
                    != Some(release) =>
            {
                let chroot = lts::prepare_release(release)?;
                lts::run_release(release, &chroot, &inner_command("bench", options)).map(drop)
            }
            _ => {
                let state = prepare(options.no_setup)?;
                bench::run(memory_mode_for_programs(&state))
            }
        },
        Command::Test => test(options),
    }
}

/// `command` with the options the copy of xtask inside a chroot must get too.
fn inner_command(command: &str, options: Options) -> String {
    let mut line = command.to_owned();
    for (on, flag) in [(options.quick, " --quick"), (options.no_setup, " --no-setup")] {
        if on {
            line += flag;
        }
    }
    line
}

/// `cargo xtask test`: the host's DPDK, then the other LTS releases in their chroots.
fn test(options: Options) -> Result<(), Failure> {
    if options.numa {
        prepare(options.no_setup)?;
        return numa::pass(&run::workspace_root(), !options.no_setup);
    }
    let mut host = setup::dpdk_version();
    // A fresh machine has no DPDK yet: the set-up installs the host's first.
    let mut state = None;
    if host.is_none() || !matches!(options.dpdk, Releases::One(_)) {
        state = Some(prepare(options.no_setup)?);
        host = setup::dpdk_version();
    }
    let host_release = host.as_deref().and_then(setup::versions::parse_version);
    let others: Vec<(u32, u32)> = match options.dpdk {
        Releases::Host => Vec::new(),
        Releases::One(r) if Some(r) == host_release => Vec::new(),
        Releases::One(r) => vec![r],
        Releases::All => setup::versions::TESTED_LTS
            .iter()
            .copied()
            .filter(|r| Some(*r) != host_release)
            .collect(),
    };
    let host_too = !matches!(options.dpdk, Releases::One(r) if Some(r) != host_release);
    let mut ran = Vec::new();
    let started = std::time::Instant::now();
    if host_too {
        let state = match state {
            Some(state) => state,
            None => prepare(options.no_setup)?,
        };
        if !options.no_setup && !options.quick {
            setup::ensure_rust_components()?;
        }
        suite::run(&state, options.quick)?;
        ran.push(format!("{} (host)", host.as_deref().unwrap_or("?")));
    }
    let ci = suite::is_ci(std::env::var("CI").ok().as_deref());
    // The two-node pass, once, from the top-level run (not inside a chroot's).
    let mut numa_note = None;
    if options.dpdk == Releases::All {
        println!();
        println!("==> two-node NUMA pass (QEMU guest)");
        match numa::pass(&run::workspace_root(), !options.no_setup) {
            Ok(()) => numa_note = Some("passed".to_owned()),
            Err(why) if numa::is_setup_failure(&why) && !ci => {
                eprintln!();
                eprintln!("!!! TWO-NODE PASS NOT RUN: {why}");
                eprintln!("!!! (under CI=true this fails the run)");
                numa_note = Some(format!("NOT run ({why})"));
            }
            Err(why) => return Err(why),
        }
    }
    let mut not_run = Vec::new();
    for release in others {
        let name = lts::release_name(release);
        let chroot = match lts::prepare_release(release) {
            Ok(chroot) => chroot,
            Err(why) if ci => return Err(Failure(format!("{why} (CI=true: every LTS must run)"))),
            Err(why) => {
                eprintln!();
                eprintln!("!!! DPDK {name} NOT TESTED: {why}");
                eprintln!("!!! (under CI=true this fails the run)");
                not_run.push(name);
                continue;
            }
        };
        let command = inner_command("test", options);
        ran.push(lts::run_release(release, &chroot, &command)?);
    }
    println!();
    println!("DPDK versions run: {}", ran.join(", "));
    if !not_run.is_empty() {
        println!("DPDK versions NOT run: {}", not_run.join(", "));
    }
    if let Some(note) = numa_note {
        println!("two-node NUMA pass: {note}");
    }
    println!("all versions: {}", run::format_duration(started.elapsed()));
    Ok(())
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
        assert_eq!(
            test,
            Options {
                command: Command::Test,
                quick: true,
                no_setup: true,
                dpdk: Releases::All,
                numa: false
            }
        );
        assert!(parse(&["test", "--numa"]).unwrap().numa);
        assert!(parse(&["bench", "--numa"]).is_err());
        assert_eq!(parse(&["test", "--dpdk", "24.11"]).unwrap().dpdk, Releases::One((24, 11)));
        assert_eq!(parse(&["test", "--dpdk", "host"]).unwrap().dpdk, Releases::Host);
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
        assert!(parse(&["test", "--dpdk"]).is_err());
        assert!(parse(&["test", "--dpdk", "23.11"]).is_err());
        assert!(parse(&["demo", "--dpdk", "24.11"]).is_err());
        assert_eq!(parse(&["bench", "--dpdk", "25.11"]).unwrap().dpdk, Releases::One((25, 11)));
    }
}
