//! Compiles the C side of the benchmarks with DPDK's own cflags (from dpdk-sys), by the
//! system C compiler: Debian builds DPDK with gcc, so gcc is the fair reference.

fn main() {
    let cflags = std::env::var("DEP_DPDK_CFLAGS").expect("dpdk-sys exports its cflags");
    let mut build = cc::Build::new();
    // One file per DPDK library benchmarked; later rows add theirs here.
    const FILES: &[&str] = &["c/mempool.c", "c/malloc.c", "c/ring.c", "c/hash.c", "c/ethdev.c"];
    for file in FILES {
        println!("cargo:rerun-if-changed={file}");
        build.file(file);
    }
    for flag in cflags.split_whitespace() {
        build.flag(flag);
    }
    build.opt_level(3).define("ALLOW_EXPERIMENTAL_API", None).compile("bench_c");
}
