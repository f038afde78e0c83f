//! Memory from DPDK's per-socket heaps (`rte_malloc`): [`SocketBox`], and the heaps'
//! statistics.
//!
//! DPDK's heaps live in hugepage memory (or ordinary pages with `--no-huge`), one per NUMA
//! socket. Allocations are at least cache-line aligned, pinned, have an IO address, and
//! are visible at the same virtual address in secondary processes; a pointer allocated in
//! one process may be freed in another.

use std::alloc::Layout;
use std::cmp::Ordering;
use std::ffi::{c_void, CStr};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};

use crate::eal::{Eal, ObjectRef};
use crate::error::{Call, Error, Result};
use crate::ffi;
use crate::SocketId;

/// The type tag DPDK records for our allocations (shown in its heap dumps).
const TYPE_TAG: &CStr = c"SocketBox";

/// DPDK's cache line: the least alignment of every allocation.
pub const CACHE_LINE: usize = ffi::RTE_CACHE_LINE_SIZE as usize;

/// The memory segment that holds `addr`, read while the EAL is kept up.
fn with_memseg<R>(addr: *const u8, read: impl FnOnce(&ffi::rte_memseg) -> R) -> Option<R> {
    // DPDK's memseg tables exist only while the EAL runs.
    let _eal = Eal::current().ok()?;
    // SAFETY: a lookup by address in DPDK's memseg lists; no memory is dereferenced but
    // DPDK's own tables. A NULL list means "search all lists".
    let ms = unsafe { ffi::rte_mem_virt2memseg(addr.cast(), ptr::null()) };
    // SAFETY: non-null results point at DPDK's memseg descriptor, live while `_eal` is.
    (!ms.is_null()).then(|| read(unsafe { &*ms }))
}

/// The socket whose memory holds `addr`, from DPDK's memory segments
/// (`rte_mem_virt2memseg`), or `None` if the address is not DPDK memory or the EAL is not
/// running.
#[doc(alias = "rte_mem_virt2memseg")]
pub fn socket_of(addr: *const u8) -> Option<SocketId> {
    with_memseg(addr, |ms| SocketId::from_dpdk(ms.socket_id))
}

/// The page size of the DPDK memory that holds `addr`, or `None` if it is not DPDK memory
/// or the EAL is not running.
pub fn page_size_of(addr: *const u8) -> Option<u64> {
    with_memseg(addr, |ms| ms.hugepage_sz)
}

fn alloc_call(what: &'static str, size: usize, align: usize, socket: SocketId) -> Call {
    Call::new(what, format!("size={size}, align={align}, socket={}", socket.as_raw()))
}

/// Allocates `layout.size()` bytes (nonzero) aligned to at least a cache line.
///
/// Its errors are built out of line ([`alloc_error`]): inlined, their formatting made
/// this too big for LLVM to inline into a caller's loop, and an allocation paid for a call
/// and a `Result` through memory on top of DPDK's own (BENCHMARKS.md, issue 16).
#[inline]
fn raw_alloc(layout: Layout, socket: SocketId, zeroed: bool) -> Result<NonNull<u8>> {
    let align = layout.align().max(CACHE_LINE);
    let Ok(align_c) = u32::try_from(align) else {
        return Err(alloc_error(zeroed, layout.size(), align, socket, libc::EINVAL));
    };
    // SAFETY: plain allocation call; DPDK checks its arguments.
    let ptr = unsafe {
        if zeroed {
            ffi::rte_zmalloc_socket(TYPE_TAG.as_ptr(), layout.size(), align_c, socket.as_raw())
        } else {
            ffi::rte_malloc_socket(TYPE_TAG.as_ptr(), layout.size(), align_c, socket.as_raw())
        }
    };
    match NonNull::new(ptr.cast::<u8>()) {
        Some(ptr) => Ok(ptr),
        // rte_malloc reports nothing in rte_errno; an exhausted heap is the cause once the
        // arguments are known to be good (size nonzero, alignment a power of two).
        None => Err(alloc_error(zeroed, layout.size(), align, socket, libc::ENOMEM)),
    }
}

/// The error of a failed `rte_malloc_socket` / `rte_zmalloc_socket` (see [`raw_alloc`]).
#[cold]
#[inline(never)]
fn alloc_error(zeroed: bool, size: usize, align: usize, socket: SocketId, errno: i32) -> Error {
    let function = if zeroed { "rte_zmalloc_socket" } else { "rte_malloc_socket" };
    Error::from_errno(alloc_call(function, size, align, socket), errno)
}

/// Checks an explicit alignment: a power of two (the cache line is the floor anyway).
#[inline]
fn check_align(align: usize, size: usize, socket: SocketId) -> Result<()> {
    if align.is_power_of_two() {
        Ok(())
    } else {
        Err(bad_align(align, size, socket))
    }
}

#[cold]
#[inline(never)]
fn bad_align(align: usize, size: usize, socket: SocketId) -> Error {
    let call = alloc_call("rte_malloc_socket", size, align, socket);
    Error::InvalidArgument { call, message: format!("alignment {align} is not a power of two") }
}

/// A value of type `T` in DPDK heap memory on a chosen NUMA socket: `Box`, placed.
///
/// The memory comes from `rte_malloc_socket` (or `rte_zmalloc_socket`) on the given
/// [`SocketId`] and is aligned to at least a cache line (more if `T` needs it or you
/// ask). Dropping the box drops the value and `rte_free`s the memory. A box keeps the
/// EAL alive. It is never a `std::boxed::Box` (whose allocator is another), but derefs
/// to `T` and forwards the usual traits.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::{SocketBox, SocketId};
/// let socket = SocketId::current(); // the calling lcore's socket
/// let mut counters = SocketBox::new([0u64; 8], socket);
/// counters[3] += 1;
/// assert_eq!(counters.iter().sum::<u64>(), 1);
/// assert_eq!(counters.as_ptr() as usize % 64, 0); // cache-line aligned
/// assert_eq!(counters.socket(), Some(socket)); // where the memory actually is
///
/// let table: SocketBox<[u32]> = SocketBox::from_fn(1000, socket, |i| i as u32 * 2);
/// assert_eq!(table[999], 1998);
/// ```
pub struct SocketBox<T: ?Sized> {
    ptr: NonNull<T>,
    _eal: ObjectRef,
    _owns: PhantomData<T>,
}

// SAFETY: a SocketBox owns its T like Box does; sending it sends the T. DPDK's heap may
// be freed from any thread (rte_free takes the heap lock).
unsafe impl<T: ?Sized + Send> Send for SocketBox<T> {}
// SAFETY: &SocketBox<T> only gives out &T.
unsafe impl<T: ?Sized + Sync> Sync for SocketBox<T> {}

/// The error of `SocketBox::try_new*`: why it failed, and the value it was given back.
pub struct TryNewError<T> {
    /// Why the allocation failed.
    pub error: Error,
    /// The value that was to be boxed.
    pub value: T,
}

impl<T> fmt::Debug for TryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryNewError").field("error", &self.error).finish_non_exhaustive()
    }
}

impl<T> fmt::Display for TryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<T> std::error::Error for TryNewError<T> {}

impl<T> From<TryNewError<T>> for Error {
    fn from(e: TryNewError<T>) -> Error {
        e.error
    }
}

impl<T> SocketBox<T> {
    /// Moves `value` into DPDK memory on `socket`.
    ///
    /// # Panics
    /// If the EAL is not running; aborts (like `Box`) if the socket's heap is exhausted.
    /// Use [`try_new`](Self::try_new) to handle both.
    pub fn new(value: T, socket: SocketId) -> Self {
        Self::try_new(value, socket).unwrap_or_else(|e| fail(e.error, Layout::new::<T>()))
    }

    /// Moves `value` into DPDK memory on `socket`, or hands it back with the error.
    ///
    /// # Errors
    /// [`Error::NoMemory`] if the socket's heap cannot hold it; [`Error::EalNotRunning`].
    #[doc(alias = "rte_malloc_socket")]
    pub fn try_new(value: T, socket: SocketId) -> Result<Self, TryNewError<T>> {
        Self::try_new_aligned(value, socket, CACHE_LINE)
    }

    /// Like [`try_new`](Self::try_new) with an explicit power-of-two alignment (at least
    /// the cache line and `T`'s own are kept anyway), e.g. 4096 for a device ring.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `align` is not a power of two; as `try_new`.
    pub fn try_new_aligned(
        value: T,
        socket: SocketId,
        align: usize,
    ) -> Result<Self, TryNewError<T>> {
        match SocketBox::<MaybeUninit<T>>::try_uninit_aligned(socket, align, false) {
            Ok(slot) => Ok(slot.write(value)),
            Err(error) => Err(TryNewError { error, value }),
        }
    }

    /// Uninitialised memory for a `T` on `socket`.
    ///
    /// # Panics
    /// As [`new`](Self::new).
    pub fn new_uninit(socket: SocketId) -> SocketBox<MaybeUninit<T>> {
        Self::try_new_uninit(socket).unwrap_or_else(|e| fail(e, Layout::new::<T>()))
    }

    /// Uninitialised memory for a `T` on `socket`.
    ///
    /// # Errors
    /// As [`try_new`](Self::try_new).
    pub fn try_new_uninit(socket: SocketId) -> Result<SocketBox<MaybeUninit<T>>> {
        SocketBox::try_uninit_aligned(socket, CACHE_LINE, false)
    }

    /// Zeroed memory for a `T` on `socket` (`rte_zmalloc_socket`).
    ///
    /// # Panics
    /// As [`new`](Self::new).
    pub fn new_zeroed(socket: SocketId) -> SocketBox<MaybeUninit<T>> {
        Self::try_new_zeroed(socket).unwrap_or_else(|e| fail(e, Layout::new::<T>()))
    }

    /// Zeroed memory for a `T` on `socket` (`rte_zmalloc_socket`).
    ///
    /// # Errors
    /// As [`try_new`](Self::try_new).
    #[doc(alias = "rte_zmalloc_socket")]
    pub fn try_new_zeroed(socket: SocketId) -> Result<SocketBox<MaybeUninit<T>>> {
        SocketBox::try_uninit_aligned(socket, CACHE_LINE, true)
    }

    /// Moves the value out and frees the memory.
    pub fn into_inner(boxed: Self) -> T {
        let boxed = ManuallyDrop::new(boxed);
        // SAFETY: the value is initialised; it is read once and the memory is then freed
        // without dropping it again.
        unsafe {
            let value = ptr::read(boxed.ptr.as_ptr());
            free_raw(boxed.ptr.as_ptr().cast(), std::mem::size_of::<T>());
            let mut boxed = boxed;
            ptr::drop_in_place(&mut boxed._eal);
            value
        }
    }
}

impl<T> SocketBox<MaybeUninit<T>> {
    #[inline]
    fn try_uninit_aligned(socket: SocketId, align: usize, zeroed: bool) -> Result<Self> {
        let layout = Layout::new::<T>();
        check_align(align, layout.size(), socket)?;
        let eal = ObjectRef::take("SocketBox::new")?;
        let align = align.max(layout.align());
        let ptr = if layout.size() == 0 {
            // No memory for zero-sized types: a dangling pointer with the requested
            // alignment, never freed.
            NonNull::new(align as *mut MaybeUninit<T>).expect("a power of two is not zero")
        } else {
            let Ok(layout) = Layout::from_size_align(layout.size(), align) else {
                return Err(alloc_error(zeroed, layout.size(), align, socket, libc::EINVAL));
            };
            raw_alloc(layout, socket, zeroed)?.cast()
        };
        Ok(SocketBox { ptr, _eal: eal, _owns: PhantomData })
    }

    /// Stores `value` and returns the initialised box.
    pub fn write(mut self, value: T) -> SocketBox<T> {
        (*self).write(value);
        // SAFETY: just initialised.
        unsafe { self.assume_init() }
    }

    /// Treats the contents as initialised.
    ///
    /// # Safety
    /// The memory must hold a valid `T` (e.g. written through `as_mut_ptr`, or zeroed
    /// memory for a type for which all zeroes is valid).
    pub unsafe fn assume_init(self) -> SocketBox<T> {
        let this = ManuallyDrop::new(self);
        // SAFETY: moves the Eal reference out of a box that is never dropped.
        let eal = unsafe { ptr::read(&this._eal) };
        SocketBox { ptr: this.ptr.cast(), _eal: eal, _owns: PhantomData }
    }
}

impl<T> SocketBox<[T]> {
    /// A slice of `len` values made by `f(index)`, on `socket`.
    ///
    /// # Panics
    /// As [`SocketBox::new`], and if `f` panics (values made so far are dropped and the
    /// memory freed).
    pub fn from_fn(len: usize, socket: SocketId, f: impl FnMut(usize) -> T) -> Self {
        Self::try_from_fn(len, socket, f).unwrap_or_else(|e| fail(e, array_layout::<T>(len)))
    }

    /// A slice of `len` values made by `f(index)`, on `socket`.
    ///
    /// # Errors
    /// As [`SocketBox::try_new`]; [`Error::InvalidArgument`] if the size overflows.
    pub fn try_from_fn(
        len: usize,
        socket: SocketId,
        mut f: impl FnMut(usize) -> T,
    ) -> Result<Self> {
        let mut slots =
            SocketBox::<[MaybeUninit<T>]>::try_uninit_slice(len, socket, CACHE_LINE, false)?;
        // Drops what was written if `f` panics half-way.
        struct Partial<'a, T> {
            slots: &'a mut [MaybeUninit<T>],
            done: usize,
        }
        impl<T> Drop for Partial<'_, T> {
            fn drop(&mut self) {
                for slot in &mut self.slots[..self.done] {
                    // SAFETY: the first `done` slots were initialised.
                    unsafe { slot.assume_init_drop() };
                }
            }
        }
        let mut partial = Partial { slots: &mut slots, done: 0 };
        while partial.done < len {
            let value = f(partial.done);
            partial.slots[partial.done].write(value);
            partial.done += 1;
        }
        std::mem::forget(partial);
        // SAFETY: all `len` slots were written.
        Ok(unsafe { slots.assume_init() })
    }

    /// A copy of `values` on `socket`.
    ///
    /// # Panics
    /// As [`SocketBox::new`].
    pub fn from_slice(values: &[T], socket: SocketId) -> Self
    where
        T: Clone,
    {
        Self::from_fn(values.len(), socket, |i| values[i].clone())
    }

    /// A copy of `values` on `socket`.
    ///
    /// # Errors
    /// As [`SocketBox::try_new`].
    pub fn try_from_slice(values: &[T], socket: SocketId) -> Result<Self>
    where
        T: Clone,
    {
        Self::try_from_fn(values.len(), socket, |i| values[i].clone())
    }

    /// `len` zeroed elements on `socket` (`rte_zmalloc_socket`).
    ///
    /// # Panics
    /// As [`SocketBox::new`].
    pub fn new_zeroed_slice(len: usize, socket: SocketId) -> SocketBox<[MaybeUninit<T>]> {
        Self::try_new_zeroed_slice(len, socket).unwrap_or_else(|e| fail(e, array_layout::<T>(len)))
    }

    /// `len` zeroed elements on `socket` (`rte_zmalloc_socket`).
    ///
    /// # Errors
    /// As [`SocketBox::try_new`]; [`Error::InvalidArgument`] if the size overflows.
    pub fn try_new_zeroed_slice(
        len: usize,
        socket: SocketId,
    ) -> Result<SocketBox<[MaybeUninit<T>]>> {
        SocketBox::try_uninit_slice(len, socket, CACHE_LINE, true)
    }

    /// `len` uninitialised elements on `socket`, aligned to `align` (a power of two; at
    /// least the cache line and `T`'s alignment are kept).
    ///
    /// # Errors
    /// As [`SocketBox::try_new_aligned`]; [`Error::InvalidArgument`] if the size overflows.
    pub fn try_new_uninit_slice(
        len: usize,
        socket: SocketId,
        align: usize,
    ) -> Result<SocketBox<[MaybeUninit<T>]>> {
        SocketBox::try_uninit_slice(len, socket, align, false)
    }
}

fn array_layout<T>(len: usize) -> Layout {
    Layout::array::<T>(len).unwrap_or(Layout::new::<()>())
}

impl<T> SocketBox<[MaybeUninit<T>]> {
    fn try_uninit_slice(len: usize, socket: SocketId, align: usize, zeroed: bool) -> Result<Self> {
        let layout = Layout::array::<T>(len).map_err(|_| Error::InvalidArgument {
            call: alloc_call("rte_malloc_socket", usize::MAX, align, socket),
            message: format!("{len} elements of {} bytes overflow", std::mem::size_of::<T>()),
        })?;
        check_align(align, layout.size(), socket)?;
        let eal = ObjectRef::take("SocketBox::new")?;
        let data = if layout.size() == 0 {
            // No memory for an empty slice (or one of zero-sized elements): a dangling
            // pointer with the requested alignment, as for a single value, never freed.
            let align = align.max(layout.align());
            NonNull::new(align as *mut MaybeUninit<T>).expect("a power of two is not zero")
        } else {
            let layout = Layout::from_size_align(layout.size(), align.max(layout.align()))
                .map_err(|_| {
                    Error::from_errno(
                        alloc_call("rte_malloc_socket", layout.size(), align, socket),
                        libc::EINVAL,
                    )
                })?;
            raw_alloc(layout, socket, zeroed)?.cast()
        };
        let ptr = NonNull::slice_from_raw_parts(data, len);
        Ok(SocketBox { ptr, _eal: eal, _owns: PhantomData })
    }

    /// Treats the contents as initialised.
    ///
    /// # Safety
    /// Every element must hold a valid `T`.
    pub unsafe fn assume_init(self) -> SocketBox<[T]> {
        let this = ManuallyDrop::new(self);
        // SAFETY: moves the Eal reference out of a box that is never dropped.
        let eal = unsafe { ptr::read(&this._eal) };
        let ptr = NonNull::slice_from_raw_parts(this.ptr.cast::<T>(), this.ptr.len());
        SocketBox { ptr, _eal: eal, _owns: PhantomData }
    }
}

impl<T: ?Sized> SocketBox<T> {
    /// Where the memory actually is: the socket of the DPDK memory segment that holds it
    /// (not the socket that was asked for). `None` for zero-sized values, which have no
    /// memory.
    #[doc(alias = "rte_mem_virt2memseg")]
    pub fn socket(&self) -> Option<SocketId> {
        if std::mem::size_of_val(&**self) == 0 {
            return None;
        }
        socket_of(self.ptr.as_ptr().cast())
    }

    /// The IO address of the memory (`rte_malloc_virt2iova`), what a device would be given;
    /// `None` for zero-sized values or when DPDK knows none.
    #[doc(alias = "rte_malloc_virt2iova")]
    pub fn iova(&self) -> Option<u64> {
        if std::mem::size_of_val(&**self) == 0 {
            return None;
        }
        // SAFETY: the pointer came from rte_malloc and is live.
        let iova = unsafe { ffi::rte_malloc_virt2iova(self.ptr.as_ptr().cast()) };
        (iova != u64::MAX).then_some(iova)
    }

    /// The size of the heap element DPDK keeps for this box (`rte_malloc_validate`), which
    /// also checks the element's header and trailer for corruption.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if DPDK finds the element corrupted.
    #[doc(alias = "rte_malloc_validate")]
    pub fn validate(&self) -> Result<usize> {
        if std::mem::size_of_val(&**self) == 0 {
            return Ok(0);
        }
        let mut size = 0usize;
        // SAFETY: a live pointer from rte_malloc; DPDK only reads its element header.
        let rc = unsafe { ffi::rte_malloc_validate(self.ptr.as_ptr().cast(), &mut size) };
        if rc < 0 {
            return Err(Error::InvalidArgument {
                call: Call::new("rte_malloc_validate", format!("{:p}", self.ptr)),
                message: "heap element header or trailer is corrupted".into(),
            });
        }
        Ok(size)
    }

    /// A raw pointer to the value.
    pub fn as_ptr(&self) -> *const T {
        self.ptr.as_ptr()
    }

    /// A raw mutable pointer to the value.
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Gives up ownership: the pointer may go to C, or to another process (the address is
    /// the same in a secondary), and comes back with [`from_raw`](Self::from_raw).
    ///
    /// The raw pointer does not keep the EAL alive; whoever holds it must see to that.
    pub fn into_raw(boxed: Self) -> *mut T {
        let mut boxed = ManuallyDrop::new(boxed);
        // SAFETY: releases the box's EAL reference; the box itself is never dropped.
        unsafe { ptr::drop_in_place(&mut boxed._eal) };
        boxed.ptr.as_ptr()
    }

    /// Takes ownership of a pointer from [`into_raw`](Self::into_raw), in this process or
    /// another of the same DPDK application.
    ///
    /// # Safety
    /// `ptr` must come from `SocketBox::<T>::into_raw` (same `T`) and be taken back once,
    /// and the memory must still be mapped: the EAL (in this or the other process) has not
    /// been cleaned up since.
    ///
    /// # Panics
    /// If this process's EAL is not running.
    pub unsafe fn from_raw(ptr: *mut T) -> Self {
        let eal = ObjectRef::take("SocketBox::from_raw").unwrap_or_else(|e| panic!("{e}"));
        SocketBox {
            // SAFETY: non-null by the caller's contract (it came from a SocketBox).
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _eal: eal,
            _owns: PhantomData,
        }
    }
}

/// Frees `size` bytes at `ptr` (nothing for zero sizes, which were never allocated).
///
/// # Safety
/// `ptr` must come from rte_malloc (if `size` > 0) and not be used again.
#[inline]
unsafe fn free_raw(ptr: *mut c_void, size: usize) {
    if size != 0 {
        // SAFETY: per the caller's contract.
        unsafe { ffi::rte_free(ptr) }
    }
}

impl<T: ?Sized> Drop for SocketBox<T> {
    fn drop(&mut self) {
        let size = std::mem::size_of_val(&**self);
        let mut panic = crate::unwind::FirstPanic::default();
        // SAFETY: the value is initialised and owned; dropped once (a slice's elements all
        // are, past a panicking one), then freed once, whether or not its drop panicked.
        panic.run(|| unsafe { ptr::drop_in_place(self.ptr.as_ptr()) });
        // SAFETY: as above.
        unsafe { free_raw(self.ptr.as_ptr().cast(), size) };
        panic.resume();
    }
}

#[cold]
fn fail(error: Error, layout: Layout) -> ! {
    match error {
        Error::NoMemory { .. } => {
            log::error!("{error}");
            std::alloc::handle_alloc_error(layout)
        }
        other => panic!("{other}"),
    }
}

impl<T: ?Sized> Deref for SocketBox<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the box owns an initialised, live T.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for SocketBox<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the box owns an initialised, live T, and `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: ?Sized> AsRef<T> for SocketBox<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> AsMut<T> for SocketBox<T> {
    fn as_mut(&mut self) -> &mut T {
        self
    }
}

impl<T: ?Sized> std::borrow::Borrow<T> for SocketBox<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for SocketBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for SocketBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + PartialEq> PartialEq for SocketBox<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for SocketBox<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for SocketBox<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for SocketBox<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for SocketBox<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl<T: Clone> Clone for SocketBox<T> {
    /// Clones onto the socket where this box's memory is.
    fn clone(&self) -> Self {
        SocketBox::new((**self).clone(), self.socket().unwrap_or(SocketId::ANY))
    }
}

impl<T: Clone> Clone for SocketBox<[T]> {
    /// Clones onto the socket where this box's memory is.
    fn clone(&self) -> Self {
        SocketBox::from_slice(self, self.socket().unwrap_or(SocketId::ANY))
    }
}

/// One socket's heap, from `rte_malloc_get_socket_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapStats {
    /// Bytes the heap holds (hugepage memory mapped into it).
    pub total_bytes: usize,
    /// Free bytes.
    pub free_bytes: usize,
    /// Bytes in allocated elements (total minus free).
    pub allocated_bytes: usize,
    /// The largest free block.
    pub greatest_free_bytes: usize,
    /// Free elements.
    pub free_count: u32,
    /// Allocated elements.
    pub alloc_count: u32,
}

impl HeapStats {
    /// Statistics of `socket`'s heap.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for [`SocketId::ANY`] or a socket without a heap;
    /// [`Error::EalNotRunning`].
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::{malloc::HeapStats, SocketBox, SocketId};
    /// let socket = SocketId::new(0)?;
    /// let before = HeapStats::of(socket)?;
    /// let block = SocketBox::new([0u8; 4096], socket);
    /// assert_eq!(HeapStats::of(socket)?.alloc_count, before.alloc_count + 1);
    /// drop(block);
    /// assert_eq!(HeapStats::of(socket)?.alloc_count, before.alloc_count);
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_malloc_get_socket_stats")]
    pub fn of(socket: SocketId) -> Result<HeapStats> {
        let call =
            || Call::new("rte_malloc_get_socket_stats", format!("socket={}", socket.as_raw()));
        let _eal = Eal::current()
            .map_err(|_| Error::EalNotRunning { call: call(), state: "not running" })?;
        if socket.is_any() {
            return Err(Error::InvalidArgument {
                call: call(),
                message: "heap statistics are per socket; SocketId::ANY names none".into(),
            });
        }
        let mut raw = ffi::rte_malloc_socket_stats::default();
        // SAFETY: fills the struct we own; DPDK checks the socket.
        let rc = unsafe { ffi::rte_malloc_get_socket_stats(socket.as_raw(), &mut raw) };
        if rc < 0 {
            // DPDK sets no errno here; the only failure is a socket without a heap.
            return Err(Error::InvalidArgument {
                call: call(),
                message: "DPDK has no heap for this socket".into(),
            });
        }
        Ok(HeapStats {
            total_bytes: raw.heap_totalsz_bytes,
            free_bytes: raw.heap_freesz_bytes,
            allocated_bytes: raw.heap_allocsz_bytes,
            greatest_free_bytes: raw.greatest_free_size,
            free_count: raw.free_count,
            alloc_count: raw.alloc_count,
        })
    }
}

/// Writes DPDK's description of every heap (`rte_malloc_dump_heaps`) to the log, at
/// `info` level under the target `dpdk::heap`.
#[doc(alias = "rte_malloc_dump_heaps")]
pub fn dump_heaps_to_log() -> Result<()> {
    let _eal = Eal::current()?;
    // SAFETY: DPDK writes into the stream we pass.
    let text = crate::log::capture_stream(|f| unsafe { ffi::rte_malloc_dump_heaps(f) });
    for line in text.lines() {
        log::info!(target: "dpdk::heap", "{line}");
    }
    Ok(())
}
