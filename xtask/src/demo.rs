//! `cargo xtask demo`: the main job.

use crate::hugepages::MemoryMode;
use crate::run::{Failure, Plan, Step};

/// One program of the demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoStep {
    /// Short name, for the header and the summary.
    pub title: &'static str,
    /// Arguments to `cargo`.
    pub cargo_args: &'static [&'static str],
}

/// The main job, in order: two short tours, then the DNS dataplane on its embedded default
/// (a million generated queries through net_pcap, counts checked against the generator).
pub const DEMO_STEPS: &[DemoStep] = &[
    DemoStep {
        title: "NUMA topology",
        cargo_args: &["run", "--release", "-p", "dpdk-examples", "--example", "numa_topology"],
    },
    DemoStep {
        title: "tour of EAL, lcores and sockets",
        cargo_args: &["run", "--release", "-p", "dpdk-examples", "--example", "tour"],
    },
    DemoStep {
        title: "DNS-lookup dataplane",
        cargo_args: &["run", "--release", "-p", "dns-dataplane", "--features", "hyperscan"],
    },
];

/// The steps as runnable commands, with `DPDK_RS_MEMORY` (and `RUST_LOG=info` unless the
/// caller's environment sets `RUST_LOG`).
pub fn steps(mode: MemoryMode, rust_log_set: bool) -> Vec<Step> {
    DEMO_STEPS
        .iter()
        .map(|demo| {
            let step = Step::cargo(demo.title, demo.cargo_args).env(MemoryMode::ENV, mode.as_str());
            if rust_log_set {
                step
            } else {
                step.env("RUST_LOG", "info")
            }
        })
        .collect()
}

/// Runs the demo steps, stopping at the first failure.
pub fn run(mode: MemoryMode) -> Result<(), Failure> {
    let steps = steps(mode, std::env::var_os("RUST_LOG").is_some());
    let titles: Vec<&str> = DEMO_STEPS.iter().map(|d| d.title).collect();
    let mut plan = Plan::new(&titles);
    let result = steps.iter().enumerate().try_for_each(|(index, step)| plan.run(index, step));
    println!();
    println!("{}", plan.summary(&[format!("memory mode: {mode}")]));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_runs_the_examples_with_the_memory_mode() {
        let steps = steps(MemoryMode::NoHuge, false);
        assert_eq!(steps.len(), DEMO_STEPS.len());
        assert_eq!(
            steps[0].header(),
            "NUMA topology (DPDK_RS_MEMORY=no-huge, RUST_LOG=info): \
             cargo run --release -p dpdk-examples --example numa_topology"
        );
        let steps = super::steps(MemoryMode::Hugepages, true);
        assert_eq!(steps[1].env, [("DPDK_RS_MEMORY".to_owned(), "hugepages".to_owned())]);
    }
}
