//! Shared harness of the integration tests: one EAL per test process, brought up from
//! the environment (`DPDK_RS_MEMORY=hugepages|no-huge`, `DPDK_RS_EAL_ARGS`), a logger
//! that keeps DPDK's log lines for assertions, unique DPDK object names, and child
//! processes for what needs a fresh process (EAL start-up errors, secondaries).

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use dpdk::{Eal, EalBuilder, Memory};

/// The environment variable that marks a child process started by [`run_child`].
pub const CHILD_ENV: &str = "DPDK_RS_TEST_CHILD";

/// The process's EAL, brought up on first use on a thread of its own that lives as long
/// as the process (so the main lcore's thread never exits under a test).
///
/// Panics, loudly, if DPDK cannot start: a missing hugepage reservation fails the tests
/// instead of letting them pass without DPDK.
pub fn eal() -> &'static Eal {
    static EAL: OnceLock<Eal> = OnceLock::new();
    EAL.get_or_init(|| {
        install_logger();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("dpdk-main".into())
            .spawn(move || {
                tx.send(start_eal()).expect("the test waits for the EAL");
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn the EAL's main thread");
        match rx.recv().expect("the EAL thread answers") {
            Ok(eal) => eal,
            Err(message) => panic!("{message}"),
        }
    })
}

/// The memory mode the environment asks for (hugepages unless `DPDK_RS_MEMORY=no-huge`).
pub fn memory_mode() -> Memory {
    builder().memory_mode()
}

/// The EAL builder the tests use (before `build`).
pub fn builder() -> EalBuilder {
    let builder = EalBuilder::new()
        .program("dpdk-tests")
        .lcores_on_allowed_cpus(2)
        .main_lcore(0)
        .in_memory(true)
        .no_pci(true)
        .env_overrides()
        .unwrap_or_else(|e| panic!("{e}"));
    match builder.memory_mode() {
        Memory::NoHuge => builder.memory_mb(512),
        Memory::Hugepages => builder,
    }
}

/// Virtual devices the shared EAL of every test process is given (`--vdev`), so tests can
/// find ports that the EAL made; tests that need their own device plug one in at run time
/// (`Port::attach_vdev`) under a [`unique_name`].
pub const EAL_VDEVS: &[&str] = &["net_ring0", "net_null0"];

fn start_eal() -> Result<Eal, String> {
    let builder = EAL_VDEVS.iter().fold(builder(), |b, vdev| b.vdev(*vdev));
    let free = free_hugepages();
    let eal = builder.build().map_err(|e| {
        let hint = match builder.memory_mode() {
            Memory::Hugepages => format!(
                "\n\n*** DPDK could not start with hugepages ({free} free 2 MiB pages). Reserve \
                 them (as root: `cargo xtask setup`, or echo 512 > /proc/sys/vm/nr_hugepages \
                 and mount hugetlbfs on /dev/hugepages), or run with DPDK_RS_MEMORY=no-huge. ***\n"
            ),
            Memory::NoHuge => String::new(),
        };
        format!("EAL initialisation failed: {e}{hint}")
    })?;
    eprintln!(
        "dpdk-tests: EAL up, memory={:?} (hugepages: {}), lcores {:?}, args {:?}",
        builder.memory_mode(),
        eal.has_hugepages(),
        eal.lcores().iter().map(|l| l.id()).collect::<Vec<_>>(),
        eal.args()
    );
    Ok(eal)
}

/// Tests that launch work on the worker lcore take turns: it runs one job at a time, and
/// the tests of a process run in parallel threads.
pub fn worker_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Free 2 MiB hugepages on this machine (from `/proc/meminfo`), for messages.
pub fn free_hugepages() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("HugePages_Free:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A DPDK object name unique in this machine's run: `prefix` + a per-process counter +
/// the process id (tests of one process, and processes run side by side by nextest,
/// never collide). At most 24 bytes for prefixes of up to 8.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{n}_{}", std::process::id())
}

/// A log record DPDK (or anything else) logged during the tests.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its level.
    pub level: log::Level,
    /// Its target (`dpdk::lib.eal`, ...).
    pub target: String,
    /// Its text.
    pub message: String,
}

static RECORDS: Mutex<Vec<Record>> = Mutex::new(Vec::new());

struct TestLogger {
    echo: log::LevelFilter,
}

impl log::Log for TestLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        if record.level() <= self.echo {
            eprintln!("[{} {}] {}", record.level(), record.target(), record.args());
        }
        let mut records = RECORDS.lock().unwrap_or_else(|p| p.into_inner());
        if records.len() < 100_000 {
            records.push(Record {
                level: record.level(),
                target: record.target().to_owned(),
                message: record.args().to_string(),
            });
        }
    }

    fn flush(&self) {}
}

fn install_logger() {
    let echo = match std::env::var("RUST_LOG").as_deref() {
        Ok("debug") | Ok("trace") => log::LevelFilter::Debug,
        Ok("info") => log::LevelFilter::Info,
        _ => log::LevelFilter::Warn,
    };
    if log::set_boxed_logger(Box::new(TestLogger { echo })).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// The records logged so far that match `pred`.
pub fn logged(pred: impl Fn(&Record) -> bool) -> Vec<Record> {
    RECORDS.lock().unwrap_or_else(|p| p.into_inner()).iter().filter(|r| pred(r)).cloned().collect()
}

/// Runs one `#[ignore]`d test of the current test binary in a child process, with
/// [`CHILD_ENV`] set, and returns its output. The child inherits the memory mode.
pub fn run_child(test: &str, envs: &[(&str, &str)]) -> Output {
    run_child_under(&[], test, envs)
}

/// [`run_child`] under a wrapper command, e.g. `["ip", "netns", "exec", "ns1"]` to run
/// the child inside a network namespace.
pub fn run_child_under(wrapper: &[&str], test: &str, envs: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let output = child_output(command, test, envs);
    eprintln!(
        "--- child {test}: {}\n--- stdout:\n{}--- stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// [`run_child`] without echoing the child's output (for tests that start many).
pub fn run_child_quiet(test: &str, envs: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    child_output(Command::new(exe), test, envs)
}

fn child_output(mut command: Command, test: &str, envs: &[(&str, &str)]) -> Output {
    command
        .args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .envs(envs.iter().copied())
        .output()
        .expect("start the child test process")
}

/// Asserts that a child started by [`run_child`] ran exactly its one test and passed.
pub fn assert_child_passed(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {}", output.status);
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
}

/// Panics unless this process is a child started by [`run_child`] (so a child-only test
/// never passes by doing nothing when run directly).
pub fn require_child() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "this test runs in a child process started by another test; run that test instead"
    );
}

/// Hugepage files and the runtime directory a non-in-memory primary leaves behind.
pub fn remove_runtime_files(prefix: &str) {
    if let Ok(entries) = std::fs::read_dir("/dev/hugepages") {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&format!("{prefix}map_")) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{prefix}"));
}

/// The node the kernel has each 4 KiB page (`move_pages(2)` with no target nodes, which
/// only reports) of `[addr, addr + len)` on.
pub fn kernel_nodes(addr: *const u8, len: usize) -> Vec<i32> {
    const PAGE: usize = 4096;
    let start = addr as usize & !(PAGE - 1);
    let end = addr as usize + len.max(1);
    let mut pages: Vec<*mut std::ffi::c_void> =
        (start..end).step_by(PAGE).map(|a| a as *mut std::ffi::c_void).collect();
    let mut status = vec![i32::MIN; pages.len()];
    // SAFETY: move_pages with null target nodes only reports the node of each page of
    // this process (pid 0); the arrays have `pages.len()` entries.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_pages,
            0,
            pages.len(),
            pages.as_mut_ptr(),
            std::ptr::null::<i32>(),
            status.as_mut_ptr(),
            0,
        )
    };
    assert_eq!(rc, 0, "move_pages: {}", std::io::Error::last_os_error());
    status
}

/// Asserts that every page of the range is on `socket` according to the kernel.
pub fn assert_kernel_places(what: &str, addr: *const u8, len: usize, socket: dpdk::SocketId) {
    let nodes = kernel_nodes(addr, len);
    let wrong: Vec<(usize, i32)> =
        nodes.iter().copied().enumerate().filter(|&(_, n)| n != socket.as_raw()).collect();
    assert!(
        wrong.is_empty(),
        "{what} asked for socket {}: {} of {} pages elsewhere per the kernel (page, node): {:?}",
        socket.as_raw(),
        wrong.len(),
        nodes.len(),
        &wrong[..wrong.len().min(8)]
    );
}
