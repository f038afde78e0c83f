//! Locating DPDK: explicit directories from the environment first, then pkg-config.

use std::env;
use std::path::PathBuf;
use std::process::Command;

use crate::versions::{self, MIN_VERSION, TESTED_LTS, UNTESTED_VERSION};

/// Packages that provide everything the build needs on Debian and Ubuntu.
const DEBIAN_PACKAGES: &str = "libdpdk-dev dpdk-dev clang libclang-dev pkg-config";

/// Environment variables that change the outcome of this build script.
const ENV_VARS: &[&str] = &[
    "DPDK_INCLUDE_DIR",
    "DPDK_LIB_DIR",
    "DPDK_CFLAGS",
    "PKG_CONFIG",
    "PKG_CONFIG_PATH",
    "PKG_CONFIG_LIBDIR",
    "PKG_CONFIG_SYSROOT_DIR",
    "LIBCLANG_PATH",
    "CLANG_PATH",
];

/// What the rest of the build needs to know about the installed DPDK.
pub struct Dpdk {
    /// `year.month[.patch]` as DPDK spells it.
    pub version: String,
    /// Flags for C compilers: include dirs, `-include rte_config.h`, `-march=...`, defines.
    pub cflags: Vec<String>,
    /// Directories to search for the libraries.
    pub lib_dirs: Vec<PathBuf>,
    /// Libraries to link, without the `lib` prefix.
    pub libs: Vec<String>,
}

pub fn find_dpdk() -> Dpdk {
    for var in ENV_VARS {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let dpdk = match (env::var_os("DPDK_INCLUDE_DIR"), env::var_os("DPDK_LIB_DIR")) {
        (Some(inc), Some(lib)) => from_explicit_dirs(PathBuf::from(inc), PathBuf::from(lib)),
        (None, None) => from_pkg_config(),
        _ => fail("set both DPDK_INCLUDE_DIR and DPDK_LIB_DIR, or neither (to use pkg-config)"),
    };
    check_version(&dpdk.version);
    dpdk
}

fn from_explicit_dirs(include: PathBuf, lib: PathBuf) -> Dpdk {
    let header = include.join("rte_version.h");
    let text = std::fs::read_to_string(&header).unwrap_or_else(|e| {
        fail(&format!("DPDK_INCLUDE_DIR: cannot read {}: {e}", header.display()))
    });
    let field = |name: &str| -> u32 {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("#define "))
            .filter_map(|l| l.strip_prefix(name))
            .find_map(|v| v.trim().parse().ok())
            .unwrap_or_else(|| fail(&format!("{}: no numeric {name}", header.display())))
    };
    let version = format!("{}.{:02}", field("RTE_VER_YEAR"), field("RTE_VER_MONTH"));
    let mut cflags =
        vec![format!("-I{}", include.display()), "-include".to_owned(), "rte_config.h".to_owned()];
    match env::var("DPDK_CFLAGS") {
        Ok(extra) => cflags.extend(extra.split_whitespace().map(str::to_owned)),
        Err(_) => cflags.push("-march=native".to_owned()),
    }
    Dpdk {
        version,
        cflags,
        lib_dirs: vec![lib],
        libs: [
            "rte_eal",
            "rte_mempool",
            "rte_ring",
            "rte_hash",
            "rte_rcu",
            "rte_kvargs",
            "rte_mbuf",
            "rte_net",
            "rte_ethdev",
            "rte_bus_vdev",
        ]
        .map(str::to_owned)
        .to_vec(),
    }
}

fn pkg_config(args: &[&str]) -> String {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_owned());
    let output = Command::new(&program).args(args).arg("libdpdk").output();
    match output {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout)
            .unwrap_or_else(|_| fail("pkg-config printed non-UTF-8 output"))
            .trim()
            .to_owned(),
        Ok(out) => fail(&format!(
            "`{program} {} libdpdk` failed: {}DPDK's development files are not installed \
             (or PKG_CONFIG_PATH does not point at libdpdk.pc)",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => fail(&format!("cannot run `{program}`: {e}")),
    }
}

fn from_pkg_config() -> Dpdk {
    let version = pkg_config(&["--modversion"]);
    let mut cflags: Vec<String> = Vec::new();
    let raw = pkg_config(&["--cflags"]);
    let mut words = raw.split_whitespace();
    while let Some(w) = words.next() {
        cflags.push(w.to_owned());
        // `-include rte_config.h` is two words; keep them together.
        if w == "-include" {
            if let Some(file) = words.next() {
                cflags.push(file.to_owned());
            }
        }
    }
    let mut lib_dirs = vec![PathBuf::from(pkg_config(&["--variable=libdir"]))];
    let mut libs = Vec::new();
    for w in pkg_config(&["--libs"]).split_whitespace() {
        if let Some(dir) = w.strip_prefix("-L") {
            lib_dirs.push(PathBuf::from(dir));
        } else if let Some(lib) = w.strip_prefix("-l") {
            libs.push(lib.to_owned());
        }
    }
    // The vdev bus is a driver (pmds-23.0/, loaded by the EAL as a plugin), so libdpdk.pc
    // does not list it; `rte_vdev_init` / `rte_vdev_uninit` (hot-plugged virtual devices)
    // live there.
    if !libs.iter().any(|l| l == "rte_bus_vdev") {
        libs.push("rte_bus_vdev".to_owned());
    }
    Dpdk { version, cflags, lib_dirs, libs }
}

fn check_version(version: &str) {
    let parsed = versions::parse_version(version)
        .unwrap_or_else(|| fail(&format!("cannot parse the DPDK version {version:?}")));
    if !versions::supported(parsed) {
        fail(&format!(
            "found DPDK {version}; dpdk-sys supports {}.{:02} up to (not including) {}.{:02} \
             and is tested on the LTS releases {}. Install one (Debian 12: \
             {DEBIAN_PACKAGES}), or point PKG_CONFIG_PATH at a supported build",
            MIN_VERSION.0,
            MIN_VERSION.1,
            UNTESTED_VERSION.0,
            UNTESTED_VERSION.1,
            versions::tested_list()
        ));
    }
    if !TESTED_LTS.contains(&parsed) {
        println!(
            "cargo:warning=DPDK {version} is not one of the tested LTS releases ({}); \
             it builds, and mirrored inline C whose body differs falls back to C",
            versions::tested_list()
        );
    }
}

pub fn emit_link_lines(dpdk: &Dpdk) {
    for dir in &dpdk.lib_dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    for lib in &dpdk.libs {
        println!("cargo:rustc-link-lib={lib}");
    }
    // rte_mempool_create() looks up the default "ring_mp_mc" driver by name. The driver
    // lives in librte_mempool_ring, which exports no symbol, so linking it would not keep
    // it (--as-needed drops it, and the `-as-needed` link modifier is unstable). Instead
    // its path is handed to the safe crate, which loads it before `rte_eal_init` when the
    // driver is not registered yet (Debian's EAL also loads it from its plugin directory).
    // The ABI number in the file name follows the release (`.so.23` for 22.11, `.so.25`
    // for 24.11, `.so.26` for 25.11): take the unversioned development link when there is
    // one, else whichever versioned file the directory holds.
    let driver = dpdk.lib_dirs.iter().find_map(|dir| {
        let plain = dir.join("librte_mempool_ring.so");
        if plain.exists() {
            return Some(plain);
        }
        let mut versioned: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("librte_mempool_ring.so."))
            })
            .collect();
        versioned.sort();
        versioned.into_iter().next()
    });
    let driver = driver.map(|p| p.display().to_string()).unwrap_or_default();
    println!("cargo:rustc-env=DPDK_SYS_MEMPOOL_RING_DRIVER={driver}");
}

pub fn emit_metadata(dpdk: &Dpdk) {
    // Seen by dependents' build scripts as DEP_DPDK_CFLAGS / DEP_DPDK_VERSION, so that C code
    // compiled next to Rust (benchmarks, tests) uses exactly the same flags.
    println!("cargo:cflags={}", dpdk.cflags.join(" "));
    println!("cargo:version={}", dpdk.version);
    println!("cargo:rustc-env=DPDK_SYS_VERSION={}", dpdk.version);
    // `check_version` refused anything unparsable before this runs.
    let (year, month) = versions::parse_version(&dpdk.version).unwrap_or_default();
    println!("cargo:rustc-env=DPDK_SYS_RELEASE_YEAR={year}");
    println!("cargo:rustc-env=DPDK_SYS_RELEASE_MONTH={month}");
}

/// Stops the build with a message that says what to install.
pub fn fail(why: &str) -> ! {
    eprintln!();
    eprintln!("error: dpdk-sys: {why}");
    eprintln!();
    eprintln!(
        "dpdk-sys needs DPDK ({}) with its development files, and libclang for bindgen.",
        versions::tested_list()
    );
    eprintln!("On Debian/Ubuntu:  apt-get install -y {DEBIAN_PACKAGES}");
    eprintln!("Elsewhere: set PKG_CONFIG_PATH to the directory holding libdpdk.pc, or set both");
    eprintln!("DPDK_INCLUDE_DIR and DPDK_LIB_DIR (and optionally DPDK_CFLAGS).");
    std::process::exit(1);
}
