//! The EAL, lcores and sockets against the real DPDK.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dpdk::numa::Topology;
use dpdk::{EalBuilder, Error, LcoreId, Memory, SocketId};
use dpdk_tests::{
    assert_child_passed, eal, logged, memory_mode, require_child, run_child, run_child_quiet,
    unique_name, worker_turn,
};

#[test]
fn eal_runs_in_the_requested_memory_mode() {
    let eal = eal();
    assert_eq!(eal.has_hugepages(), memory_mode() == Memory::Hugepages, "{:?}", eal.args());
    assert!(eal.tsc_hz() > 100_000_000, "TSC at {} Hz", eal.tsc_hz());
}

#[test]
fn a_second_init_is_an_error() {
    eal();
    match EalBuilder::new().no_pci(true).build() {
        Err(Error::EalAlreadyInitialized { state }) => assert_eq!(state, "running"),
        other => panic!("second init gave {other:?}"),
    }
}

#[test]
fn lcores_are_listed_with_their_sockets() {
    let eal = eal();
    let ids: Vec<u32> = eal.lcores().iter().map(|l| l.id()).collect();
    assert_eq!(ids, [0, 1]);
    assert_eq!(eal.main_lcore().id(), 0);
    assert_eq!(eal.workers().iter().map(|l| l.id()).collect::<Vec<_>>(), [1]);
    let sockets = eal.sockets();
    for lcore in eal.lcores() {
        assert!(sockets.contains(&lcore.socket()), "{lcore} on {}", lcore.socket());
        assert_eq!(lcore.cpus().len(), 1, "{lcore}: one CPU per -l lcore");
    }
}

#[test]
fn dpdk_sockets_agree_with_the_numa_topology() {
    let eal = eal();
    let topology = Topology::read().expect("read /sys");
    let with_cpus: Vec<u32> =
        topology.nodes.iter().filter(|n| !n.cpus.is_empty()).map(|n| n.id).collect();
    let dpdk: Vec<u32> = eal.sockets().iter().map(|s| s.id().unwrap()).collect();
    assert_eq!(dpdk, with_cpus, "DPDK's sockets vs /sys/devices/system/node");
    for lcore in eal.lcores() {
        let cpus = lcore.cpus();
        let node = topology.node_of_cpu(cpus[0]);
        assert_eq!(lcore.socket().id(), node, "{lcore} (cpus {cpus:?})");
    }
}

#[test]
fn unknown_sockets_and_lcores_are_clear_errors() {
    let eal = eal();
    let sockets = eal.sockets();
    if sockets.len() <= 7 {
        let err = SocketId::new(7).unwrap_err();
        assert!(matches!(err, Error::UnknownSocket { socket: 7, .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("socket 7 does not exist"), "{text}");
    }
    let first = sockets[0].id().unwrap();
    assert_eq!(SocketId::new(first).unwrap(), sockets[0]);

    let err = LcoreId::new(99).unwrap_err();
    assert!(matches!(err, Error::UnknownLcore { lcore: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("lcore 99 is not an enabled lcore"), "{err}");
    let err = LcoreId::new(100_000).unwrap_err();
    assert!(matches!(err, Error::UnknownLcore { .. }), "{err:?}");

    let err = eal.launch(eal.main_lcore(), || ()).unwrap_err();
    assert!(matches!(err, Error::NotAWorker { lcore: 0, .. }), "{err:?}");
}

#[test]
fn socket_of_threads() {
    let eal = eal();
    let _turn = worker_turn();
    // A test thread is no EAL thread.
    assert_eq!(LcoreId::current(), None);
    assert_eq!(SocketId::current(), SocketId::ANY);
    let worker = eal.workers()[0];
    let seen = eal.launch(worker, || (LcoreId::current(), SocketId::current())).unwrap();
    assert_eq!(seen.join().unwrap(), (Some(worker), worker.socket()));
}

/// `LcoreId::current` reads DPDK's thread-local lcore id directly; it must agree with
/// DPDK's own `rte_lcore_id()` on every kind of thread.
#[test]
fn the_lcore_id_read_agrees_with_dpdk() {
    let eal = eal();
    let _turn = worker_turn();
    let both = || {
        // SAFETY: reads the calling thread's lcore id.
        let dpdk = unsafe { dpdk::ffi::rte_lcore_id() };
        (LcoreId::current().map_or(dpdk::ffi::LCORE_ID_ANY, |l| l.id()), dpdk)
    };
    let (mine, theirs) = both();
    assert_eq!(mine, theirs, "unregistered thread");
    let (mine, theirs) = eal.launch(eal.workers()[0], both).unwrap().join().unwrap();
    assert_eq!((mine, theirs), (1, 1), "worker lcore");
    std::thread::scope(|s| {
        s.spawn(|| {
            let reg = eal.register_thread().unwrap();
            let (mine, theirs) = both();
            assert_eq!((mine, theirs), (reg.lcore().id(), reg.lcore().id()), "registered");
        });
    });
}

#[test]
fn a_panicking_lcore_closure_is_reported_and_the_process_goes_on() {
    let eal = eal();
    let _turn = worker_turn();
    let worker = eal.workers()[0];
    let job = eal.launch(worker, || -> u32 { panic!("deliberate panic on a worker") }).unwrap();
    let payload = job.join().unwrap_err();
    assert_eq!(dpdk::lcore::panic_message(&*payload), "deliberate panic on a worker");
    // The worker lcore is still usable.
    let job = eal.launch(worker, || 6 * 7).unwrap();
    assert_eq!(job.join().unwrap(), 42);
}

#[test]
fn a_busy_worker_refuses_a_second_job() {
    let eal = eal();
    let _turn = worker_turn();
    let worker = eal.workers()[0];
    let release = Arc::new(AtomicBool::new(false));
    let flag = release.clone();
    let job = eal
        .launch(worker, move || {
            while !flag.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            "done"
        })
        .unwrap();
    let err = eal.launch(worker, || ()).unwrap_err();
    assert!(matches!(err, Error::Busy { .. }), "{err:?}");
    assert!(!job.is_finished());
    release.store(true, Ordering::Release);
    assert_eq!(job.join().unwrap(), "done");
    // Dropping a handle waits for its job, after which the lcore takes new work.
    drop(eal.launch(worker, || std::thread::sleep(Duration::from_millis(20))).unwrap());
    eal.launch(worker, || ()).unwrap().join().unwrap();
}

#[test]
fn scoped_closures_borrow_from_the_stack() {
    let eal = eal();
    let _turn = worker_turn();
    let mut data = vec![1u64; 1000];
    let total: u64 = eal.scope(|s| {
        let (left, right) = data.split_at_mut(500);
        let job = s
            .launch(eal.workers()[0], || {
                left.iter_mut().for_each(|x| *x *= 3);
                left.iter().sum::<u64>()
            })
            .unwrap();
        right.iter_mut().for_each(|x| *x *= 5);
        job.join().unwrap() + right.iter().sum::<u64>()
    });
    assert_eq!(total, 500 * 3 + 500 * 5);
    assert_eq!(data.iter().sum::<u64>(), total);
    eal.wait_all().unwrap();
}

/// Polls `done` for up to ten seconds: a hang is a test failure, not a stuck suite.
fn within_10s(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}: still waiting after 10 s");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn waiting_for_the_calling_lcore_is_refused_not_a_hang() {
    let eal = eal();
    let _turn = worker_turn();
    let worker = eal.workers()[0];
    // wait_all on a worker would wait for that worker too.
    let on_worker = eal.clone();
    match eal.launch(worker, move || on_worker.wait_all()).unwrap().join().unwrap() {
        Err(e @ Error::WouldDeadlock { .. }) => {
            assert_eq!(e.errno(), Some(35), "EDEADLK");
            assert!(e.to_string().contains("rte_eal_mp_wait_lcore"), "{e}")
        }
        other => panic!("wait_all on a worker: {other:?}"),
    }
    // A job that joins, or drops, its own handle: detached, never a hang, and the lcore
    // takes new work afterwards.
    type Slot = Arc<Mutex<Option<dpdk::LcoreJoinHandle<Option<String>>>>>;
    for join in [true, false] {
        let slot: Slot = Arc::default();
        let done = Arc::new(AtomicBool::new(false));
        let (job_slot, job_done) = (slot.clone(), done.clone());
        let handle = eal
            .launch(worker, move || {
                let own = loop {
                    if let Some(h) = job_slot.lock().unwrap().take() {
                        break h;
                    }
                    std::hint::spin_loop();
                };
                let said = if join {
                    let err = own.join().expect_err("a job cannot join itself");
                    Some(err.downcast::<Error>().expect("a typed error").to_string())
                } else {
                    drop(own);
                    None
                };
                job_done.store(true, Ordering::Release);
                said
            })
            .unwrap();
        *slot.lock().unwrap() = Some(handle);
        within_10s("the job that joined or dropped its own handle", || {
            done.load(Ordering::Acquire)
        });
        // The lcore is free again once the job has returned (Busy until then).
        within_10s("the lcore after a detached job", || match eal.launch(worker, || 7) {
            Ok(job) => job.join().unwrap() == 7,
            Err(Error::Busy { .. }) => false,
            Err(e) => panic!("{e}"),
        });
    }
    // A scoped job that drops its own handle: the scope still waits for it.
    let finished = AtomicBool::new(false);
    eal.scope(|s| {
        // Only a leaked slot lives as long as the scope and can hold its own handle.
        let slot = &*Box::leak(Box::new(Mutex::new(None)));
        let handle = s
            .launch(worker, || {
                let own = loop {
                    if let Some(h) = slot.lock().unwrap().take() {
                        break h;
                    }
                    std::hint::spin_loop();
                };
                drop(own);
                std::thread::sleep(Duration::from_millis(20));
                finished.store(true, Ordering::Release);
            })
            .unwrap();
        *slot.lock().unwrap() = Some(handle);
    });
    assert!(finished.load(Ordering::Acquire), "the scope waited for the job");
}

#[test]
fn an_unjoined_panic_in_a_scope_is_raised_after_the_scope_waited() {
    let eal = eal();
    let _turn = worker_turn();
    let finished = AtomicBool::new(false);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        eal.scope(|s| {
            let handle = s
                .launch(eal.workers()[0], || {
                    std::thread::sleep(Duration::from_millis(20));
                    finished.store(true, Ordering::Release);
                    panic!("scoped panic");
                })
                .unwrap();
            std::mem::forget(handle); // not joined, not even dropped
        })
    }));
    assert!(outcome.is_err(), "the scope re-raises the unjoined panic");
    assert!(finished.load(Ordering::Acquire), "the scope waited for the job first");
}

#[test]
fn non_eal_threads_register_and_unregister() {
    let eal = eal();
    std::thread::spawn(move || {
        assert_eq!(LcoreId::current(), None);
        let reg = eal.register_thread().unwrap();
        let lcore = reg.lcore();
        assert_eq!(LcoreId::current(), Some(lcore));
        assert!(lcore.id() >= 2, "a registered thread gets a free lcore id, got {lcore}");
        let err = eal.register_thread().unwrap_err();
        assert!(matches!(err, Error::ThreadAlreadyRegistered { .. }), "{err:?}");
        drop(reg);
        assert_eq!(LcoreId::current(), None);
    })
    .join()
    .unwrap();
}

#[test]
fn dpdk_log_lines_arrive_in_the_log_crate() {
    eal();
    let marker = unique_name("logline");
    let text = std::ffi::CString::new(format!("{marker} from C\n")).unwrap();
    // SAFETY: a printf-style call with a "%s" format and one C string argument.
    unsafe {
        dpdk::ffi::rte_log(
            dpdk::ffi::RTE_LOG_WARNING,
            dpdk::ffi::RTE_LOGTYPE_USER1,
            c"%s".as_ptr(),
            text.as_ptr(),
        )
    };
    let records = logged(|r| r.message.contains(&marker));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].level, log::Level::Warn);
    assert_eq!(records[0].target, "dpdk::user1");
    assert_eq!(records[0].message, format!("{marker} from C"));
    // EAL start-up lines came through too, under their DPDK log type.
    assert!(!logged(|r| r.target == "dpdk::lib.eal").is_empty());
}

#[test]
fn the_default_mempool_driver_is_present() {
    eal();
    let name = std::ffi::CString::new(unique_name("drv")).unwrap();
    // SAFETY: plain FFI on a running EAL: create a pool with the default ops
    // ("ring_mp_mc"), take and return one object, free the pool.
    unsafe {
        let mp = dpdk::ffi::rte_mempool_create(
            name.as_ptr(),
            255,
            64,
            0,
            0,
            None,
            std::ptr::null_mut(),
            None,
            std::ptr::null_mut(),
            SocketId::ANY.as_raw(),
            0,
        );
        assert!(!mp.is_null(), "rte_mempool_create: {}", dpdk::ffi::rte_errno());
        let ops = dpdk::ffi::rte_mempool_get_ops((*mp).ops_index);
        let ops_name = std::ffi::CStr::from_ptr((*ops).name.as_ptr());
        assert_eq!(ops_name.to_str().unwrap(), "ring_mp_mc");
        let mut obj = std::ptr::null_mut();
        assert_eq!(dpdk::ffi::rte_mempool_get(mp, &mut obj), 0);
        assert_eq!(dpdk::ffi::rte_mempool_avail_count(mp), 254);
        dpdk::ffi::rte_mempool_put(mp, obj);
        assert_eq!(dpdk::ffi::rte_mempool_avail_count(mp), 255);
        dpdk::ffi::rte_mempool_free(mp);
    }
}

/// A fresh process: close() refuses while a handle is alive, cleanup succeeds, and after
/// it the EAL cannot come back.
#[test]
fn lifecycle_in_a_fresh_process() {
    assert_child_passed(&run_child("child_lifecycle", &[]));
}

/// A fresh process: objects keep the EAL alive after the last handle is gone, and the
/// last object to go cleans it up.
#[test]
fn objects_keep_the_eal_alive() {
    assert_child_passed(&run_child("child_objects_keep_the_eal_alive", &[]));
}

#[test]
#[ignore = "runs in a child process of objects_keep_the_eal_alive"]
fn child_objects_keep_the_eal_alive() {
    require_child();
    let eal = dpdk_tests::builder().build().expect("rte_eal_init");
    let socket = eal.sockets()[0];
    let boxes: Vec<_> = (0..100).map(|i| dpdk::SocketBox::new(i, socket)).collect();
    let worker_box = eal
        .launch(eal.workers()[0], move || dpdk::SocketBox::new(7u64, SocketId::current()))
        .unwrap()
        .join()
        .unwrap();
    match eal.close() {
        Err(Error::EalInUse { references }) => assert_eq!(references, 101),
        other => panic!("close with objects alive gave {other:?}"),
    }
    // No handle is left, but the objects still work: the EAL is up.
    assert_eq!(boxes.iter().map(|b| **b).sum::<i32>(), 4950);
    assert_eq!(*worker_box, 7);
    assert!(dpdk::Eal::current().is_ok());
    drop(boxes);
    assert!(dpdk::Eal::current().is_ok(), "one object is left");
    drop(worker_box);
    match dpdk::Eal::current() {
        Err(Error::EalNotRunning { state, .. }) => assert!(state.contains("cleaned up"), "{state}"),
        other => panic!("after the last object: {other:?}"),
    }
}

/// A fresh process: a malformed EAL argument is a clear error quoting DPDK, and the
/// process gets no second attempt (DPDK keeps state from the failed one).
#[test]
fn a_malformed_argument_is_a_clear_error() {
    assert_child_passed(&run_child("child_malformed_argument", &[]));
}

#[test]
#[ignore = "runs in a child process of a_malformed_argument_is_a_clear_error"]
fn child_malformed_argument() {
    require_child();
    // A net_ring device whose ring names DPDK could not make, a NUL byte, and options the
    // EAL cannot parse (DPDK 25.11 would exit the process on them) are refused before
    // the process's one attempt is used.
    match dpdk_tests::builder().vdev("net_ring_name_too_long").build() {
        Err(Error::NameTooLong { max: 17, .. }) => {}
        other => panic!("a long net_ring name gave {other:?}"),
    }
    let refused = |arg: &str, expected: &str| match dpdk_tests::builder().arg(arg).build() {
        Err(Error::InvalidArgument { call, message }) => {
            assert_eq!(call.function, "rte_eal_init");
            assert!(message.contains(expected), "{arg:?}: {message}");
            assert!(message.contains("nothing was initialised"), "{message}");
        }
        other => panic!("{arg:?} gave {other:?}"),
    };
    refused("--file-prefix=a\0b", "NUL");
    refused("--no-such-eal-option", "unknown EAL option \"--no-such-eal-option\"");
    refused("--vmware-tsc-map=yes", "takes no value");
    refused("--main-lcore=1", "given twice");
    refused("--proc-type", "needs a value");
    refused("-h", "exits");
    // Raw devices meet the same policy as typed ones (`vdev`).
    for (raw, expected) in [("--vdev=net_null0,copy=1", "copy=1"), ("--vdev=net_bonding0", "only")]
    {
        match dpdk_tests::builder().arg(raw).build() {
            Err(Error::InvalidArgument { call, message }) => {
                assert_eq!(call.function, "rte_eal_init");
                assert!(message.contains(expected), "{raw:?}: {message}");
            }
            other => panic!("{raw:?} gave {other:?}"),
        }
    }
    // A value only DPDK can judge: its own refusal, with its own words.
    let err = dpdk_tests::builder().arg("--proc-type=bogus").build().unwrap_err();
    match &err {
        Error::EalInit { errno, args, log, .. } => {
            assert_eq!(*errno, 22, "EINVAL");
            assert!(args.contains(&"--proc-type=bogus".to_owned()));
            assert!(
                log.iter().any(|l| l.to_lowercase().contains("invalid process type")),
                "{log:?}"
            );
        }
        other => panic!("a bad process type gave {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("--proc-type=bogus") && text.contains("Invalid argument"), "{text}");
    match dpdk_tests::builder().build() {
        Err(Error::EalAlreadyInitialized { state }) => assert!(state.contains("failed"), "{state}"),
        other => panic!("a second attempt gave {other:?}"),
    }
}

/// Our EAL option table (`dpdk::eal::options`) against the installed EAL itself: the
/// names against what its `--help` lists, and each option's arity by handing DPDK the
/// wrong one and reading its parser's complaint. A release that adds, drops or changes
/// an option fails here, not in a user's process.
#[test]
fn eal_option_table_matches_the_installed_eal() {
    use dpdk::eal::options::{self, Arity};
    let release = options::release();
    let help = raw_eal_init("--help", &["--help"]);
    let mut listed: Vec<String> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == '(')
        .filter_map(|word| {
            let name = word.split(['=', '<']).next()?;
            let long = name.strip_prefix("--").is_some_and(|n| {
                n.starts_with(|c: char| c.is_ascii_lowercase())
                    && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            });
            let short = name.len() == 2
                && name.starts_with('-')
                && name.as_bytes()[1].is_ascii_alphabetic();
            (long || short).then(|| name.to_owned())
        })
        .collect();
    listed.sort();
    listed.dedup();
    let mut ours: Vec<String> = options::known(release).map(|(n, _)| n.to_owned()).collect();
    ours.sort();
    assert_eq!(ours, listed, "our table (left) against DPDK {release:?}'s --help (right)");

    // What the two parsers say: getopt_long (22.11, 24.11) and rte_argparse (25.11).
    const MISSING: [&str; 2] = ["requires an argument", "doesn't have value"];
    const UNWANTED: [&str; 3] = ["doesn't allow an argument", "should not take value", "unknown"];
    const PARSE: [&str; 5] =
        ["requires an argument", "doesn't", "should not", "unrecognized", "unknown argument"];
    let strict_repeats = release >= (25, 11);
    let mut probes: Vec<(String, Vec<String>, &str)> = Vec::new();
    for (name, arity) in options::known(release) {
        let arity_probe = match arity {
            Arity::Required => Some((vec![name.to_owned()], "needs a value")),
            Arity::None if name.starts_with("--") => Some((vec![format!("{name}=x")], "no value")),
            Arity::None => None,
            Arity::Optional => {
                Some((vec![name.to_owned(), "--proc-type=bogus".to_owned()], "optional value"))
            }
        };
        probes.extend(arity_probe.map(|(words, what)| (name.to_owned(), words, what)));
        if strict_repeats && !["-h", "--help", "-v", "--version"].contains(&name) {
            let once: Vec<String> = match arity {
                Arity::Required => vec![name.to_owned(), "x".to_owned()],
                _ => vec![name.to_owned()],
            };
            let mut twice = [once.clone(), once].concat();
            twice.push("--proc-type=bogus".to_owned());
            let what = if options::REPEATABLE.contains(&name) { "repeatable" } else { "once" };
            probes.push((name.to_owned(), twice, what));
        }
    }
    let failures: Vec<String> = std::thread::scope(|scope| {
        let jobs: Vec<_> = probes
            .chunks(probes.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for (name, words, what) in chunk {
                        let words: Vec<&str> = words.iter().map(String::as_str).collect();
                        let out = raw_eal_init(name, &words);
                        let said = |texts: &[&str]| texts.iter().any(|t| out.contains(t));
                        let returned = out.contains("rte_eal_init returned");
                        let ok = match *what {
                            "needs a value" => said(&MISSING),
                            "no value" => said(&UNWANTED),
                            "optional value" => returned && !said(&PARSE),
                            "once" => out.contains("multiple times"),
                            _ => !out.contains("multiple times"),
                        };
                        if !ok {
                            failures.push(format!("{name} ({what}), {words:?}:\n{out}"));
                        }
                    }
                    failures
                })
            })
            .collect();
        jobs.into_iter().flat_map(|j| j.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "DPDK {release:?} disagrees:\n{}", failures.join("\n"));
}

/// Output (stdout and stderr) of a child that calls `rte_eal_init` itself with `words`
/// after a few options that keep it from touching anything shared (unless `probed` is
/// one of them), bypassing our checks.
fn raw_eal_init(probed: &str, words: &[&str]) -> String {
    let mut all: Vec<&str> =
        ["--no-pci", "--in-memory"].into_iter().filter(|w| *w != probed).collect();
    all.extend(words);
    let joined = all.join("\u{1f}");
    let out = run_child_quiet("child_raw_eal_init", &[("DPDK_RS_RAW_EAL_WORDS", &joined)]);
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
#[ignore = "runs in a child process of eal_option_table_matches_the_installed_eal"]
fn child_raw_eal_init() {
    require_child();
    let words = std::env::var("DPDK_RS_RAW_EAL_WORDS").unwrap();
    let mut args = vec![std::ffi::CString::new("dpdk-tests").unwrap()];
    args.extend(words.split('\u{1f}').map(|w| std::ffi::CString::new(w).unwrap()));
    let mut argv: Vec<*mut std::ffi::c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    // SAFETY: argv holds valid NUL-terminated strings that outlive the call (the process
    // exits right after it); nothing else in this child initialises DPDK.
    let rc = unsafe { dpdk::ffi::rte_eal_init(argv.len() as i32, argv.as_mut_ptr()) };
    println!("rte_eal_init returned {rc}");
    std::process::exit(0);
}

#[test]
#[ignore = "runs in a child process of lifecycle_in_a_fresh_process"]
fn child_lifecycle() {
    require_child();
    let eal = dpdk_tests::builder().build().expect("rte_eal_init");
    let other = eal.clone();
    match eal.close() {
        Err(Error::EalInUse { references: 1 }) => {}
        other => panic!("close with a clone alive gave {other:?}"),
    }
    other.close().expect("rte_eal_cleanup");
    match dpdk_tests::builder().build() {
        Err(Error::EalAlreadyInitialized { state }) => assert!(state.contains("cleaned up")),
        other => panic!("init after cleanup gave {other:?}"),
    }
    let err = SocketId::new(0).unwrap_err();
    assert!(matches!(err, Error::EalNotRunning { .. }), "{err:?}");
    // DPDK's memory tables are gone: lookups by address answer None instead of crashing.
    assert_eq!(dpdk::malloc::socket_of(0x1000 as *const u8), None);
    assert_eq!(dpdk::malloc::page_size_of(0x1000 as *const u8), None);
}
