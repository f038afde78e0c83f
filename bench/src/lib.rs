//! The benchmark rig: Rust and C loops side by side in one binary and one run, timed in
//! TSC ticks, printed as rows with their ratio.
//!
//! Each row names a workload and gives two closures that run it `iters` times and return
//! the ticks taken (or `None` if the workload failed). The rig alternates Rust and C runs
//! several times and keeps the median of each, which tames the noise of shared VMs.

use std::fmt::Write as _;

/// Reads the time-stamp counter.
#[inline(always)]
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86-64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// A workload timed over `iters` iterations; returns ticks, or `None` on failure.
pub type Workload<'a> = Box<dyn FnMut(u64) -> Option<u64> + 'a>;

/// One measured row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The workload's name.
    pub name: String,
    /// Median Rust ticks per operation.
    pub rust: f64,
    /// Median C ticks per operation.
    pub c: f64,
}

impl Row {
    /// Rust time / C time.
    pub fn ratio(&self) -> f64 {
        self.rust / self.c
    }
}

/// Runs rows and collects their results.
pub struct Rig {
    filter: Vec<String>,
    rounds: usize,
    rows: Vec<Row>,
}

impl Rig {
    /// A rig that runs the rows whose name contains any of the command-line arguments
    /// (all rows when there are none; flags such as cargo's `--bench` are ignored).
    pub fn from_args() -> Self {
        let filter = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        Self {
            filter,
            rounds: 7,
            rows: Vec::new(),
        }
    }

    /// Whether a row with this name is selected.
    pub fn selected(&self, name: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| name.contains(f.as_str()))
    }

    /// Times `rust` and `c`, each `iters` iterations of `ops_per_iter` operations,
    /// alternating over several rounds after a warm-up, and records the medians.
    pub fn row(
        &mut self,
        name: &str,
        iters: u64,
        ops_per_iter: u64,
        mut rust: Workload<'_>,
        mut c: Workload<'_>,
    ) {
        if !self.selected(name) {
            return;
        }
        let ops = (iters * ops_per_iter) as f64;
        let fail = |side: &str| -> ! { panic!("{name}: the {side} workload failed") };
        rust(iters / 10 + 1).unwrap_or_else(|| fail("Rust"));
        c(iters / 10 + 1).unwrap_or_else(|| fail("C"));
        let mut rust_ticks = Vec::with_capacity(self.rounds);
        let mut c_ticks = Vec::with_capacity(self.rounds);
        for _ in 0..self.rounds {
            rust_ticks.push(rust(iters).unwrap_or_else(|| fail("Rust")) as f64 / ops);
            c_ticks.push(c(iters).unwrap_or_else(|| fail("C")) as f64 / ops);
        }
        let row = Row {
            name: name.to_owned(),
            rust: median(rust_ticks),
            c: median(c_ticks),
        };
        println!("{}", format_row(&row));
        self.rows.push(row);
    }

    /// The rows measured so far.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Prints the header of the table.
    pub fn header(&self, tsc_hz: u64) {
        println!(
            "TSC {:.3} GHz; ticks per operation, median of {} alternating rounds",
            tsc_hz as f64 / 1e9,
            self.rounds
        );
        println!("{:<44} {:>10} {:>10} {:>8}", "row", "Rust", "C", "Rust/C");
    }

    /// A Markdown table of all rows, for BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut out =
            String::from("| row | Rust ticks/op | C ticks/op | Rust/C |\n|---|---|---|---|\n");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {:.1} | {:.1} | {:.2} |",
                r.name,
                r.rust,
                r.c,
                r.ratio()
            );
        }
        out
    }
}

fn format_row(row: &Row) -> String {
    format!(
        "{:<44} {:>10.1} {:>10.1} {:>8.2}",
        row.name,
        row.rust,
        row.c,
        row.ratio()
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        let row = Row {
            name: "x".into(),
            rust: 10.0,
            c: 8.0,
        };
        assert_eq!(row.ratio(), 1.25);
        assert!(format_row(&row).contains("1.25"));
    }
}
