//! Typed, NUMA-placed object pools over `rte_mempool`: [`Mempool`], its RAII objects
//! ([`Pooled`]), caller-owned batches for bulk moves ([`Batch`]), user-owned caches
//! ([`MempoolCache`]) and an untyped byte-buffer variant ([`BufPool`]).
//!
//! # Safety model
//! - Every object is initialised when the pool is created and dropped when it is freed, so
//!   an object handed out is always a valid `T` holding what its last user left.
//! - Objects borrow their pool (`Pooled<'p, T>`), so safe code cannot free a pool while
//!   objects are out, and an object always goes back to the pool it came from, once.
//!   To send an object through a ring, [`Pooled::into_raw`] gives up the borrow and the
//!   `unsafe` [`Mempool::from_raw`] takes it back.
//! - A pool created with single-producer put or single-consumer get is a
//!   `Mempool<T, Local>`: `Send` but not `Sync`, so no two threads can use it at once.
//! - Objects are `Send` when `T` is; a pool is `Sync` when `T` is `Send` (objects of one
//!   pool are handed to whichever thread asks).
//!
//! These rules are checked by the compiler; each of these fails to compile:
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mempool::{Mempool, MempoolOptions};
//! let pool: Mempool<u64> = Mempool::new("cf1", 63, dpdk::SocketId::ANY, MempoolOptions::new()).unwrap();
//! let obj = pool.get().unwrap();
//! drop(pool); // error: the pool is borrowed by `obj`
//! drop(obj);
//! ```
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mempool::{Local, Mempool, MempoolOptions};
//! let opts = MempoolOptions::new().single_producer_put();
//! let pool: Mempool<u64, Local> = Mempool::new("cf2", 63, dpdk::SocketId::ANY, opts).unwrap();
//! std::thread::scope(|s| {
//!     s.spawn(|| pool.get()); // error: a Local pool is not Sync
//! });
//! ```
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mempool::{Mempool, MempoolOptions};
//! let pool: Mempool<u64> = Mempool::new("cf4", 63, dpdk::SocketId::ANY, MempoolOptions::new()).unwrap();
//! let batch = pool.batch::<8>();
//! std::thread::scope(|s| {
//!     s.spawn(move || drop(batch)); // error: a batch belongs to its thread's lcore
//! });
//! ```
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mempool::{Mempool, MempoolOptions};
//! let pool: Mempool<std::rc::Rc<u8>> =
//!     Mempool::new_with("cf3", 63, dpdk::SocketId::ANY, MempoolOptions::new(), |_| Default::default()).unwrap();
//! std::thread::scope(|s| {
//!     s.spawn(|| pool.get()); // error: Rc is not Send, so the pool is not Sync
//! });
//! ```
//!
//! Objects keep their full type in the pool: the pool and every handle of it (objects,
//! batches, caches) are invariant in `T`, so none can be viewed with a shorter-lived `T`
//! that would let a dangling reference in. Each of these fails to compile:
//!
//! ```compile_fail
//! use dpdk::mempool::Mempool;
//! fn shorten<'a>(p: &'a Mempool<&'static str>) -> &'a Mempool<&'a str> { p } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::mempool::Pooled;
//! fn shorten<'a>(o: Pooled<'a, &'static str>) -> Pooled<'a, &'a str> { o } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::mempool::Batch;
//! fn shorten<'a>(b: Batch<'a, &'static str, 8>) -> Batch<'a, &'a str, 8> { b } // error
//! ```
//!
//! ```compile_fail
//! use dpdk::mempool::MempoolCache;
//! fn shorten<'a>(c: MempoolCache<'a, &'static str>) -> MempoolCache<'a, &'a str> { c } // error
//! ```
//!
//! The same signatures with `T` kept compile, so the lines above fail for variance alone,
//! and a handle's borrow of its pool may still shorten:
//!
//! ```
//! use dpdk::mempool::{Batch, Mempool, MempoolCache, Pooled};
//! fn pool<'a>(p: &'a Mempool<&'static str>) -> &'a Mempool<&'static str> { p }
//! fn object<'a: 'b, 'b>(o: Pooled<'a, &'static str>) -> Pooled<'b, &'static str> { o }
//! fn batch<'a: 'b, 'b>(b: Batch<'a, &'static str, 8>) -> Batch<'b, &'static str, 8> { b }
//! fn cache<'a: 'b, 'b>(c: MempoolCache<'a, &'static str>) -> MempoolCache<'b, &'static str> {
//!     c
//! }
//! ```
//!
//! A short-lived reference cannot go into a pool of longer-lived ones:
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mempool::{Mempool, MempoolOptions};
//! let pool: Mempool<&'static str> =
//!     Mempool::new_with("cf_var", 63, dpdk::SocketId::ANY, MempoolOptions::new(), |_| "").unwrap();
//! {
//!     let owned = String::from("short-lived");
//!     let view: &Mempool<&str> = &pool;
//!     *view.get().unwrap() = owned.as_str(); // error: `owned` does not live long enough
//! }
//! let dangling: &'static str = *pool.get().unwrap();
//! ```
//!
//! # Speed
//! Getting and putting go through the calling lcore's cache exactly as DPDK's inline C
//! does (`rte_mempool_do_generic_get/put` of 22.11), ported to Rust so that the common
//! case, served by the cache, is inlined into the caller; anything else (cache empty or
//! full, no cache, a thread without an lcore id) calls DPDK's own
//! `rte_mempool_generic_get/put` through the generated wrappers, which repeats the same
//! checks and does the rest. The lcore id is read from DPDK's thread-local variable.
//!
//! Like DPDK's C, the fast path reads and writes a cache's fill level with plain 32-bit
//! accesses, and `rte_mempool_avail_count` (behind [`Mempool::available`] and
//! [`Mempool::in_use`]) reads every lcore's fill level from whatever thread asks, with
//! plain loads too. Making only our side atomic would not make DPDK's reads atomic (and
//! measurably slowed small bulks here), so the counts are what DPDK's are: a snapshot that
//! may be stale while other lcores work.

use std::ffi::{c_uint, c_void, CStr};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::lcore::raw_lcore_id;
use crate::SocketId;

/// The longest pool name DPDK accepts, in bytes (`RTE_MEMPOOL_NAMESIZE` - 1, read off
/// the `name` array of `struct rte_mempool`, since the macro itself uses `sizeof`).
pub const NAME_MAX: usize = {
    const fn len_of<const N: usize>(_: fn(&ffi::rte_mempool) -> &[std::ffi::c_char; N]) -> usize {
        N
    }
    len_of(|mp| &mp.name) - 1
};

/// The largest element DPDK's 32-bit size arithmetic handles without wrapping: DPDK
/// rounds the size up (alignment, header, trailer) in 32 bits, and a size near
/// `u32::MAX` wraps to a tiny element that it then accepts.
pub const ELT_SIZE_MAX: u32 = u32::MAX / 2;

/// The largest per-lcore cache DPDK allows (`RTE_MEMPOOL_CACHE_MAX_SIZE`).
pub const CACHE_MAX: u32 = ffi::RTE_MEMPOOL_CACHE_MAX_SIZE;

mod sealed {
    pub trait Sealed {}
}

/// Whether a pool may be used by several threads at once; see [`Shared`] and [`Local`].
pub trait Sharing: sealed::Sealed + 'static {}

/// A pool with multi-producer put and multi-consumer get: `Sync`, used from any thread.
#[derive(Debug)]
pub enum Shared {}

/// A pool with single-producer put and/or single-consumer get: one thread at a time
/// (`Send`, not `Sync`).
#[derive(Debug)]
pub enum Local {}

impl sealed::Sealed for Shared {}
impl sealed::Sealed for Local {}
impl Sharing for Shared {}
impl Sharing for Local {}

/// How to create a pool: per-lcore cache size and DPDK's flags.
///
/// ```
/// use dpdk::mempool::{Local, MempoolOptions};
/// let shared = MempoolOptions::new().cache_size(256);
/// let local: MempoolOptions<Local> = MempoolOptions::new().single_producer_put().single_consumer_get();
/// assert_eq!(local.flags(), dpdk::ffi::RTE_MEMPOOL_F_SP_PUT | dpdk::ffi::RTE_MEMPOOL_F_SC_GET);
/// # let _ = shared;
/// ```
#[must_use]
pub struct MempoolOptions<S: Sharing = Shared> {
    cache_size: u32,
    flags: u32,
    _sharing: PhantomData<S>,
}

impl<S: Sharing> Clone for MempoolOptions<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Sharing> Copy for MempoolOptions<S> {}

impl<S: Sharing> fmt::Debug for MempoolOptions<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MempoolOptions")
            .field("cache_size", &self.cache_size)
            .field("flags", &self.flags)
            .finish()
    }
}

impl Default for MempoolOptions<Shared> {
    fn default() -> Self {
        Self::new()
    }
}

impl MempoolOptions<Shared> {
    /// No per-lcore cache, multi-producer put, multi-consumer get.
    pub fn new() -> Self {
        MempoolOptions { cache_size: 0, flags: 0, _sharing: PhantomData }
    }
}

impl<S: Sharing> MempoolOptions<S> {
    /// Objects each lcore keeps for itself (at most [`CACHE_MAX`] and count / 1.5).
    pub fn cache_size(mut self, size: u32) -> Self {
        self.cache_size = size;
        self
    }

    /// Objects need not be IOVA-contiguous (`RTE_MEMPOOL_F_NO_IOVA_CONTIG`): pools that
    /// no device reads can then use any memory.
    pub fn no_iova_contiguous(mut self) -> Self {
        self.flags |= ffi::RTE_MEMPOOL_F_NO_IOVA_CONTIG;
        self
    }

    /// Do not spread objects over memory channels (`RTE_MEMPOOL_F_NO_SPREAD`).
    pub fn no_spread(mut self) -> Self {
        self.flags |= ffi::RTE_MEMPOOL_F_NO_SPREAD;
        self
    }

    /// Single-producer put (`RTE_MEMPOOL_F_SP_PUT`): the pool becomes [`Local`].
    pub fn single_producer_put(self) -> MempoolOptions<Local> {
        MempoolOptions {
            cache_size: self.cache_size,
            flags: self.flags | ffi::RTE_MEMPOOL_F_SP_PUT,
            _sharing: PhantomData,
        }
    }

    /// Single-consumer get (`RTE_MEMPOOL_F_SC_GET`): the pool becomes [`Local`].
    pub fn single_consumer_get(self) -> MempoolOptions<Local> {
        MempoolOptions {
            cache_size: self.cache_size,
            flags: self.flags | ffi::RTE_MEMPOOL_F_SC_GET,
            _sharing: PhantomData,
        }
    }

    /// The `flags` argument of `rte_mempool_create`.
    pub fn flags(&self) -> u32 {
        self.flags
    }
}

/// What an empty pool answers: the objects asked for were not all there (nothing was
/// taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolEmpty {
    /// How many objects were asked for.
    pub requested: u32,
}

impl fmt::Display for PoolEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the pool has fewer than {} free objects", self.requested)
    }
}

impl std::error::Error for PoolEmpty {}

/// The pool pointer and the operations every pool kind shares (the packet mbuf pool of
/// [`crate::mbuf`] too).
pub(crate) struct RawPool {
    pub(crate) mp: NonNull<ffi::rte_mempool>,
    /// `mp->local_cache`, fixed at creation: null when the pool has no per-lcore cache.
    /// Kept here so the fast path does not load it through `mp` on every call.
    local_cache: *mut ffi::rte_mempool_cache,
    /// The pool's driver (`rte_mempool_get_ops(mp->ops_index)`), fixed at creation.
    ops: *const ffi::rte_mempool_ops,
    _eal: Eal,
}

impl RawPool {
    pub(crate) fn new(mp: NonNull<ffi::rte_mempool>, eal: Eal) -> RawPool {
        // SAFETY: a live pool; DPDK sets local_cache at creation (null without a cache).
        let local_cache = unsafe {
            let mp = mp.as_ptr();
            if (*mp).cache_size == 0 {
                std::ptr::null_mut()
            } else {
                (*mp).local_cache
            }
        };
        // SAFETY: as above; ops_index was checked by DPDK when the pool was populated.
        let ops = unsafe { ffi::rte_mempool_get_ops((*mp.as_ptr()).ops_index) };
        RawPool { mp, local_cache, ops, _eal: eal }
    }

    /// The calling lcore's cache of this pool, or null (no cache, or no lcore id): what
    /// `rte_mempool_default_cache(mp, rte_lcore_id())` returns.
    #[inline(always)]
    pub(crate) fn default_cache(&self) -> *mut ffi::rte_mempool_cache {
        self.cache_of(raw_lcore_id())
    }

    /// Lcore `lcore`'s cache of this pool, or null.
    #[inline(always)]
    pub(crate) fn cache_of(&self, lcore: u32) -> *mut ffi::rte_mempool_cache {
        if self.local_cache.is_null() || lcore >= ffi::RTE_MAX_LCORE {
            std::ptr::null_mut()
        } else {
            // SAFETY: the cache array has RTE_MAX_LCORE entries.
            unsafe { self.local_cache.add(lcore as usize) }
        }
    }

    /// Gets `n` objects into `dst` through `cache`, all or nothing.
    ///
    /// # Safety
    /// `dst` has room for `n` pointers; `cache` is null or a cache that only the calling
    /// thread uses now (its lcore's default cache, or a user cache it holds exclusively).
    #[inline(always)]
    pub(crate) unsafe fn get(
        &self,
        dst: *mut *mut c_void,
        n: u32,
        cache: *mut ffi::rte_mempool_cache,
    ) -> bool {
        if n == 0 {
            return true; // DPDK's ring drivers fail a bulk of none (-ENOBUFS)
        }
        let mp = self.mp.as_ptr();
        if !crate::inline::MEMPOOL {
            // SAFETY: per the contract.
            return unsafe { ffi::rte_mempool_generic_get(mp, dst, n, cache) == 0 };
        }
        // SAFETY: per the contract. Mirrors rte_mempool_do_generic_get of 22.11: served
        // wholly from the cache (newest objects first, from the top), or with no cache
        // straight from the driver; anything else (refilling the cache) is left to C.
        unsafe {
            if cache.is_null() {
                let dequeue = (*self.ops).dequeue.unwrap_unchecked();
                return dequeue(mp, dst, n) >= 0;
            }
            let len = (*cache).len;
            if n <= len {
                let top = (*cache).objs.as_ptr().add(len as usize);
                for i in 0..n as usize {
                    *dst.add(i) = *top.sub(i + 1);
                }
                (*cache).len = len - n;
                return true;
            }
            ffi::rte_mempool_generic_get(mp, dst, n, cache) == 0
        }
    }

    /// Puts `n` objects from `src` through `cache`.
    ///
    /// # Safety
    /// `src` holds `n` objects of this pool that nobody uses any more; `cache` as in `get`.
    #[inline(always)]
    pub(crate) unsafe fn put(
        &self,
        src: *const *mut c_void,
        n: u32,
        cache: *mut ffi::rte_mempool_cache,
    ) {
        let mp = self.mp.as_ptr();
        if !crate::inline::MEMPOOL {
            // SAFETY: per the contract.
            return unsafe { ffi::rte_mempool_generic_put(mp, src, n, cache) };
        }
        // SAFETY: per the contract. Mirrors rte_mempool_do_generic_put of 22.11: into the
        // cache when it fits under the flush threshold, with no cache straight to the
        // driver; flushing a full cache is left to C.
        unsafe {
            if cache.is_null() {
                let enqueue = (*self.ops).enqueue.unwrap_unchecked();
                enqueue(mp, src, n);
                return;
            }
            let len = (*cache).len;
            if len + n <= (*cache).flushthresh {
                let at = (*cache).objs.as_mut_ptr().add(len as usize);
                copy_pointers(src, at, n as usize);
                (*cache).len = len + n;
                return;
            }
            ffi::rte_mempool_generic_put(mp, src, n, cache)
        }
    }

    /// One object through `cache`: [`get`](Self::get) with `n == 1`, returning the
    /// pointer in a register instead of through memory.
    ///
    /// # Safety
    /// As `get`.
    #[inline(always)]
    pub(crate) unsafe fn get_one(
        &self,
        cache: *mut ffi::rte_mempool_cache,
    ) -> Option<NonNull<c_void>> {
        if crate::inline::MEMPOOL && !cache.is_null() {
            // SAFETY: the calling thread's cache (per the contract); the top object.
            unsafe {
                let len = (*cache).len;
                if len != 0 {
                    (*cache).len = len - 1;
                    return NonNull::new(*(*cache).objs.as_ptr().add(len as usize - 1));
                }
            }
        }
        let mut obj = MaybeUninit::<*mut c_void>::uninit();
        // SAFETY: room for one pointer; per the contract.
        let ok = unsafe { self.get(obj.as_mut_ptr(), 1, cache) };
        // SAFETY: written by a successful get.
        ok.then(|| unsafe { NonNull::new_unchecked(obj.assume_init()) })
    }

    /// One object back through `cache`: [`put`](Self::put) with `n == 1`.
    ///
    /// # Safety
    /// As `put`.
    #[inline(always)]
    pub(crate) unsafe fn put_one(&self, obj: *mut c_void, cache: *mut ffi::rte_mempool_cache) {
        if crate::inline::MEMPOOL && !cache.is_null() {
            // SAFETY: the calling thread's cache (per the contract), with room below the
            // flush threshold.
            unsafe {
                let len = (*cache).len;
                if len < (*cache).flushthresh {
                    *(*cache).objs.as_mut_ptr().add(len as usize) = obj;
                    (*cache).len = len + 1;
                    return;
                }
            }
        }
        // SAFETY: per the contract.
        unsafe { self.put(&obj, 1, cache) }
    }

    /// Objects in the pool and in lcore caches (`rte_mempool_avail_count`).
    pub(crate) fn available(&self) -> u32 {
        // SAFETY: a live pool.
        unsafe { ffi::rte_mempool_avail_count(self.mp.as_ptr()) }
    }

    /// Objects handed out (`rte_mempool_in_use_count`).
    pub(crate) fn in_use(&self) -> u32 {
        // SAFETY: a live pool.
        unsafe { ffi::rte_mempool_in_use_count(self.mp.as_ptr()) }
    }

    /// How many objects the pool has.
    pub(crate) fn capacity(&self) -> u32 {
        // SAFETY: a live pool; its size never changes.
        unsafe { (*self.mp.as_ptr()).size }
    }

    /// The socket the pool's memory is on (from DPDK's memsegs of its first object), or
    /// `None` when DPDK cannot tell.
    pub(crate) fn socket(&self) -> Option<SocketId> {
        let mut first: Option<*mut c_void> = None;
        unsafe extern "C" fn first_obj(
            _: *mut ffi::rte_mempool,
            arg: *mut c_void,
            obj: *mut c_void,
            idx: c_uint,
        ) {
            if idx == 0 {
                // SAFETY: `arg` is the Option passed below.
                unsafe { *arg.cast::<Option<*mut c_void>>() = Some(obj) };
            }
        }
        // SAFETY: the callback only records a pointer.
        unsafe {
            ffi::rte_mempool_obj_iter(
                self.mp.as_ptr(),
                Some(first_obj),
                (&mut first as *mut Option<_>).cast(),
            )
        };
        first.and_then(|obj| crate::malloc::socket_of(obj.cast()))
    }

    pub(crate) fn info(&self) -> PoolInfo {
        PoolInfo::read(self.mp.as_ptr())
    }
}

/// `rte_mempool_put_bulk(mp, src, n)` for any pool (an mbuf goes back to whichever pool
/// it names), through the calling lcore's default cache: the cache's fast path inlined
/// as in [`RawPool::put`], anything else through DPDK's C.
///
/// # Safety
/// `mp` is a live pool; `src` holds `n` objects of it that nobody uses any more.
#[inline(always)]
pub(crate) unsafe fn put_any(mp: *mut ffi::rte_mempool, src: *const *mut c_void, n: u32) {
    let lcore = raw_lcore_id();
    // SAFETY: a live pool (the caller's contract); its cache fields are fixed at creation.
    let cache = unsafe {
        if (*mp).cache_size == 0 || lcore >= ffi::RTE_MAX_LCORE {
            std::ptr::null_mut()
        } else {
            (*mp).local_cache.add(lcore as usize)
        }
    };
    if crate::inline::MEMPOOL && !cache.is_null() {
        // SAFETY: the calling thread's lcore cache; room below the flush threshold.
        unsafe {
            let len = (*cache).len;
            if len + n <= (*cache).flushthresh {
                let at = (*cache).objs.as_mut_ptr().add(len as usize);
                copy_pointers(src, at, n as usize);
                (*cache).len = len + n;
                return;
            }
        }
    }
    // SAFETY: per the contract; DPDK's own put does the rest (flush, no cache).
    unsafe { ffi::rte_mempool_generic_put(mp, src, n, cache) }
}

/// Copies `n` pointers like DPDK's inline `rte_memcpy`: small counts with two fixed-size,
/// possibly overlapping moves (inlined), instead of a call to libc's `memcpy`, which
/// costs more than the whole cache operation for a few objects.
///
/// # Safety
/// `src` is readable and `dst` writable for `n` pointers; they do not overlap.
#[inline(always)]
unsafe fn copy_pointers(src: *const *mut c_void, dst: *mut *mut c_void, n: usize) {
    /// Copies `K` pointers from the start and `K` from the end (`K <= n <= 2K`).
    #[inline(always)]
    unsafe fn two<const K: usize>(src: *const *mut c_void, dst: *mut *mut c_void, n: usize) {
        type Chunk<const K: usize> = [*mut c_void; K];
        // SAFETY: K <= n, so both chunks lie within the n pointers (the caller's contract).
        unsafe {
            let head = src.cast::<Chunk<K>>().read_unaligned();
            let tail = src.add(n - K).cast::<Chunk<K>>().read_unaligned();
            dst.cast::<Chunk<K>>().write_unaligned(head);
            dst.add(n - K).cast::<Chunk<K>>().write_unaligned(tail);
        }
    }
    // SAFETY: each arm copies exactly the n pointers, per the caller's contract.
    unsafe {
        match n {
            0 => {}
            1 => *dst = *src,
            2..=3 => two::<2>(src, dst, n),
            4..=7 => two::<4>(src, dst, n),
            8..=15 => two::<8>(src, dst, n),
            16..=31 => two::<16>(src, dst, n),
            _ => std::ptr::copy_nonoverlapping(src, dst, n),
        }
    }
}

/// What DPDK records about a pool, and its counts at the time of reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    /// Its name.
    pub name: String,
    /// How many objects it has.
    pub capacity: u32,
    /// Objects in the pool or in lcore caches (`rte_mempool_avail_count`).
    pub available: u32,
    /// Objects handed out (`rte_mempool_in_use_count`).
    pub in_use: u32,
    /// Bytes per object.
    pub element_size: u32,
    /// Per-lcore cache size.
    pub cache_size: u32,
    /// Socket asked for at creation (`SocketId::ANY` if none).
    pub socket: SocketId,
    /// DPDK's flags.
    pub flags: u32,
}

impl PoolInfo {
    fn read(mp: *mut ffi::rte_mempool) -> PoolInfo {
        // SAFETY: a live pool; counts are read the way DPDK's own dump reads them.
        unsafe {
            PoolInfo {
                name: CStr::from_ptr((*mp).name.as_ptr()).to_string_lossy().into_owned(),
                capacity: (*mp).size,
                available: ffi::rte_mempool_avail_count(mp),
                in_use: ffi::rte_mempool_in_use_count(mp),
                element_size: (*mp).elt_size,
                cache_size: (*mp).cache_size,
                socket: SocketId::from_dpdk((*mp).socket_id),
                flags: (*mp).flags,
            }
        }
    }
}

/// A pool of `count` objects of type `T` in DPDK memory on a chosen socket.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mempool::{Mempool, MempoolOptions};
/// use dpdk::SocketId;
/// #[derive(Default)]
/// struct Flow { packets: u64, bytes: u64 }
///
/// let pool: Mempool<Flow> =
///     Mempool::new("doc_flows", 1023, SocketId::current(), MempoolOptions::new().cache_size(32))?;
/// let mut flow = pool.get().expect("a free object");
/// flow.packets += 1;
/// assert_eq!(pool.in_use(), 1);
/// drop(flow); // back to the pool
/// assert_eq!(pool.in_use(), 0);
///
/// let mut batch = pool.batch::<32>();
/// batch.get_bulk(32)?; // all or nothing
/// batch.iter_mut().for_each(|f| f.bytes = 0);
/// batch.put_all();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Mempool<T, S: Sharing = Shared> {
    raw: RawPool,
    /// Owns `T`s, and is invariant in `T`: objects are taken and written through `&self`,
    /// so a covariant `&Mempool<&'static str>` could become a `&Mempool<&'short str>`,
    /// store a short-lived reference in an object, and hand it out later as `'static`.
    _owns: PhantomData<(T, Invariant<T>, S)>,
}

/// A marker type that is invariant in `T`.
type Invariant<T> = fn(T) -> T;

// SAFETY: the pool owns its objects; moving the handle to another thread moves them (T:
// Send). DPDK's pool memory is usable from any thread.
unsafe impl<T: Send, S: Sharing> Send for Mempool<T, S> {}
// SAFETY: through &Mempool<T, Shared>, any thread may take objects (&mut T on that thread,
// hence T: Send) and put them back; the pool's ring is multi-producer/multi-consumer and
// each lcore cache is used only by its lcore's thread. Local pools are not Sync.
unsafe impl<T: Send> Sync for Mempool<T, Shared> {}

struct InitState<F> {
    init: F,
    failed_at: Option<u32>,
    panic: Option<Box<dyn std::any::Any + Send>>,
}

unsafe extern "C" fn init_object<T, F: FnMut(u32) -> T>(
    _mp: *mut ffi::rte_mempool,
    arg: *mut c_void,
    obj: *mut c_void,
    idx: c_uint,
) {
    // SAFETY: `arg` is the InitState that Mempool::new_with passed for this create call.
    let state = unsafe { &mut *arg.cast::<InitState<F>>() };
    if state.failed_at.is_some() {
        return;
    }
    match catch_unwind(AssertUnwindSafe(|| (state.init)(idx))) {
        // SAFETY: `obj` is an element of at least size_of::<T>() bytes, suitably aligned.
        Ok(value) => unsafe { obj.cast::<T>().write(value) },
        Err(payload) => {
            state.failed_at = Some(idx);
            state.panic = Some(payload);
        }
    }
}

/// What [`drop_object`] works with: the objects to drop, and the first panic of their drops.
struct DropObjects {
    /// Objects whose index is below this are dropped (all of them for `u32::MAX`).
    below: u32,
    panic: crate::unwind::FirstPanic,
}

/// Drops the object if its index is below the limit in `*arg` (a [`DropObjects`]).
unsafe extern "C" fn drop_object<T>(
    _mp: *mut ffi::rte_mempool,
    arg: *mut c_void,
    obj: *mut c_void,
    idx: c_uint,
) {
    // SAFETY: `arg` is the DropObjects of `drop_objects`, used by this walk only.
    let state = unsafe { &mut *arg.cast::<DropObjects>() };
    if idx < state.below {
        // SAFETY: objects below the limit hold a valid T, dropped once. A panicking Drop
        // must not unwind into DPDK: it is caught, kept, and resumed after the walk.
        state.panic.run(|| unsafe { std::ptr::drop_in_place(obj.cast::<T>()) });
    }
}

impl<T: Default, S: Sharing> Mempool<T, S> {
    /// A pool of `count` objects, each `T::default()`, on `socket`.
    ///
    /// # Errors
    /// As [`new_with`](Self::new_with).
    #[doc(alias = "rte_mempool_create")]
    pub fn new(
        name: &str,
        count: u32,
        socket: SocketId,
        options: MempoolOptions<S>,
    ) -> Result<Self> {
        Self::new_with(name, count, socket, options, |_| T::default())
    }
}

impl<T, S: Sharing> Mempool<T, S> {
    /// A pool of `count` objects, object `i` made by `init(i)`, on `socket`
    /// (`rte_mempool_create`).
    ///
    /// `init` runs under `catch_unwind`: if it panics, the objects made so far are
    /// dropped, the pool is freed, and the panic resumes here.
    ///
    /// # Errors
    /// [`Error::InvalidName`] / [`Error::NameTooLong`]; [`Error::InvalidArgument`] for a
    /// zero count, a cache larger than [`CACHE_MAX`] or than `count / 1.5`, or a `T`
    /// larger than [`ELT_SIZE_MAX`]; [`Error::Unsupported`] for a `T` aligned
    /// beyond a cache line; [`Error::AlreadyExists`] for a taken name;
    /// [`Error::NoMemory`] when the socket's memory cannot hold the pool.
    pub fn new_with<F: FnMut(u32) -> T>(
        name: &str,
        count: u32,
        socket: SocketId,
        options: MempoolOptions<S>,
        init: F,
    ) -> Result<Self> {
        let size = std::mem::size_of::<T>().max(1);
        let call = || {
            Call::new(
                "rte_mempool_create",
                format!(
                    "name={name:?}, n={count}, elt_size={size}, cache_size={}, socket={}, flags={:#x}",
                    options.cache_size,
                    socket.as_raw(),
                    options.flags
                ),
            )
        };
        let cname = check_name(name, NAME_MAX, call)?;
        let invalid = |message: String| Error::InvalidArgument { call: call(), message };
        if count == 0 {
            return Err(invalid("a pool needs at least one object".into()));
        }
        let cache = options.cache_size;
        if cache > CACHE_MAX || cache as u64 * 3 > count as u64 * 2 {
            return Err(invalid(format!(
                "cache size {cache} exceeds DPDK's limit: at most {CACHE_MAX} and count / 1.5 = {}",
                count as u64 * 2 / 3
            )));
        }
        let elt_size = u32::try_from(size)
            .ok()
            .filter(|&s| s <= ELT_SIZE_MAX)
            .ok_or_else(|| invalid(format!("an object of {size} bytes is above {ELT_SIZE_MAX}")))?;
        if std::mem::align_of::<T>() > crate::malloc::CACHE_LINE {
            return Err(Error::Unsupported {
                call: call(),
                message: format!(
                    "objects are cache-line aligned; {} needs {}",
                    std::any::type_name::<T>(),
                    std::mem::align_of::<T>()
                ),
            });
        }
        let eal = Eal::current()?;
        let mut state = InitState { init, failed_at: None, panic: None };
        let init_cb: ffi::rte_mempool_obj_cb_t = Some(init_object::<T, F>);
        // SAFETY: a NUL-terminated name and checked arguments; the callback writes a T into
        // each object and `state` outlives the call.
        let mp = unsafe {
            ffi::rte_mempool_create(
                cname.as_ptr(),
                count,
                elt_size,
                cache,
                0,
                None,
                std::ptr::null_mut(),
                init_cb,
                (&mut state as *mut InitState<F>).cast(),
                socket.as_raw(),
                options.flags,
            )
        };
        let mp = NonNull::new(mp).ok_or_else(|| Error::from_rte_errno(call()))?;
        let pool = Mempool { raw: RawPool::new(mp, eal), _owns: PhantomData };
        // SAFETY: a live pool.
        debug_assert!(unsafe { (*mp.as_ptr()).elt_size } >= elt_size);
        if let Some(failed_at) = state.failed_at {
            // Drop the objects made before the panic, free the pool, and go on unwinding.
            // A drop that panics too is dropped in favour of the first panic.
            std::mem::forget(pool.drop_objects(failed_at));
            // SAFETY: no object is out; the pool is freed once (its Drop is skipped).
            unsafe { ffi::rte_mempool_free(pool.raw.mp.as_ptr()) };
            let pool = ManuallyDrop::new(pool);
            // SAFETY: releases the pool's EAL reference; the rest is plain data.
            drop(unsafe { std::ptr::read(&pool.raw._eal) });
            std::panic::resume_unwind(state.panic.expect("a panic was caught"));
        }
        Ok(pool)
    }

    /// Drops the objects whose index is below `below`, all of them even if some drops
    /// panic; returns the first panic, to resume once the pool is freed.
    fn drop_objects(&self, below: u32) -> crate::unwind::FirstPanic {
        let mut state = DropObjects { below, panic: Default::default() };
        if !std::mem::needs_drop::<T>() {
            return state.panic;
        }
        // SAFETY: visits every object once; the callback drops those below the limit.
        unsafe {
            ffi::rte_mempool_obj_iter(
                self.raw.mp.as_ptr(),
                Some(drop_object::<T>),
                (&mut state as *mut DropObjects).cast(),
            )
        };
        state.panic
    }

    /// An object, from the calling lcore's cache when it has one, or `None` if the pool
    /// is empty (objects in other lcores' caches are not taken).
    #[doc(alias = "rte_mempool_get")]
    #[inline]
    pub fn get(&self) -> Option<Pooled<'_, T, S>> {
        // SAFETY: the default cache is this thread's lcore's.
        let obj = unsafe { self.raw.get_one(self.raw.default_cache()) }?;
        Some(Pooled { ptr: obj.cast(), pool: self })
    }

    /// A caller-owned buffer for up to `N` objects of this pool, for bulk moves.
    pub fn batch<const N: usize>(&self) -> Batch<'_, T, N, S> {
        // DPDK counts a bulk in 32 bits: a larger batch could not be filled in one call.
        const { assert!(N <= u32::MAX as usize, "a batch holds at most u32::MAX objects") };
        let pin = crate::lcore::LcorePin::new();
        let cache = self.raw.cache_of(pin.id());
        Batch { pool: self, cache, _pin: pin, len: 0, ptrs: [MaybeUninit::uninit(); N] }
    }

    /// Takes back an object given up with [`Pooled::into_raw`].
    ///
    /// # Safety
    /// `ptr` must come from `into_raw` on an object of this pool, and be taken back once.
    pub unsafe fn from_raw(&self, ptr: NonNull<T>) -> Pooled<'_, T, S> {
        Pooled { ptr, pool: self }
    }

    /// A user-owned cache of up to `size` objects for a thread without an lcore id
    /// (`rte_mempool_cache_create`), on `socket`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a size of 0 or above [`CACHE_MAX`];
    /// [`Error::NoMemory`].
    #[doc(alias = "rte_mempool_cache_create")]
    pub fn cache(&self, size: u32, socket: SocketId) -> Result<MempoolCache<'_, T, S>> {
        let call = || {
            Call::new(
                "rte_mempool_cache_create",
                format!("size={size}, socket={}", socket.as_raw()),
            )
        };
        if size == 0 || size > CACHE_MAX {
            return Err(Error::InvalidArgument {
                call: call(),
                message: format!("cache size must be 1..={CACHE_MAX}"),
            });
        }
        // SAFETY: checked size; DPDK allocates the cache.
        let cache = unsafe { ffi::rte_mempool_cache_create(size, socket.as_raw()) };
        let cache = NonNull::new(cache).ok_or_else(|| Error::from_rte_errno(call()))?;
        Ok(MempoolCache { cache, pool: self, _not_sync: PhantomData })
    }

    /// Objects in the pool and in lcore caches (`rte_mempool_avail_count`).
    #[doc(alias = "rte_mempool_avail_count")]
    pub fn available(&self) -> u32 {
        self.raw.available()
    }

    /// Objects handed out (`rte_mempool_in_use_count`).
    #[doc(alias = "rte_mempool_in_use_count")]
    pub fn in_use(&self) -> u32 {
        self.raw.in_use()
    }

    /// How many objects the pool has.
    pub fn capacity(&self) -> u32 {
        self.raw.capacity()
    }

    /// Name, counts, sizes and socket.
    pub fn info(&self) -> PoolInfo {
        self.raw.info()
    }

    /// The socket the pool's memory is on (from DPDK's memsegs of its first object).
    pub fn socket(&self) -> Option<SocketId> {
        self.raw.socket()
    }

    /// Checks the pool's consistency (`rte_mempool_audit`). DPDK panics (aborts the
    /// process) on an inconsistent pool; the check only runs in DPDK builds with
    /// `RTE_LIBRTE_MEMPOOL_DEBUG`, and otherwise checks the cache lengths.
    #[doc(alias = "rte_mempool_audit")]
    pub fn audit(&self) {
        // SAFETY: a live pool.
        unsafe { ffi::rte_mempool_audit(self.raw.mp.as_ptr()) }
    }

    /// Calls `f` on every object (`rte_mempool_obj_iter`), which needs every object back
    /// in the pool: `&mut self` rules out borrowed ones.
    ///
    /// # Errors
    /// [`Error::Busy`] if objects are out (given up with `into_raw`).
    #[doc(alias = "rte_mempool_obj_iter")]
    pub fn for_each_mut(&mut self, mut f: impl FnMut(u32, &mut T)) -> Result<()> {
        let in_use = self.in_use();
        if in_use != 0 {
            return Err(Error::Busy {
                call: Call::new("rte_mempool_obj_iter", self.info().name),
                message: format!("{in_use} objects are out of the pool"),
            });
        }
        let mut objs: Vec<(u32, *mut T)> = Vec::with_capacity(self.capacity() as usize);
        unsafe extern "C" fn collect<T>(
            _: *mut ffi::rte_mempool,
            arg: *mut c_void,
            obj: *mut c_void,
            idx: c_uint,
        ) {
            // SAFETY: `arg` is the Vec passed below, with room reserved.
            unsafe { (*arg.cast::<Vec<(u32, *mut T)>>()).push((idx, obj.cast())) };
        }
        // SAFETY: the callback only records pointers.
        unsafe {
            ffi::rte_mempool_obj_iter(
                self.raw.mp.as_ptr(),
                Some(collect::<T>),
                (&mut objs as *mut Vec<_>).cast(),
            )
        };
        for (idx, obj) in objs {
            // SAFETY: every object is in the pool (none is out), initialised, and
            // `&mut self` keeps anyone from taking one meanwhile.
            f(idx, unsafe { &mut *obj });
        }
        Ok(())
    }

    /// The raw pool, for DPDK calls this crate does not wrap.
    pub fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.raw.mp.as_ptr()
    }
}

impl<T, S: Sharing> Drop for Mempool<T, S> {
    fn drop(&mut self) {
        let out = self.in_use();
        if out != 0 {
            log::warn!(
                "mempool {:?} freed with {out} objects out (given up with into_raw); they are dropped too",
                self.info().name
            );
        }
        let panic = self.drop_objects(u32::MAX);
        // SAFETY: the pool is freed once; borrows of it (objects, batches, caches) are gone.
        // Freed (and its name given back) even if an object's drop panicked.
        unsafe { ffi::rte_mempool_free(self.raw.mp.as_ptr()) };
        panic.resume();
    }
}

impl<T, S: Sharing> fmt::Debug for Mempool<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mempool").field(&self.info()).finish()
    }
}

/// Finds a pool by name (`rte_mempool_lookup`), e.g. one another process or C code made,
/// and copies what DPDK says about it. The handle does not own the pool and never frees
/// it, and cannot keep its owner from freeing it: so it reads the pool only once, at the
/// lookup ([`MempoolRef::info`]); reading it again is `unsafe`
/// ([`MempoolRef::info_now`]).
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mempool::{self, Mempool, MempoolOptions};
/// let pool: Mempool<u64> = Mempool::new("doc_lookup", 63, dpdk::SocketId::ANY, MempoolOptions::new())?;
/// let found = mempool::lookup("doc_lookup")?;
/// drop(pool); // the owner frees the pool
/// assert_eq!(found.info().capacity, 63); // what the lookup saw, still readable
/// assert!(format!("{found:?}").contains("doc_lookup"));
/// # Ok::<(), dpdk::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotFound`]; name errors as in [`Mempool::new`].
#[doc(alias = "rte_mempool_lookup")]
pub fn lookup(name: &str) -> Result<MempoolRef> {
    let call = || Call::new("rte_mempool_lookup", format!("name={name:?}"));
    let cname = check_name(name, NAME_MAX, call)?;
    let eal = Eal::current()?;
    // SAFETY: a lookup by NUL-terminated name.
    let mp = unsafe { ffi::rte_mempool_lookup(cname.as_ptr()) };
    let mp = NonNull::new(mp).ok_or_else(|| Error::from_errno(call(), libc::ENOENT))?;
    // The pool lives at least until its owner frees it, which the owner could do at any
    // time from here on; reading it right after the lookup is what every user of
    // `rte_mempool_lookup` relies on.
    let info = PoolInfo::read(mp.as_ptr());
    Ok(MempoolRef { mp, info, _eal: eal })
}

/// A pool found by name ([`lookup`]): what DPDK said about it then, and its address.
pub struct MempoolRef {
    mp: NonNull<ffi::rte_mempool>,
    info: PoolInfo,
    _eal: Eal,
}

impl MempoolRef {
    /// Name, counts, sizes and socket, as they were at the lookup.
    pub fn info(&self) -> &PoolInfo {
        &self.info
    }

    /// Name, counts, sizes and socket as they are now (`rte_mempool_avail_count` ...).
    ///
    /// # Safety
    /// The pool must still exist: its owner (another process, C code, or a [`Mempool`]
    /// of this one) has not freed it.
    pub unsafe fn info_now(&self) -> PoolInfo {
        PoolInfo::read(self.mp.as_ptr())
    }

    /// The raw pool (which may have been freed since the lookup).
    pub fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.mp.as_ptr()
    }
}

// SAFETY: holds a copy and an address it does not dereference in safe code.
unsafe impl Send for MempoolRef {}
// SAFETY: as above.
unsafe impl Sync for MempoolRef {}

impl fmt::Debug for MempoolRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MempoolRef").field(&self.info).finish()
    }
}

/// An object of a [`Mempool`]: derefs to `T`, goes back to its pool when dropped.
pub struct Pooled<'p, T, S: Sharing = Shared> {
    ptr: NonNull<T>,
    pool: &'p Mempool<T, S>,
}

// SAFETY: the object is owned by this handle; sending it sends the T (T: Send) and a
// &Mempool, which needs the pool to be Sync (Shared pools only).
unsafe impl<T: Send> Send for Pooled<'_, T, Shared> {}
// SAFETY: &Pooled only gives &T.
unsafe impl<T: Sync> Sync for Pooled<'_, T, Shared> {}

impl<'p, T, S: Sharing> Pooled<'p, T, S> {
    /// Gives up the object without returning it: the pointer can travel (through a ring,
    /// to another lcore) and comes back with [`Mempool::from_raw`].
    pub fn into_raw(self) -> NonNull<T> {
        ManuallyDrop::new(self).ptr
    }

    /// The pool the object belongs to.
    pub fn pool(&self) -> &'p Mempool<T, S> {
        self.pool
    }

    /// Returns the object to its pool now (the same as dropping it).
    #[doc(alias = "rte_mempool_put")]
    pub fn put(self) {}
}

impl<T, S: Sharing> Drop for Pooled<'_, T, S> {
    #[inline]
    fn drop(&mut self) {
        let raw = &self.pool.raw;
        // SAFETY: this handle owned the object and gives it back once, through the
        // calling thread's lcore cache.
        unsafe { raw.put_one(self.ptr.as_ptr().cast(), raw.default_cache()) }
    }
}

impl<T, S: Sharing> Deref for Pooled<'_, T, S> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: an initialised object owned by this handle.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T, S: Sharing> DerefMut for Pooled<'_, T, S> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: an initialised object owned by this handle; `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: fmt::Debug, S: Sharing> fmt::Debug for Pooled<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// A caller-owned buffer of up to `N` objects of one pool, for all-or-nothing bulk gets
/// and bulk puts with no per-object handle: what DPDK's `void *obj_table[]` is in C.
/// Objects still in it go back to the pool when it is dropped.
///
/// A batch looks the calling lcore's cache up once, when it is made, like DPDK's own
/// loops do, and so belongs to that thread (it is not `Send`; it keeps the thread's lcore
/// id from being released while it lives).
pub struct Batch<'p, T, const N: usize, S: Sharing = Shared> {
    pool: &'p Mempool<T, S>,
    cache: *mut ffi::rte_mempool_cache,
    _pin: crate::lcore::LcorePin,
    len: usize,
    ptrs: [MaybeUninit<*mut c_void>; N],
}

impl<'p, T, const N: usize, S: Sharing> Batch<'p, T, N, S> {
    /// Gets `n` more objects (`rte_mempool_get_bulk`): all of them, or none.
    ///
    /// # Errors
    /// [`PoolEmpty`] if the pool (with this lcore's cache) has fewer than `n`.
    ///
    /// # Panics
    /// If the batch has no room for `n` more.
    #[doc(alias = "rte_mempool_get_bulk")]
    #[inline]
    pub fn get_bulk(&mut self, n: usize) -> Result<(), PoolEmpty> {
        assert!(n <= N - self.len, "a batch of {N} holding {} has no room for {n}", self.len);
        let (raw, cache) = (&self.pool.raw, self.cache);
        // SAFETY: room for n pointers after `len`.
        let dst = unsafe { self.ptrs.as_mut_ptr().add(self.len).cast::<*mut c_void>() };
        // SAFETY: as above; `cache` is this pinned thread's lcore cache.
        if unsafe { raw.get(dst, n as u32, cache) } {
            self.len += n;
            Ok(())
        } else {
            Err(PoolEmpty { requested: n as u32 })
        }
    }

    /// Puts the last `n` objects back (`rte_mempool_put_bulk`).
    ///
    /// # Panics
    /// If the batch holds fewer than `n`.
    #[doc(alias = "rte_mempool_put_bulk")]
    #[inline]
    pub fn put_bulk(&mut self, n: usize) {
        assert!(n <= self.len, "a batch holding {} cannot put {n}", self.len);
        self.len -= n;
        let (raw, cache) = (&self.pool.raw, self.cache);
        // SAFETY: the n objects after the new `len` are owned by the batch and handed back;
        // `cache` is this pinned thread's lcore cache.
        unsafe {
            let src = self.ptrs.as_ptr().add(self.len).cast::<*mut c_void>();
            raw.put(src, n as u32, cache)
        }
    }

    /// Puts every object back.
    pub fn put_all(&mut self) {
        self.put_bulk(self.len);
    }

    /// How many objects it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The objects, shared.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        // SAFETY: the first `len` entries are objects owned by the batch.
        self.ptrs[..self.len].iter().map(|p| unsafe { &*p.assume_init().cast::<T>() })
    }

    /// The objects, exclusively.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        // SAFETY: as in `iter`; the objects are distinct and `&mut self` is exclusive.
        self.ptrs[..self.len].iter().map(|p| unsafe { &mut *p.assume_init().cast::<T>() })
    }

    /// Takes the last object out as its own handle.
    pub fn pop(&mut self) -> Option<Pooled<'p, T, S>> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: entry `len` was an object owned by the batch; ownership moves out.
        let ptr = unsafe { NonNull::new_unchecked(self.ptrs[self.len].assume_init().cast::<T>()) };
        Some(Pooled { ptr, pool: self.pool })
    }

    /// Adds an object of the same pool, or hands it back when the batch is full or the
    /// object belongs to another pool.
    pub fn push(&mut self, obj: Pooled<'p, T, S>) -> Result<(), Pooled<'p, T, S>> {
        if self.len == N || !std::ptr::eq(obj.pool, self.pool) {
            return Err(obj);
        }
        self.ptrs[self.len] = MaybeUninit::new(obj.into_raw().as_ptr().cast());
        self.len += 1;
        Ok(())
    }
}

impl<T, const N: usize, S: Sharing> Drop for Batch<'_, T, N, S> {
    fn drop(&mut self) {
        self.put_all();
    }
}

impl<T, const N: usize, S: Sharing> std::ops::Index<usize> for Batch<'_, T, N, S> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        assert!(i < self.len, "index {i} out of a batch of {}", self.len);
        // SAFETY: entry i < len is an object owned by the batch.
        unsafe { &*self.ptrs[i].assume_init().cast::<T>() }
    }
}

impl<T, const N: usize, S: Sharing> std::ops::IndexMut<usize> for Batch<'_, T, N, S> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        assert!(i < self.len, "index {i} out of a batch of {}", self.len);
        // SAFETY: as in `index`; `&mut self` is exclusive.
        unsafe { &mut *self.ptrs[i].assume_init().cast::<T>() }
    }
}

/// A user-owned cache of a pool's objects, for a thread that has no lcore id
/// (`rte_mempool_cache_create`). One thread uses it at a time (`&mut self`; not `Sync`);
/// dropping it flushes its objects back to the pool and frees it.
pub struct MempoolCache<'p, T, S: Sharing = Shared> {
    cache: NonNull<ffi::rte_mempool_cache>,
    pool: &'p Mempool<T, S>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the cache is plain memory owned by this handle; moving it between threads is
// fine as long as one uses it at a time (it is not Sync). The pool reference needs a
// Shared pool.
unsafe impl<T: Send> Send for MempoolCache<'_, T, Shared> {}

impl<'p, T, S: Sharing> MempoolCache<'p, T, S> {
    /// An object through this cache, or `None` if the pool is empty.
    pub fn get(&mut self) -> Option<Pooled<'p, T, S>> {
        // SAFETY: `&mut self` makes the cache exclusively ours.
        let obj = unsafe { self.pool.raw.get_one(self.cache.as_ptr()) }?;
        Some(Pooled { ptr: obj.cast(), pool: self.pool })
    }

    /// Returns an object through this cache (an object of another pool goes back to its
    /// own pool instead).
    pub fn put(&mut self, obj: Pooled<'p, T, S>) {
        if !std::ptr::eq(obj.pool, self.pool) {
            return drop(obj);
        }
        let ptr = obj.into_raw().as_ptr().cast::<c_void>();
        // SAFETY: an object of this pool owned by us; the cache is exclusively ours.
        unsafe { self.pool.raw.put_one(ptr, self.cache.as_ptr()) }
    }

    /// Objects the cache holds now.
    pub fn len(&self) -> u32 {
        // SAFETY: our live cache.
        unsafe { (*self.cache.as_ptr()).len }
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T, S: Sharing> fmt::Debug for MempoolCache<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MempoolCache").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<T, const N: usize, S: Sharing> fmt::Debug for Batch<'_, T, N, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch").field("len", &self.len).field("capacity", &N).finish()
    }
}

impl<T, S: Sharing> Drop for MempoolCache<'_, T, S> {
    fn drop(&mut self) {
        // SAFETY: flushes our cache into its pool, then frees it once.
        unsafe {
            ffi::rte_mempool_cache_flush(self.cache.as_ptr(), self.pool.raw.mp.as_ptr());
            ffi::rte_mempool_cache_free(self.cache.as_ptr());
        }
    }
}

/// A pool of untyped byte buffers whose size is chosen at run time (zeroed at creation).
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mempool::{BufPool, MempoolOptions};
/// let pool = BufPool::new("doc_bufs", 255, 2048, dpdk::SocketId::current(), MempoolOptions::new())?;
/// let mut buf = pool.get().unwrap();
/// assert_eq!(buf.len(), 2048);
/// buf[..4].copy_from_slice(b"DPDK");
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct BufPool {
    inner: Mempool<u8, Shared>,
    size: usize,
}

impl BufPool {
    /// `count` buffers of `size` bytes on `socket`.
    ///
    /// # Errors
    /// As [`Mempool::new_with`]; [`Error::InvalidArgument`] for a size of 0 or above
    /// [`ELT_SIZE_MAX`].
    pub fn new(
        name: &str,
        count: u32,
        size: usize,
        socket: SocketId,
        options: MempoolOptions,
    ) -> Result<Self> {
        let call = || Call::new("rte_mempool_create", format!("name={name:?}, elt_size={size}"));
        let elt = u32::try_from(size).ok().filter(|&s| s > 0 && s <= ELT_SIZE_MAX);
        let elt = elt.ok_or_else(|| Error::InvalidArgument {
            call: call(),
            message: format!("buffer size {size} is not in 1..={ELT_SIZE_MAX}"),
        })?;
        let cname = check_name(name, NAME_MAX, call)?;
        let cache = options.cache_size;
        if count == 0 || cache > CACHE_MAX || cache as u64 * 3 > count as u64 * 2 {
            return Err(Error::InvalidArgument {
                call: call(),
                message: format!("count {count} / cache {cache} outside DPDK's limits"),
            });
        }
        let eal = Eal::current()?;
        unsafe extern "C" fn zero(
            mp: *mut ffi::rte_mempool,
            _: *mut c_void,
            obj: *mut c_void,
            _: c_uint,
        ) {
            // SAFETY: `obj` is an element of `elt_size` bytes.
            unsafe { std::ptr::write_bytes(obj.cast::<u8>(), 0, (*mp).elt_size as usize) };
        }
        // SAFETY: checked arguments; the callback zeroes each buffer.
        let mp = unsafe {
            ffi::rte_mempool_create(
                cname.as_ptr(),
                count,
                elt,
                cache,
                0,
                None,
                std::ptr::null_mut(),
                Some(zero),
                std::ptr::null_mut(),
                socket.as_raw(),
                options.flags,
            )
        };
        let mp = NonNull::new(mp).ok_or_else(|| Error::from_rte_errno(call()))?;
        Ok(BufPool { inner: Mempool { raw: RawPool::new(mp, eal), _owns: PhantomData }, size })
    }

    /// A buffer, or `None` if the pool is empty.
    pub fn get(&self) -> Option<Buf<'_>> {
        self.inner.get().map(|obj| Buf { ptr: obj.into_raw(), pool: self })
    }

    /// Bytes per buffer.
    pub fn buffer_size(&self) -> usize {
        self.size
    }

    /// The typed view of the pool's counts and batches (objects of one byte each).
    pub fn counts(&self) -> PoolInfo {
        self.inner.info()
    }
}

impl fmt::Debug for BufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BufPool").field(&self.inner.info()).finish()
    }
}

/// A buffer of a [`BufPool`]: derefs to `[u8]`, goes back when dropped.
pub struct Buf<'p> {
    ptr: NonNull<u8>,
    pool: &'p BufPool,
}

// SAFETY: owns its bytes; the pool is Sync.
unsafe impl Send for Buf<'_> {}
// SAFETY: &Buf gives &[u8].
unsafe impl Sync for Buf<'_> {}

impl Deref for Buf<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: a buffer of `size` initialised bytes owned by this handle.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.pool.size) }
    }
}

impl DerefMut for Buf<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above; `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.pool.size) }
    }
}

impl Drop for Buf<'_> {
    fn drop(&mut self) {
        // SAFETY: the buffer came from this pool and goes back once.
        drop(unsafe { self.pool.inner.from_raw(self.ptr) });
    }
}
