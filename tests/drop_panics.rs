//! A stored value whose `Drop` panics: every container still drops all its other values,
//! frees its DPDK memory and gives its name back, then resumes the panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dpdk::hash::HashOptions;
use dpdk::hash_lf::ConcurrentHash;
use dpdk::malloc::HeapStats;
use dpdk::mempool::{Mempool, MempoolOptions};
use dpdk::ring::{Ring, RingOptions};
use dpdk::{Hash, SocketBox, SocketId};
use dpdk_tests::{eal, unique_name};

/// Counts its drops; the ones made to explode panic in `Drop`.
struct Bomb {
    drops: Arc<AtomicUsize>,
    explode: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
        if self.explode {
            panic!("a bomb went off in Drop");
        }
    }
}

fn bombs(n: usize, exploding: &[usize]) -> (Arc<AtomicUsize>, Vec<Bomb>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let v = (0..n).map(|i| Bomb { drops: drops.clone(), explode: exploding.contains(&i) });
    let v = v.collect();
    (drops, v)
}

/// Drops `value` and says whether its drop panicked.
fn panics_when_dropped<T>(value: T) -> bool {
    catch_unwind(AssertUnwindSafe(|| drop(value))).is_err()
}

fn socket() -> SocketId {
    eal().sockets()[0]
}

/// The tests of this file take turns, so that the heap's element count moves only with
/// the test that reads it.
fn turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn a_ring_drops_every_item_and_frees_itself() {
    let _turn = turn();
    eal();
    let name = unique_name("dr");
    let ring: Ring<Box<Bomb>> = Ring::new(&name, 16, socket(), RingOptions::new()).unwrap();
    let (drops, items) = bombs(5, &[1, 3]);
    let (tx, rx) = ring.split();
    let mut items: Vec<_> = items.into_iter().map(Box::new).collect();
    assert_eq!(tx.enqueue_burst(&mut items), 5);
    drop(tx);
    assert!(panics_when_dropped(rx), "the first panic is resumed");
    assert_eq!(drops.load(Ordering::Relaxed), 5, "the items after a panicking one too");
    let again: Ring<u64> = Ring::new(&name, 16, socket(), RingOptions::new())
        .expect("the ring was freed and its name given back");
    drop(again);
}

#[test]
fn a_socket_box_frees_its_element() {
    let _turn = turn();
    eal();
    let s = socket();
    let count = || HeapStats::of(s).unwrap().alloc_count;
    let (drops, mut one) = bombs(1, &[0]);
    let before = count();
    let boxed = SocketBox::new(one.pop().unwrap(), s);
    assert_eq!(count(), before + 1);
    assert!(panics_when_dropped(boxed));
    assert_eq!((drops.load(Ordering::Relaxed), count()), (1, before), "dropped and freed");
    // A slice: every element, then the memory. (One bomb: as for a Vec, a second panic
    // while the slice's drop unwinds from the first aborts the process.)
    let (drops, many) = bombs(4, &[1]);
    let mut many = many.into_iter();
    let boxed = SocketBox::from_fn(4, s, |_| many.next().unwrap());
    assert_eq!(count(), before + 1);
    assert!(panics_when_dropped(boxed));
    assert_eq!((drops.load(Ordering::Relaxed), count()), (4, before));
}

#[test]
fn a_hash_drops_every_value_and_frees_itself() {
    let _turn = turn();
    eal();
    let name = unique_name("dh");
    let mut table: Hash<u32, Bomb> = Hash::new(&name, 64, socket(), HashOptions::new()).unwrap();
    let (drops, values) = bombs(6, &[0, 4]);
    for (k, v) in values.into_iter().enumerate() {
        assert!(table.insert(k as u32, v).map_err(|e| e.error).unwrap().is_none());
    }
    assert!(panics_when_dropped(table));
    assert_eq!(drops.load(Ordering::Relaxed), 6, "the values after a panicking one too");
    drop(Hash::<u32, u8>::new(&name, 64, socket(), HashOptions::new()).expect("name free"));
    // clear() too.
    let mut table: Hash<u32, Bomb> = Hash::new(&name, 64, socket(), HashOptions::new()).unwrap();
    let (drops, values) = bombs(3, &[1]);
    for (k, v) in values.into_iter().enumerate() {
        assert!(table.insert(k as u32, v).map_err(|e| e.error).unwrap().is_none());
    }
    assert!(catch_unwind(AssertUnwindSafe(|| table.clear())).is_err());
    assert_eq!((drops.load(Ordering::Relaxed), table.len()), (3, 0));
}

#[test]
fn a_concurrent_hash_drops_every_value_and_frees_itself() {
    let _turn = turn();
    eal();
    let name = unique_name("dc");
    let (mut writer, table) =
        ConcurrentHash::<u32, Bomb>::new(&name, 64, socket(), HashOptions::new(), 2).unwrap();
    let (drops, values) = bombs(5, &[2, 3]);
    for (k, v) in values.into_iter().enumerate() {
        writer.insert(k as u32, v).map_err(|e| e.error).unwrap();
    }
    drop(table);
    assert!(panics_when_dropped(writer));
    assert_eq!(drops.load(Ordering::Relaxed), 5);
    let again = ConcurrentHash::<u32, u8>::new(&name, 64, socket(), HashOptions::new(), 2);
    drop(again.expect("the table was freed and its name given back"));
}

#[test]
fn a_mempool_drops_every_object_and_frees_itself() {
    let _turn = turn();
    eal();
    let name = unique_name("dm");
    let drops = Arc::new(AtomicUsize::new(0));
    let make = |i: u32| Bomb { drops: drops.clone(), explode: i % 10 == 3 };
    let pool: Mempool<Bomb> =
        Mempool::new_with(&name, 31, socket(), MempoolOptions::new(), make).unwrap();
    assert!(panics_when_dropped(pool), "the first panic is resumed, not swallowed");
    assert_eq!(drops.load(Ordering::Relaxed), 31);
    let again: Mempool<u8> = Mempool::new(&name, 31, socket(), MempoolOptions::new())
        .expect("the pool was freed and its name given back");
    drop(again);
}
