//! A primary and a secondary process share hugepage memory: a memzone reserved by the
//! primary is found by name in the secondary, data crosses both ways, and memory
//! allocated in one process is freed in the other.
//!
//! The test process starts a primary child (its own file prefix, no `--in-memory`), which
//! starts the secondary child. Without hugepages there is no shared memory to attach to,
//! and the test says so.

use std::ptr;
use std::sync::atomic::Ordering;

use dpdk::malloc::HeapStats;
use dpdk::{
    Eal, EalBuilder, Error, Memory, Memzone, MemzoneOptions, ProcessType, SocketBox, SocketId,
};
use dpdk_tests::{
    assert_child_passed, memory_mode, remove_runtime_files, require_child, run_child,
};

const PREFIX_ENV: &str = "DPDK_RS_MP_PREFIX";

/// Word indexes of the shared zone's protocol (64-bit words).
const STATE: usize = 0; // 1: primary ready, 2: secondary done
const PRIMARY_PTR: usize = 1; // a SocketBox<[u64]> the primary gave up, for the secondary to free
const PRIMARY_LEN: usize = 2;
const SECONDARY_PTR: usize = 3; // a SocketBox<[u8]> the secondary gave up, for the primary to free
const SECONDARY_LEN: usize = 4;
const SECONDARY_ERRNO: usize = 5; // what a refused call answered in the secondary
const TEXT_AT: usize = 1024; // bytes the primary wrote
const REPLY_AT: usize = 2048; // bytes the secondary wrote

const GREETING: &[u8] = b"hello from the primary";
const REPLY: &[u8] = b"hello back from the secondary";
const SECONDARY_NOTE: &[u8] = b"allocated by the secondary";

fn zone_name(prefix: &str) -> String {
    format!("{prefix}_zone")
}

fn mp_builder(prefix: &str, kind: ProcessType, lcore: u32) -> EalBuilder {
    EalBuilder::new()
        .program("dpdk-mp-test")
        .lcores([lcore])
        .file_prefix(prefix)
        .process_type(kind)
        .no_pci(true)
        .memory(Memory::Hugepages)
}

#[test]
fn primary_and_secondary_share_memory() {
    if memory_mode() == Memory::NoHuge {
        eprintln!(
            "\n*** primary_and_secondary_share_memory: NOT RUN in --no-huge mode. A secondary \
             attaches to the primary's hugepage files; --no-huge memory is private to one \
             process, so there is nothing to share. The hugepage pass runs this test. ***\n"
        );
        return;
    }
    let prefix = format!("rsmp{}", std::process::id());
    let output = run_child("child_primary", &[(PREFIX_ENV, &prefix)]);
    remove_runtime_files(&prefix);
    assert_child_passed(&output);
}

#[test]
#[ignore = "runs in a child process of primary_and_secondary_share_memory"]
fn child_primary() {
    require_child();
    let prefix = std::env::var(PREFIX_ENV).expect("the parent names the file prefix");
    let eal = mp_builder(&prefix, ProcessType::Primary, 0).build().expect("primary EAL");
    assert_eq!(eal.process_type(), ProcessType::Primary);
    let socket = SocketId::current();

    let mut zone =
        Memzone::reserve(&zone_name(&prefix), 4096, socket, MemzoneOptions::new()).unwrap();
    zone.as_mut_slice()[TEXT_AT..TEXT_AT + GREETING.len()].copy_from_slice(GREETING);
    let squares = SocketBox::from_fn(1000, socket, |i| (i * i) as u64);
    let words = zone.atomic_u64();
    words[PRIMARY_LEN].store(squares.len() as u64, Ordering::Relaxed);
    words[PRIMARY_PTR].store(SocketBox::into_raw(squares) as *mut u64 as u64, Ordering::Relaxed);
    words[STATE].store(1, Ordering::Release);
    let before = HeapStats::of(socket).unwrap();

    assert_child_passed(&run_child("child_secondary", &[(PREFIX_ENV, &prefix)]));

    let words = zone.atomic_u64();
    assert_eq!(words[STATE].load(Ordering::Acquire), 2, "the secondary finished");
    let after = HeapStats::of(socket).unwrap();
    // The secondary freed the primary's block and left one of its own.
    assert_eq!(after.alloc_count, before.alloc_count, "one freed, one allocated");
    let errno = words[SECONDARY_ERRNO].load(Ordering::Relaxed) as i32;
    assert_eq!(errno, 22, "rte_thread_register in the secondary: EINVAL");
    let (p, len) = (
        words[SECONDARY_PTR].load(Ordering::Relaxed),
        words[SECONDARY_LEN].load(Ordering::Relaxed),
    );
    let reply = &zone.as_slice()[REPLY_AT..REPLY_AT + REPLY.len()];
    assert_eq!(reply, REPLY);

    // Free, in the primary, what the secondary allocated.
    let raw = ptr::slice_from_raw_parts_mut(p as *mut u8, len as usize);
    // SAFETY: the secondary gave up this SocketBox<[u8]> with into_raw, once.
    let note = unsafe { SocketBox::from_raw(raw) };
    assert_eq!(&*note, SECONDARY_NOTE);
    drop(note);
    assert_eq!(HeapStats::of(socket).unwrap().alloc_count, before.alloc_count - 1);

    drop(zone);
    eal.close().expect("primary cleanup");
}

#[test]
#[ignore = "runs in a child process of child_primary"]
fn child_secondary() {
    require_child();
    let prefix = std::env::var(PREFIX_ENV).expect("the primary names the file prefix");
    let eal: Eal = mp_builder(&prefix, ProcessType::Secondary, 1).build().expect("secondary EAL");
    assert_eq!(eal.process_type(), ProcessType::Secondary);

    let zone = Memzone::lookup(&zone_name(&prefix)).expect("the primary's zone");
    // SAFETY: the primary keeps the zone reserved until this process has exited (it waits
    // for us), and nothing in this process holds references into it.
    let words = unsafe { zone.atomic_u64() };
    assert_eq!(words[STATE].load(Ordering::Acquire), 1, "the primary is ready");
    // SAFETY: as for `words`.
    let bytes = unsafe { zone.atomic_u8() };
    let greeting: Vec<u8> = bytes[TEXT_AT..TEXT_AT + GREETING.len()]
        .iter()
        .map(|b| b.load(Ordering::Relaxed))
        .collect();
    assert_eq!(greeting, GREETING);

    // Same virtual address in both processes: the primary's box is readable and freeable here.
    let (p, len) =
        (words[PRIMARY_PTR].load(Ordering::Relaxed), words[PRIMARY_LEN].load(Ordering::Relaxed));
    let raw = ptr::slice_from_raw_parts_mut(p as *mut u64, len as usize);
    // SAFETY: the primary gave up this SocketBox<[u64]> with into_raw, for us to take once.
    let squares = unsafe { SocketBox::from_raw(raw) };
    assert_eq!(squares.len(), 1000);
    assert!(squares.iter().enumerate().all(|(i, &v)| v == (i * i) as u64));
    drop(squares);

    let note = SocketBox::from_slice(SECONDARY_NOTE, SocketId::current());
    words[SECONDARY_LEN].store(note.len() as u64, Ordering::Relaxed);
    words[SECONDARY_PTR].store(SocketBox::into_raw(note) as *mut u8 as u64, Ordering::Relaxed);

    // A call DPDK refuses in a multi-process application.
    let errno = probe_refused_call(&eal);
    words[SECONDARY_ERRNO].store(errno as u64, Ordering::Relaxed);

    for (i, b) in REPLY.iter().enumerate() {
        bytes[REPLY_AT + i].store(*b, Ordering::Relaxed);
    }
    words[STATE].store(2, Ordering::Release);
    drop(zone);
    eal.close().expect("secondary cleanup");
}

/// What DPDK refuses in a multi-process application. DPDK 22.11's EAL and memory calls
/// all work in secondaries (none returns `E_RTE_SECONDARY`: in librte_eal only
/// `rte_strerror` knows the value), but registering a non-EAL thread is refused once
/// multi-process is in use; the error must be typed and say what DPDK said.
fn probe_refused_call(eal: &Eal) -> i32 {
    let err =
        std::thread::scope(|s| s.spawn(|| eal.register_thread().unwrap_err()).join().unwrap());
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().starts_with("rte_thread_register(): "), "{err}");
    err.errno().unwrap()
}
