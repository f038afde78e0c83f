//! Named, physically placed memory regions shared by all processes of a DPDK
//! application: [`Memzone`] (owned) and [`MemzoneRef`] (looked up).
//!
//! # Who may touch the bytes
//! A memzone is visible to every process of the application, so Rust's aliasing rules
//! cannot be checked across them. This module keeps them within one process:
//! - the owning [`Memzone`] hands out `&[u8]` through `&self`, and `&mut [u8]` or an
//!   atomic view ([`Memzone::atomic_u64`]) through `&mut self`;
//! - a [`MemzoneRef`] (from [`Memzone::lookup`], typically in a secondary process) hands
//!   out raw pointers, and atomic views ([`MemzoneRef::atomic_u8`],
//!   [`MemzoneRef::atomic_u64`]) through `unsafe` calls: the memory belongs to someone
//!   else, who may free it, and may be the memory of a pool or ring of this very process
//!   (DPDK builds those on memzones), so only the caller can know the view is sound;
//! - a process cannot look up a zone it owns through a [`Memzone`] (that would alias the
//!   owner's `&mut`): [`Memzone::lookup`] refuses with [`Error::Busy`].
//!
//! Across processes, the parties must agree on a protocol (e.g. the writer finishes
//! before publishing a flag through an atomic); Rust cannot see the other process.

use std::collections::HashSet;
use std::ffi::{c_void, CStr};
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicU8};
use std::sync::Mutex;

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::SocketId;

/// The longest memzone name DPDK accepts, in bytes.
pub const NAME_MAX: usize = ffi::RTE_MEMZONE_NAMESIZE as usize - 1;

/// Which page size the zone's memory must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSize {
    /// Whatever DPDK has.
    #[default]
    Any,
    /// 2 MiB pages (`RTE_MEMZONE_2MB`).
    Huge2M,
    /// 1 GiB pages (`RTE_MEMZONE_1GB`).
    Huge1G,
}

/// How to reserve a memzone: alignment, boundary, page size, IOVA contiguity.
///
/// ```
/// use dpdk::{MemzoneOptions, PageSize};
/// let options = MemzoneOptions::new().align(4096).page_size(PageSize::Huge2M).size_hint_only(true);
/// assert_eq!(options.flags(), dpdk::ffi::RTE_MEMZONE_2MB | dpdk::ffi::RTE_MEMZONE_SIZE_HINT_ONLY);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[must_use]
pub struct MemzoneOptions {
    align: Option<usize>,
    boundary: Option<usize>,
    page_size: PageSize,
    size_hint_only: bool,
    iova_contiguous: bool,
}

impl MemzoneOptions {
    /// Cache-line alignment, any page size, no boundary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Alignment of the start, a power of two (default: the cache line).
    pub fn align(mut self, align: usize) -> Self {
        self.align = Some(align);
        self
    }

    /// The zone must not cross a multiple of `boundary` (a power of two, at least the
    /// length).
    pub fn boundary(mut self, boundary: usize) -> Self {
        self.boundary = Some(boundary);
        self
    }

    /// The page size the memory must come from.
    pub fn page_size(mut self, size: PageSize) -> Self {
        self.page_size = size;
        self
    }

    /// Treat the page size as a preference: fall back to others when it is not available
    /// (`RTE_MEMZONE_SIZE_HINT_ONLY`).
    pub fn size_hint_only(mut self, yes: bool) -> Self {
        self.size_hint_only = yes;
        self
    }

    /// The zone must be contiguous in IO address space, as device rings need
    /// (`RTE_MEMZONE_IOVA_CONTIG`).
    pub fn iova_contiguous(mut self, yes: bool) -> Self {
        self.iova_contiguous = yes;
        self
    }

    /// The `flags` argument of `rte_memzone_reserve_bounded`.
    pub fn flags(&self) -> u32 {
        let mut flags = match self.page_size {
            PageSize::Any => 0,
            PageSize::Huge2M => ffi::RTE_MEMZONE_2MB,
            PageSize::Huge1G => ffi::RTE_MEMZONE_1GB,
        };
        if self.size_hint_only {
            flags |= ffi::RTE_MEMZONE_SIZE_HINT_ONLY;
        }
        if self.iova_contiguous {
            flags |= ffi::RTE_MEMZONE_IOVA_CONTIG;
        }
        flags
    }
}

/// What DPDK records about a memzone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemzoneInfo {
    /// Its name.
    pub name: String,
    /// Start address in every process of the application.
    pub addr: usize,
    /// Length in bytes.
    pub len: usize,
    /// Start IO address.
    pub iova: u64,
    /// Size of the pages backing it.
    pub hugepage_size: u64,
    /// Socket of its memory.
    pub socket: SocketId,
    /// DPDK's flags.
    pub flags: u32,
}

impl MemzoneInfo {
    /// Reads a memzone descriptor.
    ///
    /// # Safety
    /// `mz` must point at a live `rte_memzone`.
    unsafe fn read(mz: *const ffi::rte_memzone) -> Self {
        // SAFETY: the struct is packed: copy it out unaligned, then read fields by value.
        let mz = unsafe { std::ptr::read_unaligned(mz) };
        let name = mz.name;
        // SAFETY: DPDK keeps the name NUL-terminated within its array.
        let name = unsafe { CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
        // SAFETY: `addr` is the union's pointer member, always written by DPDK.
        let addr = unsafe { mz.__bindgen_anon_1.addr } as usize;
        MemzoneInfo {
            name,
            addr,
            len: mz.len,
            iova: mz.iova,
            hugepage_size: mz.hugepage_sz,
            socket: SocketId::from_dpdk(mz.socket_id),
            flags: mz.flags,
        }
    }
}

/// Zones owned by `Memzone` handles of this process (descriptor addresses).
static OWNED: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn owned() -> std::sync::MutexGuard<'static, Option<HashSet<usize>>> {
    OWNED.lock().unwrap_or_else(|p| p.into_inner())
}

/// A memzone this process reserved; freed (`rte_memzone_free`) when dropped.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::{Memzone, MemzoneOptions, SocketId};
/// let mut zone = Memzone::reserve("doc_zone", 4096, SocketId::current(), MemzoneOptions::new())?;
/// zone.as_mut_slice()[..5].copy_from_slice(b"hello");
/// assert_eq!(zone.len(), 4096);
/// assert_eq!(zone.name(), "doc_zone");
/// assert!(Memzone::walk()?.iter().any(|z| z.name == "doc_zone"));
/// zone.free().map_err(|(_, e)| e)?;
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct Memzone {
    mz: NonNull<ffi::rte_memzone>,
    info: MemzoneInfo,
    _eal: Eal,
}

// SAFETY: the handle owns the zone's memory like a Box<[u8]>; DPDK's memzone calls are
// thread-safe (they take the memory config lock).
unsafe impl Send for Memzone {}
// SAFETY: &Memzone only gives out &[u8] and descriptor data.
unsafe impl Sync for Memzone {}

impl Memzone {
    /// Reserves `len` bytes named `name` on `socket` (`rte_memzone_reserve_bounded`).
    ///
    /// # Errors
    /// [`Error::InvalidName`] / [`Error::NameTooLong`] for a bad name;
    /// [`Error::InvalidArgument`] for a zero length (DPDK would reserve the largest free
    /// block instead), an alignment or boundary that is not a power of two, or a boundary
    /// smaller than the length; [`Error::AlreadyExists`] for a taken name;
    /// [`Error::NoMemory`] when no memory of the requested kind is free;
    /// [`Error::NoSpace`] when DPDK's memzone table is full.
    #[doc(alias = "rte_memzone_reserve")]
    #[doc(alias = "rte_memzone_reserve_bounded")]
    pub fn reserve(
        name: &str,
        len: usize,
        socket: SocketId,
        options: MemzoneOptions,
    ) -> Result<Memzone> {
        let align = options.align.unwrap_or(crate::malloc::CACHE_LINE);
        let bound = options.boundary.unwrap_or(0);
        let call = || {
            Call::new(
                "rte_memzone_reserve_bounded",
                format!(
                    "name={name:?}, len={len}, socket={}, flags={:#x}, align={align}, bound={bound}",
                    socket.as_raw(),
                    options.flags()
                ),
            )
        };
        let cname = check_name(name, NAME_MAX, call)?;
        let invalid = |message: String| Error::InvalidArgument { call: call(), message };
        if len == 0 {
            return Err(invalid("length 0 (DPDK would reserve the largest free block)".into()));
        }
        if !align.is_power_of_two() {
            return Err(invalid(format!("alignment {align} is not a power of two")));
        }
        if bound != 0 && (!bound.is_power_of_two() || bound < len) {
            return Err(invalid(format!(
                "boundary {bound} is not a power of two of at least {len}"
            )));
        }
        let eal = Eal::current()?;
        let align_c =
            u32::try_from(align).map_err(|_| invalid(format!("alignment {align} too large")))?;
        let bound_c =
            u32::try_from(bound).map_err(|_| invalid(format!("boundary {bound} too large")))?;
        // Hold the owned-set lock from the reservation to the insert, so no lookup can see
        // the new zone before it is marked ours.
        let mut owned_zones = owned();
        // SAFETY: a NUL-terminated name and checked arguments.
        let mz = unsafe {
            ffi::rte_memzone_reserve_bounded(
                cname.as_ptr(),
                len,
                socket.as_raw(),
                options.flags(),
                align_c,
                bound_c,
            )
        };
        let mz = NonNull::new(mz.cast_mut()).ok_or_else(|| Error::from_rte_errno(call()))?;
        // SAFETY: a live descriptor DPDK just returned.
        let info = unsafe { MemzoneInfo::read(mz.as_ptr()) };
        owned_zones.get_or_insert_with(HashSet::new).insert(mz.as_ptr() as usize);
        drop(owned_zones);
        Ok(Memzone { mz, info, _eal: eal })
    }

    /// Finds a zone by name (`rte_memzone_lookup`), e.g. one a primary process reserved.
    /// The handle does not own the zone and never frees it.
    ///
    /// # Errors
    /// [`Error::NotFound`] if no zone has that name; [`Error::Busy`] if this process owns
    /// it (use the owning [`Memzone`]); name errors as in [`reserve`](Self::reserve).
    #[doc(alias = "rte_memzone_lookup")]
    pub fn lookup(name: &str) -> Result<MemzoneRef> {
        let call = || Call::new("rte_memzone_lookup", format!("name={name:?}"));
        let cname = check_name(name, NAME_MAX, call)?;
        let eal = Eal::current()?;
        // Hold the owned-set lock across the lookup and the check (see `reserve`).
        let owned_zones = owned();
        // SAFETY: a lookup by NUL-terminated name.
        let mz = unsafe { ffi::rte_memzone_lookup(cname.as_ptr()) };
        let mz =
            NonNull::new(mz.cast_mut()).ok_or_else(|| Error::from_errno(call(), libc::ENOENT))?;
        if owned_zones.as_ref().is_some_and(|set| set.contains(&(mz.as_ptr() as usize))) {
            return Err(Error::Busy {
                call: call(),
                message: "this process owns the zone; use its Memzone handle".into(),
            });
        }
        // SAFETY: a live descriptor DPDK just returned.
        let info = unsafe { MemzoneInfo::read(mz.as_ptr()) };
        Ok(MemzoneRef { info, _eal: eal })
    }

    /// Every memzone of the application (`rte_memzone_walk`): this process's, other
    /// processes', and DPDK's own (rings and pools are memzones too).
    ///
    /// # Errors
    /// [`Error::EalNotRunning`].
    #[doc(alias = "rte_memzone_walk")]
    pub fn walk() -> Result<Vec<MemzoneInfo>> {
        let _eal = Eal::current()?;
        unsafe extern "C" fn collect(mz: *const ffi::rte_memzone, arg: *mut c_void) {
            // Must not unwind into DPDK; a failed push just loses the entry.
            let _ = std::panic::catch_unwind(|| {
                // SAFETY: `arg` is the Vec passed below; `mz` is live during the walk.
                unsafe { (*arg.cast::<Vec<MemzoneInfo>>()).push(MemzoneInfo::read(mz)) };
            });
        }
        let mut zones: Vec<MemzoneInfo> = Vec::new();
        // SAFETY: the callback only pushes into `zones`, which outlives the walk.
        unsafe {
            ffi::rte_memzone_walk(Some(collect), (&mut zones as *mut Vec<MemzoneInfo>).cast())
        };
        Ok(zones)
    }

    /// What DPDK records about the zone.
    pub fn info(&self) -> &MemzoneInfo {
        &self.info
    }

    /// The zone's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.info.len
    }

    /// Whether it is empty (never: zero-length reservations are refused).
    pub fn is_empty(&self) -> bool {
        self.info.len == 0
    }

    /// The socket its memory is on.
    pub fn socket(&self) -> SocketId {
        self.info.socket
    }

    /// Its start IO address, what a device would be given.
    pub fn iova(&self) -> u64 {
        self.info.iova
    }

    /// The size of the pages backing it.
    pub fn hugepage_size(&self) -> u64 {
        self.info.hugepage_size
    }

    /// The start address (the same in every process of the application).
    pub fn as_ptr(&self) -> *mut u8 {
        self.info.addr as *mut u8
    }

    /// The bytes, shared.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the zone is live and `len` bytes long; this process does not hand out
        // another view of it (lookup refuses owned zones).
        unsafe { std::slice::from_raw_parts(self.as_ptr(), self.len()) }
    }

    /// The bytes, exclusively.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.as_ptr(), self.len()) }
    }

    /// The zone as atomic 64-bit words (the start is cache-line aligned), e.g. to publish
    /// a flag to another process. Takes `&mut self` so that no `&[u8]` view of the same
    /// bytes is alive meanwhile.
    pub fn atomic_u64(&mut self) -> &[AtomicU64] {
        // SAFETY: aligned (at least the cache line), live, `len / 8` whole words; the
        // exclusive borrow rules out `as_slice` views during this one.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast(), self.len() / 8) }
    }

    /// Frees the zone now (`rte_memzone_free`), handing it back if DPDK refuses.
    ///
    /// # Errors
    /// DPDK's error, with the zone.
    #[doc(alias = "rte_memzone_free")]
    #[allow(clippy::result_large_err)] // a cold path that hands the zone back, as rusqlite's close
    pub fn free(self) -> std::result::Result<(), (Memzone, Error)> {
        let this = std::mem::ManuallyDrop::new(self);
        match free_zone(this.mz, &this.info.name) {
            Ok(()) => {
                // SAFETY: the handle is consumed and never dropped; its fields are released
                // here, once.
                drop(unsafe { (std::ptr::read(&this.info), std::ptr::read(&this._eal)) });
                Ok(())
            }
            Err(e) => Err((std::mem::ManuallyDrop::into_inner(this), e)),
        }
    }
}

fn free_zone(mz: NonNull<ffi::rte_memzone>, name: &str) -> Result<()> {
    // Hold the owned-set lock across the free and the removal, so a new zone that takes
    // the freed descriptor cannot have its entry removed by us.
    let mut owned_zones = owned();
    // SAFETY: this handle owns the zone and frees it once.
    let rc = unsafe { ffi::rte_memzone_free(mz.as_ptr()) };
    crate::error::check_rc(rc, || Call::new("rte_memzone_free", format!("name={name:?}")))?;
    if let Some(set) = owned_zones.as_mut() {
        set.remove(&(mz.as_ptr() as usize));
    }
    Ok(())
}

impl Drop for Memzone {
    fn drop(&mut self) {
        if let Err(e) = free_zone(self.mz, &self.info.name) {
            log::error!("{e}");
        }
    }
}

impl fmt::Debug for Memzone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Memzone").field(&self.info).finish()
    }
}

/// A memzone found by name that this handle does not own: it never frees it, and gives
/// only views that are sound for memory another process may write. See the module docs.
pub struct MemzoneRef {
    info: MemzoneInfo,
    _eal: Eal,
}

// SAFETY: the handle only reads a copied descriptor and gives atomic or raw views.
unsafe impl Send for MemzoneRef {}
// SAFETY: as above.
unsafe impl Sync for MemzoneRef {}

impl MemzoneRef {
    /// What DPDK records about the zone.
    pub fn info(&self) -> &MemzoneInfo {
        &self.info
    }

    /// The start address.
    pub fn as_ptr(&self) -> *mut u8 {
        self.info.addr as *mut u8
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.info.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.info.len == 0
    }

    /// The zone as atomic bytes.
    ///
    /// # Safety
    /// The zone must stay reserved while the view lives (its owner, in this or another
    /// process, must not free it), and nothing in this process may hold non-atomic
    /// references into it: it must not be the memory of a pool, ring or other object of
    /// this process (DPDK names those zones `MP_...`, `RG_...`).
    pub unsafe fn atomic_u8(&self) -> &[AtomicU8] {
        // SAFETY: live and unaliased per the caller's contract; only atomic access.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast(), self.len()) }
    }

    /// The zone as atomic 64-bit words (the start is cache-line aligned).
    ///
    /// # Safety
    /// As [`atomic_u8`](Self::atomic_u8).
    pub unsafe fn atomic_u64(&self) -> &[AtomicU64] {
        // SAFETY: as in `atomic_u8`; aligned to at least the cache line.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast(), self.len() / 8) }
    }
}

impl fmt::Debug for MemzoneRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MemzoneRef").field(&self.info).finish()
    }
}
