//! The benchmark rig: Rust and C loops side by side in one binary and one run, timed in
//! TSC ticks, printed as rows with their ratio.
//!
//! Each row names a workload and gives two closures that run it `iters` times and return
//! the ticks taken (or `None` if the workload failed). The rig alternates the two sides
//! over 15 rounds and keeps the fastest round of each: interference on a shared VM only
//! ever adds time, so the minimum is the least-disturbed measure of each side. The rounds
//! also move both sides' stack through 12 depths (`at_stack_depth`), so that neither
//! side's result hangs on where its buffers happened to fall.

use std::fmt::Write as _;

pub mod dns;
pub mod ethdev;
pub mod hash;
pub mod malloc;
pub mod mempool;
pub mod ring;
pub mod tlb;

/// How many stack depths the rounds of a row cycle through (see [`at_stack_depth`]).
const STACK_DEPTHS: usize = 12;

/// Runs `f` with the stack `depth` frames of about 370 bytes deeper: the rounds of a row
/// run both sides at 12 depths spanning a 4 KiB page.
///
/// Both sides keep their buffers (a `Batch`, C's `obj_table`) on the stack, and the
/// pool's cache sits at a fixed address. When a buffer and the cache's objects fall at
/// the same offset within 4 KiB, loads after stores to the other stall on the CPU's
/// address check (4K aliasing), and a process keeps its stack offsets for its whole run:
/// one run drew `mempool cache=512 get/put=32 keep=128` at 1.42 and the next at 1.10
/// from the same binary, each side's luck independent of the other's. Timed over every
/// depth, the fastest round of each side is the one at its best offset.
#[inline(never)]
fn at_stack_depth<R>(depth: usize, f: &mut dyn FnMut() -> R) -> R {
    let pad = [0u8; 320];
    std::hint::black_box(&pad);
    let result = if depth == 0 { f() } else { at_stack_depth(depth - 1, f) };
    // Used after the call, so the frame is not reused by a tail call.
    std::hint::black_box(&pad);
    result
}

/// Reads the time-stamp counter.
#[inline(always)]
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86-64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// A workload timed over `iters` iterations; returns ticks, or `None` on failure.
pub type Workload<'a> = Box<dyn FnMut(u64) -> Option<u64> + 'a>;

/// One measured row: two sides of one workload (Rust and C, or two memory kinds).
#[derive(Debug, Clone)]
pub struct Row {
    /// The workload's name.
    pub name: String,
    /// What the two sides are, e.g. `("Rust", "C")`.
    pub sides: (&'static str, &'static str),
    /// Median cost per operation of the first side.
    pub first: f64,
    /// Median cost per operation of the second side.
    pub second: f64,
    /// The unit of both costs.
    pub unit: &'static str,
}

impl Row {
    /// First side's cost / second side's cost (Rust/C).
    pub fn ratio(&self) -> f64 {
        self.first / self.second
    }
}

/// Runs rows and collects their results.
pub struct Rig {
    filter: Vec<String>,
    rounds: usize,
    rows: Vec<Row>,
    tsc_hz: u64,
}

impl Rig {
    /// A rig that runs the rows whose name contains any of the command-line arguments
    /// (all rows when there are none; flags such as cargo's `--bench` are ignored), with
    /// `tsc_hz` to convert ticks for rows reported in nanoseconds.
    pub fn from_args(tsc_hz: u64) -> Self {
        let filter = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
        // More rounds settle noisy rows: DPDK_RS_BENCH_ROUNDS=41 cargo bench -p dpdk-bench.
        let rounds =
            std::env::var("DPDK_RS_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(15);
        println!(
            "TSC {:.3} GHz; cost per operation, fastest of {rounds} alternating rounds",
            tsc_hz as f64 / 1e9
        );
        Self { filter, rounds, rows: Vec::new(), tsc_hz }
    }

    /// Whether a row with this name is selected.
    pub fn selected(&self, name: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| name.contains(f.as_str()))
    }

    /// Times `rust` and `c`, each `iters` iterations of `ops_per_iter` operations, and
    /// records the medians in ticks per operation.
    pub fn row(
        &mut self,
        name: &str,
        iters: u64,
        ops_per_iter: u64,
        rust: Workload<'_>,
        c: Workload<'_>,
    ) {
        self.pair(name, ("Rust", "C"), false, iters, ops_per_iter, rust, c);
    }

    /// Like [`row`](Self::row) for any two sides (e.g. hugepages and 4 KiB pages), in
    /// nanoseconds per operation when `in_ns`.
    #[allow(clippy::too_many_arguments)]
    pub fn pair(
        &mut self,
        name: &str,
        sides: (&'static str, &'static str),
        in_ns: bool,
        iters: u64,
        ops_per_iter: u64,
        mut first: Workload<'_>,
        mut second: Workload<'_>,
    ) {
        if !self.selected(name) {
            return;
        }
        let ticks_per_unit = if in_ns { self.tsc_hz as f64 / 1e9 } else { 1.0 };
        let per_op = |ticks: u64| ticks as f64 / (iters * ops_per_iter) as f64 / ticks_per_unit;
        let fail = |side: &str| -> ! { panic!("{name}: the {side} workload failed") };
        first(iters / 10 + 1).unwrap_or_else(|| fail(sides.0));
        second(iters / 10 + 1).unwrap_or_else(|| fail(sides.1));
        let mut a = Vec::with_capacity(self.rounds);
        let mut b = Vec::with_capacity(self.rounds);
        for round in 0..self.rounds {
            let depth = round % STACK_DEPTHS;
            let ticks = at_stack_depth(depth, &mut || first(iters));
            a.push(per_op(ticks.unwrap_or_else(|| fail(sides.0))));
            let ticks = at_stack_depth(depth, &mut || second(iters));
            b.push(per_op(ticks.unwrap_or_else(|| fail(sides.1))));
        }
        let unit = if in_ns { "ns" } else { "ticks" };
        let row = Row { name: name.to_owned(), sides, first: fastest(a), second: fastest(b), unit };
        println!("{}", format_row(&row));
        self.rows.push(row);
    }

    /// Prints the last row's costs as operations per second (mempool_perf_autotest reports
    /// objects per second).
    pub fn print_rate(&self, what: &str) {
        if let Some(r) = self.rows.last() {
            let per_s = |ticks: f64| self.tsc_hz as f64 / ticks / 1e6;
            println!(
                "    {} {:.0} M{what}/s, {} {:.0} M{what}/s",
                r.sides.0,
                per_s(r.first),
                r.sides.1,
                per_s(r.second)
            );
        }
    }

    /// TSC ticks per second.
    pub fn tsc_hz(&self) -> u64 {
        self.tsc_hz
    }

    /// The rows measured so far.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// A Markdown table of all rows, for BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut out = String::from("| row | first | second | ratio |\n|---|---|---|---|\n");
        for r in &self.rows {
            let (a, b) = r.sides;
            let _ = writeln!(
                out,
                "| {} | {a} {:.1} {} | {b} {:.1} {} | {a}/{b} {:.2} |",
                r.name,
                r.first,
                r.unit,
                r.second,
                r.unit,
                r.ratio()
            );
        }
        out
    }
}

fn format_row(row: &Row) -> String {
    let (a, b) = row.sides;
    format!(
        "{:<46} {a:>10} {:>8.1} {:<5} {b:>10} {:>8.1} {:<5} {a}/{b} {:.2}",
        row.name,
        row.first,
        row.unit,
        row.second,
        row.unit,
        row.ratio()
    )
}

fn fastest(v: Vec<f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minima_and_ratios() {
        assert_eq!(fastest(vec![3.0, 1.0, 2.0]), 1.0);
        let row =
            Row { name: "x".into(), sides: ("Rust", "C"), first: 10.0, second: 8.0, unit: "ticks" };
        assert_eq!(row.ratio(), 1.25);
        assert!(format_row(&row).contains("Rust/C 1.25"), "{}", format_row(&row));
    }
}
