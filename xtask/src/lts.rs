//! The other DPDK LTS releases: each runs the whole test command in a Debian chroot
//! whose own packages provide that release.
//!
//! The host is Debian 12 (DPDK 22.11). Debian 13 "trixie" ships 24.11 and "sid" 25.11;
//! their libraries need a newer glibc than the host's, so they cannot simply be installed
//! beside the host's. A chroot made by `debootstrap` (minbase plus [`PACKAGES`]) is kept
//! under [`CACHE`] between runs and made again when missing (about 4 minutes, 1.5-1.8 GB).
//!
//! Each run happens in a private mount namespace (`unshare --mount --propagation
//! private`): the chroot bound onto itself (so `ip netns` can mount inside it), `/proc`,
//! `/sys`, `/dev` (with `/dev/hugepages`), the host's Rust toolchain and the workspace at
//! their own paths. The kernel drops every one of these mounts when the namespace's last
//! process ends, on every exit path (an error, Ctrl-C, a kill); nothing is left mounted
//! on the host, which [`leftover_mounts`] checks after each run. cargo inside reaches the
//! registries through the host's CA bundle (`SSL_CERT_FILE`, `CARGO_HTTP_CAINFO`); the
//! chroot's own trust store is not trusted by this machine's network.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::run::{format_duration, run_checked, workspace_root, Failure};
use crate::setup::{self, versions};

/// Where the chroots live between runs.
pub const CACHE: &str = "/var/cache/dpdk-rs";

/// The Debian suite that ships each LTS release the host does not have.
pub const SUITES: &[((u32, u32), &str)] =
    &[((22, 11), "bookworm"), ((24, 11), "trixie"), ((25, 11), "sid")];

/// What each chroot holds beyond minbase: what the test command needs (it installs
/// anything newer itself, inside the chroot, as on a fresh machine).
pub const PACKAGES: &[&str] = &[
    "libdpdk-dev",
    "dpdk-dev",
    "dpdk",
    "clang",
    "libclang-dev",
    "pkg-config",
    "gcc",
    "libhyperscan-dev",
    "iproute2",
    "bind9-dnsutils",
    "dnsperf",
    "ca-certificates",
];

/// The Debian mirror debootstrap fetches from.
const MIRROR: &str = "http://deb.debian.org/debian";

/// `24.11` as text.
pub fn release_name(release: (u32, u32)) -> String {
    format!("{}.{:02}", release.0, release.1)
}

/// The suite for `release`, if we know one.
pub fn suite_for(release: (u32, u32)) -> Option<&'static str> {
    SUITES.iter().find(|(r, _)| *r == release).map(|(_, s)| *s)
}

/// `--dpdk 24.11` as a release.
pub fn parse_release(text: &str) -> Result<(u32, u32), String> {
    let release = versions::parse_version(text)
        .ok_or_else(|| format!("`--dpdk {text}`: expected a release such as 24.11"))?;
    if !versions::TESTED_LTS.contains(&release) {
        return Err(format!(
            "`--dpdk {text}`: the tested releases are {}",
            versions::tested_list()
        ));
    }
    Ok(release)
}

/// The chroot directory of `suite`.
pub fn chroot_dir(suite: &str) -> PathBuf {
    Path::new(CACHE).join(format!("chroot-{suite}"))
}

/// Mount points at or under `dir` in a `/proc/self/mounts` text.
pub fn mounts_under(mounts: &str, dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy();
    let prefix = format!("{dir}/");
    mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter(|point| *point == dir || point.starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

/// Mounts of ours still visible on the host under `dir` (none, unless the namespace leaked).
fn leftover_mounts(dir: &Path) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mounts")
        .map_or_else(|_| Vec::new(), |m| mounts_under(&m, dir))
}

/// Makes the chroot of `suite` when it is missing: debootstrap into a temporary
/// directory, renamed into place only when complete (a half-made chroot is never used).
fn ensure_chroot(suite: &str) -> Result<PathBuf, Failure> {
    let dir = chroot_dir(suite);
    if dir.join("usr/bin/pkg-config").exists() {
        return Ok(dir);
    }
    if setup::find_program("debootstrap").is_none() {
        println!("installing debootstrap (to make the {suite} chroot)");
        run_checked(
            Command::new("apt-get").args(["install", "-y", "debootstrap"]),
            "apt-get install debootstrap",
        )?;
    }
    let partial = Path::new(CACHE).join(format!("chroot-{suite}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(CACHE).map_err(|e| Failure(format!("cannot create {CACHE}: {e}")))?;
    println!("making the {suite} chroot in {} (debootstrap, about 4 minutes)", dir.display());
    let started = Instant::now();
    run_checked(
        Command::new("debootstrap")
            .arg("--variant=minbase")
            .arg(format!("--include={}", PACKAGES.join(",")))
            .arg(suite)
            .arg(&partial)
            .arg(MIRROR),
        &format!("debootstrap {suite}"),
    )?;
    std::fs::rename(&partial, &dir)
        .map_err(|e| Failure(format!("cannot move the {suite} chroot into place: {e}")))?;
    println!("{suite} chroot made in {}", format_duration(started.elapsed()));
    Ok(dir)
}

/// Home directories of the host's Rust toolchain, made visible at the same paths inside.
fn rust_homes() -> (PathBuf, PathBuf) {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    let rustup =
        std::env::var_os("RUSTUP_HOME").map_or_else(|| home.join(".rustup"), PathBuf::from);
    let cargo = std::env::var_os("CARGO_HOME").map_or_else(|| home.join(".cargo"), PathBuf::from);
    (rustup, cargo)
}

/// Single-quotes `text` for `sh`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The script run inside the private mount namespace: mounts, then the command in the
/// chroot. `set -e`: a mount that fails stops it before anything runs.
pub fn namespace_script(
    chroot: &Path,
    workspace: &Path,
    rustup: &Path,
    cargo: &Path,
    release: &str,
    inner: &str,
) -> String {
    let c = shell_quote(&chroot.to_string_lossy());
    let q = |p: &Path| shell_quote(&p.to_string_lossy());
    let (ws, ru, ca) = (q(workspace), q(rustup), q(cargo));
    let target = shell_quote(&format!("{}/target/lts-{release}", workspace.display()));
    let ci = std::env::var("CI").unwrap_or_default();
    // The memory mode a caller chose (bench keeps it) goes in too; `env -i` drops the rest.
    let memory = std::env::var("DPDK_RS_MEMORY").unwrap_or_default();
    format!(
        "set -e\n\
         C={c}\n\
         mount --bind \"$C\" \"$C\"\n\
         mount --bind /proc \"$C/proc\"\n\
         mount --rbind /sys \"$C/sys\"\n\
         mount --rbind /dev \"$C/dev\"\n\
         for d in {ru} {ca} {ws}; do mkdir -p \"$C$d\"; mount --bind \"$d\" \"$C$d\"; done\n\
         cp /etc/ssl/certs/ca-certificates.crt \"$C/etc/ssl/certs/host-ca.crt\"\n\
         cp /etc/resolv.conf \"$C/etc/resolv.conf\" 2>/dev/null || true\n\
         exec chroot \"$C\" /usr/bin/env -i HOME=/root TERM=dumb CI={ci} {memory}\
         PATH={ca}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         RUSTUP_HOME={ru} CARGO_HOME={ca} CARGO_TARGET_DIR={target} \
         SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt CARGO_HTTP_CAINFO=/etc/ssl/certs/host-ca.crt \
         DEBIAN_FRONTEND=noninteractive \
         sh -c {inner}\n",
        ci = shell_quote(&ci),
        memory = if memory.is_empty() {
            String::new()
        } else {
            format!("DPDK_RS_MEMORY={} ", shell_quote(&memory))
        },
        inner = shell_quote(&format!("cd {ws} && {inner}")),
    )
}

/// Makes sure the chroot for `release` exists (making it if needed): the set-up half,
/// whose failure `CI=true` turns into a failed run and a local run into a notice.
pub fn prepare_release(release: (u32, u32)) -> Result<PathBuf, Failure> {
    let name = release_name(release);
    let suite = suite_for(release)
        .ok_or_else(|| Failure(format!("DPDK {name}: no Debian suite is known to ship it")))?;
    if !setup::is_root() {
        return Err(Failure(format!(
            "DPDK {name}: making and entering the {suite} chroot needs root"
        )));
    }
    ensure_chroot(suite)
}

/// Runs `cargo xtask <command> --dpdk host` for `release` in its chroot (made by
/// [`prepare_release`]); `command` is `test` or `bench` with their options. `Ok` says
/// which DPDK ran, where, and how long it took.
pub fn run_release(release: (u32, u32), chroot: &Path, command: &str) -> Result<String, Failure> {
    let name = release_name(release);
    let suite = suite_for(release).unwrap_or("?");
    let (rustup, cargo) = rust_homes();
    let inner = format!("cargo xtask {command} --dpdk host");
    let script = namespace_script(chroot, &workspace_root(), &rustup, &cargo, &name, &inner);
    println!();
    println!("==> DPDK {name}: `{inner}` in the {suite} chroot ({})", chroot.display());
    let started = Instant::now();
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .status();
    let left = leftover_mounts(chroot);
    if !left.is_empty() {
        eprintln!("warning: mounts left under {}: {left:?}", chroot.display());
    }
    let took = format_duration(started.elapsed());
    match status {
        Ok(s) if s.success() => {
            let version = chroot_dpdk_version(chroot).unwrap_or_else(|| name.clone());
            // sid moves on: a chroot made later may ship another release than asked for,
            // and must not pass as this one.
            if versions::parse_version(&version) != Some(release) {
                return Err(Failure(format!(
                    "the {suite} chroot ships DPDK {version}, not {name}: {name} was not \
                     tested (make the chroot from a suite that ships {name})"
                )));
            }
            println!("==> DPDK {version} ({suite} chroot): passed in {took}");
            Ok(format!("{version} ({suite} chroot, {took})"))
        }
        Ok(s) => Err(Failure(format!("DPDK {name} in the {suite} chroot: {s} after {took}"))),
        Err(e) => Err(Failure(format!("DPDK {name}: cannot start unshare: {e}"))),
    }
}

/// The libdpdk version the chroot's pkg-config file names.
fn chroot_dpdk_version(chroot: &Path) -> Option<String> {
    ["usr/lib/x86_64-linux-gnu/pkgconfig/libdpdk.pc", "usr/lib/pkgconfig/libdpdk.pc"]
        .iter()
        .find_map(|pc| std::fs::read_to_string(chroot.join(pc)).ok())
        .and_then(|text| {
            text.lines().find_map(|l| l.strip_prefix("Version:").map(|v| v.trim().to_owned()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tested_release_has_a_suite() {
        for release in versions::TESTED_LTS {
            assert!(suite_for(*release).is_some(), "{release:?}");
        }
        assert_eq!(suite_for((24, 11)), Some("trixie"));
        assert_eq!(parse_release("25.11"), Ok((25, 11)));
        assert!(parse_release("23.11").is_err());
        assert!(parse_release("x").is_err());
    }

    #[test]
    fn mounts_under_a_directory() {
        let mounts = "proc /proc proc rw 0 0\n\
                      /dev/vda /var/cache/dpdk-rs/chroot-sid ext4 rw 0 0\n\
                      /dev/vda /var/cache/dpdk-rs/chroot-sid/run/netns ext4 rw 0 0\n\
                      /dev/vda /var/cache/dpdk-rs/chroot-sidx ext4 rw 0 0\n";
        assert_eq!(
            mounts_under(mounts, Path::new("/var/cache/dpdk-rs/chroot-sid")),
            ["/var/cache/dpdk-rs/chroot-sid", "/var/cache/dpdk-rs/chroot-sid/run/netns"]
        );
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        let script = namespace_script(
            Path::new("/c"),
            Path::new("/w"),
            Path::new("/r"),
            Path::new("/k"),
            "24.11",
            "cargo xtask test --dpdk host",
        );
        assert!(script.starts_with("set -e\n"));
        assert!(script.contains("CARGO_TARGET_DIR='/w/target/lts-24.11'"), "{script}");
        assert!(script.contains("mount --bind \"$C\" \"$C\""));
    }
}
