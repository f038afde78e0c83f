//! Installing what is missing: system packages through apt (as root; otherwise the exact
//! command is printed), Rust components through rustup.

use std::env;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::run::{output_of, Failure, Step};

/// How to tell whether a requirement is present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// DPDK through `pkg-config --exists libdpdk`, or `DPDK_INCLUDE_DIR` + `DPDK_LIB_DIR`.
    Dpdk,
    /// An executable on `PATH` (or in an `sbin` directory).
    Program(&'static str),
    /// `libclang.so*` where bindgen's clang-sys looks for it.
    Libclang,
    /// A library through `pkg-config --exists <name>`.
    PkgConfig(&'static str),
}

/// Something the build, the tests or the examples need from the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// What it is, for people.
    pub what: &'static str,
    /// How to see that it is there.
    pub check: Check,
    /// The Debian/Ubuntu package that provides it.
    pub package: &'static str,
}

/// Everything needed from the system, with the Debian/Ubuntu package providing it.
/// The one list to extend when a later part of the project needs more.
pub const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        what: "DPDK libraries and headers (pkg-config libdpdk)",
        check: Check::Dpdk,
        package: "libdpdk-dev",
    },
    Requirement {
        what: "dpdk-test, DPDK's own test program",
        check: Check::Program("dpdk-test"),
        package: "dpdk-dev",
    },
    Requirement { what: "clang", check: Check::Program("clang"), package: "clang" },
    Requirement { what: "libclang, for bindgen", check: Check::Libclang, package: "libclang-dev" },
    Requirement { what: "pkg-config", check: Check::Program("pkg-config"), package: "pkg-config" },
    Requirement {
        what: "a C compiler (cc), for the C code next to the Rust",
        check: Check::Program("cc"),
        package: "gcc",
    },
    Requirement {
        what: "lscpu, for the NUMA topology",
        check: Check::Program("lscpu"),
        package: "util-linux",
    },
    Requirement {
        what: "ip, for network interfaces",
        check: Check::Program("ip"),
        package: "iproute2",
    },
    Requirement {
        what: "Hyperscan, for the dataplane's block list (pkg-config libhs)",
        check: Check::PkgConfig("libhs"),
        package: "libhyperscan-dev",
    },
    Requirement {
        what: "dig, a DNS client nobody here wrote, for the dataplane's tests",
        check: Check::Program("dig"),
        package: "bind9-dnsutils",
    },
    Requirement {
        what: "dnsperf, a DNS load generator, for the dataplane's tests",
        check: Check::Program("dnsperf"),
        package: "dnsperf",
    },
];

/// The DPDK releases dpdk-sys builds against and is tested on: the build script's own
/// list, so that the two cannot disagree.
#[path = "../../dpdk-sys/build/versions.rs"]
pub mod versions;

/// Rust components the `test` command needs: (cargo sub-command, rustup component).
const RUST_COMPONENTS: &[(&str, &str)] = &[("fmt", "rustfmt"), ("clippy", "clippy")];

/// Whether the effective user id (from `/proc/self/status` text) is 0.
pub fn euid_is_zero(status: &str) -> bool {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0")
}

/// Whether we run as root.
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| euid_is_zero(&status))
}

/// Whether `path` is an executable file.
fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Finds `name` on `PATH`, then in the `sbin` directories a user's `PATH` may lack.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether a shared-library file name is one clang-sys loads: `libclang.so*`,
/// `libclang-<version>.so*` (not `libclang-cpp`, not the static `libclangAST.a` and co).
pub fn is_libclang_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("libclang") else {
        return false;
    };
    rest.starts_with(".so")
        || rest
            .strip_prefix('-')
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()) && v.contains(".so"))
}

/// The first libclang named in `ldconfig -p` output.
pub fn libclang_in_ldconfig(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let name = line.split_whitespace().next()?;
        let path = line.rsplit_once("=> ").map(|(_, path)| path.trim());
        is_libclang_name(name).then(|| path.unwrap_or(name).to_owned())
    })
}

/// A libclang in `dir`, if there is one.
fn libclang_in_dir(dir: &Path) -> Option<PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| is_libclang_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
}

/// Where libclang is: `LIBCLANG_PATH`, the loader cache, `/usr/lib/llvm-*/lib`.
fn find_libclang() -> Option<String> {
    if let Some(dir) = env::var_os("LIBCLANG_PATH") {
        if let Some(found) = libclang_in_dir(Path::new(&dir)) {
            return Some(found.display().to_string());
        }
    }
    let ldconfig = find_program("ldconfig").unwrap_or_else(|| PathBuf::from("/sbin/ldconfig"));
    if let Some(found) =
        output_of(&ldconfig.to_string_lossy(), &["-p"]).as_deref().and_then(libclang_in_ldconfig)
    {
        return Some(found);
    }
    let mut llvm_dirs: Vec<PathBuf> = fs::read_dir("/usr/lib")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
                .map(|e| e.path().join("lib"))
                .collect()
        })
        .unwrap_or_default();
    llvm_dirs.sort();
    llvm_dirs.iter().rev().find_map(|dir| libclang_in_dir(dir)).map(|p| p.display().to_string())
}

/// The installed DPDK version, from pkg-config.
pub fn dpdk_version() -> Option<String> {
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_owned());
    output_of(&pkg_config, &["--modversion", "libdpdk"])
}

/// Whether dpdk-sys accepts this DPDK version (`22.11.4` yes, `21.11.2` no).
pub fn dpdk_version_supported(version: &str) -> bool {
    versions::parse_version(version).is_some_and(versions::supported)
}

/// `Some(detail)` when the requirement is present.
fn check(requirement: &Requirement) -> Option<String> {
    match requirement.check {
        Check::Dpdk => {
            if let (Some(include), Some(lib)) =
                (env::var_os("DPDK_INCLUDE_DIR"), env::var_os("DPDK_LIB_DIR"))
            {
                return Some(format!(
                    "DPDK_INCLUDE_DIR={} DPDK_LIB_DIR={}",
                    include.to_string_lossy(),
                    lib.to_string_lossy()
                ));
            }
            dpdk_version().map(|v| format!("libdpdk {v}"))
        }
        Check::Program(name) => find_program(name).map(|p| p.display().to_string()),
        Check::Libclang => find_libclang(),
        Check::PkgConfig(name) => {
            output_of("pkg-config", &["--modversion", name]).map(|v| format!("{name} {}", v.trim()))
        }
    }
}

/// The requirements that are not met.
fn missing_requirements() -> Vec<&'static Requirement> {
    REQUIREMENTS.iter().filter(|r| check(r).is_none()).collect()
}

/// The packages to install for `missing`, each once, in list order.
pub fn packages_for(missing: &[&Requirement]) -> Vec<&'static str> {
    let mut packages = Vec::new();
    for requirement in missing {
        if !packages.contains(&requirement.package) {
            packages.push(requirement.package);
        }
    }
    packages
}

/// The command a non-root user should run.
pub fn sudo_command(packages: &[&str]) -> String {
    format!(
        "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y {}",
        packages.join(" ")
    )
}

/// Warns when the DPDK found is one dpdk-sys will refuse.
fn warn_about_dpdk_version() {
    if let Some(version) = dpdk_version() {
        if !dpdk_version_supported(&version) {
            eprintln!(
                "warning: pkg-config finds DPDK {version}, but dpdk-sys needs one of {}; \
                 point PKG_CONFIG_PATH at such a build (or set DPDK_INCLUDE_DIR and DPDK_LIB_DIR)",
                versions::tested_list()
            );
        }
    }
}

/// Installs the missing system packages (root), or prints the command and fails (not root).
pub fn ensure_packages(is_root: bool) -> Result<(), Failure> {
    let missing = missing_requirements();
    if missing.is_empty() {
        println!("system packages: everything present");
        warn_about_dpdk_version();
        return Ok(());
    }
    for requirement in &missing {
        println!("missing: {} (package {})", requirement.what, requirement.package);
    }
    let packages = packages_for(&missing);
    if !is_root {
        eprintln!();
        eprintln!("Not root, so nothing was installed. Install the missing packages with:");
        eprintln!();
        eprintln!("    {}", sudo_command(&packages));
        eprintln!();
        eprintln!("and run this command again.");
        return Err(Failure(
            "set-up: missing system packages (not root; run the sudo command above)".to_owned(),
        ));
    }
    if find_program("apt-get").is_none() {
        return Err(Failure(format!(
            "set-up: no apt-get on this machine; install the equivalents of: {}",
            packages.join(" ")
        )));
    }
    let mut install = vec!["install", "-y"];
    install.extend(&packages);
    let steps = [
        Step::new("apt-get update", "apt-get", &["update"]),
        Step::new("apt-get install", "apt-get", &install).env("DEBIAN_FRONTEND", "noninteractive"),
    ];
    for step in &steps {
        println!("$ {}", step.command_line());
        step.execute().map_err(|f| Failure(format!("set-up: {f}")))?;
    }
    let still_missing = missing_requirements();
    if !still_missing.is_empty() {
        let what: Vec<&str> = still_missing.iter().map(|r| r.what).collect();
        return Err(Failure(format!(
            "set-up: still missing after apt-get install: {}",
            what.join("; ")
        )));
    }
    warn_about_dpdk_version();
    Ok(())
}

/// Adds rustfmt and clippy through rustup when `cargo fmt` / `cargo clippy` do not work.
pub fn ensure_rust_components() -> Result<(), Failure> {
    let absent: Vec<&str> = RUST_COMPONENTS
        .iter()
        .filter(|(subcommand, _)| output_of("cargo", &[subcommand, "--version"]).is_none())
        .map(|(_, component)| *component)
        .collect();
    if absent.is_empty() {
        return Ok(());
    }
    if find_program("rustup").is_none() {
        return Err(Failure(format!(
            "set-up: Rust components missing ({}) and no rustup to add them",
            absent.join(", ")
        )));
    }
    let mut args = vec!["component", "add"];
    args.extend(&absent);
    let step = Step::new("rustup component add", "rustup", &args);
    println!("$ {}", step.command_line());
    step.execute().map_err(|f| Failure(format!("set-up: {f}")))
}

/// Prints every requirement with what was found, and the optional tools.
pub fn print_state() {
    println!("system:");
    let package_width = REQUIREMENTS.iter().map(|r| r.package.len()).max().unwrap_or(0);
    let what_width = REQUIREMENTS.iter().map(|r| r.what.len()).max().unwrap_or(0);
    for requirement in REQUIREMENTS {
        let found = check(requirement).unwrap_or_else(|| "MISSING".to_owned());
        println!(
            "  {:<package_width$} {:<what_width$} {found}",
            requirement.package, requirement.what
        );
    }
    if let Some(version) = dpdk_version() {
        let verdict = if dpdk_version_supported(&version) {
            "supported".to_owned()
        } else {
            format!("NOT supported by dpdk-sys (needs one of {})", versions::tested_list())
        };
        println!("  DPDK version: {version} ({verdict})");
    }
    let nextest = output_of("cargo", &["nextest", "--version"])
        .and_then(|v| v.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "not installed (tests fall back to cargo test)".to_owned());
    println!("  cargo-nextest: {nextest}");
    println!("  root: {}", if is_root() { "yes" } else { "no" });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_uid() {
        let root = "Name:\tcargo\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        let setuid = "Uid:\t1000\t0\t0\t0\n";
        let user = "Uid:\t0\t1000\t1000\t1000\n";
        assert!(euid_is_zero(root));
        assert!(euid_is_zero(setuid));
        assert!(!euid_is_zero(user));
        assert!(!euid_is_zero(""));
    }

    #[test]
    fn libclang_names() {
        for yes in ["libclang.so", "libclang.so.1", "libclang-14.so", "libclang-14.so.13"] {
            assert!(is_libclang_name(yes), "{yes}");
        }
        for no in ["libclang-cpp.so.14", "libclangAST.a", "libclang-14.a", "libc.so.6"] {
            assert!(!is_libclang_name(no), "{no}");
        }
        let ldconfig = "\
3 libs found in cache `/etc/ld.so.cache'
\tlibclang-cpp.so.14 (libc6,x86-64) => /lib/x86_64-linux-gnu/libclang-cpp.so.14
\tlibclang-14.so.13 (libc6,x86-64) => /lib/x86_64-linux-gnu/libclang-14.so.13
";
        assert_eq!(
            libclang_in_ldconfig(ldconfig).as_deref(),
            Some("/lib/x86_64-linux-gnu/libclang-14.so.13")
        );
        assert_eq!(libclang_in_ldconfig("\tlibc.so.6 (libc6) => /lib/libc.so.6"), None);
    }

    #[test]
    fn dpdk_versions() {
        assert!(dpdk_version_supported("22.11.11"));
        assert!(dpdk_version_supported("22.11.0-rc1"));
        assert!(!dpdk_version_supported("21.11.2"));
        assert!(dpdk_version_supported("24.11.8"));
        assert!(dpdk_version_supported("25.11.4"));
        assert!(!dpdk_version_supported("26.03.0"));
        assert!(!dpdk_version_supported("garbage"));
    }

    #[test]
    fn fresh_machine_gets_the_documented_apt_command() {
        let all: Vec<&Requirement> = REQUIREMENTS.iter().collect();
        let packages = packages_for(&all[..5]);
        assert_eq!(
            sudo_command(&packages),
            "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y \
             libdpdk-dev dpdk-dev clang libclang-dev pkg-config"
        );
        let twice = [all[2], all[2], all[7]];
        assert_eq!(packages_for(&twice), ["clang", "iproute2"]);
    }
}
