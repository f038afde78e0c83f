//! Mirrors of `rte_mempool.h`: `rte_mempool_default_cache` and the cache paths of
//! `rte_mempool_do_generic_get` / `rte_mempool_do_generic_put`, on `RawPool`, the raw
//! pool handle every typed pool of this crate (and the packet pools) is built on.

use std::ffi::{c_uint, c_void};
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crate::eal::Eal;
use crate::ffi;
use crate::lcore::raw_lcore_id;
use crate::mempool::*;
use crate::SocketId;

/// The pool pointer and the operations every pool kind shares (the packet mbuf pool of
/// [`crate::mbuf`] too).
pub(crate) struct RawPool {
    pub(crate) mp: NonNull<ffi::rte_mempool>,
    /// `mp->local_cache`, fixed at creation: null when the pool has no per-lcore cache.
    /// Kept here so the fast path does not load it through `mp` on every call.
    pub(crate) local_cache: *mut ffi::rte_mempool_cache,
    /// The pool's driver (`rte_mempool_get_ops(mp->ops_index)`), fixed at creation.
    pub(crate) ops: *const ffi::rte_mempool_ops,
    pub(crate) _eal: Eal,
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
            refill(mp, dst, n, cache)
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
            flush(mp, src, n, cache)
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
    // SAFETY: per the contract; DPDK's own put does the rest: the driver for a pool
    // without a cache (its usual path, so not through the cold `flush`), or the flush.
    unsafe {
        if cache.is_null() {
            ffi::rte_mempool_generic_put(mp, src, n, cache)
        } else {
            flush(mp, src, n, cache)
        }
    }
}

/// The cache paths that DPDK's C does for us (refilling an empty cache, flushing a
/// full one), out of line and marked cold.
///
/// A plain call in the middle of the inlined fast path made LLVM lay the loop of a
/// caller (a `Batch` filled one object at a time) around the call and spill what the
/// fast path needs; out of line, `get/put=1` and `=4` through a cache of 512 went from
/// 1.2-1.5x C's time to 0.9-1.0x on 25.11 (BENCHMARKS.md, issue 16). The driver call of
/// a pool without a cache stays inline: that is the path of such a pool, not a rare one.
///
/// # Safety
/// As [`RawPool::get`], with a cache.
#[cold]
#[inline(never)]
unsafe fn refill(
    mp: *mut ffi::rte_mempool,
    dst: *mut *mut c_void,
    n: u32,
    cache: *mut ffi::rte_mempool_cache,
) -> bool {
    // SAFETY: per the contract.
    unsafe { ffi::rte_mempool_generic_get(mp, dst, n, cache) == 0 }
}

/// [`refill`]'s twin for a put that does not fit under the flush threshold.
///
/// # Safety
/// As [`RawPool::put`], with a cache.
#[cold]
#[inline(never)]
unsafe fn flush(
    mp: *mut ffi::rte_mempool,
    src: *const *mut c_void,
    n: u32,
    cache: *mut ffi::rte_mempool_cache,
) {
    // SAFETY: per the contract.
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
    /// Copies exactly `K` pointers, one chunk.
    #[inline(always)]
    unsafe fn one<const K: usize>(src: *const *mut c_void, dst: *mut *mut c_void) {
        type Chunk<const K: usize> = [*mut c_void; K];
        // SAFETY: the caller's n is K.
        unsafe { dst.cast::<Chunk<K>>().write_unaligned(src.cast::<Chunk<K>>().read_unaligned()) }
    }
    // SAFETY: each arm copies exactly the n pointers, per the caller's contract. The
    // powers of two (the sizes bulk callers use) copy one chunk, not the same chunk twice
    // as `two` would: that doubled the loads and stores of a get or put of 8 and cost
    // 1.31x C's time on AMD EPYC (BENCHMARKS.md, issue 16).
    unsafe {
        match n {
            0 => {}
            1 => *dst = *src,
            2 => one::<2>(src, dst),
            3 => two::<2>(src, dst, n),
            4 => one::<4>(src, dst),
            5..=7 => two::<4>(src, dst, n),
            8 => one::<8>(src, dst),
            9..=15 => two::<8>(src, dst, n),
            16 => one::<16>(src, dst),
            17..=31 => two::<16>(src, dst, n),
            32 => one::<32>(src, dst),
            33..=63 => two::<32>(src, dst, n),
            _ => std::ptr::copy_nonoverlapping(src, dst, n),
        }
    }
}
