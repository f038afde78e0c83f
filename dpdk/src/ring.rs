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
use std::sync::atomic::{AtomicU32, Ordering};
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

/// Multi-producer / multi-consumer (DPDK's default).
#[derive(Debug)]
pub enum Multi {}
/// Single-producer / single-consumer: one thread per end.
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

/// The ring pointer and DPDK's algorithms on it. A copy is valid while the [`RawRing`] it
/// came from lives: each end keeps one next to its `Arc` of the ring, so that the fast
/// paths reach the ring in one load rather than through the `Arc` (after a locked
/// instruction every load on that chain waits its turn).
#[derive(Clone, Copy)]
struct RingPtr {
    r: NonNull<ffi::rte_ring>,
    esize: u32,
}

/// Slots `old..new` (`n` of them, wrapping) claimed by moving a head.
#[derive(Clone, Copy)]
struct Claim {
    old: u32,
    n: u32,
    new: u32,
    /// The room seen when claiming (`n` of it taken).
    room: u32,
}

/// An owned reference to a ring: its pointer and a hold on the EAL.
struct RawRing {
    ptr: RingPtr,
    _eal: Eal,
}

impl std::ops::Deref for RawRing {
    type Target = RingPtr;
    #[inline(always)]
    fn deref(&self) -> &RingPtr {
        &self.ptr
    }
}

// SAFETY: the pointer refers to DPDK shared memory usable from any thread; which
// operations may run concurrently is governed by the Producer/Consumer types.
unsafe impl Send for RawRing {}
// SAFETY: as above.
unsafe impl Sync for RawRing {}

#[inline(always)]
fn atomic(p: *mut u32) -> &'static AtomicU32 {
    // SAFETY: `p` points at a live, aligned u32 of a ring's head/tail, which every party
    // accesses atomically (DPDK's C uses volatile accesses and lock cmpxchg on x86).
    unsafe { AtomicU32::from_ptr(p) }
}

/// The prefix of the rings the net_ring driver makes (`ETH_RXTX<queue>_<device>`).
pub(crate) const NET_RING_PREFIX: &str = "ETH_RXTX";

impl RawRing {
    fn create(name: &str, esize: u32, count: u32, socket: SocketId, flags: u32) -> Result<RawRing> {
        let call = || {
            Call::new(
                "rte_ring_create_elem",
                format!(
                    "name={name:?}, esize={esize}, count={count}, socket={}, flags={flags:#x}",
                    socket.as_raw()
                ),
            )
        };
        let cname = check_name(name, NAME_MAX, call)?;
        if name.starts_with(NET_RING_PREFIX) {
            // net_ring takes over existing rings of these names for a new port, which
            // would then hand out whatever this ring holds as packets.
            return Err(Error::InvalidName {
                call: call(),
                name: name.into(),
                reason: "names starting with ETH_RXTX are net_ring's own",
            });
        }
        let invalid = |message: String| Error::InvalidArgument { call: call(), message };
        if count == 0 {
            return Err(invalid("a ring needs a count of at least 1".into()));
        }
        if count > COUNT_MAX {
            return Err(invalid(format!("count {count} is above DPDK's maximum {COUNT_MAX}")));
        }
        if flags & ffi::RING_F_EXACT_SZ == 0 && !count.is_power_of_two() {
            return Err(invalid(format!("count {count} is not a power of two (use exact_size)")));
        }
        if esize == 0 || esize % 4 != 0 {
            return Err(invalid(format!("element size {esize} is not a multiple of 4")));
        }
        let eal = Eal::current()?;
        // SAFETY: NUL-terminated name, checked arguments.
        let r = unsafe {
            ffi::rte_ring_create_elem(cname.as_ptr(), esize, count, socket.as_raw(), flags)
        };
        let r = NonNull::new(r).ok_or_else(|| Error::from_rte_errno(call()))?;
        Ok(RawRing { ptr: RingPtr { r, esize }, _eal: eal })
    }
}

impl RingPtr {
    fn ring(&self) -> *mut ffi::rte_ring {
        self.r.as_ptr()
    }

    /// `(head, tail)` of the producer (`prod`) or consumer side.
    #[inline(always)]
    fn sides(&self) -> (*mut ffi::rte_ring_headtail, *mut ffi::rte_ring_headtail) {
        let r = self.r.as_ptr();
        // SAFETY: the headtails live inside the live ring (the unions' first member).
        unsafe {
            (
                std::ptr::addr_of_mut!((*r).__bindgen_anon_1.prod),
                std::ptr::addr_of_mut!((*r).__bindgen_anon_2.cons),
            )
        }
    }

    #[inline(always)]
    fn data(&self) -> *mut u8 {
        // SAFETY: DPDK places the elements right after the ring header.
        unsafe { self.r.as_ptr().add(1).cast() }
    }

    /// Moves this side's head (the producer's when `PROD`) by up to `n` slots, all of them
    /// or none when `fixed`, and returns the slots claimed, or (when it claimed none) the
    /// room it saw: DPDK's `__rte_ring_move_prod_head` / `__rte_ring_move_cons_head`. The
    /// producer may go `capacity` past the consumer's tail, the consumer up to the
    /// producer's tail.
    ///
    /// The claimed slots are the caller's to write (read) until [`publish`](Self::publish).
    ///
    /// # Safety
    /// The caller may act on this side in the ring's mode for it: `single` only with
    /// exclusive access to the side.
    #[inline(always)]
    unsafe fn claim<const PROD: bool>(
        &self,
        n: u32,
        fixed: bool,
        single: bool,
    ) -> std::result::Result<Claim, u32> {
        // SAFETY: per the contract; the head of a live ring.
        unsafe {
            let head = self.head::<PROD>();
            // The orderings are those of DPDK 25.11's C11 ring (rte_ring_c11_pvt.h,
            // __rte_ring_headtail_move_head), the strictest of the releases we support:
            // acquire on our head (A0, so their tail is read after it), acquire on their
            // tail (A1), release/acquire on the head's compare-and-swap (R1/A2). On x86
            // they compile to what the generic C ring does (plain loads, `lock cmpxchg`).
            let old = head.load(Ordering::Acquire);
            let c = self.measure::<PROD>(old, n, fixed)?;
            if single {
                head.store(c.new, Ordering::Relaxed);
                return Ok(c);
            }
            // One attempt here; another side's claim in between sends us to the retry
            // loop, out of line, so that the path of a poll that finds nothing (the hot
            // path of an idle consumer) is straight: two loads, a compare, no loop.
            match head.compare_exchange_weak(old, c.new, Ordering::Release, Ordering::Acquire) {
                Ok(_) => Ok(c),
                Err(now) => self.claim_contended::<PROD>(now, n, fixed),
            }
        }
    }

    /// [`claim`](Self::claim)'s retry loop for a multi-thread side, after a compare-and-swap
    /// lost to another thread (which costs a contended cache line already).
    ///
    /// # Safety
    /// As for `claim` with `single == false`.
    #[cold]
    #[inline(never)]
    unsafe fn claim_contended<const PROD: bool>(
        &self,
        mut old: u32,
        n: u32,
        fixed: bool,
    ) -> std::result::Result<Claim, u32> {
        // SAFETY: per the contract.
        unsafe {
            let head = self.head::<PROD>();
            loop {
                let c = self.measure::<PROD>(old, n, fixed)?;
                match head.compare_exchange_weak(old, c.new, Ordering::Release, Ordering::Acquire) {
                    Ok(_) => return Ok(c),
                    Err(now) => old = now,
                }
            }
        }
    }

    /// This side's head (the producer's when `PROD`).
    #[inline(always)]
    fn head<const PROD: bool>(&self) -> &AtomicU32 {
        let (prod, cons) = self.sides();
        let mine = if PROD { prod } else { cons };
        // SAFETY: the head of a live ring, only ever accessed atomically by this crate.
        unsafe { atomic(std::ptr::addr_of_mut!((*mine).head)) }
    }

    /// The claim of up to `n` slots from head `old` (all of them or none when `fixed`),
    /// given the other side's tail now; or, when none can be had, the room seen.
    ///
    /// # Safety
    /// A live ring (the fields are read atomically).
    #[inline(always)]
    unsafe fn measure<const PROD: bool>(
        &self,
        old: u32,
        n: u32,
        fixed: bool,
    ) -> std::result::Result<Claim, u32> {
        let (prod, cons) = self.sides();
        let theirs = if PROD { cons } else { prod };
        // SAFETY: fields of a live ring.
        unsafe {
            let base = if PROD { (*self.r.as_ptr()).capacity } else { 0 };
            // Read after our head (acquired by the caller), as the C ring's A1.
            let tail = atomic(std::ptr::addr_of_mut!((*theirs).tail)).load(Ordering::Acquire);
            let room = base.wrapping_add(tail).wrapping_sub(old);
            // Too little room: a bulk takes nothing, a burst what there is. (Written as
            // branches on `n > room` first: a failed bulk is then two compares.)
            let n = if n > room {
                if fixed || room == 0 {
                    return Err(room);
                }
                room
            } else if n == 0 {
                return Err(room);
            } else {
                n
            };
            Ok(Claim { old, n, new: old.wrapping_add(n), room })
        }
    }

    /// Hands the slots of `claim` on to the other side once earlier claims of this side
    /// are published: DPDK's `__rte_ring_update_tail`.
    ///
    /// # Safety
    /// `claim` came from [`claim`](Self::claim) with the same `PROD` and `single`, and its
    /// slots were written (read) in full.
    #[inline(always)]
    unsafe fn publish<const PROD: bool>(&self, claim: Claim, single: bool) {
        let (prod, cons) = self.sides();
        let mine = if PROD { prod } else { cons };
        // SAFETY: per the contract; the tail of a live ring.
        unsafe { update_tail(std::ptr::addr_of_mut!((*mine).tail), claim.old, claim.new, single) }
    }

    /// The slot of index `head` (masked), for elements of type `E`.
    ///
    /// # Safety
    /// The ring's element size is `size_of::<E>()`.
    #[inline(always)]
    unsafe fn slot<E>(&self, head: u32) -> *mut E {
        // SAFETY: head & mask < size, and the ring has `size` slots of size_of::<E>().
        unsafe { self.data().cast::<E>().add((head & (*self.r.as_ptr()).mask) as usize) }
    }

    /// Enqueues the one value `value` in mode `P`; whether it went in.
    ///
    /// The value is stored straight from where it is (a register, usually): copying it
    /// through memory first would make the slot's wide load wait on the value's narrow
    /// stores (a failed store-to-load forward, about ten cycles).
    ///
    /// # Safety
    /// The ring's element size is `size_of::<E>()`; producer mode as in `enqueue`.
    #[inline(always)]
    unsafe fn enqueue_value<P: SyncMode, E: Copy>(&self, value: E) -> bool {
        // SAFETY: per the contract; the one slot from the old head is ours to write.
        unsafe {
            if P::PORTED {
                let Ok(c) = self.claim::<true>(1, true, P::SINGLE) else { return false };
                self.slot::<E>(c.old).write_unaligned(value);
                self.publish::<true>(c, P::SINGLE);
                true
            } else {
                self.enqueue::<P>((&value as *const E).cast(), 1, true, std::mem::size_of::<E>()).0
                    == 1
            }
        }
    }

    /// Dequeues one value in mode `C`.
    ///
    /// # Safety
    /// The ring's element size is `size_of::<E>()` and its slots hold `E`s; consumer mode
    /// as in `dequeue`.
    #[inline(always)]
    unsafe fn dequeue_value<C: SyncMode, E: Copy>(&self) -> Option<E> {
        let mut value = MaybeUninit::<E>::uninit();
        // SAFETY: per the contract; the one slot from the old head is ours to read.
        unsafe {
            let got = if C::PORTED {
                let c = self.claim::<false>(1, true, C::SINGLE).ok()?;
                value.write(self.slot::<E>(c.old).read_unaligned());
                self.publish::<false>(c, C::SINGLE);
                1
            } else {
                self.dequeue::<C>(value.as_mut_ptr().cast(), 1, true, std::mem::size_of::<E>())
            };
            (got == 1).then(|| value.assume_init())
        }
    }

    /// Copies `n` elements from `src` into the slots from index `head`, wrapping.
    #[inline(always)]
    unsafe fn copy_in(&self, head: u32, src: *const u8, n: u32, es: usize) {
        // SAFETY: the slots head..head+n belong to this producer after moving the head;
        // the ring has `size` slots of `esize` bytes.
        unsafe {
            let r = self.r.as_ptr();
            let (size, idx) = ((*r).size, head & (*r).mask);
            let src = opaque(src);
            let dst = self.data().add(idx as usize * es);
            if idx + n <= size {
                copy_elems(src, dst, n as usize, es);
            } else {
                let first = (size - idx) as usize;
                copy_elems(src, dst, first, es);
                copy_elems(src.add(first * es), self.data(), n as usize - first, es);
            }
        }
    }

    /// Copies `n` elements from the slots from index `head` into `dst`, wrapping.
    #[inline(always)]
    unsafe fn copy_out(&self, head: u32, dst: *mut u8, n: u32, es: usize) {
        // SAFETY: the slots head..head+n belong to this consumer after moving the head.
        unsafe {
            let r = self.r.as_ptr();
            let (size, idx) = ((*r).size, head & (*r).mask);
            let src = self.data().add(idx as usize * es);
            let dst = opaque(dst).cast_mut();
            if idx + n <= size {
                copy_elems(src, dst, n as usize, es);
            } else {
                let first = (size - idx) as usize;
                copy_elems(src, dst, first, es);
                copy_elems(self.data(), dst.add(first * es), n as usize - first, es);
            }
        }
    }

    /// Enqueue in mode `P` (ported algorithm or DPDK's dispatch by the ring's sync type);
    /// returns how many went in and the free slots left (all there were when none went
    /// in: a failed bulk enqueue reports the room it saw, at no further cost).
    #[inline(always)]
    unsafe fn enqueue<P: SyncMode>(
        &self,
        src: *const u8,
        n: u32,
        fixed: bool,
        es: usize,
    ) -> (u32, u32) {
        // SAFETY: per the callers' contracts (the Producer types).
        unsafe {
            if P::PORTED {
                let c = match self.claim::<true>(n, fixed, P::SINGLE) {
                    Ok(c) => c,
                    Err(room) => return (0, room),
                };
                self.copy_in(c.old, src, c.n, es);
                self.publish::<true>(c, P::SINGLE);
                // The room seen, less what was claimed (as DPDK's free_space is).
                (c.n, c.room - c.n)
            } else {
                let mut free = 0;
                let f = if fixed {
                    ffi::rte_ring_enqueue_bulk_elem
                } else {
                    ffi::rte_ring_enqueue_burst_elem
                };
                (f(self.ring(), src.cast(), self.esize, n, &mut free), free)
            }
        }
    }

    /// Dequeue in mode `C`.
    #[inline(always)]
    unsafe fn dequeue<C: SyncMode>(&self, dst: *mut u8, n: u32, fixed: bool, es: usize) -> u32 {
        // SAFETY: per the callers' contracts (the Consumer types).
        unsafe {
            if C::PORTED {
                let Ok(c) = self.claim::<false>(n, fixed, C::SINGLE) else { return 0 };
                self.copy_out(c.old, dst, c.n, es);
                self.publish::<false>(c, C::SINGLE);
                c.n
            } else if fixed {
                ffi::rte_ring_dequeue_bulk_elem(
                    self.ring(),
                    dst.cast(),
                    self.esize,
                    n,
                    std::ptr::null_mut(),
                )
            } else {
                ffi::rte_ring_dequeue_burst_elem(
                    self.ring(),
                    dst.cast(),
                    self.esize,
                    n,
                    std::ptr::null_mut(),
                )
            }
        }
    }

    fn count(&self) -> u32 {
        // SAFETY: a live ring.
        unsafe { ffi::rte_ring_count(self.ring()) }
    }

    fn capacity(&self) -> u32 {
        // SAFETY: a live ring.
        unsafe { ffi::rte_ring_get_capacity(self.ring()) }
    }

    fn name(&self) -> String {
        // SAFETY: DPDK keeps the name NUL-terminated.
        unsafe { std::ffi::CStr::from_ptr((*self.ring()).name.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }
}

/// The same pointer, with what the optimiser knew about it forgotten (no instruction).
///
/// A caller's buffer (`&[E]` to enqueue, or a local array to dequeue into) is known not to
/// alias the ring, and with that knowledge LLVM turns the element copy into a call to
/// libc's `memcpy`, which costs more than the whole ring operation for a few elements;
/// without it, the copy stays an inline vector loop, as DPDK's is.
#[inline(always)]
fn opaque(mut p: *const u8) -> *const u8 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: an empty asm that only claims to change a register.
    unsafe {
        std::arch::asm!("/* {0} */", inout(reg) p, options(pure, readonly, nostack, preserves_flags));
    }
    p
}

/// `__rte_ring_update_tail`: wait for earlier producers (consumers) to publish, then
/// publish ours.
#[inline(always)]
unsafe fn update_tail(tail: *mut u32, old: u32, new: u32, single: bool) {
    let tail = atomic(tail);
    if !single {
        while tail.load(Ordering::Relaxed) != old {
            std::hint::spin_loop();
        }
    }
    tail.store(new, Ordering::Release);
}

/// A bulk's count as DPDK takes it, or `None` above `u32::MAX` (more than any ring holds,
/// so such a bulk never fits, and must not be cut down to its low 32 bits).
#[inline(always)]
fn bulk_count(len: usize) -> Option<u32> {
    u32::try_from(len).ok()
}

/// A burst's count as DPDK takes it: a burst moves what it can, so it is capped.
#[inline(always)]
fn burst_count(len: usize) -> u32 {
    len.min(u32::MAX as usize) as u32
}

/// Copies `n` elements of `es` bytes (a multiple of 4): fixed-size moves for the common
/// sizes, as DPDK's `__rte_ring_enqueue_elems_64/128` do. The moves are of `MaybeUninit`
/// words: an element may have padding, which is not an integer.
#[inline(always)]
unsafe fn copy_elems(src: *const u8, dst: *mut u8, n: usize, es: usize) {
    // SAFETY: both ranges hold n * es bytes and do not overlap (ring vs caller memory).
    unsafe {
        match es {
            8 => {
                let (s, d) = (src.cast::<MaybeUninit<u64>>(), dst.cast::<MaybeUninit<u64>>());
                for i in 0..n {
                    d.add(i).write_unaligned(s.add(i).read_unaligned());
                }
            }
            16 => {
                let (s, d) = (src.cast::<MaybeUninit<u128>>(), dst.cast::<MaybeUninit<u128>>());
                for i in 0..n {
                    d.add(i).write_unaligned(s.add(i).read_unaligned());
                }
            }
            _ => std::ptr::copy_nonoverlapping(src, dst, n * es),
        }
    }
}

/// The shared state of a ring's ends: the ring itself, freed (and drained) when the last
/// end goes.
struct Shared<T> {
    raw: RawRing,
    drop_items: unsafe fn(&RawRing, &mut crate::unwind::FirstPanic),
    /// Whether the ring is ours to drain and free (not for rings found by name).
    owned: bool,
    /// Invariant in `T`: a covariant ring would let a `Producer<Box<&'static str>>` be
    /// used as a `Producer<Box<&'short str>>`, and the item would come out of the other
    /// end as `&'static` after its referent died.
    _items: PhantomData<fn(T) -> T>,
}

impl<T> Drop for Shared<T> {
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
    shared: Arc<Shared<T>>,
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
        let shared = Arc::new(Shared {
            raw,
            drop_items: drain_items::<T>,
            owned: true,
            _items: PhantomData,
        });
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
    shared: Arc<Shared<T>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    ring: RingPtr,
    _mode: PhantomData<(P, *const ())>,
}

/// The consuming end of a [`Ring`]; see [`Producer`].
pub struct Consumer<T: RingItem, C: SyncMode = Multi> {
    shared: Arc<Shared<T>>,
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

/// A ring of plain `Copy` values of `size_of::<E>()` bytes (a multiple of 4) through
/// DPDK's `_elem` API; split into [`ElemProducer`] and [`ElemConsumer`].
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::ring::{ElemRing, RingOptions};
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// struct Desc { addr: u64, len: u32, flags: u32 }
/// let ring: ElemRing<Desc> = ElemRing::new("doc_desc", 512, dpdk::SocketId::current(), RingOptions::new())?;
/// let (tx, rx) = ring.split();
/// assert_eq!(tx.enqueue_burst(&[Desc { addr: 1, len: 2, flags: 3 }; 4]), 4);
/// let mut buf = [std::mem::MaybeUninit::uninit(); 8];
/// assert_eq!(rx.dequeue_burst(&mut buf).len(), 4);
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct ElemRing<E: Copy, P: SyncMode = Multi, C: SyncMode = Multi> {
    shared: Arc<Shared<E>>,
    _modes: PhantomData<(P, C)>,
}

impl<E: Copy, P: SyncMode, C: SyncMode> ElemRing<E, P, C> {
    /// A ring of `count` elements of `E` (`rte_ring_create_elem`).
    ///
    /// # Errors
    /// As [`Ring::new`]; [`Error::InvalidArgument`] if `size_of::<E>()` is not a nonzero
    /// multiple of 4.
    pub fn new(
        name: &str,
        count: u32,
        socket: SocketId,
        options: RingOptions<P, C>,
    ) -> Result<Self> {
        let esize = u32::try_from(std::mem::size_of::<E>()).unwrap_or(0);
        let raw = RawRing::create(name, esize, count, socket, options.flags())?;
        let shared =
            Arc::new(Shared { raw, drop_items: drain_nothing, owned: true, _items: PhantomData });
        Ok(ElemRing { shared, _modes: PhantomData })
    }

    /// The two ends.
    pub fn split(self) -> (ElemProducer<E, P>, ElemConsumer<E, C>) {
        let ring = *self.shared.raw;
        let producer = ElemProducer { shared: self.shared.clone(), ring, _mode: PhantomData };
        (producer, ElemConsumer { shared: self.shared, ring, _mode: PhantomData })
    }

    /// How many elements it holds at most.
    pub fn capacity(&self) -> u32 {
        self.shared.raw.capacity()
    }
}

impl<E: Copy, P: SyncMode, C: SyncMode> fmt::Debug for ElemRing<E, P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ElemRing({:?})", self.shared.raw.name())
    }
}

/// The producing end of an [`ElemRing`] (sharing rules as [`Producer`]).
pub struct ElemProducer<E: Copy, P: SyncMode = Multi> {
    shared: Arc<Shared<E>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    ring: RingPtr,
    _mode: PhantomData<(P, *const ())>,
}

/// The consuming end of an [`ElemRing`].
pub struct ElemConsumer<E: Copy, C: SyncMode = Multi> {
    shared: Arc<Shared<E>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    ring: RingPtr,
    _mode: PhantomData<(C, *const ())>,
}

// SAFETY: as for Producer/Consumer: values move between threads (E: Send).
unsafe impl<E: Copy + Send, P: SyncMode> Send for ElemProducer<E, P> {}
// SAFETY: shared modes are DPDK's multi-thread algorithms.
unsafe impl<E: Copy + Send, P: SharedMode> Sync for ElemProducer<E, P> {}
// SAFETY: as above.
unsafe impl<E: Copy + Send, C: SyncMode> Send for ElemConsumer<E, C> {}
// SAFETY: as above.
unsafe impl<E: Copy + Send, C: SharedMode> Sync for ElemConsumer<E, C> {}

impl<E: Copy, P: SharedMode> Clone for ElemProducer<E, P> {
    fn clone(&self) -> Self {
        ElemProducer { shared: self.shared.clone(), ring: self.ring, _mode: PhantomData }
    }
}

impl<E: Copy, C: SharedMode> Clone for ElemConsumer<E, C> {
    fn clone(&self) -> Self {
        ElemConsumer { shared: self.shared.clone(), ring: self.ring, _mode: PhantomData }
    }
}

impl<E: Copy, P: SyncMode> ElemProducer<E, P> {
    /// Enqueues one value; `Err` with it when the ring is full.
    #[inline]
    pub fn enqueue(&self, value: E) -> std::result::Result<(), E> {
        // SAFETY: the ring's elements are size_of::<E>() bytes; this end's mode is P.
        if unsafe { self.ring.enqueue_value::<P, E>(value) } {
            Ok(())
        } else {
            Err(value)
        }
    }

    /// Enqueues all of `values` or none.
    ///
    /// # Errors
    /// [`RingFull`] when there is no room for all.
    #[inline]
    pub fn enqueue_bulk(&self, values: &[E]) -> std::result::Result<(), RingFull> {
        let Some(n) = bulk_count(values.len()) else {
            // SAFETY: a live ring.
            return Err(RingFull { free: unsafe { ffi::rte_ring_free_count(self.ring.ring()) } });
        };
        // SAFETY: n elements of esize bytes.
        match unsafe {
            self.ring.enqueue::<P>(values.as_ptr().cast(), n, true, std::mem::size_of::<E>())
        } {
            (done, _) if done == n => Ok(()),
            (_, free) => Err(RingFull { free }),
        }
    }

    /// Enqueues as many values as fit from the front of `values`; returns how many.
    #[inline]
    pub fn enqueue_burst(&self, values: &[E]) -> usize {
        // SAFETY: n elements of esize bytes.
        unsafe {
            self.ring
                .enqueue::<P>(
                    values.as_ptr().cast(),
                    burst_count(values.len()),
                    false,
                    std::mem::size_of::<E>(),
                )
                .0 as usize
        }
    }
}

impl<E: Copy, C: SyncMode> ElemConsumer<E, C> {
    /// Dequeues one value.
    #[inline]
    pub fn dequeue(&self) -> Option<E> {
        // SAFETY: the ring's elements are size_of::<E>()-byte values of E written by this
        // ring's producers; this end's mode is C.
        unsafe { self.ring.dequeue_value::<C, E>() }
    }

    /// Dequeues exactly `buf.len()` values or none.
    #[inline]
    pub fn dequeue_bulk<'b>(&self, buf: &'b mut [MaybeUninit<E>]) -> Option<&'b mut [E]> {
        let n = bulk_count(buf.len())?;
        // SAFETY: room for n elements.
        let got = unsafe {
            self.ring.dequeue::<C>(buf.as_mut_ptr().cast(), n, true, std::mem::size_of::<E>())
        };
        // SAFETY: all n written.
        (got == n).then(|| unsafe { &mut *(buf as *mut [MaybeUninit<E>] as *mut [E]) })
    }

    /// Dequeues up to `buf.len()` values; returns the filled front.
    #[inline]
    pub fn dequeue_burst<'b>(&self, buf: &'b mut [MaybeUninit<E>]) -> &'b mut [E] {
        // SAFETY: room for buf.len() elements; the first `got` are written.
        unsafe {
            let got = self.ring.dequeue::<C>(
                buf.as_mut_ptr().cast(),
                burst_count(buf.len()),
                false,
                std::mem::size_of::<E>(),
            );
            &mut *(&mut buf[..got as usize] as *mut [MaybeUninit<E>] as *mut [E])
        }
    }
}

/// A ring found by name (`rte_ring_lookup`), e.g. one C code created: it never frees it,
/// and cannot keep its owner from freeing it, so it reads the ring only at the lookup
/// (name and capacity); counting its items later is `unsafe` ([`len_now`](Self::len_now)),
/// and so are typed ends, since nothing records what the ring holds.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::ring::{Ring, RingOptions, RingRef};
/// let ring: Ring<u64> = Ring::new("doc_ringref", 64, dpdk::SocketId::ANY, RingOptions::new())?;
/// let found = RingRef::lookup("doc_ringref")?;
/// drop(ring); // the owner frees the ring
/// assert_eq!((found.name(), found.capacity()), ("doc_ringref", 63)); // still readable
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct RingRef {
    r: NonNull<ffi::rte_ring>,
    name: String,
    capacity: u32,
    _eal: Eal,
}

impl RingRef {
    /// Finds a ring by name and copies its name and capacity.
    ///
    /// # Errors
    /// [`Error::NotFound`]; name errors.
    #[doc(alias = "rte_ring_lookup")]
    pub fn lookup(name: &str) -> Result<RingRef> {
        let call = || Call::new("rte_ring_lookup", format!("name={name:?}"));
        let cname = check_name(name, NAME_MAX, call)?;
        let eal = Eal::current()?;
        // SAFETY: a lookup by NUL-terminated name.
        let r = unsafe { ffi::rte_ring_lookup(cname.as_ptr()) };
        let r = NonNull::new(r).ok_or_else(|| Error::from_errno(call(), libc::ENOENT))?;
        // The ring lives at least until its owner frees it; reading it right after the
        // lookup is what every user of `rte_ring_lookup` relies on. esize is recorded
        // nowhere in 22.11's struct, and the count reads no element.
        let raw = RawRing { ptr: RingPtr { r, esize: 8 }, _eal: eal };
        let (name, capacity) = (raw.name(), raw.capacity());
        Ok(RingRef { r, name, capacity, _eal: raw._eal })
    }

    /// The ring's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many items it holds at most, as at the lookup (fixed for a ring's life).
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Items in the ring now (`rte_ring_count`).
    ///
    /// # Safety
    /// The ring must still exist: its owner (another process, C code, or a [`Ring`] of
    /// this one) has not freed it.
    #[doc(alias = "rte_ring_count")]
    pub unsafe fn len_now(&self) -> u32 {
        // SAFETY: a live ring, per the contract.
        unsafe { ffi::rte_ring_count(self.r.as_ptr()) }
    }

    /// The raw ring (which may have been freed since the lookup).
    pub fn as_ptr(&self) -> *mut ffi::rte_ring {
        self.r.as_ptr()
    }

    /// Typed ends over this ring, which does not belong to them: dropping them neither
    /// drains nor frees it.
    ///
    /// # Safety
    /// The ring must hold 8-byte elements that are `T`s made with `T::into_raw` (or will
    /// only ever hold such), its sync modes must be `P` and `C` as created, and whoever
    /// created it must not free it while these ends live. A `Single` end must be the
    /// only one of its side in every process.
    pub unsafe fn typed<T: RingItem, P: SyncMode, C: SyncMode>(
        &self,
    ) -> (Producer<T, P>, Consumer<T, C>) {
        let raw = RawRing { ptr: RingPtr { r: self.r, esize: 8 }, _eal: self._eal.clone() };
        let shared =
            Arc::new(Shared { raw, drop_items: drain_nothing, owned: false, _items: PhantomData });
        Ring { shared, _modes: PhantomData }.split()
    }
}

// SAFETY: holds copies and an address it dereferences only in `unsafe` calls.
unsafe impl Send for RingRef {}
// SAFETY: as above.
unsafe impl Sync for RingRef {}

impl fmt::Debug for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingRef")
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .finish()
    }
}
