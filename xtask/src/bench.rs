//! `cargo xtask bench`: the benchmarks of `bench/` (package `dpdk-bench`).

use crate::hugepages::MemoryMode;
use crate::run::{Failure, Plan, Step};

/// Free 2 MiB pages the benchmarks want: the TLB row reads a 1 GiB array in hugepage
/// memory, beside the heap DPDK itself uses.
const BENCH_PAGES: u64 = 1280;

/// Runs `cargo bench -p dpdk-bench` with `DPDK_RS_MEMORY` set.
pub fn run(mode: MemoryMode) -> Result<(), Failure> {
    if mode == MemoryMode::Hugepages {
        if let Err(why) = crate::hugepages::top_up_free(BENCH_PAGES) {
            println!("hugepages: could not reserve {BENCH_PAGES} pages ({why}); the 1 GiB row may be skipped");
        }
    }
    let step = Step::cargo("benchmarks", &["bench", "-p", "dpdk-bench"])
        .env(MemoryMode::ENV, mode.as_str());
    let mut plan = Plan::new(&["benchmarks", "hash scaling without hugepages"]);
    let mut result = plan.run(0, &step);
    if result.is_ok() && mode == MemoryMode::Hugepages {
        // The same lookups on ordinary pages, for the hugepage comparison.
        let no_huge = Step::cargo(
            "hash scaling without hugepages",
            &["bench", "-p", "dpdk-bench", "--", "scaling"],
        )
        .env(MemoryMode::ENV, MemoryMode::NoHuge.as_str());
        result = plan.run(1, &no_huge);
    }
    println!();
    println!(
        "{}",
        plan.summary(&[
            format!("memory mode: {mode}"),
            "record the results in BENCHMARKS.md".to_owned(),
        ])
    );
    result
}
