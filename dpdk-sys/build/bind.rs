//! bindgen over `wrapper.h`, plus the C wrappers for DPDK's `static inline` functions.

use std::env;
use std::path::PathBuf;

use crate::find::{fail, Dpdk};

/// Headers whose declarations are bound (everything they need comes along).
const ALLOWED_HEADERS: &str = concat!(
    r".*/(wrapper\.h|rte_(",
    "config|build_config|version|eal|launch|lcore|per_lcore|thread|errno|log|cycles|memory|malloc|memzone",
    "|mempool|ring|ring_elem|ring_core|ring_.*_pvt|ring_hts|ring_rts|ring_peek.*",
    "|hash|jhash|hash_crc|crc_.*|rcu_qsbr",
    "|ether|mbuf|mbuf_core|mbuf_ptype|mbuf_dyn|mbuf_pool_ops|ethdev|ethdev_core|dev|bus_vdev",
    r")\.h)"
);

/// DPDK's C comments hold indented C snippets that rustdoc would compile as Rust
/// doctests; keep every comment as preformatted text.
#[derive(Debug)]
struct CommentsAsText;

impl bindgen::callbacks::ParseCallbacks for CommentsAsText {
    fn process_comment(&self, comment: &str) -> Option<String> {
        Some(format!("```text\n{}\n```", comment.trim_end()))
    }
}

pub fn generate(dpdk: &Dpdk) {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let header = manifest_dir.join("wrapper.h");
    let static_fns = out_dir.join("static_fns");
    println!("cargo:rerun-if-changed={}", header.display());

    let mut clang_args = dpdk.cflags.clone();
    clang_args.push("-DALLOW_EXPERIMENTAL_API".to_owned());
    // As DPDK's own build defines it: without it glibc's <sched.h> has no `cpu_set_t`, so
    // `rte_os.h` leaves out `rte_cpuset_t` and every function that takes or returns one
    // (`rte_lcore_cpuset`, `rte_thread_set_affinity`).
    clang_args.push("-D_GNU_SOURCE".to_owned());

    let bindings = bindgen::Builder::default()
        .header(header.to_str().unwrap())
        .clang_args(&clang_args)
        .allowlist_file(ALLOWED_HEADERS)
        .wrap_static_fns(true)
        .wrap_static_fns_path(&static_fns)
        // libc's stream is only ever passed by pointer (rte_openlog_stream, the dump
        // functions); its layout is glibc's business, and glibc 2.41 added a bit field
        // that bindgen spells with lints that fail `-D warnings`.
        .opaque_type("_IO_FILE")
        .layout_tests(true)
        .derive_default(true)
        .derive_debug(true)
        .generate_comments(true)
        // Plain constants: a C enum can hold values a Rust enum cannot (UB on read).
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .parse_callbacks(Box::new(CommentsAsText))
        .generate()
        .unwrap_or_else(|e| fail(&format!("bindgen could not read the DPDK headers: {e}")));
    emit_layout_cfgs(&bindings.to_string());
    bindings
        .write_to_file(out_dir.join("bindings.rs"))
        .unwrap_or_else(|e| fail(&format!("cannot write bindings.rs: {e}")));

    // The generated C calls each static inline function from a real, exported function
    // (`name__extern`), which the Rust bindings link to.
    let mut build = cc::Build::new();
    build
        .file(static_fns.with_extension("c"))
        .include(&manifest_dir)
        .opt_level(3)
        .define("ALLOW_EXPERIMENTAL_API", None)
        .define("_GNU_SOURCE", None)
        .warnings(false);
    for flag in &dpdk.cflags {
        build.flag(flag);
    }
    build.compile("dpdk_static_fns");
    probe_config(dpdk, &out_dir);
}

/// The body of `pub struct NAME { ... }` in generated bindings, white space removed (so
/// the test does not depend on how bindgen's formatter, or its absence, lays it out).
fn struct_body(bindings: &str, name: &str) -> Option<String> {
    let compact: String = bindings.chars().filter(|c| !c.is_whitespace()).collect();
    let start = compact.find(&format!("pubstruct{name}{{"))?;
    let body = &compact[start..];
    Some(body[..body.find('}')?].to_owned())
}

/// Sets the cfgs `src/fields.rs` reads: which struct members became anonymous unions.
/// Decided from the generated struct itself, not from a version number, so a release
/// that moves a field is caught by the same test (and a wrong guess does not compile:
/// each spelling names fields that exist in one layout only).
fn emit_layout_cfgs(bindings: &str) {
    println!("cargo::rustc-check-cfg=cfg(dpdk_mbuf_unions)");
    println!("cargo::rustc-check-cfg=cfg(dpdk_eth_link_union)");
    let mbuf = struct_body(bindings, "rte_mbuf")
        .unwrap_or_else(|| fail("the generated bindings have no `struct rte_mbuf`"));
    if !mbuf.contains("pubdata_off:u16") {
        println!("cargo:rustc-cfg=dpdk_mbuf_unions");
    }
    let link = struct_body(bindings, "rte_eth_link")
        .unwrap_or_else(|| fail("the generated bindings have no `struct rte_eth_link`"));
    if !link.contains("publink_speed:u32") {
        println!("cargo:rustc-cfg=dpdk_eth_link_union");
    }
}

/// Build options of the installed DPDK that change what its inline fast paths do.
/// Safe Rust that mirrors an inline path (the mempool cache) may only do so when the C
/// path does nothing more than the mirror: no statistics, no debug cookies, no fast-path
/// trace points.
fn probe_config(dpdk: &Dpdk, out_dir: &std::path::Path) {
    // The mbuf and ethdev fast paths ported to Rust (alloc/free, rx/tx burst) sit on the
    // mempool's and add only mbuf sanity checks (RTE_LIBRTE_MBUF_DEBUG) and fast-path
    // trace points (and, from 25.11, mbuf history marks), so one switch covers them all.
    const EXTRAS: [&str; 5] = [
        "RTE_LIBRTE_MEMPOOL_STATS",
        "RTE_LIBRTE_MEMPOOL_DEBUG",
        "RTE_ENABLE_TRACE_FP",
        "RTE_LIBRTE_MBUF_DEBUG",
        // 25.11: alloc/free and the rx/tx bursts also mark each mbuf's history.
        "RTE_MBUF_HISTORY_DEBUG",
    ];
    let probe = out_dir.join("config_probe.c");
    let mut text = String::from("#include <rte_config.h>\n");
    for name in EXTRAS {
        text += &format!("#ifdef {name}\nDPDK_SYS_DEFINED {name}\n#endif\n");
    }
    std::fs::write(&probe, text)
        .unwrap_or_else(|e| fail(&format!("cannot write the config probe: {e}")));
    let mut build = cc::Build::new();
    build.file(&probe);
    for flag in &dpdk.cflags {
        build.flag(flag);
    }
    let expanded = build.expand();
    let expanded = String::from_utf8_lossy(&expanded);
    let defined: Vec<&str> = EXTRAS
        .into_iter()
        .filter(|name| expanded.contains(&format!("DPDK_SYS_DEFINED {name}")))
        .collect();
    if !defined.is_empty() {
        println!(
            "cargo:warning=DPDK built with {}: the mempool, mbuf and ethdev inline fast paths stay in C",
            defined.join(", ")
        );
    }
    println!("cargo:rustc-env=DPDK_SYS_MEMPOOL_PLAIN_FAST_PATH={}", u8::from(defined.is_empty()));
}
