//! SocketBox, heap statistics and memzones against the real DPDK heaps.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use dpdk::malloc::{HeapStats, CACHE_LINE};
use dpdk::memzone::MemzoneInfo;
use dpdk::{Error, IovaMode, Memory, Memzone, MemzoneOptions, PageSize, SocketBox, SocketId};
use dpdk_tests::{eal, logged, memory_mode, unique_name};

/// Tests of this file take turns: they compare heap statistics, which every allocation
/// in the process moves.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    eal();
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn socket() -> SocketId {
    eal().sockets()[0]
}

/// Runs `work` and asserts the heap of `socket()` ends as it began.
fn leaves_heap_as_it_was(work: impl FnOnce()) {
    let before = HeapStats::of(socket()).unwrap();
    work();
    let after = HeapStats::of(socket()).unwrap();
    assert_eq!(after.alloc_count, before.alloc_count, "allocations left behind");
    assert_eq!(after.allocated_bytes, before.allocated_bytes, "bytes left behind");
}

#[test]
fn a_socketbox_holds_a_value_on_the_socket_asked_for() {
    let _serial = serial();
    leaves_heap_as_it_was(|| {
        let mut b = SocketBox::new([7u64; 16], socket());
        b[3] = 9;
        assert_eq!(b.iter().sum::<u64>(), 7 * 15 + 9);
        assert_eq!(b.as_ptr() as usize % CACHE_LINE, 0);
        assert_eq!(b.socket(), Some(socket()), "memseg of the address");
        assert!(b.validate().unwrap() >= 128);
        assert_eq!(format!("{:?}", SocketBox::new(5u8, socket())), "5");
        assert_eq!(SocketBox::new(3, socket()), SocketBox::new(3, socket()));
        assert!(SocketBox::new(1, socket()) < SocketBox::new(2, socket()));
        let c = b.clone();
        assert_eq!(*c, *b);
        assert_eq!(SocketBox::into_inner(c)[3], 9);
        // ANY lets DPDK pick; the box still reports where the memory is.
        let any = SocketBox::new(1u32, SocketId::ANY);
        assert!(eal().sockets().contains(&any.socket().unwrap()));
    });
}

#[test]
fn alignment_follows_the_cache_line_the_type_and_the_request() {
    let _serial = serial();
    #[repr(align(256))]
    struct Wide(#[allow(dead_code)] u8);
    let w = SocketBox::new(Wide(1), socket());
    assert_eq!(w.as_ptr() as usize % 256, 0);
    let page = SocketBox::try_new_aligned(0u8, socket(), 4096).unwrap();
    assert_eq!(page.as_ptr() as usize % 4096, 0);
    let slice = SocketBox::<[u16]>::try_new_uninit_slice(10, socket(), 8192).unwrap();
    assert_eq!(slice.as_ptr() as *const u8 as usize % 8192, 0);
    // A bad alignment is an error that hands the value back.
    let err = SocketBox::try_new_aligned(String::from("kept"), socket(), 48).unwrap_err();
    assert!(matches!(err.error, Error::InvalidArgument { .. }), "{:?}", err.error);
    assert!(err.error.to_string().contains("48 is not a power of two"), "{}", err.error);
    assert_eq!(err.value, "kept");
}

#[test]
fn zero_sized_values_and_empty_slices_take_no_memory() {
    let _serial = serial();
    leaves_heap_as_it_was(|| {
        let unit = SocketBox::new((), socket());
        assert_eq!(unit.socket(), None);
        assert_eq!(unit.iova(), None);
        let empty = SocketBox::<[u64]>::from_slice(&[], socket());
        assert_eq!(empty.len(), 0);
        let zsts = SocketBox::from_fn(5, socket(), |_| ());
        assert_eq!(zsts.len(), 5);
        // The alignment asked for holds without memory too.
        for align in [64, 4096, 1 << 21] {
            let empty = SocketBox::<[u8]>::try_new_uninit_slice(0, socket(), align).unwrap();
            assert_eq!(empty.as_ptr().cast::<u8>() as usize % align, 0, "empty, {align}");
            let zsts = SocketBox::<[()]>::try_new_uninit_slice(3, socket(), align).unwrap();
            assert_eq!(zsts.as_ptr().cast::<u8>() as usize % align, 0, "zero-sized, {align}");
            let zeroed = SocketBox::<[u64]>::try_new_zeroed_slice(0, socket()).unwrap();
            assert_eq!(zeroed.as_ptr().cast::<u8>() as usize % 8, 0);
        }
    });
}

#[test]
fn uninit_zeroed_and_slices() {
    let _serial = serial();
    leaves_heap_as_it_was(|| {
        let z = SocketBox::<[u64; 64]>::new_zeroed(socket());
        // SAFETY: all-zero is a valid [u64; 64].
        let z = unsafe { z.assume_init() };
        assert!(z.iter().all(|&x| x == 0));
        let u = SocketBox::<String>::new_uninit(socket()).write("written".into());
        assert_eq!(*u, "written");
        let zs = SocketBox::<[u32]>::new_zeroed_slice(1000, socket());
        // SAFETY: all-zero is a valid u32.
        let zs = unsafe { zs.assume_init() };
        assert_eq!(zs.len(), 1000);
        assert!(zs.iter().all(|&x| x == 0));
        let copy = SocketBox::from_slice(&["a".to_owned(), "b".to_owned()], socket());
        assert_eq!(copy.concat(), "ab");
        let squares = SocketBox::from_fn(100, socket(), |i| i * i);
        assert_eq!(squares[99], 9801);
        let mut raw: SocketBox<[MaybeUninit<u8>]> =
            SocketBox::<[u8]>::try_new_uninit_slice(3, socket(), 64).unwrap();
        raw.iter_mut().for_each(|b| {
            b.write(1);
        });
        // SAFETY: every element was written.
        assert_eq!(&*unsafe { raw.assume_init() }, &[1, 1, 1]);
    });
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Counted(#[allow(dead_code)] u64);

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn values_are_dropped_once_and_a_panicking_constructor_loses_nothing() {
    let _serial = serial();
    leaves_heap_as_it_was(|| {
        DROPS.store(0, Ordering::Relaxed);
        drop(SocketBox::new(Counted(1), socket()));
        assert_eq!(DROPS.load(Ordering::Relaxed), 1);
        drop(SocketBox::from_fn(10, socket(), |i| Counted(i as u64)));
        assert_eq!(DROPS.load(Ordering::Relaxed), 11);
        let inner = SocketBox::into_inner(SocketBox::new(Counted(2), socket()));
        assert_eq!(DROPS.load(Ordering::Relaxed), 11);
        drop(inner);
        assert_eq!(DROPS.load(Ordering::Relaxed), 12);
        let outcome = std::panic::catch_unwind(|| {
            SocketBox::from_fn(10, socket(), |i| if i == 6 { panic!("at 6") } else { Counted(0) })
        });
        assert!(outcome.is_err());
        assert_eq!(DROPS.load(Ordering::Relaxed), 18, "the six made before the panic");
    });
}

#[test]
fn raw_pointers_round_trip() {
    let _serial = serial();
    leaves_heap_as_it_was(|| {
        let b = SocketBox::from_slice(&[1u32, 2, 3], socket());
        let raw = SocketBox::into_raw(b);
        // SAFETY: `raw` came from into_raw just above and is taken back once.
        let back = unsafe { SocketBox::from_raw(raw) };
        assert_eq!(&*back, &[1, 2, 3]);
    });
}

#[test]
fn send_and_sync_follow_the_value() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    is_send::<SocketBox<u64>>();
    is_sync::<SocketBox<[u64]>>();
    is_send::<SocketBox<std::sync::Mutex<u8>>>();
    is_sync::<SocketBox<std::sync::Mutex<u8>>>();
    is_send::<SocketBox<std::cell::Cell<u8>>>(); // Cell is Send, not Sync
    is_send::<Memzone>();
    is_sync::<dpdk::MemzoneRef>();
}

#[test]
fn io_addresses_match_the_iova_mode() {
    let _serial = serial();
    let b = SocketBox::new([0u8; 256], socket());
    let iova = b.iova();
    match eal().iova_mode() {
        IovaMode::Va => assert_eq!(iova, Some(b.as_ptr() as u64)),
        IovaMode::Pa => {
            let iova = iova.expect("hugepage memory has a physical address");
            assert_ne!(iova, b.as_ptr() as u64);
            assert_eq!(iova % CACHE_LINE as u64, 0);
        }
    }
}

#[test]
fn an_exhausted_heap_is_an_error_and_smaller_requests_still_work() {
    let _serial = serial();
    let huge = 64usize << 30; // 64 GiB: more than this machine's hugepages
    let err = SocketBox::<[u8]>::try_new_zeroed_slice(huge, socket()).unwrap_err();
    assert!(matches!(err, Error::NoMemory { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("size={huge}")), "{err}");
    let err = SocketBox::<[u64]>::try_new_zeroed_slice(usize::MAX / 4, socket()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let small = SocketBox::<[u8]>::try_new_zeroed_slice(1 << 20, socket()).unwrap();
    assert_eq!(small.len(), 1 << 20);
}

#[test]
fn heap_statistics_see_allocations_and_the_dump_reaches_the_log() {
    let _serial = serial();
    let before = HeapStats::of(socket()).unwrap();
    let block = SocketBox::<[u8]>::new_zeroed_slice(100_000, socket());
    let during = HeapStats::of(socket()).unwrap();
    assert_eq!(during.alloc_count, before.alloc_count + 1);
    assert!(during.allocated_bytes >= before.allocated_bytes + 100_000);
    assert!(during.total_bytes >= during.allocated_bytes + during.free_bytes - 1);
    drop(block);
    assert_eq!(HeapStats::of(socket()).unwrap(), before);
    let err = HeapStats::of(SocketId::ANY).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    dpdk::malloc::dump_heaps_to_log().unwrap();
    assert!(!logged(|r| r.target == "dpdk::heap").is_empty());
}

fn zone_info(name: &str) -> Option<MemzoneInfo> {
    Memzone::walk().unwrap().into_iter().find(|z| z.name == name)
}

#[test]
fn a_memzone_is_reserved_written_found_and_freed() {
    let _serial = serial();
    let name = unique_name("mz");
    leaves_heap_as_it_was(|| {
        let options = MemzoneOptions::new().align(4096).iova_contiguous(true);
        let mut zone = Memzone::reserve(&name, 10_000, socket(), options).unwrap();
        assert_eq!(zone.name(), name);
        // DPDK rounds the length up to a whole cache line.
        assert_eq!(zone.len(), 10_000usize.next_multiple_of(CACHE_LINE));
        assert_eq!(zone.socket(), socket());
        assert_eq!(zone.as_ptr() as usize % 4096, 0);
        let page = match memory_mode() {
            Memory::Hugepages => 2 << 20,
            Memory::NoHuge => 4096,
        };
        assert_eq!(zone.hugepage_size(), page);
        if eal().iova_mode() == IovaMode::Va {
            assert_eq!(zone.iova(), zone.as_ptr() as u64);
        }
        zone.as_mut_slice()[..4].copy_from_slice(b"abcd");
        assert_eq!(&zone.as_slice()[..4], b"abcd");
        assert_eq!(zone_info(&name).unwrap(), *zone.info());
        // This process owns it: a second, aliasing handle is refused.
        let err = Memzone::lookup(&name).unwrap_err();
        assert!(matches!(err, Error::Busy { .. }), "{err:?}");
        drop(zone);
        assert!(zone_info(&name).is_none());
        let err = Memzone::lookup(&name).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        let zone = Memzone::reserve(&name, 64, socket(), MemzoneOptions::new()).unwrap();
        zone.free().map_err(|(_, e)| e).unwrap();
        assert!(zone_info(&name).is_none());
    });
}

#[test]
fn memzone_page_sizes_and_boundaries() {
    let _serial = serial();
    let two_mb = MemzoneOptions::new().page_size(PageSize::Huge2M);
    match memory_mode() {
        Memory::Hugepages => {
            let zone = Memzone::reserve(&unique_name("mz2m"), 4096, socket(), two_mb).unwrap();
            assert_eq!(zone.hugepage_size(), 2 << 20);
        }
        Memory::NoHuge => {
            let err = Memzone::reserve(&unique_name("mz2m"), 4096, socket(), two_mb).unwrap_err();
            assert!(matches!(err, Error::NoMemory { .. }), "{err:?}");
            let hint = two_mb.size_hint_only(true);
            let zone = Memzone::reserve(&unique_name("mzh"), 4096, socket(), hint).unwrap();
            assert_eq!(zone.hugepage_size(), 4096);
        }
    }
    // 1 GiB pages: a zone on them when the machine has some for DPDK, NoMemory otherwise
    // (which is what this machine's kernel says, not a guess about the host).
    let one_gb = MemzoneOptions::new().page_size(PageSize::Huge1G);
    let gigantic: u64 = dpdk::numa::Topology::read()
        .unwrap()
        .nodes
        .iter()
        .flat_map(|n| &n.hugepages)
        .filter(|p| p.page_size_bytes == 1 << 30)
        .map(|p| p.total)
        .sum();
    match Memzone::reserve(&unique_name("mz1g"), 4096, socket(), one_gb) {
        Ok(zone) => {
            assert_eq!(zone.hugepage_size(), 1 << 30);
            assert!(memory_mode() == Memory::Hugepages && gigantic > 0, "1 GiB from nowhere");
        }
        Err(Error::NoMemory { .. }) => {}
        Err(other) => panic!("a zone on 1 GiB pages ({gigantic} reserved): {other:?}"),
    }
    let bounded = MemzoneOptions::new().boundary(8192);
    let zone = Memzone::reserve(&unique_name("mzb"), 8000, socket(), bounded).unwrap();
    let start = zone.as_ptr() as usize;
    assert_eq!(start / 8192, (start + 7999) / 8192, "crosses an 8 KiB boundary");
}

#[test]
fn bad_memzone_requests_are_clear_errors_that_lose_nothing() {
    let _serial = serial();
    let opts = MemzoneOptions::new();
    let s = socket();
    leaves_heap_as_it_was(|| {
        let e = Memzone::reserve("", 64, s, opts).unwrap_err();
        assert!(matches!(e, Error::InvalidName { .. }), "{e:?}");
        let e = Memzone::reserve("bad\0name", 64, s, opts).unwrap_err();
        assert!(matches!(e, Error::InvalidName { .. }), "{e:?}");
        let long = "z".repeat(32);
        let e = Memzone::reserve(&long, 64, s, opts).unwrap_err();
        assert!(matches!(e, Error::NameTooLong { len: 32, max: 31, .. }), "{e:?}");
        let name = unique_name("dup");
        let zone = Memzone::reserve(&name, 64, s, opts).unwrap();
        let e = Memzone::reserve(&name, 64, s, opts).unwrap_err();
        assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
        assert!(e.to_string().contains(&name), "{e}");
        let e = Memzone::reserve(&unique_name("zero"), 0, s, opts).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        let e = Memzone::reserve(&unique_name("al"), 64, s, opts.align(100)).unwrap_err();
        assert!(e.to_string().contains("alignment 100 is not a power of two"), "{e}");
        let e = Memzone::reserve(&unique_name("bd"), 64, s, opts.boundary(32)).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        let e = Memzone::reserve(&unique_name("big"), 64 << 30, s, opts).unwrap_err();
        assert!(matches!(e, Error::NoMemory { .. }), "{e:?}");
        // The failures took nothing: the first zone is intact and more can be reserved.
        assert_eq!(zone_info(&name).unwrap().len, 64);
        drop(Memzone::reserve(&unique_name("after"), 1 << 20, s, opts).unwrap());
        drop(zone);
    });
    let e = SocketId::new(7).unwrap_err();
    assert!(matches!(e, Error::UnknownSocket { .. }), "a socket DPDK does not have: {e:?}");
}
