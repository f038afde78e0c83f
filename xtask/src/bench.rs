//! `cargo xtask bench`: the benchmarks of `bench/` (package `dpdk-bench`).

use crate::hugepages::MemoryMode;
use crate::run::{Failure, Plan, Step};

/// Runs `cargo bench -p dpdk-bench` with `DPDK_RS_MEMORY` set.
pub fn run(mode: MemoryMode) -> Result<(), Failure> {
    let step = Step::cargo("benchmarks", &["bench", "-p", "dpdk-bench"])
        .env(MemoryMode::ENV, mode.as_str());
    let mut plan = Plan::new(&["benchmarks"]);
    let result = plan.run(0, &step);
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
