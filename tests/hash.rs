//! The typed hash table against the real `rte_hash`.

use std::sync::atomic::{AtomicUsize, Ordering};

use dpdk::hash::{Hash, HashFunction, HashOptions, Signature, BULK_MAX};
use dpdk::{Error, SocketId};
use dpdk_tests::{eal, unique_name, worker_turn};

fn socket() -> SocketId {
    eal().sockets()[0]
}

fn key(i: u32) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..4].copy_from_slice(&i.to_le_bytes());
    k[8..12].copy_from_slice(&(i ^ 0xA5A5_A5A5).to_le_bytes());
    k
}

#[test]
fn insert_get_replace_remove() {
    eal();
    let mut t: Hash<[u8; 16], String> =
        Hash::new(&unique_name("h"), 1024, socket(), HashOptions::new()).unwrap();
    for i in 0..500 {
        assert_eq!(t.insert(key(i), format!("v{i}")).unwrap(), None);
    }
    assert_eq!(t.len(), 500);
    assert_eq!(t.get(&key(42)).map(String::as_str), Some("v42"));
    assert_eq!(t.insert(key(42), "new".into()).unwrap().as_deref(), Some("v42"));
    assert_eq!(t.len(), 500, "a replace adds no key");
    t.get_mut(&key(7)).unwrap().push('!');
    assert_eq!(t.get(&key(7)).unwrap(), "v7!");
    assert_eq!(t.remove(&key(42)).as_deref(), Some("new"));
    assert_eq!(t.remove(&key(42)), None);
    assert!(!t.contains_key(&key(42)));
    assert!(t.get(&key(9999)).is_none());
    let sig = t.signature(&key(3));
    assert_eq!(t.get_with_signature(&key(3), sig).unwrap(), "v3");
    assert_eq!(
        t.get_with_signature(&key(3), Signature(sig.0 ^ 1)),
        None,
        "a wrong signature misses"
    );
    let mut seen: Vec<u32> =
        t.iter().map(|(k, _)| u32::from_le_bytes(k[..4].try_into().unwrap())).collect();
    seen.sort_unstable();
    assert_eq!(seen.len(), 499);
    assert!(seen.iter().all(|&i| i < 500 && i != 42));
    for (k, v) in t.iter() {
        let i = u32::from_le_bytes(k[..4].try_into().unwrap());
        assert!(v.starts_with(&format!("v{i}")), "{v} for {i}");
    }
}

#[test]
fn bulk_lookups_fill_the_callers_buffer() {
    eal();
    let mut t: Hash<u64, u64> =
        Hash::new(&unique_name("hb"), 4096, socket(), HashOptions::new()).unwrap();
    for i in (0..2000u64).step_by(2) {
        t.insert(i, i * 10).unwrap();
    }
    let keys: Vec<u64> = (100..100 + BULK_MAX as u64).collect();
    let mut out = [None; BULK_MAX];
    assert_eq!(t.get_bulk(&keys, &mut out), BULK_MAX / 2);
    for (k, v) in keys.iter().zip(out) {
        assert_eq!(v.copied(), (k % 2 == 0).then_some(k * 10), "key {k}");
    }
    let mut few = [None; 3];
    assert_eq!(t.get_bulk(&[4, 5, 6], &mut few), 2);
    assert_eq!(few, [Some(&40), None, Some(&60)]);

    let hits = t.lookup_bulk(&keys);
    assert_eq!((hits.len(), hits.found()), (BULK_MAX, BULK_MAX / 2));
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(hits.get(i).copied(), (k % 2 == 0).then_some(k * 10), "key {k}");
        assert_eq!(hits.contains(i), k % 2 == 0);
    }
    assert!(t.lookup_bulk(&[]).is_empty());
    assert!(std::panic::catch_unwind(|| t.lookup_bulk(&[1]).get(1)).is_err(), "past the end");
    assert!(std::panic::catch_unwind(|| t.lookup_bulk(&[0; BULK_MAX + 1]).len()).is_err());
}

/// Bulk lookups given each key's signature find what plain ones find, and a wrong
/// signature only makes its key miss.
#[test]
fn bulk_lookups_with_signatures() {
    eal();
    let opts = HashOptions::new().hash_function(HashFunction::Custom(xor_hash));
    let mut t: Hash<[u8; 16], u32> = Hash::new(&unique_name("hs"), 1024, socket(), opts).unwrap();
    for i in (0..400).step_by(2) {
        t.insert(key(i), i).unwrap();
    }
    let keys: Vec<[u8; 16]> = (100..100 + BULK_MAX as u32).map(key).collect();
    let refs: Vec<&[u8; 16]> = keys.iter().collect();
    let mut sigs: Vec<Signature> = keys.iter().map(|k| t.signature(k)).collect();
    let signed = t.lookup_bulk_refs_with_signatures(&refs, &sigs);
    let plain = t.lookup_bulk_refs(&refs);
    assert_eq!(signed.found(), BULK_MAX / 2);
    assert!((0..BULK_MAX).all(|i| signed.get(i) == plain.get(i)));
    // Key 100 is present: a signature off by one sends it to other buckets.
    sigs[0] = Signature(sigs[0].0 ^ 0x8000_0001);
    let wrong = t.lookup_bulk_refs_with_signatures(&refs, &sigs);
    assert_eq!((wrong.get(0), wrong.get(2)), (None, Some(&102)));
    let short =
        std::panic::catch_unwind(|| t.lookup_bulk_refs_with_signatures(&refs, &sigs[..1]).len());
    assert!(short.is_err(), "a signature for each key");
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Tracked;

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn values_are_dropped_by_clear_remove_replace_and_drop() {
    eal();
    DROPS.store(0, Ordering::Relaxed);
    let mut t: Hash<u32, Tracked> =
        Hash::new(&unique_name("hd"), 256, socket(), HashOptions::new()).unwrap();
    for i in 0..100 {
        assert!(t.insert(i, Tracked).unwrap().is_none());
    }
    drop(t.insert(5, Tracked).unwrap()); // the replaced value
    assert_eq!(DROPS.load(Ordering::Relaxed), 1);
    drop(t.remove(&6));
    assert_eq!(DROPS.load(Ordering::Relaxed), 2);
    t.clear();
    assert_eq!(DROPS.load(Ordering::Relaxed), 101);
    assert!(t.is_empty());
    for i in 0..10 {
        t.insert(i, Tracked).unwrap();
    }
    drop(t);
    assert_eq!(DROPS.load(Ordering::Relaxed), 111);
}

#[test]
fn a_full_table_is_a_typed_error_that_loses_nothing() {
    eal();
    // Without extendable buckets the table fills up before its capacity.
    let mut t: Hash<u32, u32> =
        Hash::new(&unique_name("hf"), 64, socket(), HashOptions::new()).unwrap();
    let mut stored = 0;
    let full = loop {
        match t.insert(stored, stored) {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 10_000, "never full");
    };
    assert!(matches!(full.error, Error::TableFull { .. }), "{:?}", full.error);
    assert_eq!((full.key, full.value), (stored, stored), "key and value come back");
    assert!(full.error.to_string().contains("the table is full"));
    assert_eq!(t.len(), stored as usize);
    assert!((0..stored).all(|i| t.get(&i) == Some(&i)), "nothing lost");
    // With extendable buckets it holds its capacity.
    let opts = HashOptions::new().extendable_buckets(true);
    let mut ext: Hash<u32, u32> = Hash::new(&unique_name("he"), 64, socket(), opts).unwrap();
    for i in 0..64 {
        ext.insert(i, i).unwrap();
    }
    assert_eq!(ext.len(), 64);
}

unsafe extern "C" fn xor_hash(key: *const std::ffi::c_void, len: u32, init: u32) -> u32 {
    // SAFETY: DPDK passes `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(key.cast::<u8>(), len as usize) };
    bytes.iter().fold(init, |h, &b| h.rotate_left(5) ^ u32::from(b))
}

#[test]
fn hash_functions_can_be_chosen() {
    eal();
    for f in [HashFunction::Crc, HashFunction::Jhash, HashFunction::Custom(xor_hash)] {
        let opts = HashOptions::new().hash_function(f).seed(42);
        let mut t: Hash<[u32; 2], u8> = Hash::new(&unique_name("hf"), 128, socket(), opts).unwrap();
        for i in 0..50 {
            t.insert([i, !i], i as u8).unwrap();
        }
        assert!((0..50).all(|i| t.get(&[i, !i]) == Some(&(i as u8))), "{f:?}");
    }
    let custom = HashOptions::new().hash_function(HashFunction::Custom(xor_hash));
    let t: Hash<u16, u8> = Hash::new(&unique_name("hc"), 16, socket(), custom).unwrap();
    // SAFETY: the key is 2 plain bytes.
    assert_eq!(t.signature(&0x0102).0, unsafe {
        xor_hash((&0x0102u16 as *const u16).cast(), 2, 0)
    });
}

#[test]
fn many_lcores_read_at_once() {
    let eal = eal();
    let _turn = worker_turn();
    let mut t: Hash<u64, u64> =
        Hash::new(&unique_name("hr"), 8192, socket(), HashOptions::new()).unwrap();
    for i in 0..4000 {
        t.insert(i, i + 1).unwrap();
    }
    let t = &t;
    let check = move || (0..4000u64).filter(|i| t.get(i) == Some(&(i + 1))).count();
    let (a, b) = eal.scope(|s| {
        let job = s.launch(eal.workers()[0], check).unwrap();
        let here = check();
        (job.join().unwrap(), here)
    });
    assert_eq!((a, b), (4000, 4000));
}

#[test]
fn bad_requests_are_clear_errors() {
    eal();
    let s = socket();
    let o = HashOptions::new();
    let e = Hash::<u32, u32>::new(&unique_name("z"), 0, s, o).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    let e =
        Hash::<u32, u32>::new(&unique_name("m"), dpdk::hash::CAPACITY_MAX + 1, s, o).unwrap_err();
    assert!(e.to_string().contains("is not in 1..="), "{e}");
    let long = "h".repeat(dpdk::hash::NAME_MAX + 1);
    let e = Hash::<u32, u32>::new(&long, 64, s, o).unwrap_err();
    assert!(matches!(e, Error::NameTooLong { .. }), "{e:?}");
    let name = unique_name("dup");
    let _first = Hash::<u32, u32>::new(&name, 64, s, o).unwrap();
    let e = Hash::<u32, u32>::new(&name, 64, s, o).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    let jhash = o.hash_function(HashFunction::Jhash);
    let e = Hash::<[u8; 6], u32>::new(&unique_name("j"), 64, s, jhash).unwrap_err();
    assert!(e.to_string().contains("multiple of 4"), "{e}");
}

#[test]
fn names_are_refused_where_dpdk_would_cut_them() {
    // DPDK names a table's internal rings after it (`RG_HT_<name>`, `RG_HT_EXT_<name>`):
    // past the limit it cut them, and two names that differ only at the end collided with
    // a false AlreadyExists. At the limit, both are tables of their own; past it, NameTooLong.
    eal();
    let s = socket();
    // The process id makes the names unique among test processes; letters fill the rest.
    let named = |len: usize, last: char| {
        let id = std::process::id().to_string();
        format!("{id}{}{last}", "n".repeat(len - id.len() - 1))
    };
    for (extendable, max) in
        [(false, dpdk::hash::NAME_MAX), (true, dpdk::hash::NAME_MAX_EXTENDABLE)]
    {
        let o = HashOptions::new().extendable_buckets(extendable);
        let a = Hash::<u32, u8>::new(&named(max, 'a'), 64, s, o).unwrap();
        let b = Hash::<u32, u8>::new(&named(max, 'b'), 64, s, o)
            .expect("a name at the limit is the table's own");
        match Hash::<u32, u8>::new(&named(max + 1, 'c'), 64, s, o) {
            Err(Error::NameTooLong { max: m, .. }) => assert_eq!(m, max),
            other => panic!("extendable={extendable}: a name past the limit: {other:?}"),
        }
        let lf = dpdk::hash_lf::ConcurrentHash::<u32, u8>::new(&named(max + 1, 'd'), 64, s, o, 1);
        assert!(matches!(lf, Err(Error::NameTooLong { .. })), "{:?}", lf.err());
        drop((a, b));
    }
    assert_eq!((dpdk::hash::NAME_MAX, dpdk::hash::NAME_MAX_EXTENDABLE), (25, 21));
}

/// A value that proves its integrity: its key, a version, and a checksum of both; dropping
/// it poisons all three, so a reader that saw a dropped value would notice.
struct Checked {
    key: u64,
    version: u64,
    check: u64,
}

impl Checked {
    fn new(key: u64, version: u64) -> Self {
        Checked { key, version, check: key.wrapping_mul(31) ^ version }
    }

    fn is_sound_for(&self, key: u64) -> bool {
        self.key == key && self.check == self.key.wrapping_mul(31) ^ self.version
    }
}

impl Drop for Checked {
    fn drop(&mut self) {
        // Volatile, so the poisoning is not optimised away.
        // SAFETY: writes to our own fields.
        unsafe {
            std::ptr::write_volatile(&mut self.key, 0xDEAD);
            std::ptr::write_volatile(&mut self.check, 0xBEEF);
        }
    }
}

/// One writer inserts, updates and removes while a reader on another lcore looks keys up
/// through RCU read sections: the reader never sees a value that was not stored for its
/// key (or one being dropped), and the final contents match a model.
#[test]
fn a_writer_and_a_reader_run_at_once() {
    use dpdk::hash_lf::ConcurrentHash;
    use std::collections::HashMap;
    use std::sync::atomic::AtomicBool;
    let eal = eal();
    let _turn = worker_turn();
    const KEYS: u64 = 512;
    let (mut writer, table) = ConcurrentHash::<u64, Checked>::new(
        &unique_name("hlf"),
        1024,
        socket(),
        HashOptions::new(),
        4,
    )
    .unwrap();
    let stop = AtomicBool::new(false);
    let shared_hits = std::sync::atomic::AtomicU64::new(0);
    let mut reader = table.reader().unwrap();
    let (model, seen) = eal.scope(|s| {
        let (stop, shared_hits) = (&stop, &shared_hits);
        let reading = s
            .launch(eal.workers()[0], move || {
                let (mut hits, mut rounds) = (0u64, 0u64);
                let mut k = 0u64;
                while !stop.load(Ordering::Acquire) {
                    let section = reader.read();
                    for _ in 0..64 {
                        k = (k + 97) % KEYS; // 97 is prime to 512: every key in turn
                        if let Some(v) = section.get(&k) {
                            assert!(
                                v.is_sound_for(k),
                                "key {k}: saw key {} check {}",
                                v.key,
                                v.check
                            );
                            hits += 1;
                        }
                    }
                    let keys: Vec<u64> = (0..16).map(|i| (k + i) % KEYS).collect();
                    let mut out = [None; 16];
                    section.get_bulk(&keys, &mut out);
                    for (key, v) in keys.iter().zip(out) {
                        if let Some(v) = v {
                            assert!(v.is_sound_for(*key), "bulk key {key}");
                        }
                    }
                    drop(section);
                    rounds += 1;
                    shared_hits.store(hits, Ordering::Relaxed);
                }
                (hits, rounds)
            })
            .unwrap();
        // Stop the reader however this side ends (a failed assertion included), or the
        // scope would wait for it forever.
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Release);
            }
        }
        let _stop = StopOnDrop(stop);
        let mut model: HashMap<u64, u64> = HashMap::new();
        // At least 1.5 s and 20000 writes, and until the reader has found some keys (on a
        // loaded machine either side may get little CPU time); at most 60 s.
        let start = std::time::Instant::now();
        let mut step = 0u64;
        let overlapped = |step: u64| {
            let t = start.elapsed();
            let enough = t.as_millis() >= 1500
                && step >= 20_000
                && shared_hits.load(Ordering::Relaxed) >= 100;
            enough || t.as_secs() >= 60
        };
        while !overlapped(step) {
            step += 1;
            let key = step.wrapping_mul(2_654_435_761) % KEYS;
            if step % 3 == 0 {
                assert_eq!(writer.remove(&key), model.remove(&key).is_some());
            } else {
                match writer.insert(key, Checked::new(key, step)) {
                    Ok(replaced) => {
                        let had = model.insert(key, step);
                        assert_eq!(
                            replaced,
                            had.is_some(),
                            "step {step} key {key} model had {had:?}"
                        );
                    }
                    Err(e) => {
                        // Every value slot may be waiting for the reader: try again later.
                        assert!(matches!(e.error, Error::TableFull { .. }), "{:?}", e.error);
                        writer.reclaim();
                    }
                }
            }
        }
        stop.store(true, Ordering::Release);
        (model, reading.join().unwrap())
    });
    assert!(seen.1 > 10 && seen.0 > 0, "the reader ran: {seen:?}");
    assert_eq!(writer.len(), model.len());
    for key in 0..KEYS {
        let got = writer.get(&key).map(|v| {
            assert!(v.is_sound_for(key));
            v.version
        });
        assert_eq!(got, model.get(&key).copied(), "key {key}");
    }
    drop(table); // the writer keeps the table alive
    writer.reclaim();
    assert_eq!(writer.pending(), 0, "every grace period ended once the reader left");
}

/// A value whose drop panics once; the table must stay consistent around it.
struct PanicOnDrop(u32);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if self.0 == 3 && !std::thread::panicking() {
            panic!("drop of value 3");
        }
    }
}

#[test]
fn a_panicking_value_drop_in_clear_leaves_no_key_behind() {
    eal();
    let mut t: Hash<u32, PanicOnDrop> =
        Hash::new(&unique_name("hp"), 64, socket(), HashOptions::new()).unwrap();
    for i in 0..8 {
        t.insert(i, PanicOnDrop(i)).unwrap();
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.clear()));
    assert!(outcome.is_err(), "the panic comes through");
    assert!(t.is_empty());
    assert!((0..8).all(|i| t.get(&i).is_none()), "no key reaches a dropped value");
    t.insert(1, PanicOnDrop(10)).unwrap();
    assert_eq!(t.get(&1).map(|v| v.0), Some(10));
}

#[test]
fn dpdk_locking_flags_are_accepted() {
    eal();
    let opts = HashOptions::new().rw_concurrency(true).extendable_buckets(true);
    let mut t: Hash<u64, u64> = Hash::new(&unique_name("hl"), 1000, socket(), opts).unwrap();
    for i in 0..1000 {
        t.insert(i, i).unwrap();
    }
    assert!((0..1000).all(|i| t.get(&i) == Some(&i)));
    assert_eq!(t.len(), 1000);
}

#[test]
fn send_and_sync() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    is_send::<Hash<u64, String>>();
    is_sync::<Hash<[u8; 16], u64>>();
}
