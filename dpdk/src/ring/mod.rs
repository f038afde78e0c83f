//! Lock-free rings over `rte_ring` that move *ownership* between lcores.
//!
//! [`Ring<T>`] carries pointer-sized owned items ([`RingItem`]: `Box<T>`, `NonNull<T>`,
//! `SocketBox<T>`, integers that fit a pointer); [`ElemRing<E>`] carries plain `Copy`
//! values of any size that is a multiple of 4 bytes through DPDK's `_elem` API (e.g.
//! 16-byte descriptors). What goes in one end is owned by whoever takes it out; nothing is
//! lost or duplicated, and a ring dropped with items in it drops them.
//!
//! A ring is split into a [`Producer`] and a [`Consumer`]. Their sync modes are types:
//! [`Multi`], [`Rts`] and [`Hts`] ends may be shared (`Clone + Sync`), a [`Single`] end
//! is `Send` but neither `Sync` nor `Clone`, so no safe code can race two producers on a
//! single-producer ring.
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ring::{Ring, RingOptions, Single};
//! let opts = RingOptions::new().single_producer();
//! let ring: Ring<u64, Single> = Ring::new("cf_sp", 64, dpdk::SocketId::ANY, opts).unwrap();
//! let (tx, _rx) = ring.split();
//! let tx2 = tx.clone(); // error: a single-producer end is not Clone
//! ```
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ring::{Ring, RingOptions, Single};
//! let opts = RingOptions::new().single_producer();
//! let ring: Ring<u64, Single> = Ring::new("cf_sp2", 64, dpdk::SocketId::ANY, opts).unwrap();
//! let (tx, _rx) = ring.split();
//! std::thread::scope(|s| {
//!     s.spawn(|| tx.enqueue(1));
//!     s.spawn(|| tx.enqueue(2)); // error: a single-producer end is not Sync
//! });
//! ```
//!
//! Items keep their full type through the ring: what comes out cannot outlive what went
//! in.
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ring::{Ring, RingOptions};
//! let ring: Ring<Box<&'static str>> =
//!     Ring::new("cf_var", 8, dpdk::SocketId::ANY, RingOptions::new()).unwrap();
//! let (tx, rx) = ring.split();
//! {
//!     let owned = String::from("short-lived");
//!     tx.enqueue(Box::new(owned.as_str())).unwrap(); // error: `owned` does not live long enough
//! }
//! let dangling: &'static str = *rx.dequeue().unwrap();
//! ```
//!
//! Every ring type and end is invariant in its item type, which is what makes the line
//! above fail; each of these fails to compile too:
//!
//! ```compile_fail
//! use dpdk::ring::Ring;
//! fn shorten<'a>(r: Ring<Box<&'static str>>) -> Ring<Box<&'a str>> { r } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::ring::Producer;
//! fn shorten<'a>(p: Producer<Box<&'static str>>) -> Producer<Box<&'a str>> { p } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::ring::Consumer;
//! fn shorten<'a>(c: Consumer<Box<&'static str>>) -> Consumer<Box<&'a str>> { c } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::ring::ElemRing;
//! fn shorten<'a>(r: ElemRing<&'static str>) -> ElemRing<&'a str> { r } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::ring::ElemProducer;
//! fn shorten<'a>(p: ElemProducer<&'static str>) -> ElemProducer<&'a str> { p } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::ring::ElemConsumer;
//! fn shorten<'a>(c: ElemConsumer<&'static str>) -> ElemConsumer<&'a str> { c } // error
//! ```
//!
//! while the same signatures with the item type kept compile:
//!
//! ```
//! use dpdk::ring::{Consumer, ElemConsumer, ElemProducer, ElemRing, Producer, Ring};
//! type S = &'static str;
//! fn ring(r: Ring<Box<S>>) -> Ring<Box<S>> { r }
//! fn producer(p: Producer<Box<S>>) -> Producer<Box<S>> { p }
//! fn consumer(c: Consumer<Box<S>>) -> Consumer<Box<S>> { c }
//! fn elem_ring(r: ElemRing<S>) -> ElemRing<S> { r }
//! fn elem_producer(p: ElemProducer<S>) -> ElemProducer<S> { p }
//! fn elem_consumer(c: ElemConsumer<S>) -> ElemConsumer<S> { c }
//! ```
//!
//! # Speed
//! Multi- and single-producer/consumer enqueue and dequeue are DPDK's 22.11 algorithm
//! (`__rte_ring_move_prod_head`, element copy, `__rte_ring_update_tail`) ported to Rust
//! atomics, so they inline into the caller; RTS and HTS rings call DPDK's own functions
//! through the generated wrappers. The ring's memory layout is DPDK's, so C code can use
//! the same ring (see [`RingRef`]).

use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::SocketId;

/// The longest ring name DPDK accepts, in bytes.
pub const NAME_MAX: usize = {
    const fn len_of<const N: usize>(_: fn(&ffi::rte_ring) -> &[std::ffi::c_char; N]) -> usize {
        N
    }
    len_of(|r| &r.name) - 1
};

/// Bytes per element of a [`Ring`]: one pointer.
const ITEM_SIZE: usize = std::mem::size_of::<*mut c_void>();

/// The largest ring DPDK makes (`RTE_RING_SZ_MASK`).
pub const COUNT_MAX: u32 = ffi::RTE_RING_SZ_MASK;

mod sealed {
    pub trait Sealed {}
}

/// A producer or consumer sync mode: [`Multi`], [`Single`], [`Rts`] or [`Hts`].
pub trait SyncMode: sealed::Sealed + 'static {
    /// `rte_ring_create` flag for a producer in this mode.
    const PRODUCER_FLAG: u32;
    /// `rte_ring_create` flag for a consumer in this mode.
    const CONSUMER_FLAG: u32;
    /// Whether Rust runs DPDK's MP/MC or SP/SC algorithm itself (else it calls DPDK).
    const PORTED: bool;
    /// Whether this end runs DPDK's single-thread variant.
    const SINGLE: bool;
}

/// A mode whose end may be used by several threads at once.
pub trait SharedMode: SyncMode {}

/// Multi-producer / multi-consumer (DPDK's default); for a mempool, multi-producer put
/// and multi-consumer get ([`crate::mempool::Sharing`]).
#[derive(Debug)]
pub enum Multi {}
/// Single-producer / single-consumer: one thread per end; for a mempool, one thread at a
/// time.
#[derive(Debug)]
pub enum Single {}
/// Relaxed tail sync (`RING_F_MP_RTS_ENQ` / `RING_F_MC_RTS_DEQ`), for overcommitted threads.
#[derive(Debug)]
pub enum Rts {}
/// Head/tail sync (`RING_F_MP_HTS_ENQ` / `RING_F_MC_HTS_DEQ`): serialised, peek-capable.
#[derive(Debug)]
pub enum Hts {}

impl sealed::Sealed for Multi {}
impl sealed::Sealed for Single {}
impl sealed::Sealed for Rts {}
impl sealed::Sealed for Hts {}

impl SyncMode for Multi {
    const PRODUCER_FLAG: u32 = 0;
    const CONSUMER_FLAG: u32 = 0;
    const PORTED: bool = crate::inline::RING;
    const SINGLE: bool = false;
}
impl SyncMode for Single {
    const PRODUCER_FLAG: u32 = ffi::RING_F_SP_ENQ;
    const CONSUMER_FLAG: u32 = ffi::RING_F_SC_DEQ;
    const PORTED: bool = crate::inline::RING;
    const SINGLE: bool = true;
}
impl SyncMode for Rts {
    const PRODUCER_FLAG: u32 = ffi::RING_F_MP_RTS_ENQ;
    const CONSUMER_FLAG: u32 = ffi::RING_F_MC_RTS_DEQ;
    const PORTED: bool = false;
    const SINGLE: bool = false;
}
impl SyncMode for Hts {
    const PRODUCER_FLAG: u32 = ffi::RING_F_MP_HTS_ENQ;
    const CONSUMER_FLAG: u32 = ffi::RING_F_MC_HTS_DEQ;
    const PORTED: bool = false;
    const SINGLE: bool = false;
}
impl SharedMode for Multi {}
impl SharedMode for Rts {}
impl SharedMode for Hts {}

/// An owned, pointer-sized value that can travel through a [`Ring`].
///
/// # Safety
/// `Self` must be exactly pointer-sized, and `from_raw(into_raw(x))` must give back `x`,
/// with ownership passing through the pointer: the ring copies the pointer bits and
/// forgets the value.
pub unsafe trait RingItem: Sized {
    /// The value as a pointer; ownership moves into it.
    fn into_raw(self) -> *mut c_void;
    /// The value back from [`into_raw`](Self::into_raw).
    ///
    /// # Safety
    /// `ptr` must come from `into_raw` of the same type, and be taken back once.
    unsafe fn from_raw(ptr: *mut c_void) -> Self;
}

// SAFETY: a Box is one pointer; into_raw/from_raw round-trip ownership.
unsafe impl<T> RingItem for Box<T> {
    fn into_raw(self) -> *mut c_void {
        Box::into_raw(self).cast()
    }
    unsafe fn from_raw(ptr: *mut c_void) -> Self {
        // SAFETY: per the contract, the pointer came from Box::into_raw.
        unsafe { Box::from_raw(ptr.cast()) }
    }
}

// SAFETY: NonNull is one non-null pointer; the round trip is the identity.
unsafe impl<T> RingItem for NonNull<T> {
    fn into_raw(self) -> *mut c_void {
        self.as_ptr().cast()
    }
    unsafe fn from_raw(ptr: *mut c_void) -> Self {
        // SAFETY: came from a NonNull.
        unsafe { NonNull::new_unchecked(ptr.cast()) }
    }
}

// SAFETY: SocketBox's own into_raw/from_raw round-trip ownership of its memory (the EAL
// reference is released on the way in and taken again on the way out; the ring's own
// reference keeps the EAL up meanwhile).
unsafe impl<T> RingItem for crate::SocketBox<T> {
    fn into_raw(self) -> *mut c_void {
        crate::SocketBox::into_raw(self).cast()
    }
    unsafe fn from_raw(ptr: *mut c_void) -> Self {
        // SAFETY: per the contract, the pointer came from SocketBox::into_raw.
        unsafe { crate::SocketBox::from_raw(ptr.cast()) }
    }
}

macro_rules! int_items {
    ($($t:ty),*) => {$(
        // SAFETY: a pointer-sized integer; the round trip through a pointer is the identity.
        unsafe impl RingItem for $t {
            fn into_raw(self) -> *mut c_void {
                self as usize as *mut c_void
            }
            unsafe fn from_raw(ptr: *mut c_void) -> Self {
                ptr as usize as $t
            }
        }
    )*};
}
int_items!(usize, isize, u64, i64);

/// How to create a ring: sync modes (as types) and exact sizing.
///
/// ```
/// use dpdk::ring::{Hts, RingOptions, Single};
/// let spsc = RingOptions::new().single_producer().single_consumer();
/// let hts = RingOptions::new().producer::<Hts>().consumer::<Hts>().exact_size(true);
/// assert_eq!(spsc.flags(), dpdk::ffi::RING_F_SP_ENQ | dpdk::ffi::RING_F_SC_DEQ);
/// # let _ = hts;
/// ```
#[must_use]
pub struct RingOptions<P: SyncMode = Multi, C: SyncMode = Multi> {
    exact_size: bool,
    _modes: PhantomData<(P, C)>,
}

impl<P: SyncMode, C: SyncMode> Clone for RingOptions<P, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: SyncMode, C: SyncMode> Copy for RingOptions<P, C> {}

impl<P: SyncMode, C: SyncMode> fmt::Debug for RingOptions<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RingOptions {{ flags: {:#x} }}", self.flags())
    }
}

impl Default for RingOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl RingOptions {
    /// Multi-producer, multi-consumer, power-of-two count.
    pub fn new() -> Self {
        RingOptions { exact_size: false, _modes: PhantomData }
    }
}

impl<P: SyncMode, C: SyncMode> RingOptions<P, C> {
    /// The producers' sync mode.
    pub fn producer<Q: SyncMode>(self) -> RingOptions<Q, C> {
        RingOptions { exact_size: self.exact_size, _modes: PhantomData }
    }

    /// The consumers' sync mode.
    pub fn consumer<Q: SyncMode>(self) -> RingOptions<P, Q> {
        RingOptions { exact_size: self.exact_size, _modes: PhantomData }
    }

    /// One producer thread (`RING_F_SP_ENQ`).
    pub fn single_producer(self) -> RingOptions<Single, C> {
        self.producer()
    }

    /// One consumer thread (`RING_F_SC_DEQ`).
    pub fn single_consumer(self) -> RingOptions<P, Single> {
        self.consumer()
    }

    /// Hold exactly `count` items (`RING_F_EXACT_SZ`): any count, rounded up internally;
    /// without it the count must be a power of two and the ring holds `count - 1`.
    pub fn exact_size(mut self, yes: bool) -> Self {
        self.exact_size = yes;
        self
    }

    /// The `flags` argument of `rte_ring_create_elem`.
    pub fn flags(&self) -> u32 {
        P::PRODUCER_FLAG | C::CONSUMER_FLAG | if self.exact_size { ffi::RING_F_EXACT_SZ } else { 0 }
    }
}

mod elem;
mod lookup;

use crate::inline::ring::{bulk_count, burst_count, RawRing, RingPtr};
pub use elem::{ElemConsumer, ElemProducer, ElemRing};
pub use lookup::RingRef;

/// The shared state of a ring's ends: the ring itself, freed (and drained) when the last
/// end goes.
struct Owner<T> {
    raw: RawRing,
    drop_items: unsafe fn(&RawRing, &mut crate::unwind::FirstPanic),
    /// Whether the ring is ours to drain and free (not for rings found by name).
    owned: bool,
    /// Invariant in `T`: a covariant ring would let a `Producer<Box<&'static str>>` be
    /// used as a `Producer<Box<&'short str>>`, and the item would come out of the other
    /// end as `&'static` after its referent died.
    _items: PhantomData<fn(T) -> T>,
}

impl<T> Drop for Owner<T> {
    fn drop(&mut self) {
        if self.owned {
            let mut panic = crate::unwind::FirstPanic::default();
            // SAFETY: no end is left, so nothing else touches the ring; its items are ours.
            // The ring is freed (and its name given back) even if an item's drop panics.
            unsafe {
                (self.drop_items)(&self.raw, &mut panic);
                ffi::rte_ring_free(self.raw.ring());
            }
            panic.resume();
        }
    }
}

/// Drains a ring of `RingItem`s and drops each, going on past panicking drops.
unsafe fn drain_items<T: RingItem>(raw: &RawRing, panic: &mut crate::unwind::FirstPanic) {
    let mut slot = MaybeUninit::<*mut c_void>::uninit();
    // SAFETY: exclusive access (called from Drop); DPDK's dequeue dispatches on the ring's
    // own sync type (RTS rings lay their head and tail out differently).
    while unsafe { raw.dequeue::<Rts>(slot.as_mut_ptr().cast(), 1, true, ITEM_SIZE) } == 1 {
        // SAFETY: each pointer was an item moved in with into_raw and is taken out once.
        let item = unsafe { T::from_raw(slot.assume_init()) };
        panic.run(|| drop(item));
    }
}

/// Nothing to drop for plain `Copy` elements.
unsafe fn drain_nothing(_: &RawRing, _: &mut crate::unwind::FirstPanic) {}

/// A ring of owned pointer-sized items; split it into a [`Producer`] and a [`Consumer`].
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::ring::{Ring, RingOptions};
/// let ring: Ring<Box<String>> = Ring::new("doc_ring", 1024, dpdk::SocketId::current(), RingOptions::new())?;
/// let (tx, rx) = ring.split();
/// tx.enqueue(Box::new("hello".to_owned())).unwrap();
/// assert_eq!(*rx.dequeue().unwrap(), "hello");
/// assert!(rx.dequeue().is_none());
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct Ring<T: RingItem, P: SyncMode = Multi, C: SyncMode = Multi> {
    shared: Arc<Owner<T>>,
    _modes: PhantomData<(P, C)>,
}

impl<T: RingItem, P: SyncMode, C: SyncMode> Ring<T, P, C> {
    /// A ring of `count` slots named `name` on `socket` (`rte_ring_create_elem`, 8-byte
    /// elements), in the modes of `options`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a count of 0, above [`COUNT_MAX`], or not a power of
    /// two without `exact_size`; name errors; [`Error::AlreadyExists`];
    /// [`Error::NoMemory`].
    #[doc(alias = "rte_ring_create")]
    pub fn new(
        name: &str,
        count: u32,
        socket: SocketId,
        options: RingOptions<P, C>,
    ) -> Result<Self> {
        let raw = RawRing::create(name, 8, count, socket, options.flags())?;
        let shared =
            Arc::new(Owner { raw, drop_items: drain_items::<T>, owned: true, _items: PhantomData });
        Ok(Ring { shared, _modes: PhantomData })
    }

    /// The two ends.
    pub fn split(self) -> (Producer<T, P>, Consumer<T, C>) {
        let ring = *self.shared.raw;
        let producer = Producer { shared: self.shared.clone(), ring, _mode: PhantomData };
        (producer, Consumer { shared: self.shared, ring, _mode: PhantomData })
    }

    /// Items in the ring.
    pub fn len(&self) -> u32 {
        self.shared.raw.count()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many items it holds at most.
    pub fn capacity(&self) -> u32 {
        self.shared.raw.capacity()
    }

    /// The raw ring, still owned by this handle (for DPDK calls this crate does not wrap,
    /// or to see where its memory is with [`crate::malloc::socket_of`]).
    pub fn as_ptr(&self) -> *mut ffi::rte_ring {
        self.shared.raw.ring()
    }
}

/// The producing end of a [`Ring`]. `Clone + Sync` in shared modes; in [`Single`] mode
/// `Send` only, so one thread at a time enqueues.
pub struct Producer<T: RingItem, P: SyncMode = Multi> {
    shared: Arc<Owner<T>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    ring: RingPtr,
    _mode: PhantomData<(P, *const ())>,
}

/// The consuming end of a [`Ring`]; see [`Producer`].
pub struct Consumer<T: RingItem, C: SyncMode = Multi> {
    shared: Arc<Owner<T>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    ring: RingPtr,
    _mode: PhantomData<(C, *const ())>,
}

// SAFETY: items move to whichever thread dequeues them (T: Send); the end itself is only
// used by its current owner thread, so moving it is fine in any mode.
unsafe impl<T: RingItem + Send, P: SyncMode> Send for Producer<T, P> {}
// SAFETY: shared modes run DPDK's multi-thread algorithms, safe from many threads.
unsafe impl<T: RingItem + Send, P: SharedMode> Sync for Producer<T, P> {}
// SAFETY: as for Producer.
unsafe impl<T: RingItem + Send, C: SyncMode> Send for Consumer<T, C> {}
// SAFETY: as for Producer.
unsafe impl<T: RingItem + Send, C: SharedMode> Sync for Consumer<T, C> {}

impl<T: RingItem, P: SharedMode> Clone for Producer<T, P> {
    fn clone(&self) -> Self {
        Producer { shared: self.shared.clone(), ring: self.ring, _mode: PhantomData }
    }
}

impl<T: RingItem, C: SharedMode> Clone for Consumer<T, C> {
    fn clone(&self) -> Self {
        Consumer { shared: self.shared.clone(), ring: self.ring, _mode: PhantomData }
    }
}

impl<T: RingItem, P: SyncMode> Producer<T, P> {
    /// Enqueues one item, or hands it back when the ring is full.
    #[doc(alias = "rte_ring_enqueue")]
    #[inline]
    pub fn enqueue(&self, item: T) -> std::result::Result<(), T> {
        let ptr = item.into_raw();
        // SAFETY: the ring's elements are ITEM_SIZE pointers; this end's mode is P (Single
        // ends are !Sync, one thread).
        if unsafe { self.ring.enqueue_value::<P, *mut c_void>(ptr) } {
            Ok(())
        } else {
            // SAFETY: the ring did not take it; ownership comes back.
            Err(unsafe { T::from_raw(ptr) })
        }
    }

    /// Enqueues all of `items` or none (`rte_ring_enqueue_bulk`): on success `items` is
    /// empty; when there is no room for all, they stay in `items`.
    ///
    /// # Errors
    /// [`RingFull`] with the free space, when the ring has no room for all of them.
    #[doc(alias = "rte_ring_enqueue_bulk")]
    #[inline]
    pub fn enqueue_bulk(&self, items: &mut Vec<T>) -> std::result::Result<(), RingFull> {
        let Some(n) = bulk_count(items.len()) else {
            return Err(RingFull { free: self.free_count() });
        };
        // SAFETY: a RingItem is pointer-sized and its bits are its raw pointer, so the Vec's
        // buffer is `n` elements of 8 bytes; on success ownership moved into the ring.
        let (done, free) =
            unsafe { self.ring.enqueue::<P>(items.as_ptr().cast(), n, true, ITEM_SIZE) };
        if done == n {
            // SAFETY: every item moved into the ring; forget them here.
            unsafe { items.set_len(0) };
            Ok(())
        } else {
            Err(RingFull { free })
        }
    }

    /// Enqueues as many items as fit, from the front of `items` (`rte_ring_enqueue_burst`),
    /// and returns how many; the rest stay in `items`.
    #[doc(alias = "rte_ring_enqueue_burst")]
    #[inline]
    pub fn enqueue_burst(&self, items: &mut Vec<T>) -> usize {
        let n = burst_count(items.len());
        // SAFETY: as in enqueue_bulk; the first `done` items moved into the ring.
        unsafe {
            let done =
                self.ring.enqueue::<P>(items.as_ptr().cast(), n, false, ITEM_SIZE).0 as usize;
            if done == items.len() {
                items.set_len(0);
            } else if done > 0 {
                let rest = items.len() - done;
                std::ptr::copy(items.as_ptr().add(done), items.as_mut_ptr(), rest);
                items.set_len(rest);
            }
            done
        }
    }

    /// Enqueues up to `n` items from `src` (burst); returns how many moved into the ring.
    ///
    /// # Safety
    /// `src` holds `n` items in their raw form (`RingItem::into_raw`, pointer-sized);
    /// ownership of the first `returned` of them passes to the ring.
    #[inline]
    pub(crate) unsafe fn enqueue_raw_burst(&self, src: *const *mut c_void, n: u32) -> u32 {
        // SAFETY: per the contract; this end's mode is P.
        unsafe { self.ring.enqueue::<P>(src.cast(), n, false, ITEM_SIZE).0 }
    }

    /// Enqueues copies of all of `items` or none: for `Copy` items (integers, `NonNull`),
    /// which the caller keeps.
    ///
    /// # Errors
    /// [`RingFull`] with the free space, when the ring has no room for all of them.
    #[inline]
    pub fn enqueue_bulk_copied(&self, items: &[T]) -> std::result::Result<(), RingFull>
    where
        T: Copy,
    {
        let Some(n) = bulk_count(items.len()) else {
            return Err(RingFull { free: self.free_count() });
        };
        // SAFETY: pointer-sized Copy items; the ring gets copies of their bits.
        match unsafe { self.ring.enqueue::<P>(items.as_ptr().cast(), n, true, ITEM_SIZE) } {
            (done, _) if done == n => Ok(()),
            (_, free) => Err(RingFull { free }),
        }
    }

    /// Enqueues copies of as many of `items` as fit, from the front; returns how many.
    #[inline]
    pub fn enqueue_burst_copied(&self, items: &[T]) -> usize
    where
        T: Copy,
    {
        // SAFETY: as in enqueue_bulk_copied.
        unsafe {
            let n = burst_count(items.len());
            self.ring.enqueue::<P>(items.as_ptr().cast(), n, false, ITEM_SIZE).0 as usize
        }
    }

    /// Free slots now.
    pub fn free_count(&self) -> u32 {
        // SAFETY: a live ring.
        unsafe { ffi::rte_ring_free_count(self.shared.raw.ring()) }
    }

    /// Items in the ring now.
    pub fn len(&self) -> u32 {
        self.shared.raw.count()
    }

    /// Whether the ring is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the ring is full now.
    pub fn is_full(&self) -> bool {
        self.free_count() == 0
    }

    /// How many items the ring holds at most.
    pub fn capacity(&self) -> u32 {
        self.shared.raw.capacity()
    }
}

impl<T: RingItem, C: SyncMode> Consumer<T, C> {
    /// Dequeues one item, or `None` if the ring is empty.
    #[doc(alias = "rte_ring_dequeue")]
    #[inline]
    pub fn dequeue(&self) -> Option<T> {
        // SAFETY: the ring's elements are ITEM_SIZE pointers; this end's mode is C.
        let ptr = unsafe { self.ring.dequeue_value::<C, *mut c_void>() }?;
        // SAFETY: an item moved in with into_raw, now ours.
        Some(unsafe { T::from_raw(ptr) })
    }

    /// Dequeues exactly `buf.len()` items or none (`rte_ring_dequeue_bulk`). The items
    /// come back in a [`Dequeued`] over the buffer, which owns them: iterate it to take
    /// them, or use it as a slice; what is left in it is dropped with it. `None` when the
    /// ring holds fewer (always for more than `u32::MAX`: no ring holds that many).
    #[doc(alias = "rte_ring_dequeue_bulk")]
    #[inline]
    pub fn dequeue_bulk<'b>(&self, buf: &'b mut [MaybeUninit<T>]) -> Option<Dequeued<'b, T>> {
        let n = bulk_count(buf.len())?;
        // SAFETY: room for n pointer-sized items.
        let got = unsafe { self.ring.dequeue::<C>(buf.as_mut_ptr().cast(), n, true, ITEM_SIZE) };
        // SAFETY: all n were written with items now owned by the caller.
        (got == n).then(|| unsafe { Dequeued::new(buf, n as usize) })
    }

    /// Dequeues up to `buf.len()` items (`rte_ring_dequeue_burst`), into a [`Dequeued`]
    /// that owns them as [`dequeue_bulk`](Self::dequeue_bulk)'s does.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use std::mem::MaybeUninit;
    /// use dpdk::ring::{Ring, RingOptions};
    /// let ring: Ring<Box<u32>> = Ring::new("doc_deq", 64, dpdk::SocketId::ANY, RingOptions::new())?;
    /// let (tx, rx) = ring.split();
    /// let mut items: Vec<_> = (0..5).map(Box::new).collect();
    /// tx.enqueue_burst(&mut items);
    /// let mut buf = [const { MaybeUninit::uninit() }; 8];
    /// let mut got = rx.dequeue_burst(&mut buf);
    /// assert_eq!(got.len(), 5);
    /// assert_eq!(*got.next().unwrap(), 0); // taken: the caller owns it
    /// drop(got); // the other four are dropped here
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_ring_dequeue_burst")]
    #[inline]
    pub fn dequeue_burst<'b>(&self, buf: &'b mut [MaybeUninit<T>]) -> Dequeued<'b, T> {
        let n = burst_count(buf.len());
        // SAFETY: room for n pointer-sized items.
        let got = unsafe { self.ring.dequeue::<C>(buf.as_mut_ptr().cast(), n, false, ITEM_SIZE) };
        // SAFETY: the first `got` were written with items now owned by the caller.
        unsafe { Dequeued::new(buf, got as usize) }
    }

    /// Dequeues up to `n` items into `dst` in their raw form; returns how many.
    ///
    /// # Safety
    /// `dst` has room for `n` pointers; the caller owns the items written and takes each
    /// back once with `RingItem::from_raw`.
    #[inline]
    pub(crate) unsafe fn dequeue_raw_burst(&self, dst: *mut *mut c_void, n: u32) -> u32 {
        // SAFETY: per the contract; this end's mode is C.
        unsafe { self.ring.dequeue::<C>(dst.cast(), n, false, ITEM_SIZE) }
    }

    /// Dequeues exactly `n` items onto the end of `out`, or none; returns whether it did.
    /// `out` grows only when the ring holds `n` items at the call.
    #[inline]
    pub fn dequeue_bulk_into(&self, out: &mut Vec<T>, n: usize) -> bool {
        let Some(count) = bulk_count(n).filter(|&c| c <= self.shared.raw.capacity()) else {
            return false; // more than the ring can ever hold
        };
        out.reserve(n);
        let len = out.len();
        // SAFETY: room for `n` items after `len`; on success the ring wrote all of them.
        unsafe {
            let dst = out.as_mut_ptr().add(len).cast::<u8>();
            let ok = self.ring.dequeue::<C>(dst, count, true, ITEM_SIZE) as usize == n;
            if ok {
                out.set_len(len + n);
            }
            ok
        }
    }

    /// Dequeues up to `max` items onto the end of `out`; returns how many. `out` grows by
    /// at most the ring's capacity, whatever `max` is.
    #[inline]
    pub fn dequeue_burst_into(&self, out: &mut Vec<T>, max: usize) -> usize {
        let max = burst_count(max).min(self.shared.raw.capacity());
        out.reserve(max as usize);
        let len = out.len();
        // SAFETY: room for `max` items after `len`; the ring writes `got` of them.
        unsafe {
            let dst = out.as_mut_ptr().add(len).cast::<u8>();
            let got = self.ring.dequeue::<C>(dst, max, false, ITEM_SIZE) as usize;
            out.set_len(len + got);
            got
        }
    }

    /// Items in the ring now.
    pub fn len(&self) -> u32 {
        self.shared.raw.count()
    }

    /// Whether the ring is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Items dequeued into a caller's buffer ([`Consumer::dequeue_bulk`],
/// [`Consumer::dequeue_burst`]), owned by this guard: it derefs to the slice of the items
/// not yet taken, iterates them by value (each taken once), and drops what is left when it
/// goes, so no item is forgotten whatever the caller does with it.
pub struct Dequeued<'b, T> {
    buf: &'b mut [MaybeUninit<T>],
    /// `buf[start..end]` holds the items not yet taken.
    start: usize,
    end: usize,
}

impl<'b, T> Dequeued<'b, T> {
    /// # Safety
    /// `buf[..n]` holds initialised items that the guard now owns.
    #[inline(always)]
    unsafe fn new(buf: &'b mut [MaybeUninit<T>], n: usize) -> Self {
        debug_assert!(n <= buf.len());
        Dequeued { buf, start: 0, end: n }
    }
}

impl<T> Deref for Dequeued<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        let live = &self.buf[self.start..self.end];
        // SAFETY: `start..end` holds initialised items the guard owns.
        unsafe { &*(live as *const [MaybeUninit<T>] as *const [T]) }
    }
}

impl<T> DerefMut for Dequeued<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        let live = &mut self.buf[self.start..self.end];
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { &mut *(live as *mut [MaybeUninit<T>] as *mut [T]) }
    }
}

impl<T> Iterator for Dequeued<'_, T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        let i = self.start;
        self.start += 1;
        // SAFETY: slot `i` held an item the guard owned; moving `start` past it first
        // means it is read out once and never dropped here.
        Some(unsafe { self.buf[i].assume_init_read() })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.end - self.start, Some(self.end - self.start))
    }
}

impl<T> ExactSizeIterator for Dequeued<'_, T> {}

impl<T> Drop for Dequeued<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Mark everything taken first: if an item's drop panics, the slice's drop glue
        // goes on with the others and nothing is dropped twice.
        let live: *mut [T] = &mut **self;
        self.start = self.end;
        // SAFETY: the items not yet taken, owned by the guard, dropped once.
        unsafe { std::ptr::drop_in_place(live) }
    }
}

impl<T: fmt::Debug> fmt::Debug for Dequeued<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A bulk enqueue found too little room: nothing was enqueued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingFull {
    /// Free slots at the time.
    pub free: u32,
}

impl fmt::Display for RingFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the ring has only {} free slots", self.free)
    }
}

impl std::error::Error for RingFull {}

impl<T: RingItem, P: SyncMode> fmt::Debug for Producer<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Producer({:?})", self.shared.raw.name())
    }
}

impl<T: RingItem, C: SyncMode> fmt::Debug for Consumer<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Consumer({:?})", self.shared.raw.name())
    }
}

impl<T: RingItem, P: SyncMode, C: SyncMode> fmt::Debug for Ring<T, P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ring({:?})", self.shared.raw.name())
    }
}
