//! Running commands: a header before each step, its wall time after, a summary at the end.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Something that stopped the command; `main` prints it as `FAILED: <it>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The workspace root: every command runs there.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo that runs us (`$CARGO`), so that nested runs use the same toolchain.
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// One command to run, with the environment variables it gets on top of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Short name, shown in the header, the summary and the `FAILED:` line.
    pub title: String,
    /// The program as shown to people (`cargo`, `apt-get`, ...).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment variables set for this step only.
    pub env: Vec<(String, String)>,
}

impl Step {
    /// A `cargo <args>` step.
    pub fn cargo(title: &str, args: &[&str]) -> Step {
        Step::new(title, "cargo", args)
    }

    /// A `<program> <args>` step.
    pub fn new(title: &str, program: &str, args: &[&str]) -> Step {
        Step {
            title: title.to_owned(),
            program: program.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: Vec::new(),
        }
    }

    /// Sets an environment variable for this step.
    pub fn env(mut self, key: &str, value: &str) -> Step {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The command as a person would type it, without the environment.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `title (K=V, ...): command`, the text after `==> [i/n] `.
    pub fn header(&self) -> String {
        let env = if self.env.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(" ({})", pairs.join(", "))
        };
        format!("{}{env}: {}", self.title, self.command_line())
    }

    /// Runs the step in the workspace root, inheriting stdout and stderr.
    pub fn execute(&self) -> Result<(), Failure> {
        let program = if self.program == "cargo" { cargo_program() } else { self.program.clone() };
        let status = Command::new(&program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(workspace_root())
            .status()
            .map_err(|e| Failure(format!("{}: cannot start `{program}`: {e}", self.title)))?;
        if status.success() {
            Ok(())
        } else {
            Err(Failure(format!("{} ({status})", self.title)))
        }
    }
}

/// Runs `command` (output inherited); `what` names it in the failure.
pub fn run_checked(command: &mut Command, what: &str) -> Result<(), Failure> {
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Failure(format!("{what}: {status}"))),
        Err(e) => Err(Failure(format!("{what}: cannot start: {e}"))),
    }
}

/// Runs `program args` quietly and returns its trimmed stdout when it succeeds.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let program = if program == "cargo" { cargo_program() } else { program.to_owned() };
    let output = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `12.3s` or `2m 05.1s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let minutes = (secs / 60.0).floor();
        format!("{minutes:.0}m {:04.1}s", secs - minutes * 60.0)
    }
}

/// How a step of a plan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Ran and succeeded.
    Passed(Duration),
    /// Ran and failed.
    Failed(Duration),
    /// Deliberately not run, and why.
    Skipped(String),
}

/// A numbered list of steps, run in order, with a summary at the end.
#[derive(Debug)]
pub struct Plan {
    /// Every step's title, in order; fixes the `[i/n]` numbering.
    titles: Vec<String>,
    /// What happened to each step so far (`None`: not reached).
    outcomes: Vec<Option<Outcome>>,
    /// When the plan started.
    started: Instant,
}

impl Plan {
    /// A plan with these step titles.
    pub fn new(titles: &[&str]) -> Plan {
        Plan {
            titles: titles.iter().map(|t| (*t).to_owned()).collect(),
            outcomes: vec![None; titles.len()],
            started: Instant::now(),
        }
    }

    /// The `[i/n]` tag of the step at `index` (0-based).
    fn tag(&self, index: usize) -> String {
        format!("[{}/{}]", index + 1, self.titles.len())
    }

    /// Runs `step` as step `index` (0-based); its title should be `titles[index]`.
    pub fn run(&mut self, index: usize, step: &Step) -> Result<(), Failure> {
        println!();
        println!("==> {} {}", self.tag(index), step.header());
        let start = Instant::now();
        let result = step.execute();
        let elapsed = start.elapsed();
        let outcome = match &result {
            Ok(()) => Outcome::Passed(elapsed),
            Err(_) => Outcome::Failed(elapsed),
        };
        self.outcomes[index] = Some(outcome);
        result.map_err(|f| Failure(format!("{} {f}", self.tag(index))))
    }

    /// Records step `index` as skipped.
    pub fn skip(&mut self, index: usize, why: &str) {
        println!();
        println!("==> {} {}: skipped ({why})", self.tag(index), self.titles[index]);
        self.outcomes[index] = Some(Outcome::Skipped(why.to_owned()));
    }

    /// Records step `index` as failed without running anything.
    pub fn fail(&mut self, index: usize, why: &str) -> Failure {
        println!();
        println!("==> {} {}: {why}", self.tag(index), self.titles[index]);
        self.outcomes[index] = Some(Outcome::Failed(Duration::ZERO));
        Failure(format!("{} {}: {why}", self.tag(index), self.titles[index]))
    }

    /// The summary: one line per step with its outcome and wall time, then `extra` lines.
    pub fn summary(&self, extra: &[String]) -> String {
        let width = self.titles.iter().map(String::len).max().unwrap_or(0);
        let mut out = String::from("==> summary\n");
        for (index, title) in self.titles.iter().enumerate() {
            let outcome = match &self.outcomes[index] {
                Some(Outcome::Passed(d)) => format!("ok      {:>9}", format_duration(*d)),
                Some(Outcome::Failed(d)) => format!("FAILED  {:>9}", format_duration(*d)),
                Some(Outcome::Skipped(why)) => format!("skipped ({why})"),
                None => "not run".to_owned(),
            };
            out.push_str(&format!("  {} {title:<width$}  {outcome}\n", self.tag(index)));
        }
        for line in extra {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!("wall time: {}", format_duration(self.started.elapsed())));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_shows_environment_and_command() {
        let step = Step::cargo("tests with hugepages", &["test", "--workspace", "--all-targets"])
            .env("DPDK_RS_MEMORY", "hugepages");
        assert_eq!(
            step.header(),
            "tests with hugepages (DPDK_RS_MEMORY=hugepages): cargo test --workspace --all-targets"
        );
        assert_eq!(
            Step::cargo("fmt", &["fmt", "--all", "--", "--check"]).header(),
            "fmt: cargo fmt --all -- --check"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(format_duration(Duration::from_millis(125_100)), "2m 05.1s");
    }

    #[test]
    fn summary_lists_every_step() {
        let mut plan = Plan::new(&["one", "two", "three", "four"]);
        plan.outcomes[0] = Some(Outcome::Passed(Duration::from_secs(3)));
        plan.skip(1, "--quick");
        plan.outcomes[2] = Some(Outcome::Failed(Duration::from_secs(1)));
        let summary = plan.summary(&["memory modes run: no-huge".to_owned()]);
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines[0], "==> summary");
        assert!(
            lines[1].starts_with("  [1/4] one  ")
                && lines[1].contains("ok")
                && lines[1].ends_with("3.0s")
        );
        assert!(lines[2].contains("skipped (--quick)"));
        assert!(lines[3].contains("FAILED"));
        assert!(lines[4].ends_with("not run"));
        assert_eq!(lines[5], "memory modes run: no-huge");
        assert!(lines[6].starts_with("wall time: "));
    }

    #[test]
    fn failing_step_is_reported_with_its_number() {
        let mut plan = Plan::new(&["a", "b"]);
        let failure = plan.fail(1, "hugepages unavailable and CI=true");
        assert_eq!(failure.0, "[2/2] b: hugepages unavailable and CI=true");
        let step = Step::new("false", "false", &[]);
        let failure = plan.run(0, &step).unwrap_err();
        assert!(failure.0.starts_with("[1/2] false ("), "{failure}");
    }
}
