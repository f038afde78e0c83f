//! The dataplane application: bring the EAL up, place every object on its socket, and run
//! the workers on traffic from a DPDK virtual device (`net_pcap` for generated traffic and
//! replays, `net_tap` for live clients) in pipeline or run-to-completion mode.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dns_wire::{BuildOptions, DomainList, GeneratedCounts, Generator, Mix};
use dpdk::ethdev::{Port, PortConfig, RxQueue, TxQueue};
use dpdk::mbuf::{Burst, Mbuf, PktMbufPool, DEFAULT_DATA_ROOM};
use dpdk::ring::{Consumer, Producer, Ring, RingOptions, Single};
use dpdk::{Eal, EalBuilder, LcoreId, Memory, SocketBox, SocketId};

use crate::arp::ArpIdentity;
use crate::engine::{Counters, Engine, Patterns, Verdict, BURST};
use crate::pcap::{for_each_frame, PcapWriter};
use crate::placement::{Placement, Users};
use crate::table::DomainTable;

/// Where the packets come from.
#[derive(Clone, Debug)]
pub enum Input {
    /// The embedded default: `frames` frames from the deterministic generator (seed
    /// `seed`, the default mix), written to a pcap and replayed through `net_pcap`.
    Generated {
        /// How many frames.
        frames: u64,
        /// The generator's seed.
        seed: u64,
    },
    /// A capture replayed through `net_pcap`, the answers written to `output`.
    Pcap {
        /// The capture to answer.
        input: PathBuf,
        /// Where the answers go.
        output: PathBuf,
    },
    /// Live clients on a `net_tap` interface named `iface`, until SIGINT/SIGTERM or for
    /// `duration`.
    Tap {
        /// The kernel interface's name.
        iface: String,
        /// How long to serve (`None`: until a signal).
        duration: Option<Duration>,
    },
}

/// How work is split between lcores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The main lcore does the port I/O and hands bursts to the workers through rings on
    /// the workers' socket.
    Pipeline,
    /// Each worker polls a port queue of its own and answers in place.
    RunToCompletion,
}

/// Everything the dataplane needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The traffic.
    pub input: Input,
    /// The split of work.
    pub mode: Mode,
    /// The domain list (the embedded default when `None`).
    pub domains: Option<PathBuf>,
    /// Block-list patterns, one per line (the embedded default when `None`); used with
    /// the `hyperscan` feature.
    pub blocklist: Option<PathBuf>,
    /// The address ARP requests are answered for (tap mode).
    pub server_ip: Ipv4Addr,
    /// EAL lcores: the first is the main lcore, the others are workers.
    pub lcores: Vec<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            input: Input::Generated { frames: 1_000_000, seed: 2026 },
            mode: Mode::Pipeline,
            domains: None,
            blocklist: None,
            server_ip: dns_wire::SERVER_V4,
            lcores: vec![0, 1],
        }
    }
}

/// The embedded block-list patterns (Hyperscan syntax, matched caseless against dotted
/// names not in the domain list).
pub const DEFAULT_BLOCKLIST: &str = include_str!("../data/blocklist.txt");

/// One worker lcore's results.
#[derive(Clone, Debug)]
pub struct WorkerReport {
    /// The lcore.
    pub lcore: u32,
    /// Its counters.
    pub counters: Counters,
    /// Time from its first frame to its last.
    pub busy: Duration,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// Where every object landed.
    pub placement: Placement,
    /// Per worker.
    pub workers: Vec<WorkerReport>,
    /// All workers together.
    pub total: Counters,
    /// What the generator made (generated input only).
    pub generated: Option<GeneratedCounts>,
    /// Answers found in the output capture by RCODE (pcap input only): NOERROR, NXDOMAIN,
    /// REFUSED, other.
    pub answers_by_rcode: Option<[u64; 4]>,
    /// The port's own counters.
    pub port_stats: dpdk::ethdev::Stats,
    /// Live frames the I/O lcore dropped because every worker's ring was full.
    pub io_dropped: u64,
    /// Wall time of the traffic phase.
    pub elapsed: Duration,
    /// The TSC frequency.
    pub tsc_hz: u64,
    /// The memory mode the EAL ran in.
    pub memory: Memory,
}

impl Report {
    /// Whether the counters match what the generator sent (`None` without a generator).
    pub fn matches_generator(&self) -> Option<bool> {
        let g = self.generated?;
        let t = &self.total;
        Some(
            (t.frames, t.hits, t.counted, t.blocked, t.misses, t.malformed)
                == (g.frames, g.hits, g.counted, g.blocked, g.misses, g.malformed)
                && t.pattern_blocked == 0,
        )
    }
}

/// What went wrong.
#[derive(Debug)]
pub enum AppError {
    /// A DPDK call failed.
    Dpdk(dpdk::Error),
    /// A file could not be read or written.
    Io(String, std::io::Error),
    /// The domain list does not parse.
    List(dns_wire::ListError),
    /// The block list does not compile.
    #[cfg(feature = "hyperscan")]
    Blocklist(crate::blocklist::BlocklistError),
    /// The configuration cannot work.
    Config(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Dpdk(e) => write!(f, "{e}"),
            AppError::Io(what, e) => write!(f, "{what}: {e}"),
            AppError::List(e) => write!(f, "{e}"),
            #[cfg(feature = "hyperscan")]
            AppError::Blocklist(e) => write!(f, "{e}"),
            AppError::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AppError {}

impl From<dpdk::Error> for AppError {
    fn from(e: dpdk::Error) -> Self {
        AppError::Dpdk(e)
    }
}

/// Set by SIGINT/SIGTERM (tap mode) and by the I/O side when the input is exhausted.
static STOP: AtomicBool = AtomicBool::new(false);

/// Sets [`STOP`] when dropped.
struct StopOnDrop;

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        STOP.store(true, Ordering::Relaxed);
    }
}

/// Which workers have finished (returned or panicked).
struct Progress {
    finished: Vec<AtomicBool>,
}

/// Marks a worker finished when dropped, on return or while unwinding from a panic.
struct Finished<'a>(&'a AtomicBool);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Progress {
    fn new(workers: usize) -> Self {
        Progress { finished: (0..workers).map(|_| AtomicBool::new(false)).collect() }
    }

    fn finished_on_drop(&self, worker: usize) -> Finished<'_> {
        Finished(&self.finished[worker])
    }

    fn is_finished(&self, worker: usize) -> bool {
        self.finished[worker].load(Ordering::Acquire)
    }

    fn all_finished(&self) -> bool {
        (0..self.finished.len()).all(|w| self.is_finished(w))
    }
}

/// What the pipeline's I/O side needs to know about the run.
struct Io<'a> {
    live: bool,
    deadline: Option<Instant>,
    progress: &'a Progress,
}

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(sig, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    }
}

/// Two ends of a pipeline ring: the producer of one and the consumer of another (or of
/// the same ring), on the worker's socket.
type RingEnds<'p> = (Producer<Mbuf<'p>, Single>, Consumer<Mbuf<'p>, Single>);

/// Per-worker state in a `SocketBox` on the worker's socket (the seed's `group_struct`).
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct WorkerState {
    counters: Counters,
    first_tsc: u64,
    last_tsc: u64,
}

/// Runs the dataplane as configured and reports what it did.
///
/// # Errors
/// [`AppError`] naming the step that failed.
pub fn run(config: &Config) -> Result<Report, AppError> {
    let (&main_lcore, workers) =
        config.lcores.split_first().filter(|(_, w)| !w.is_empty()).ok_or_else(|| {
            AppError::Config("needs at least two lcores: main and a worker".into())
        })?;
    let mut sorted = config.lcores.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(AppError::Config(format!("lcores {:?}: each lcore once", config.lcores)));
    }
    let device_args = match &config.input {
        Input::Pcap { input, output } => {
            vec![input.display().to_string(), output.display().to_string()]
        }
        Input::Tap { iface, .. } => vec![iface.clone()],
        Input::Generated { .. } => vec![],
    };
    if let Some(arg) = device_args.iter().find(|a| a.contains(',') || a.contains('=')) {
        return Err(AppError::Config(format!(
            "{arg:?}: a device argument cannot hold ',' or '=' (DPDK would split it there)"
        )));
    }
    let builder = EalBuilder::new()
        .program("dns-dataplane")
        .lcores(config.lcores.iter().copied())
        .main_lcore(main_lcore)
        .in_memory(true)
        .no_pci(true)
        .env_overrides()?;
    let builder = match builder.memory_mode() {
        Memory::NoHuge => builder.memory_mb(512),
        Memory::Hugepages => builder,
    };
    let memory = builder.memory_mode();
    let eal = builder.build()?;
    let report = serve(&eal, config, workers, memory);
    drop(eal);
    report
}

fn serve(
    eal: &Eal,
    config: &Config,
    worker_ids: &[u32],
    memory: Memory,
) -> Result<Report, AppError> {
    let workers: Vec<LcoreId> =
        worker_ids.iter().map(|&id| LcoreId::new(id)).collect::<Result<_, _>>()?;
    // The sockets the workers run on: every per-socket object is made once on each.
    let mut sockets: Vec<SocketId> = Vec::new();
    for w in &workers {
        if !sockets.contains(&w.socket()) {
            sockets.push(w.socket());
        }
    }
    let worker_socket = sockets[0];
    let io = eal.main_lcore();
    let mut placement = Placement::default();
    // The lcores that use a per-socket object: the workers on that socket.
    let workers_on =
        |socket: SocketId| Users::lcores(workers.iter().copied().filter(|w| w.socket() == socket));

    // The seed's table: one on each workers' socket, so no lookup crosses sockets.
    let list = match &config.domains {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| AppError::Io(format!("domain list {path:?}"), e))?;
            DomainList::parse(&text).map_err(AppError::List)?
        }
        None => DomainList::default_list(),
    };
    let mut tables = Vec::new();
    for (i, &socket) in sockets.iter().enumerate() {
        let table = DomainTable::load(&list, &format!("dns_domains{i}"), socket)?;
        let (header, values) = table.memory_sockets();
        let names = format!("domain table ({} names)", table.len());
        placement.record_landed(names, socket, header, workers_on(socket));
        placement.record_landed("domain table values", socket, values, workers_on(socket));
        tables.push(table);
    }
    let table_of =
        |w: &LcoreId| &tables[sockets.iter().position(|s| *s == w.socket()).unwrap_or(0)];

    // The block list: a Hyperscan database on each workers' socket.
    #[cfg(feature = "hyperscan")]
    let blocklists = {
        let text = match &config.blocklist {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| AppError::Io(format!("block list {path:?}"), e))?,
            None => DEFAULT_BLOCKLIST.to_owned(),
        };
        let patterns: Vec<&str> =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        let mut dbs = Vec::new();
        for &socket in sockets.iter().filter(|_| !patterns.is_empty()) {
            let db = crate::blocklist::Blocklist::compile(&patterns, socket)
                .map_err(AppError::Blocklist)?;
            placement.record_landed(
                format!("Hyperscan database ({} patterns)", db.len()),
                socket,
                db.memory_socket(),
                workers_on(socket),
            );
            dbs.push(db);
        }
        dbs
    };
    #[cfg(feature = "hyperscan")]
    let prototypes = blocklists
        .iter()
        .map(|db| db.prototype(db.socket()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::Blocklist)?;

    // The port, and the mbuf pool on its socket.
    let scratch_dir = std::env::temp_dir().join(format!("dns-dataplane-{}", std::process::id()));
    let (devargs, generated, output) = match &config.input {
        Input::Generated { frames, seed } => {
            std::fs::create_dir_all(&scratch_dir)
                .map_err(|e| AppError::Io(format!("{scratch_dir:?}"), e))?;
            let queries = scratch_dir.join("queries.pcap");
            let answers = scratch_dir.join("answers.pcap");
            let counts = generate(&list, *seed, *frames, &queries)?;
            (pcap_devargs(&queries, &answers), Some(counts), Some(answers))
        }
        Input::Pcap { input, output } => (pcap_devargs(input, output), None, Some(output.clone())),
        Input::Tap { iface, .. } => (format!("net_tap_dns,iface={iface}"), None, None),
    };
    let port = Port::attach_vdev(&devargs)?;
    let port_socket = port.socket();
    let pool_socket = if port_socket.is_any() { worker_socket } else { port_socket };
    let info = port.info()?;
    let queues = match config.mode {
        Mode::Pipeline => 1,
        Mode::RunToCompletion => {
            let n = workers.len().min(usize::from(info.max_rx_queues.min(info.max_tx_queues)));
            n.max(1) as u16
        }
    };
    let active_workers = match config.mode {
        Mode::Pipeline => workers.len(),
        Mode::RunToCompletion => usize::from(queues),
    };
    let pool = PktMbufPool::new("dns_mbufs", 8191, 256, DEFAULT_DATA_ROOM, pool_socket)?;
    placement.record_landed("mbuf pool", pool_socket, pool.socket(), Users::port(&port));
    let mac = port.mac()?;
    let mut port = port
        .configure(
            &PortConfig::new(queues, queues).rx_descriptors(1024).tx_descriptors(1024),
            &pool,
        )
        .map_err(|e| AppError::Dpdk(e.into()))?;
    port.start()?;
    if matches!(config.input, Input::Tap { .. }) {
        // Clients address the dataplane's IP at any MAC the neighbour table gives.
        port.set_promiscuous(true)?;
    }

    // Per-worker state, pattern scratch and (pipeline) rings, each on its worker's socket.
    #[cfg(feature = "hyperscan")]
    let mut scratches = Vec::new();
    #[cfg(feature = "hyperscan")]
    for w in workers.iter().take(active_workers) {
        let Some(prototype) = prototypes
            .iter()
            .zip(&blocklists)
            .find_map(|(p, db)| (db.socket() == w.socket()).then_some(p))
        else {
            scratches.push(None);
            continue;
        };
        let scratch = prototype.clone_on(w.socket()).map_err(AppError::Blocklist)?;
        placement.record_landed(
            format!("Hyperscan scratch of worker {}", w.id()),
            w.socket(),
            scratch.memory_socket(),
            Users::lcores([*w]),
        );
        scratches.push(Some(scratch));
    }
    #[cfg(not(feature = "hyperscan"))]
    let mut scratches: Vec<Option<()>> = vec![None; active_workers];
    let mut states = Vec::new();
    let mut rings: Vec<(RingEnds<'_>, RingEnds<'_>)> = Vec::new();
    for (i, w) in workers.iter().take(active_workers).enumerate() {
        let state = SocketBox::new(WorkerState::default(), w.socket());
        let (name, ptr) = (format!("worker {} state", w.id()), state.as_ptr().cast());
        placement.record(name, w.socket(), ptr, Users::lcores([*w]));
        states.push(state);
        if config.mode == Mode::Pipeline {
            let opts = RingOptions::new().single_producer().single_consumer();
            let to: Ring<Mbuf<'_>, Single, Single> =
                Ring::new(&format!("dns_to_w{i}"), 1024, w.socket(), opts)?;
            let from: Ring<Mbuf<'_>, Single, Single> =
                Ring::new(&format!("dns_from_w{i}"), 1024, w.socket(), opts)?;
            // Between the I/O lcore and the worker: on the worker's side.
            let ends = Users::lcores([io, *w]);
            let (to_ptr, from_ptr) = (to.as_ptr().cast(), from.as_ptr().cast());
            placement.record(
                format!("ring to worker {}", w.id()),
                w.socket(),
                to_ptr,
                ends.clone(),
            );
            placement.record(format!("ring from worker {}", w.id()), w.socket(), from_ptr, ends);
            rings.push((to.split(), from.split()));
        }
    }
    println!("{placement}");

    let arp = ArpIdentity { ip: config.server_ip, mac: mac.0 };
    let options = BuildOptions::default();
    let deadline = match &config.input {
        Input::Tap { duration: Some(d), .. } => Some(Instant::now() + *d),
        _ => None,
    };
    let live = matches!(config.input, Input::Tap { .. });
    STOP.store(false, Ordering::Relaxed);
    if live {
        // Left installed: the process ends after the run.
        install_signal_handlers();
    }
    let progress = Progress::new(active_workers);

    let started = Instant::now();
    let mut io_dropped = 0u64;
    eal.scope(|scope| -> Result<(), AppError> {
        // Whatever ends this body (a failed launch included), the workers are told to
        // stop, so that the scope's wait for them returns.
        let _stop = StopOnDrop;
        let mut handles = Vec::new();
        match config.mode {
            Mode::Pipeline => {
                let mut io_ends = Vec::new();
                let per_worker = workers.iter().zip(states.iter_mut()).zip(scratches.drain(..));
                for (i, (((to_tx, to_rx), (from_tx, from_rx)), ((w, state), patterns))) in
                    rings.drain(..).zip(per_worker).enumerate()
                {
                    io_ends.push((to_tx, from_rx));
                    let (table, progress) = (table_of(w), &progress);
                    let h = scope.launch(*w, move || {
                        let _done = progress.finished_on_drop(i);
                        let engine = Engine::new(table, options, patterns).answering_arp(arp);
                        pipeline_worker(engine, &to_rx, &from_tx, state);
                    })?;
                    handles.push(h);
                }
                let mut rxq = port.rx_queue(0)?;
                let mut txq = port.tx_queue(0)?;
                let io = Io { live, deadline, progress: &progress };
                pipeline_io(&mut rxq, &mut txq, &io_ends, &io, &mut io_dropped);
            }
            Mode::RunToCompletion => {
                let per_worker = workers.iter().zip(states.iter_mut()).zip(scratches.drain(..));
                for (q, ((w, state), patterns)) in per_worker.enumerate() {
                    let rxq = port.rx_queue(q as u16)?;
                    let txq = port.tx_queue(q as u16)?;
                    let table = table_of(w);
                    let h = scope.launch(*w, move || {
                        let engine = Engine::new(table, options, patterns).answering_arp(arp);
                        rtc_worker(engine, rxq, txq, state, live, deadline);
                    })?;
                    handles.push(h);
                }
            }
        }
        for h in handles {
            if let Err(panic) = h.join() {
                return Err(AppError::Config(format!(
                    "a worker panicked: {}",
                    dpdk::lcore::panic_message(&*panic)
                )));
            }
        }
        Ok(())
    })?;
    let elapsed = started.elapsed();
    let port_stats = port.stats()?;
    // Dropping the port stops and closes it; net_pcap flushes its output capture.
    drop(port);

    let tsc_hz = eal.tsc_hz();
    let mut total = Counters::default();
    let reports: Vec<WorkerReport> = workers
        .iter()
        .zip(&states)
        .map(|(w, s)| {
            total.merge(&s.counters);
            let ticks = s.last_tsc.saturating_sub(s.first_tsc);
            WorkerReport {
                lcore: w.id(),
                counters: s.counters,
                busy: Duration::from_secs_f64(ticks as f64 / tsc_hz as f64),
            }
        })
        .collect();
    let answers_by_rcode = match (&output, live) {
        (Some(path), false) => Some(count_answers(path)?),
        _ => None,
    };
    if generated.is_some() {
        let _ = std::fs::remove_dir_all(&scratch_dir);
    }
    Ok(Report {
        placement,
        workers: reports,
        total,
        generated,
        answers_by_rcode,
        port_stats,
        io_dropped,
        elapsed,
        tsc_hz,
        memory,
    })
}

fn pcap_devargs(input: &std::path::Path, output: &std::path::Path) -> String {
    format!("net_pcap_dns,rx_pcap={},tx_pcap={}", input.display(), output.display())
}

/// Writes `frames` generated frames to `path`; returns what was generated.
fn generate(
    list: &DomainList,
    seed: u64,
    frames: u64,
    path: &std::path::Path,
) -> Result<GeneratedCounts, AppError> {
    let io = |e| AppError::Io(format!("generated capture {path:?}"), e);
    let mut gen = Generator::new(seed, list, Mix::default())
        .map_err(|e| AppError::Config(format!("generator: {e}")))?;
    let mut out = PcapWriter::create(path).map_err(io)?;
    let mut buf = [0u8; dns_wire::MAX_FRAME_LEN];
    for _ in 0..frames {
        let (len, _) =
            gen.next_frame(&mut buf).map_err(|e| AppError::Config(format!("generator: {e}")))?;
        out.write(&buf[..len]).map_err(io)?;
    }
    out.finish().map_err(io)?;
    Ok(*gen.counts())
}

/// Answers in the capture at `path` by RCODE: NOERROR, NXDOMAIN, REFUSED, other.
fn count_answers(path: &std::path::Path) -> Result<[u64; 4], AppError> {
    let mut by_rcode = [0u64; 4];
    for_each_frame(path, |frame| {
        if let Some(rcode) = response_rcode(frame) {
            let slot = match rcode {
                dns_wire::rcode::NOERROR => 0,
                dns_wire::rcode::NXDOMAIN => 1,
                dns_wire::rcode::REFUSED => 2,
                _ => 3,
            };
            by_rcode[slot] += 1;
        }
    })
    .map_err(|e| AppError::Io(format!("answers {path:?}"), e))?;
    Ok(by_rcode)
}

/// The RCODE of a DNS response frame (Ethernet, optional VLAN, IPv4/IPv6, UDP from 53).
pub fn response_rcode(frame: &[u8]) -> Option<u8> {
    let mut l3 = 14;
    let mut ethertype = u16::from_be_bytes(frame.get(12..14)?.try_into().ok()?);
    if ethertype == 0x8100 {
        ethertype = u16::from_be_bytes(frame.get(16..18)?.try_into().ok()?);
        l3 = 18;
    }
    let l4 = match ethertype {
        0x0800 => l3 + usize::from(frame.get(l3)? & 0x0f) * 4,
        0x86dd => l3 + 40,
        _ => return None,
    };
    if frame.get(l4..l4 + 2)? != [0, 53] {
        return None;
    }
    let flags = frame.get(l4 + 8 + 2..l4 + 8 + 4)?;
    (flags[0] & 0x80 != 0).then_some(flags[1] & 0x0f)
}

#[inline(always)]
fn tsc() -> u64 {
    // SAFETY: RDTSC has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Answers one burst in place and splits it: answers stay in `burst` (in order), the
/// dropped frames are freed.
#[inline]
fn answer_burst<P: Patterns>(
    engine: &mut Engine<'_, P>,
    burst: &mut Burst<'_, BURST>,
    state: &mut WorkerState,
) {
    let n = burst.len();
    let mut verdicts = [Verdict::Drop; BURST];
    engine.process(&mut burst[..], &mut verdicts[..n], &mut state.counters);
    if verdicts[..n].iter().all(|v| *v == Verdict::Send) {
        return;
    }
    // Rebuild the burst with the answers only; dropped frames go back to their pool.
    let mut kept = Burst::<BURST>::new();
    let mut i = n;
    while let Some(m) = burst.pop() {
        i -= 1;
        if verdicts[i] == Verdict::Send {
            let _ = kept.push(m);
        }
    }
    while let Some(m) = kept.pop() {
        let _ = burst.push(m);
    }
}

/// A pipeline worker: bursts from the I/O lcore, answers back to it, until told to stop
/// and its ring is empty.
fn pipeline_worker<'p, P: Patterns>(
    mut engine: Engine<'_, P>,
    from_io: &Consumer<Mbuf<'p>, Single>,
    to_io: &Producer<Mbuf<'p>, Single>,
    state: &mut WorkerState,
) {
    let mut burst = Burst::<BURST>::new();
    loop {
        if from_io.dequeue_to_burst(&mut burst).is_empty() {
            if STOP.load(Ordering::Relaxed) && from_io.is_empty() {
                break;
            }
            std::hint::spin_loop();
            continue;
        }
        let now = tsc();
        if state.first_tsc == 0 {
            state.first_tsc = now;
        }
        answer_burst(&mut engine, &mut burst, state);
        let n = burst.len();
        // The I/O lcore drains this ring all the time; a full ring is a moment's wait.
        let mut sent = to_io.enqueue_from_burst(&mut burst);
        let give_up = tsc() + TX_PATIENCE_TICKS;
        while !burst.is_empty() && tsc() < give_up {
            std::hint::spin_loop();
            sent += to_io.enqueue_from_burst(&mut burst);
        }
        state.counters.answered += sent as u64;
        state.counters.tx_dropped += (n - sent) as u64;
        burst.clear();
        state.last_tsc = tsc();
    }
}

/// How long a worker waits for room in its ring to the I/O lcore (about 10 ms).
const TX_PATIENCE_TICKS: u64 = 25_000_000;

/// How long the input may stay silent before a replay counts as finished.
const IDLE_END: Duration = Duration::from_millis(200);

/// The pipeline's I/O side on the main lcore: RX bursts round-robin to the workers,
/// their answers to TX. Ends on a signal or the deadline (live), or once the capture is
/// exhausted and every frame came back (replay); a worker that died is skipped, and the
/// run ends if none is left. Then forwards answers until every worker has finished.
fn pipeline_io<'p>(
    rxq: &mut RxQueue<'_, 'p>,
    txq: &mut TxQueue<'_, 'p>,
    workers: &[RingEnds<'p>],
    io: &Io<'_>,
    dropped: &mut u64,
) {
    let mut rx = Burst::<BURST>::new();
    let mut tx = Burst::<BURST>::new();
    let mut next = 0;
    let mut last_rx = Instant::now();
    let mut seen_any = false;
    let alive = |w: usize| !io.progress.is_finished(w);
    loop {
        let got = rxq.rx_burst(&mut rx).len();
        let mut forwarded = 0;
        if got > 0 {
            seen_any = true;
            last_rx = Instant::now();
            // To one worker per burst; if its ring is full, the others. Live traffic that
            // finds every ring full is dropped (and counted); a replay waits for room,
            // forwarding answers meanwhile so that the workers can go on.
            loop {
                for k in 0..workers.len() {
                    let w = (next + k) % workers.len();
                    if alive(w) {
                        workers[w].0.enqueue_from_burst(&mut rx);
                    }
                    if rx.is_empty() {
                        break;
                    }
                }
                if rx.is_empty() || io.live || io.progress.all_finished() {
                    break;
                }
                forwarded += forward(workers, txq, &mut tx);
            }
            *dropped += rx.len() as u64;
            rx.clear();
            next = (next + 1) % workers.len();
        }
        forwarded += forward(workers, txq, &mut tx);
        let stop = if io.progress.all_finished() {
            true
        } else if io.live {
            STOP.load(Ordering::Relaxed) || io.deadline.is_some_and(|d| Instant::now() >= d)
        } else {
            let idle = last_rx.elapsed() >= if seen_any { IDLE_END } else { IDLE_END * 10 };
            got == 0
                && forwarded == 0
                && idle
                && workers.iter().enumerate().all(|(w, (to, _))| to.is_empty() || !alive(w))
        };
        if stop {
            break;
        }
    }
    STOP.store(true, Ordering::Relaxed);
    // The workers finish what their rings hold; forward every last answer.
    while !io.progress.all_finished() {
        forward(workers, txq, &mut tx);
        std::hint::spin_loop();
    }
    forward(workers, txq, &mut tx);
}

/// Moves the workers' answers to the TX queue; returns how many it took from them
/// (answers the device refuses after retries are freed, and show in the port's stats).
fn forward<'p>(
    workers: &[RingEnds<'p>],
    txq: &mut TxQueue<'_, 'p>,
    tx: &mut Burst<'p, BURST>,
) -> usize {
    let mut moved = 0;
    for (_, from) in workers {
        while !from.dequeue_to_burst(tx).is_empty() {
            moved += tx.len();
            while !tx.is_empty() && txq.tx_burst(tx) > 0 {}
            tx.clear();
        }
    }
    moved
}

/// A run-to-completion worker: its own queue pair, answers in place.
fn rtc_worker<'a, 'p, P: Patterns>(
    mut engine: Engine<'_, P>,
    mut rxq: RxQueue<'a, 'p>,
    mut txq: TxQueue<'a, 'p>,
    state: &mut WorkerState,
    live: bool,
    deadline: Option<Instant>,
) {
    let mut burst = Burst::<BURST>::new();
    let mut last_rx = Instant::now();
    let mut seen_any = false;
    let mut polls = 0u32;
    loop {
        // Live: a signal or the deadline ends the run even under a load that never lets
        // the queue run dry (the clock is read every 1024 polls).
        polls = polls.wrapping_add(1);
        if live
            && (STOP.load(Ordering::Relaxed)
                || (polls % 1024 == 0 && deadline.is_some_and(|d| Instant::now() >= d)))
        {
            break;
        }
        if rxq.rx_burst(&mut burst).is_empty() {
            let stop = if live {
                deadline.is_some_and(|d| Instant::now() >= d)
            } else {
                STOP.load(Ordering::Relaxed)
                    || last_rx.elapsed() >= if seen_any { IDLE_END } else { IDLE_END * 10 }
            };
            if stop {
                break;
            }
            continue;
        }
        seen_any = true;
        last_rx = Instant::now();
        let now = tsc();
        if state.first_tsc == 0 {
            state.first_tsc = now;
        }
        answer_burst(&mut engine, &mut burst, state);
        let n = burst.len();
        let mut sent = 0;
        while !burst.is_empty() {
            let k = txq.tx_burst(&mut burst);
            if k == 0 {
                break;
            }
            sent += k;
        }
        state.counters.answered += sent as u64;
        state.counters.tx_dropped += (n - sent) as u64;
        burst.clear();
        state.last_tsc = tsc();
    }
}
