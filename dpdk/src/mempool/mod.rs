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

/// Whether a pool may be used by several threads at once: [`Multi`] or [`Single`], the
/// same markers as a ring's ends (one name per idea: a pool's put and get are a ring's
/// enqueue and dequeue).
pub trait Sharing: sealed::Sealed + 'static {}

pub use crate::ring::{Multi, Single};

/// A pool with multi-producer put and multi-consumer get: `Sync`, used from any thread.
/// The same type as [`Multi`] (this module's name for it before the two were one).
pub type Shared = Multi;

/// A pool with single-producer put and/or single-consumer get: one thread at a time
/// (`Send`, not `Sync`). The same type as [`Single`].
pub type Local = Single;

impl sealed::Sealed for Multi {}
impl sealed::Sealed for Single {}
impl Sharing for Multi {}
impl Sharing for Single {}

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

mod buf;
mod lookup;
mod objects;

pub(crate) use crate::inline::mempool::{put_any, RawPool};
pub use buf::{Buf, BufPool};
pub use lookup::{lookup, MempoolRef};
pub use objects::{Batch, MempoolCache, Pooled};

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
    pub(crate) fn read(mp: *mut ffi::rte_mempool) -> PoolInfo {
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
