//! The EAL's command-line options, checked before `rte_eal_init` sees them.
//!
//! From DPDK 25.11 on, the EAL parses its options with `rte_argparse` set to exit on
//! error: an unknown option, a missing value or an unexpected value ends the process from
//! inside `rte_eal_init` (exit status 234) instead of returning an error. Older releases
//! parse with `getopt_long` and return. So that a typo is the same typed error on every
//! release, [`check`] holds each argument against the table below, the union of the
//! options of the releases we test, each with the releases that know it and whether it
//! takes a value. The table is checked against the installed EAL by the test suite
//! (`tests/eal.rs`, `eal_option_table_matches_the_installed_eal`): the names against the
//! EAL's own `--help`, the arity by handing DPDK each option with the wrong one.
//!
//! The check is stricter than `getopt_long` in two ways, on purpose and on every release:
//! long options are not abbreviated (`--no-h` for `--no-huge`), and short flags are not
//! clustered (`-vh`).

/// Whether an option takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// `--no-huge`: never a value (`--no-huge=1` is refused).
    None,
    /// `--file-prefix x` or `--file-prefix=x`: always a value.
    Required,
    /// `--huge-unlink` or `--huge-unlink=always`: a value only after `=`.
    Optional,
}

/// One EAL option.
#[derive(Debug, Clone, Copy)]
pub struct EalOption {
    /// `--file-prefix` or `-l`.
    pub name: &'static str,
    /// Whether it takes a value.
    pub arity: Arity,
    /// First release (year, month) whose EAL knows it.
    pub since: (u32, u32),
}

const fn opt(name: &'static str, arity: Arity, since: (u32, u32)) -> EalOption {
    EalOption { name, arity, since }
}

const ALL: (u32, u32) = (22, 11);
/// DPDK 24.03 reworked logging (colour, timestamps, an optional syslog facility).
const LOG_REWORK: (u32, u32) = (24, 3);
/// DPDK 25.11 moved the EAL to `rte_argparse`, which gave every short option a long name.
const ARGPARSE: (u32, u32) = (25, 11);

use Arity::{None as N, Optional as O, Required as R};

/// Every EAL option of the releases we test (22.11, 24.11, 25.11).
pub const OPTIONS: &[EalOption] = &[
    opt("-a", R, ALL),
    opt("-b", R, ALL),
    opt("-c", R, ALL),
    opt("-d", R, ALL),
    opt("-h", N, ALL),
    opt("-l", R, ALL),
    opt("-m", R, ALL),
    opt("-n", R, ALL),
    opt("-r", R, ALL),
    opt("-s", R, ALL),
    opt("-S", R, ALL),
    opt("-v", N, ALL),
    opt("-R", O, ARGPARSE),
    opt("--allow", R, ALL),
    opt("--block", R, ALL),
    opt("--help", N, ALL),
    opt("--lcores", R, ALL),
    opt("--coremask", R, ARGPARSE),
    opt("--driver-path", R, ARGPARSE),
    opt("--memory-channels", R, ARGPARSE),
    opt("--memory-ranks", R, ARGPARSE),
    opt("--memory-size", R, ARGPARSE),
    opt("--service-corelist", R, ARGPARSE),
    opt("--service-coremask", R, ARGPARSE),
    opt("--version", N, ARGPARSE),
    opt("--remap-lcore-ids", O, ARGPARSE),
    opt("--base-virtaddr", R, ALL),
    opt("--create-uio-dev", N, ALL),
    opt("--file-prefix", R, ALL),
    opt("--force-max-simd-bitwidth", R, ALL),
    opt("--huge-dir", R, ALL),
    opt("--huge-unlink", O, ALL),
    opt("--huge-worker-stack", O, ALL),
    opt("--in-memory", N, ALL),
    opt("--iova-mode", R, ALL),
    opt("--legacy-mem", N, ALL),
    opt("--log-color", O, LOG_REWORK),
    opt("--log-level", R, ALL),
    opt("--log-timestamp", O, LOG_REWORK),
    opt("--main-lcore", R, ALL),
    opt("--match-allocations", N, ALL),
    opt("--mbuf-pool-ops-name", R, ALL),
    opt("--no-hpet", N, ALL),
    opt("--no-huge", N, ALL),
    opt("--no-pci", N, ALL),
    opt("--no-shconf", N, ALL),
    opt("--no-telemetry", N, ALL),
    opt("--numa-mem", R, ARGPARSE),
    opt("--numa-limit", R, ARGPARSE),
    opt("--proc-type", R, ALL),
    opt("--single-file-segments", N, ALL),
    opt("--socket-limit", R, ALL),
    opt("--socket-mem", R, ALL),
    opt("--syslog", R, ALL),
    opt("--telemetry", N, ALL),
    opt("--trace", R, ALL),
    opt("--trace-bufsz", R, ALL),
    opt("--trace-dir", R, ALL),
    opt("--trace-mode", R, ALL),
    opt("--vdev", R, ALL),
    opt("--vfio-intr", R, ALL),
    opt("--vfio-vf-token", R, ALL),
    opt("--vmware-tsc-map", N, ALL),
];

/// Options that may be given more than once. From 25.11 on, the EAL exits the process
/// when any other option is repeated; [`check`] refuses such repeats on every release.
pub const REPEATABLE: &[&str] =
    &["-a", "--allow", "-b", "--block", "-d", "--driver-path", "--vdev", "--log-level", "--trace"];

/// `--syslog` takes its facility optionally since the 24.03 log rework.
const SYSLOG_OPTIONAL_SINCE: (u32, u32) = LOG_REWORK;

/// The arity of `option` on `release`, or `None` when that release's EAL does not know it.
pub fn lookup(option: &str, release: (u32, u32)) -> Option<Arity> {
    let found = OPTIONS.iter().find(|o| o.name == option && o.since <= release)?;
    if found.name == "--syslog" && release >= SYSLOG_OPTIONAL_SINCE {
        return Some(Arity::Optional);
    }
    Some(found.arity)
}

/// The options `release`'s EAL knows, with their arity there.
pub fn known(release: (u32, u32)) -> impl Iterator<Item = (&'static str, Arity)> {
    OPTIONS
        .iter()
        .filter(move |o| o.since <= release)
        .map(move |o| (o.name, lookup(o.name, release).unwrap_or(o.arity)))
}

/// The running DPDK's (year, month), from the version the bindings were made from.
pub fn release() -> (u32, u32) {
    dpdk_sys::DPDK_RELEASE
}

/// Options that are one option under two names (the short and long forms 25.11's
/// argparse gives each; `--socket-mem` for `--numa-mem`): a repeat is counted across
/// both spellings, as 25.11 counts it.
const SAME_OPTION: &[(&str, &str)] = &[
    ("-a", "--allow"),
    ("-b", "--block"),
    ("-c", "--coremask"),
    ("-d", "--driver-path"),
    ("-h", "--help"),
    ("-l", "--lcores"),
    ("-m", "--memory-size"),
    ("-n", "--memory-channels"),
    ("-r", "--memory-ranks"),
    ("-s", "--service-coremask"),
    ("-S", "--service-corelist"),
    ("-v", "--version"),
    ("-R", "--remap-lcore-ids"),
    ("--socket-mem", "--numa-mem"),
    ("--socket-limit", "--numa-limit"),
];

/// The one name a repeat is counted under.
fn canonical(name: &str) -> &str {
    SAME_OPTION.iter().find(|(a, _)| *a == name).map_or(name, |(_, long)| long)
}

/// Checks EAL arguments (`args[0]` is the program name, not checked) the way `release`'s
/// EAL would parse them: `Err` with the reason for the first one it would refuse at
/// parse time (values themselves are DPDK's to judge). Arguments after `--` are the
/// application's and not looked at.
pub fn check(args: &[String], release: (u32, u32)) -> Result<(), String> {
    parse(args, release).map(drop)
}

/// [`check`], returning each option with its value: `("--vdev", Some("net_null0"))`.
pub fn parse(
    args: &[String],
    release: (u32, u32),
) -> Result<Vec<(String, Option<String>)>, String> {
    let mut parsed: Vec<(String, Option<String>)> = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => (&arg[..2 + name.len()], Some(value)),
                None => (arg.as_str(), None),
            }
        } else if arg.len() >= 2 && arg.as_bytes()[0] == b'-' && arg.as_bytes()[1].is_ascii() {
            (&arg[..2], (arg.len() > 2).then(|| &arg[2..]))
        } else {
            return Err(format!("{arg:?} is not an EAL option (EAL arguments are options only)"));
        };
        let unknown = || {
            format!(
                "unknown EAL option {name:?} in {arg:?} for DPDK {}.{:02}",
                release.0, release.1
            )
        };
        let arity = lookup(name, release).ok_or_else(unknown)?;
        let id = canonical(name);
        if parsed.iter().any(|(seen, _)| canonical(seen) == id) && !REPEATABLE.contains(&name) {
            return Err(format!("the EAL option {name} is given twice (in {arg:?})"));
        }
        if id == "--help" {
            return Err(format!("{arg:?}: the EAL prints its usage and exits the process"));
        }
        let short = !name.starts_with("--");
        let value = match arity {
            Arity::None if inline.is_some() && short => {
                return Err(format!(
                    "{arg:?}: short options are not clustered; {name} takes no value"
                ))
            }
            Arity::None if inline.is_some() => {
                return Err(format!("{arg:?}: the EAL option {name} takes no value"))
            }
            Arity::None => None,
            Arity::Required => match inline {
                // 25.11's argparse looks for `=` before it splits `-aVALUE`, and takes
                // `-a0000:01:00.0,key=1` for an unknown option `-a0000:01:00.0,key`.
                Some(value) if short && value.contains('=') && release >= ARGPARSE => {
                    return Err(format!(
                        "{arg:?}: DPDK {}.{:02} cannot read a `=` in a value attached to {name}; \
                         give the value as a separate word",
                        release.0, release.1
                    ))
                }
                Some(value) => Some(value.to_owned()),
                None => match rest.next() {
                    Some(value) => Some(value.clone()),
                    None => {
                        return Err(format!("the EAL option {name} needs a value and has none"))
                    }
                },
            },
            Arity::Optional if inline.is_some() && short => {
                return Err(format!(
                    "{arg:?}: {name}'s value is optional, so it is given only to the long \
                     form after `=`"
                ))
            }
            Arity::Optional => inline.map(str::to_owned),
        };
        parsed.push((name.to_owned(), value));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        std::iter::once("prog").chain(words.iter().copied()).map(str::to_owned).collect()
    }

    const OLD: (u32, u32) = (22, 11);
    const NEW: (u32, u32) = (25, 11);

    #[test]
    fn accepts_what_the_eal_parses() {
        for release in [OLD, (24, 11), NEW] {
            let ok = args(&[
                "-l0,1",
                "--main-lcore=0",
                "--no-huge",
                "-m",
                "64",
                "--vdev",
                "net_null0",
                "--huge-unlink=always",
                "--log-level=8",
                "--",
                "--app-option",
                "whatever",
            ]);
            assert_eq!(check(&ok, release), Ok(()), "{release:?}");
        }
        assert_eq!(check(&args(&["--numa-mem=64", "-R"]), NEW), Ok(()));
        assert_eq!(check(&args(&["--syslog"]), (24, 11)), Ok(()));
        assert_eq!(check(&args(&["--vdev=net_null0", "--vdev", "net_null1"]), NEW), Ok(()));
        assert_eq!(check(&args(&["-a0000:01:00.0,mprq_en=1"]), OLD), Ok(()));
        assert_eq!(check(&args(&["-a", "0000:01:00.0,mprq_en=1"]), NEW), Ok(()));
        let parsed = parse(&args(&["--vdev=net_null0", "-l", "0", "--no-huge"]), NEW).unwrap();
        assert_eq!(parsed[0], ("--vdev".to_owned(), Some("net_null0".to_owned())));
        assert_eq!(parsed[1], ("-l".to_owned(), Some("0".to_owned())));
        assert_eq!(parsed[2], ("--no-huge".to_owned(), None));
    }

    #[test]
    fn refuses_what_the_eal_would_refuse_or_exit_on() {
        let cases: &[(&[&str], (u32, u32), &str)] = &[
            (&["--no-such-eal-option"], NEW, "unknown EAL option \"--no-such-eal-option\""),
            (&["--no-such-eal-option"], OLD, "unknown"),
            (&["-x"], OLD, "unknown EAL option \"-x\""),
            (&["--no-huge=3"], NEW, "takes no value"),
            (&["-vh"], NEW, "not clustered"),
            (&["--lcores"], NEW, "needs a value"),
            (&["-l"], OLD, "needs a value"),
            (&["--syslog"], OLD, "needs a value"),
            (&["--numa-mem=64"], OLD, "unknown"),
            (&["--no-h"], OLD, "unknown"),
            (&["stray"], OLD, "not an EAL option"),
            (&["-"], OLD, "not an EAL option"),
            (&["-é"], OLD, "not an EAL option"),
            (&["-l", "0", "--lcores", "0@1"], NEW, "given twice"),
            (&["-m", "64", "--memory-size=64"], NEW, "given twice"),
            (&["--socket-mem=64", "--numa-mem=64"], NEW, "given twice"),
            (&["-a0000:01:00.0,mprq_en=1"], NEW, "separate word"),
            (&["--help"], OLD, "exits"),
            (&["-h"], NEW, "exits"),
            (&["-m", "64", "-m", "128"], OLD, "given twice"),
            (&["--no-huge", "--no-huge"], NEW, "given twice"),
        ];
        for (words, release, expected) in cases {
            let err = check(&args(words), *release).unwrap_err();
            assert!(err.contains(expected), "{words:?} on {release:?}: {err}");
        }
    }

    #[test]
    fn a_required_value_may_look_like_an_option() {
        // getopt and argparse both take the next word as the value, whatever it is.
        assert_eq!(check(&args(&["--file-prefix", "--weird"]), NEW), Ok(()));
    }

    #[test]
    fn every_name_is_listed_once() {
        for (i, a) in OPTIONS.iter().enumerate() {
            assert!(OPTIONS[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }
}
