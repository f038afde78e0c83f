//! Build script of `dpdk`: the drift guard for the Rust mirrors of DPDK's inline C
//! (see `guard.rs`). It reads the installed headers through the include directories
//! `dpdk-sys` used (`DEP_DPDK_CFLAGS`) and sets `DPDK_RS_MIRROR_<GROUP>` for the crate.

mod guard;

use std::path::PathBuf;

fn main() {
    let records_path = "src/inline/fingerprints.txt";
    println!("cargo:rerun-if-changed={records_path}");
    println!("cargo:rerun-if-changed=build");
    let records = std::fs::read_to_string(records_path)
        .map_err(|e| e.to_string())
        .and_then(|text| guard::parse_records(&text))
        .unwrap_or_else(|e| panic!("{records_path}: {e}"));
    let cflags = std::env::var("DEP_DPDK_CFLAGS").unwrap_or_default();
    let include_dirs: Vec<PathBuf> =
        cflags.split_whitespace().filter_map(|f| f.strip_prefix("-I")).map(PathBuf::from).collect();
    let version = std::env::var("DEP_DPDK_VERSION").unwrap_or_default();
    let release: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let read_header = |name: &str| -> Option<String> {
        include_dirs.iter().find_map(|dir| {
            let path = dir.join(name);
            println!("cargo:rerun-if-changed={}", path.display());
            std::fs::read_to_string(path).ok()
        })
    };
    let mut report = Vec::new();
    for verdict in guard::evaluate(&release, &records, &read_header) {
        for notice in &verdict.notices {
            println!("cargo:warning={notice}");
        }
        let name = verdict.group.to_uppercase();
        println!("cargo:rustc-env=DPDK_RS_MIRROR_{name}={}", u8::from(verdict.mirrored));
        report.push(format!("{}={}", verdict.group, if verdict.mirrored { "rust" } else { "c" }));
    }
    println!("cargo:rustc-env=DPDK_RS_MIRROR_REPORT={}", report.join(" "));
    // The installed bodies' fingerprints, for recording a new release after reading it.
    let mut installed = String::new();
    for (_, headers) in guard::GROUPS {
        for header in *headers {
            let Some(text) = read_header(header) else { continue };
            for record in records.iter().filter(|r| r.header == *header) {
                if let Some(body) = guard::function_body(&text, &record.function) {
                    let hash = guard::fingerprint(&guard::normalise(&body));
                    let line = format!("{release} {header} {} {hash}\n", record.function);
                    if !installed.contains(&line) {
                        installed += &line;
                    }
                }
            }
        }
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("installed_fingerprints.txt");
    std::fs::write(out, installed).expect("write installed_fingerprints.txt");
}
