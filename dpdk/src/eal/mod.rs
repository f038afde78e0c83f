//! The Environment Abstraction Layer: one-shot initialisation, the [`Eal`] handle that
//! keeps it alive, and its cleanup.

pub mod options;

use std::ffi::{c_char, CString};
use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::error::{Call, Error, Result};
use crate::ffi;
use crate::log as dpdk_log;

const UNINIT: u8 = 0;
const INITIALISING: u8 = 1;
const RUNNING: u8 = 2;
const CLEANED_UP: u8 = 3;
const FAILED: u8 = 4;

/// Where the EAL is in its one life per process.
static STATE: AtomicU8 = AtomicU8::new(UNINIT);

fn state_name(state: u8) -> &'static str {
    match state {
        UNINIT => "not initialised yet",
        INITIALISING => "initialisation in progress",
        RUNNING => "running",
        FAILED => "a previous rte_eal_init failed, and DPDK keeps state from it",
        _ => "cleaned up; DPDK cannot be initialised again in this process",
    }
}

/// Fails with [`Error::EalNotRunning`] unless the EAL is up.
#[inline]
pub(crate) fn ensure_running(call: impl FnOnce() -> Call) -> Result<()> {
    match STATE.load(Ordering::Acquire) {
        RUNNING => Ok(()),
        state => Err(Error::EalNotRunning { call: call(), state: state_name(state) }),
    }
}

/// Memory backing for DPDK's heaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    /// Hugepages from a hugetlbfs mount (DPDK's default; needs reserved hugepages).
    Hugepages,
    /// Ordinary 4 KiB pages (`--no-huge`): works anywhere, slower, no multi-process, and
    /// no physical addresses for devices.
    NoHuge,
}

/// Which process of a multi-process DPDK application this is (`--proc-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessType {
    /// Owns the shared memory configuration.
    Primary,
    /// Attaches to a running primary's memory (same `--file-prefix`).
    Secondary,
    /// Primary if none runs with this file prefix, else secondary.
    Auto,
}

/// How devices address memory (`--iova-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IovaMode {
    /// IO addresses are physical addresses.
    Pa,
    /// IO addresses are the process's virtual addresses (through an IOMMU, or none needed).
    Va,
}

/// Builds the EAL's command line, typed, and initialises the EAL (`rte_eal_init`).
///
/// Every setter maps to one EAL option; [`EalBuilder::args`] shows the command line.
/// Nothing is passed that was not set, so an empty builder gives DPDK's defaults.
///
/// ```
/// use dpdk::{EalBuilder, Memory};
/// let args = EalBuilder::new()
///     .lcores([0, 1])
///     .main_lcore(0)
///     .memory(Memory::NoHuge)
///     .memory_mb(256)
///     .in_memory(true)
///     .no_pci(true)
///     .vdev("net_null0")
///     .log_level(log::LevelFilter::Warn)
///     .args();
/// assert_eq!(
///     args,
///     ["dpdk-rs", "-l", "0,1", "--main-lcore", "0", "--no-huge", "-m", "256",
///      "--no-shconf", "--no-pci", "--vdev", "net_null0", "--log-level", "5"]
/// );
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct EalBuilder {
    program: Option<String>,
    lcores: Option<String>,
    main_lcore: Option<u32>,
    memory: Option<Memory>,
    memory_mb: Option<u64>,
    socket_mem_mb: Option<Vec<u64>>,
    in_memory: bool,
    file_prefix: Option<String>,
    process_type: Option<ProcessType>,
    iova_mode: Option<IovaMode>,
    no_pci: bool,
    vdevs: Vec<String>,
    log_level: Option<log::LevelFilter>,
    extra: Vec<String>,
    keep_dpdk_log_stream: bool,
}

/// Environment variable read by [`EalBuilder::env_overrides`]: `hugepages` or `no-huge`.
pub const ENV_MEMORY: &str = "DPDK_RS_MEMORY";
/// Environment variable read by [`EalBuilder::env_overrides`]: extra raw EAL arguments,
/// separated by white space.
pub const ENV_EAL_ARGS: &str = "DPDK_RS_EAL_ARGS";

impl EalBuilder {
    /// A builder that passes nothing but the program name.
    pub fn new() -> Self {
        Self::default()
    }

    /// The program name DPDK sees as `argv[0]` (default `dpdk-rs`).
    pub fn program(mut self, name: impl Into<String>) -> Self {
        self.program = Some(name.into());
        self
    }

    /// Run lcores with these ids, each pinned to the CPU of the same number (`-l`).
    pub fn lcores(mut self, lcores: impl IntoIterator<Item = u32>) -> Self {
        let list: Vec<String> = lcores.into_iter().map(|l| l.to_string()).collect();
        self.lcores = Some(format!("-l {}", list.join(",")));
        self
    }

    /// Run lcores mapped to CPUs: `(lcore, cpu)` pairs (`--lcores 0@2,1@3`).
    pub fn lcore_map(mut self, map: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let list: Vec<String> = map.into_iter().map(|(l, c)| format!("{l}@{c}")).collect();
        self.lcores = Some(format!("--lcores {}", list.join(",")));
        self
    }

    /// Lcores `0..n` on the CPUs this process may run on ([`crate::numa::allowed_cpus`]),
    /// in order, sharing CPUs round-robin when there are fewer than `n`
    /// (`--lcores 0@c0,1@c1,...`): the same lcore ids on any machine, whatever its CPU
    /// numbering, cpuset or core count. Lcores sharing a CPU take turns on it, so this is
    /// for tests and tools, not for polling dataplanes.
    ///
    /// ```
    /// let b = dpdk::EalBuilder::new().lcores_on_allowed_cpus(2);
    /// assert!(b.args().iter().any(|a| a.starts_with("0@")));
    /// ```
    pub fn lcores_on_allowed_cpus(self, n: u32) -> Self {
        let cpus = crate::numa::allowed_cpus().unwrap_or_default();
        let cpus = if cpus.is_empty() { vec![0] } else { cpus };
        self.lcore_map((0..n).map(|l| (l, cpus[l as usize % cpus.len()])))
    }

    /// The main lcore (`--main-lcore`); by default the first one.
    pub fn main_lcore(mut self, lcore: u32) -> Self {
        self.main_lcore = Some(lcore);
        self
    }

    /// Hugepages or ordinary pages (`--no-huge`).
    pub fn memory(mut self, memory: Memory) -> Self {
        self.memory = Some(memory);
        self
    }

    /// Memory to preallocate, in MiB, over all sockets (`-m`); with `--no-huge`, the whole heap.
    pub fn memory_mb(mut self, mb: u64) -> Self {
        self.memory_mb = Some(mb);
        self
    }

    /// Memory to preallocate per socket, in MiB, socket 0 first (`--socket-mem`).
    pub fn socket_memory_mb(mut self, per_socket: impl IntoIterator<Item = u64>) -> Self {
        self.socket_mem_mb = Some(per_socket.into_iter().collect());
        self
    }

    /// Keep no files in hugetlbfs or `/var/run/dpdk` (`--in-memory`): several primaries can
    /// run at once, but no secondary can attach. With [`Memory::NoHuge`], which DPDK does
    /// not combine with `--in-memory`, this passes the equivalent `--no-shconf`.
    pub fn in_memory(mut self, yes: bool) -> Self {
        self.in_memory = yes;
        self
    }

    /// Prefix of the hugepage and runtime files (`--file-prefix`); secondaries use the
    /// primary's.
    pub fn file_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.file_prefix = Some(prefix.into());
        self
    }

    /// Primary, secondary or auto (`--proc-type`).
    pub fn process_type(mut self, kind: ProcessType) -> Self {
        self.process_type = Some(kind);
        self
    }

    /// Physical or virtual IO addresses (`--iova-mode`).
    pub fn iova_mode(mut self, mode: IovaMode) -> Self {
        self.iova_mode = Some(mode);
        self
    }

    /// Do not scan the PCI bus (`--no-pci`).
    pub fn no_pci(mut self, yes: bool) -> Self {
        self.no_pci = yes;
        self
    }

    /// Add a virtual device, e.g. `net_ring0` or `net_pcap0,rx_pcap=in.pcap` (`--vdev`).
    /// [`build`](Self::build) refuses drivers outside
    /// [`SAFE_VDEV_DRIVERS`](crate::ethdev::SAFE_VDEV_DRIVERS) and arguments to net_ring.
    pub fn vdev(mut self, devargs: impl Into<String>) -> Self {
        self.vdevs.push(devargs.into());
        self
    }

    /// DPDK's global log level (`--log-level`). Without it, DPDK's level follows the `log`
    /// crate's maximum level at initialisation, but never below errors (so that DPDK's
    /// error lines can be quoted in [`Error::EalInit`]).
    pub fn log_level(mut self, level: log::LevelFilter) -> Self {
        self.log_level = Some(level);
        self
    }

    /// A raw EAL argument, appended after the typed ones. [`build`](Self::build) checks
    /// it like the typed ones before DPDK sees it: against the EAL's option table
    /// ([`options`]: unknown options, missing or unwanted values and repeats are typed
    /// errors on every release, where DPDK 25.11 would exit the process), and every
    /// `--vdev` against the device policy ([`SAFE_VDEV_DRIVERS`](crate::ethdev::SAFE_VDEV_DRIVERS)).
    ///
    /// ```
    /// let builder = dpdk::EalBuilder::new().arg("--file-prefix=demo").arg("--no-telemetry");
    /// assert!(builder.args().ends_with(&["--file-prefix=demo".into(), "--no-telemetry".into()]));
    /// ```
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra.push(arg.into());
        self
    }

    /// Leave DPDK's log output where DPDK puts it (stderr and syslog) instead of routing it
    /// to the `log` crate.
    pub fn keep_dpdk_log_stream(mut self, yes: bool) -> Self {
        self.keep_dpdk_log_stream = yes;
        self
    }

    /// Applies `DPDK_RS_MEMORY` (`hugepages` | `no-huge`) and `DPDK_RS_EAL_ARGS` (extra raw
    /// arguments), so one program or test suite runs in either memory mode.
    ///
    /// # Errors
    /// [`Error::Environment`] for a value other than `hugepages` or `no-huge`.
    pub fn env_overrides(mut self) -> Result<Self> {
        if let Ok(value) = std::env::var(ENV_MEMORY) {
            self.memory = Some(match value.as_str() {
                "hugepages" | "huge" => Memory::Hugepages,
                "no-huge" | "nohuge" => Memory::NoHuge,
                _ => {
                    return Err(Error::Environment {
                        var: ENV_MEMORY,
                        value,
                        reason: "expected `hugepages` or `no-huge`".into(),
                    })
                }
            });
        }
        if let Ok(value) = std::env::var(ENV_EAL_ARGS) {
            self.extra.extend(value.split_whitespace().map(str::to_owned));
        }
        Ok(self)
    }

    /// The memory mode this builder asks for (DPDK's default is hugepages).
    pub fn memory_mode(&self) -> Memory {
        self.memory.unwrap_or(Memory::Hugepages)
    }

    /// The command line `build` passes to `rte_eal_init`, program name first.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![self.program.clone().unwrap_or_else(|| "dpdk-rs".into())];
        let mut push = |a: &str, b: Option<String>| {
            args.push(a.to_owned());
            args.extend(b);
        };
        if let Some(spec) = &self.lcores {
            let (opt, value) = spec.split_once(' ').expect("option and value");
            push(opt, Some(value.to_owned()));
        }
        if let Some(main) = self.main_lcore {
            push("--main-lcore", Some(main.to_string()));
        }
        if self.memory == Some(Memory::NoHuge) {
            push("--no-huge", None);
        }
        if let Some(mb) = self.memory_mb {
            push("-m", Some(mb.to_string()));
        }
        if let Some(per_socket) = &self.socket_mem_mb {
            let list: Vec<String> = per_socket.iter().map(u64::to_string).collect();
            push("--socket-mem", Some(list.join(",")));
        }
        if self.in_memory {
            // DPDK refuses --in-memory with --no-huge (which implies legacy memory);
            // --no-shconf is what --in-memory means without hugepage files.
            let flag =
                if self.memory == Some(Memory::NoHuge) { "--no-shconf" } else { "--in-memory" };
            push(flag, None);
        }
        if let Some(prefix) = &self.file_prefix {
            push("--file-prefix", Some(prefix.clone()));
        }
        if let Some(kind) = self.process_type {
            let kind = match kind {
                ProcessType::Primary => "primary",
                ProcessType::Secondary => "secondary",
                ProcessType::Auto => "auto",
            };
            push("--proc-type", Some(kind.to_owned()));
        }
        if let Some(mode) = self.iova_mode {
            push("--iova-mode", Some(if mode == IovaMode::Pa { "pa" } else { "va" }.to_owned()));
        }
        if self.no_pci {
            push("--no-pci", None);
        }
        for vdev in &self.vdevs {
            push("--vdev", Some(vdev.clone()));
        }
        let level = self.log_level.unwrap_or_else(|| log::max_level().max(log::LevelFilter::Error));
        if self.log_level.is_some() || !self.keep_dpdk_log_stream {
            push("--log-level", Some(dpdk_log::dpdk_level(level).to_string()));
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// Initialises the EAL (`rte_eal_init`) with [`args`](Self::args).
    ///
    /// The calling thread becomes the main lcore and is pinned to its CPU. Once per
    /// process: DPDK cannot be initialised again, even after cleanup.
    ///
    /// # Errors
    /// [`Error::EalAlreadyInitialized`] on a second call; [`Error::EalInit`] with DPDK's
    /// errno, message and logged error lines when DPDK refuses (bad argument, no
    /// hugepages, another primary with the same file prefix, ...). DPDK keeps state from
    /// a failed attempt, so a process gets one attempt: later ones return
    /// [`Error::EalAlreadyInitialized`].
    #[doc(alias = "rte_eal_init")]
    pub fn build(&self) -> Result<Eal> {
        let args = self.args();
        // Refused before the process's one attempt is taken: rte_eal_init is not called.
        if let Some(bad) = args.iter().find(|a| a.contains('\0')) {
            return Err(Error::InvalidArgument {
                call: Call::new("rte_eal_init", format!("{args:?}")),
                message: format!(
                    "argument {bad:?} holds a NUL byte (nothing was initialised; the EAL can \
                     still be built)"
                ),
            });
        }
        // From 25.11 on, DPDK exits the process on an option it cannot parse; every
        // release gets the same typed error, and the attempt is not used up.
        let parsed =
            options::parse(&args, options::release()).map_err(|why| Error::InvalidArgument {
                call: Call::new("rte_eal_init", format!("{args:?}")),
                message: format!("{why} (nothing was initialised; the EAL can still be built)"),
            })?;
        // Every virtual device, whether added by `vdev` or as a raw argument (`arg`,
        // DPDK_RS_EAL_ARGS), meets the same policy: a raw `--vdev=net_null0,copy=1` would
        // read past packet buffers as surely as a typed one.
        for (_, vdev) in parsed.iter().filter(|(name, _)| name == "--vdev") {
            let vdev = vdev.as_deref().unwrap_or_default();
            let call = || Call::new("rte_eal_init", format!("--vdev {vdev}"));
            crate::vdev::check_vdev(vdev)
                .map_err(|message| Error::InvalidArgument { call: call(), message })?;
            let name = vdev.split_once(',').map_or(vdev, |(name, _)| name);
            crate::vdev::check_net_ring_name(name, call)?;
        }
        if let Err(state) =
            STATE.compare_exchange(UNINIT, INITIALISING, Ordering::AcqRel, Ordering::Acquire)
        {
            return Err(Error::EalAlreadyInitialized { state: state_name(state) });
        }
        match init(&args, !self.keep_dpdk_log_stream) {
            Ok(()) => {
                let _ = ARGS.set(args);
                LIVE.store(1, Ordering::Release);
                STATE.store(RUNNING, Ordering::Release);
                Ok(Eal { _counted: () })
            }
            Err(e) => {
                // A failed rte_eal_init leaves parsed options and half-built state behind
                // (a retry sees "-l is set" and fails, or worse), so there is no retry.
                STATE.store(FAILED, Ordering::Release);
                Err(e)
            }
        }
    }
}

fn init(args: &[String], route_log: bool) -> Result<()> {
    if route_log {
        dpdk_log::route_to_log_crate();
    }
    load_mempool_driver();
    // rte_eal_init may keep pointers into argv (and reorders it): the strings live for the
    // rest of the process.
    let argv: Vec<*mut c_char> = args
        .iter()
        .map(|a| {
            CString::new(a.as_str())
                .map_err(|_| Error::EalInit {
                    args: args.to_vec(),
                    errno: libc::EINVAL,
                    message: format!("argument {a:?} holds a NUL byte"),
                    log: Vec::new(),
                })
                .map(CString::into_raw)
        })
        .collect::<Result<_>>()?;
    let argv: &'static mut [*mut c_char] = Vec::leak(argv);
    dpdk_log::start_capture();
    // SAFETY: argv holds argc valid NUL-terminated strings that are never freed; STATE
    // guarantees this is the only rte_eal_init call in flight in this process.
    let rc = unsafe { ffi::rte_eal_init(argv.len() as i32, argv.as_mut_ptr()) };
    let logged = dpdk_log::stop_capture();
    if rc < 0 {
        // SAFETY: reads this thread's rte_errno, set by the failed rte_eal_init.
        let errno = unsafe { ffi::rte_errno() };
        return Err(Error::EalInit {
            args: args.to_vec(),
            errno,
            message: crate::error::strerror(errno),
            log: logged,
        });
    }
    Ok(())
}

/// Makes sure DPDK's default mempool driver (`ring_mp_mc`) is registered: see
/// [`ffi::MEMPOOL_RING_DRIVER`].
fn load_mempool_driver() {
    // SAFETY: reads DPDK's global ops table; registration happens in library constructors,
    // which have all run by now (we are past main), and dlopen below runs on this thread.
    let registered = unsafe {
        let table = &*std::ptr::addr_of!(ffi::rte_mempool_ops_table);
        table.ops[..table.num_ops as usize]
            .iter()
            .any(|ops| std::ffi::CStr::from_ptr(ops.name.as_ptr()).to_bytes() == b"ring_mp_mc")
    };
    if registered || ffi::MEMPOOL_RING_DRIVER.is_empty() {
        return;
    }
    let path = CString::new(ffi::MEMPOOL_RING_DRIVER).expect("no NUL in a path");
    // SAFETY: loading DPDK's own driver library; its constructor registers the ops.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
    if handle.is_null() {
        log::warn!(
            "cannot load DPDK's ring mempool driver {}: pools with the default ops will fail",
            ffi::MEMPOOL_RING_DRIVER
        );
    }
}

/// Handles and objects that keep the EAL alive. The last one to go cleans it up; a new
/// one can only join while the count is above zero (like `Weak::upgrade`), so no object
/// can be made during or after cleanup.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The arguments the EAL was initialised with.
static ARGS: OnceLock<Vec<String>> = OnceLock::new();

fn cleanup() -> Result<()> {
    STATE.store(CLEANED_UP, Ordering::Release);
    // SAFETY: the live count reached zero, so no handle or object of this crate uses
    // DPDK any more, and none can be made again.
    let rc = unsafe { ffi::rte_eal_cleanup() };
    crate::error::check_rc(rc, || Call::new("rte_eal_cleanup", "")).map(drop)
}

/// The running EAL, as a counted reference: every DPDK object of this crate holds one
/// (it is zero-sized), so `rte_eal_cleanup` runs only when the last handle and the last
/// object are gone.
///
/// ```
/// use dpdk::{EalBuilder, Memory};
/// let eal = EalBuilder::new()
///     .lcores([0, 1])
///     .in_memory(true)
///     .no_pci(true)
///     .env_overrides()? // DPDK_RS_MEMORY=hugepages|no-huge
///     .build()?;
/// println!("main lcore {} on {}", eal.main_lcore(), eal.main_lcore().socket());
/// assert!(EalBuilder::new().build().is_err()); // once per process
/// eal.close()?; // or just drop it
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct Eal {
    _counted: (),
}

impl Eal {
    /// A builder for the EAL's arguments.
    pub fn builder() -> EalBuilder {
        EalBuilder::new()
    }

    /// A new reference to the running EAL, for objects that must keep it alive.
    ///
    /// # Errors
    /// [`Error::EalNotRunning`] if the EAL is not initialised or already cleaned up.
    pub fn current() -> Result<Eal> {
        take(1, "Eal::current")?;
        Ok(Eal { _counted: () })
    }

    /// The arguments the EAL was initialised with.
    pub fn args(&self) -> &[String] {
        ARGS.get().map_or(&[], Vec::as_slice)
    }

    /// Whether the EAL runs on hugepages (`rte_eal_has_hugepages`).
    #[doc(alias = "rte_eal_has_hugepages")]
    pub fn has_hugepages(&self) -> bool {
        // SAFETY: the EAL is running while a handle exists.
        unsafe { ffi::rte_eal_has_hugepages() != 0 }
    }

    /// Whether this is the primary or a secondary process (`rte_eal_process_type`).
    #[doc(alias = "rte_eal_process_type")]
    pub fn process_type(&self) -> ProcessType {
        // SAFETY: the EAL is running while a handle exists.
        match unsafe { ffi::rte_eal_process_type() } {
            ffi::RTE_PROC_SECONDARY => ProcessType::Secondary,
            _ => ProcessType::Primary,
        }
    }

    /// How devices address memory in this EAL (`rte_eal_iova_mode`).
    #[doc(alias = "rte_eal_iova_mode")]
    pub fn iova_mode(&self) -> IovaMode {
        // SAFETY: the EAL is running while a handle exists.
        match unsafe { ffi::rte_eal_iova_mode() } {
            ffi::RTE_IOVA_PA => IovaMode::Pa,
            _ => IovaMode::Va,
        }
    }

    /// Time-stamp counter ticks per second (`rte_get_tsc_hz`), measured at initialisation.
    #[doc(alias = "rte_get_tsc_hz")]
    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: the EAL is running while a handle exists.
        unsafe { ffi::rte_get_tsc_hz() }
    }

    /// The NUMA sockets DPDK found.
    pub fn sockets(&self) -> Vec<crate::SocketId> {
        crate::SocketId::all().expect("the EAL runs while a handle exists")
    }

    /// Cleans the EAL up now (`rte_eal_cleanup`) and reports the outcome.
    ///
    /// Dropping the last handle does the same but can only log a failure.
    ///
    /// # Errors
    /// [`Error::EalInUse`] if other handles or objects still keep the EAL alive (this
    /// handle is dropped; the last one to go cleans up); the error DPDK reports otherwise.
    #[doc(alias = "rte_eal_cleanup")]
    pub fn close(self) -> Result<()> {
        std::mem::forget(self); // its count is given back here, not by Drop
        match LIVE.compare_exchange(1, 0, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => cleanup(),
            Err(live) => {
                release(1); // this handle's reference (its count is already gone)
                Err(Error::EalInUse { references: live - 1 })
            }
        }
    }
}

impl Clone for Eal {
    fn clone(&self) -> Self {
        // The count is above zero while `self` exists, so a plain increment is enough.
        LIVE.fetch_add(1, Ordering::Relaxed);
        Eal { _counted: () }
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        release(1);
    }
}

/// Takes `n` references if the EAL is running: only while the count is above zero, so
/// nothing can join an EAL that is being (or has been) cleaned up.
///
/// Inline, with the error and the clean-up out of line: every `SocketBox` takes one and
/// gives it back. As calls (with the allocation's own error paths inline) they made
/// `SocketBox::new_uninit` + drop 1.11-1.16x C's malloc and free; inline, 0.99x, the two
/// atomic operations hidden behind DPDK's allocator (BENCHMARKS.md, issue 16).
#[inline]
fn take(n: usize, function: &'static str) -> Result<()> {
    let mut live = LIVE.load(Ordering::Acquire);
    loop {
        if live == 0 {
            return Err(not_running(function));
        }
        match LIVE.compare_exchange_weak(live, live + n, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(()),
            Err(now) => live = now,
        }
    }
}

#[cold]
#[inline(never)]
fn not_running(function: &'static str) -> Error {
    let state = state_name(STATE.load(Ordering::Acquire));
    Error::EalNotRunning { call: Call::new(function, ""), state }
}

/// Gives `n` references back; the one that brings the count to zero cleans up.
#[inline]
fn release(n: usize) {
    if n != 0 && LIVE.fetch_sub(n, Ordering::AcqRel) == n {
        last_release();
    }
}

#[cold]
#[inline(never)]
fn last_release() {
    if let Err(e) = cleanup() {
        log::error!("{e}");
    }
}

/// A reference to the running EAL held by an object (zero-sized; see [`ObjectRef::take`]).
pub(crate) struct ObjectRef {
    _counted: (),
}

impl ObjectRef {
    /// A reference for a new object.
    ///
    /// # Errors
    /// [`Error::EalNotRunning`] unless the EAL is running.
    #[inline]
    pub(crate) fn take(function: &'static str) -> Result<ObjectRef> {
        take(1, function).map(|()| ObjectRef { _counted: () })
    }
}

impl Drop for ObjectRef {
    #[inline]
    fn drop(&mut self) {
        release(1);
    }
}

impl fmt::Debug for Eal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Eal").field("args", &self.args()).finish()
    }
}

/// An EAL for documentation examples: each doctest is its own process, so this brings up
/// a fresh in-memory EAL on lcores 0-1 (memory mode from `DPDK_RS_MEMORY`). Not for
/// applications.
#[doc(hidden)]
pub fn doc_eal() -> Eal {
    let builder = EalBuilder::new().lcores_on_allowed_cpus(2).in_memory(true).no_pci(true);
    let builder = builder.env_overrides().unwrap_or_else(|e| panic!("doc example EAL: {e}"));
    let builder = match builder.memory_mode() {
        Memory::NoHuge => builder.memory_mb(256),
        Memory::Hugepages => builder,
    };
    builder.build().unwrap_or_else(|e| panic!("doc example EAL: {e}"))
}
