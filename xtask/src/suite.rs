//! `cargo xtask test`: every test, in order, stopping at the first failure.

use crate::hugepages::{self, MemoryMode};
use crate::run::{output_of, Failure, Plan, Step};

/// The steps, in order; the numbers in the headers come from here.
const TITLES: [&str; 6] = [
    "fmt check",
    "clippy",
    "clippy, dataplane without hyperscan",
    "tests with hugepages",
    "tests without hugepages",
    "doc tests",
];
/// Index of `cargo fmt --all -- --check`.
const FMT: usize = 0;
/// Index of `cargo clippy ... -D warnings`.
const CLIPPY: usize = 1;
/// Index of clippy on the dataplane alone, so without the `hyperscan` feature that the
/// workspace build turns on (the tests crate asks for it).
const CLIPPY_PLAIN: usize = 2;
/// Index of the test pass with `DPDK_RS_MEMORY=hugepages`.
const HUGEPAGES: usize = 3;
/// Index of the test pass with `DPDK_RS_MEMORY=no-huge`.
const NO_HUGE: usize = 4;
/// Index of the doc tests.
const DOC: usize = 5;

/// Whether `CI` asks for strictness (`true`, as CI services set it, or `1`).
pub fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The no-huge pass: under cargo-nextest when `cargo nextest --version` printed `nextest`,
/// else under cargo test. Returns the step and a line saying which runner it is.
pub fn no_huge_step(nextest: Option<&str>) -> (Step, String) {
    let (args, runner): (&[&str], String) = match nextest {
        Some(version) => {
            (&["nextest", "run", "--workspace", "--all-targets"], format!("runner: {version}"))
        }
        None => (
            &["test", "--workspace", "--all-targets"],
            "runner: cargo test (cargo-nextest is not installed)".to_owned(),
        ),
    };
    let step = Step::cargo(TITLES[NO_HUGE], args).env(MemoryMode::ENV, MemoryMode::NoHuge.as_str());
    (step, runner)
}

/// The first line of `cargo nextest --version`, if that works.
fn nextest_version() -> Option<String> {
    output_of("cargo", &["nextest", "--version"])
        .and_then(|out| out.lines().next().map(str::to_owned))
}

/// Runs the plan; `modes` collects the memory modes that ran.
fn run_steps(
    plan: &mut Plan,
    state: &hugepages::State,
    quick: bool,
    modes: &mut Vec<String>,
) -> Result<(), Failure> {
    if quick {
        plan.skip(FMT, "--quick");
        plan.skip(CLIPPY, "--quick");
        plan.skip(CLIPPY_PLAIN, "--quick");
    } else {
        plan.run(FMT, &Step::cargo(TITLES[FMT], &["fmt", "--all", "--", "--check"]))?;
        plan.run(
            CLIPPY,
            &Step::cargo(
                TITLES[CLIPPY],
                &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
            ),
        )?;
        plan.run(
            CLIPPY_PLAIN,
            &Step::cargo(
                TITLES[CLIPPY_PLAIN],
                &["clippy", "-p", "dns-dataplane", "--all-targets", "--", "-D", "warnings"],
            ),
        )?;
    }

    match &state.why_not {
        None => {
            modes.push(state.describe());
            let step = Step::cargo(TITLES[HUGEPAGES], &["test", "--workspace", "--all-targets"])
                .env(MemoryMode::ENV, MemoryMode::Hugepages.as_str());
            plan.run(HUGEPAGES, &step)?;
        }
        Some(why) => {
            hugepages::print_banner(why);
            if is_ci(std::env::var("CI").ok().as_deref()) {
                return Err(plan.fail(HUGEPAGES, "hugepages unavailable and CI=true"));
            }
            plan.skip(HUGEPAGES, "hugepages unavailable; CI=true would fail here");
        }
    }

    let (step, runner) = no_huge_step(nextest_version().as_deref());
    println!();
    println!("{runner}");
    modes.push(MemoryMode::NoHuge.to_string());
    plan.run(NO_HUGE, &step)?;

    let step = Step::cargo(TITLES[DOC], &["test", "--workspace", "--doc"])
        .env(MemoryMode::ENV, state.mode.as_str());
    plan.run(DOC, &step)
}

/// Runs every test step and prints the summary.
pub fn run(state: &hugepages::State, quick: bool) -> Result<(), Failure> {
    let mut plan = Plan::new(&TITLES);
    let mut modes = Vec::new();
    let result = run_steps(&mut plan, state, quick, &mut modes);
    let modes = if modes.is_empty() { "none".to_owned() } else { modes.join(", ") };
    println!();
    println!("{}", plan.summary(&[format!("memory modes run: {modes}")]));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_values() {
        assert!(is_ci(Some("true")));
        assert!(is_ci(Some("TRUE")));
        assert!(is_ci(Some("1")));
        assert!(!is_ci(Some("false")));
        assert!(!is_ci(None));
    }

    #[test]
    fn no_huge_pass_prefers_nextest() {
        let (step, runner) = no_huge_step(Some("cargo-nextest 0.9.143"));
        assert_eq!(
            step.header(),
            "tests without hugepages (DPDK_RS_MEMORY=no-huge): \
             cargo nextest run --workspace --all-targets"
        );
        assert_eq!(runner, "runner: cargo-nextest 0.9.143");
        let (step, runner) = no_huge_step(None);
        assert_eq!(step.command_line(), "cargo test --workspace --all-targets");
        assert!(runner.contains("cargo test"));
    }
}
