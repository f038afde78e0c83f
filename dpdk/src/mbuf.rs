//! Packet buffers: [`PktMbufPool`] (`rte_pktmbuf_pool_create` on a chosen socket), its
//! RAII packets ([`Mbuf`]) and a fixed-capacity buffer of packets ([`Burst`]) that the
//! RX/TX burst calls of [`crate::ethdev`] fill and drain.
//!
//! # Safety model
//! - An [`Mbuf<'p>`](Mbuf) borrows the pool it came from (`'p`), like
//!   [`Pooled`](crate::mempool::Pooled): safe code cannot free a pool while one of its
//!   packets is out, nor let a packet outlive the EAL (the pool keeps it alive).
//! - A packet is owned by one handle: its data is `&[u8]` through `&Mbuf` and `&mut [u8]`
//!   through `&mut Mbuf`. Every packet this crate makes has reference count 1 and owns its
//!   data buffer; [`PktMbufPool::from_raw`] requires the same of raw packets.
//! - Dropping a packet frees it (all its segments) once, into the pool it names. The
//!   common case (one segment, reference count 1, its own data buffer) is DPDK's inline
//!   `rte_pktmbuf_free_seg` ported to Rust over the mempool cache; anything else
//!   (chains, clones, external buffers) is freed by DPDK's C (`rte_pktmbuf_free`).
//! - Data rooms are zeroed when the pool is created, so every byte a packet can show is
//!   initialised memory.
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mbuf::PktMbufPool;
//! let pool = PktMbufPool::new("cf_mb", 63, 0, 2048, dpdk::SocketId::ANY).unwrap();
//! let m = pool.alloc().unwrap();
//! drop(pool); // error: the pool is borrowed by `m`
//! drop(m);
//! ```

use std::ffi::{c_uint, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::mempool::{put_any, PoolEmpty, PoolInfo, RawPool, CACHE_MAX, NAME_MAX};
use crate::SocketId;

/// Bytes DPDK keeps in front of the data of a fresh packet (`RTE_PKTMBUF_HEADROOM`).
pub const HEADROOM: u16 = ffi::RTE_PKTMBUF_HEADROOM as u16;

/// DPDK's default data room of a packet buffer, headroom included
/// (`RTE_MBUF_DEFAULT_BUF_SIZE`: 2048 bytes of data after 128 of headroom).
pub const DEFAULT_DATA_ROOM: u16 = ffi::RTE_MBUF_DEFAULT_BUF_SIZE as u16;

/// Why a length change of a packet was refused; the packet is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MbufError {
    /// `prepend`: fewer bytes of headroom than asked for.
    NoHeadroom {
        /// Bytes asked for.
        requested: usize,
        /// Headroom there is.
        available: usize,
    },
    /// `append`: fewer bytes of tailroom (in the last segment) than asked for.
    NoTailroom {
        /// Bytes asked for.
        requested: usize,
        /// Tailroom there is.
        available: usize,
    },
    /// `adj` / `trim`: the packet (its first, resp. last, segment) holds fewer bytes.
    TooShort {
        /// Bytes asked to remove.
        requested: usize,
        /// Bytes there are.
        available: usize,
    },
    /// `room_mut` / `set_len`: the packet has more than one segment.
    Segmented {
        /// Its segments.
        segments: u16,
    },
    /// The packet or its data buffer is shared (a reference count above 1, an indirect
    /// packet, or an external buffer with other users), as some drivers hand them out:
    /// writing would change what another holder sees.
    Shared,
}

impl fmt::Display for MbufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MbufError::NoHeadroom { requested, available } => {
                write!(f, "cannot prepend {requested} bytes: {available} bytes of headroom")
            }
            MbufError::NoTailroom { requested, available } => {
                write!(f, "cannot append {requested} bytes: {available} bytes of tailroom")
            }
            MbufError::TooShort { requested, available } => {
                write!(f, "cannot remove {requested} bytes: the segment holds {available}")
            }
            MbufError::Segmented { segments } => {
                write!(f, "the packet has {segments} segments; this needs exactly one")
            }
            MbufError::Shared => {
                write!(f, "the packet or its data buffer is shared; it cannot be written")
            }
        }
    }
}

impl std::error::Error for MbufError {}

/// A pool of packet buffers (`rte_pktmbuf_pool_create`) on a chosen socket.
///
/// Place it on the socket of the port that receives into it ([`Port::socket`]): a pool
/// on another socket makes every received packet cross the interconnect.
///
/// [`Port::socket`]: crate::ethdev::Port::socket
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mbuf::{PktMbufPool, DEFAULT_DATA_ROOM};
/// let pool = PktMbufPool::new("doc_pkts", 1023, 32, DEFAULT_DATA_ROOM, dpdk::SocketId::current())?;
/// let mut m = pool.alloc().expect("a free mbuf");
/// m.append(4)?.copy_from_slice(b"ping");
/// assert_eq!(m.data(), b"ping");
/// assert_eq!(pool.in_use(), 1);
/// drop(m);
/// assert_eq!(pool.in_use(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PktMbufPool {
    raw: RawPool,
}

// SAFETY: the pool is DPDK memory usable from any thread; its ring is multi-producer /
// multi-consumer and each lcore cache is used only by its lcore's thread, so handing out
// and taking back packets from several threads at once is what DPDK supports.
unsafe impl Send for PktMbufPool {}
// SAFETY: as above.
unsafe impl Sync for PktMbufPool {}

unsafe extern "C" fn zero_data_room(
    _: *mut ffi::rte_mempool,
    _: *mut c_void,
    obj: *mut c_void,
    _: c_uint,
) {
    let m = obj.cast::<ffi::rte_mbuf>();
    // SAFETY: `obj` is an mbuf that rte_pktmbuf_init set up: buf_addr points at buf_len
    // bytes of its own data room.
    unsafe { std::ptr::write_bytes((*m).buf_addr.cast::<u8>(), 0, (*m).buf_len() as usize) };
}

impl PktMbufPool {
    /// `count` packet buffers of `data_room` bytes each (headroom included, so at most
    /// `data_room - HEADROOM` bytes of packet), with a per-lcore cache of `cache_size`,
    /// on `socket` (`rte_pktmbuf_pool_create`).
    ///
    /// # Errors
    /// [`Error::InvalidName`] / [`Error::NameTooLong`]; [`Error::InvalidArgument`] for a
    /// zero count, a cache above [`CACHE_MAX`] or `count / 1.5`, or a data room smaller
    /// than [`HEADROOM`]; [`Error::AlreadyExists`]; [`Error::NoMemory`].
    #[doc(alias = "rte_pktmbuf_pool_create")]
    pub fn new(
        name: &str,
        count: u32,
        cache_size: u32,
        data_room: u16,
        socket: SocketId,
    ) -> Result<Self> {
        let call = || {
            Call::new(
                "rte_pktmbuf_pool_create",
                format!(
                    "name={name:?}, n={count}, cache_size={cache_size}, priv_size=0, \
                     data_room_size={data_room}, socket_id={}",
                    socket.as_raw()
                ),
            )
        };
        let cname = check_name(name, NAME_MAX, call)?;
        let invalid = |message: String| Error::InvalidArgument { call: call(), message };
        if count == 0 {
            return Err(invalid("a pool needs at least one mbuf".into()));
        }
        if cache_size > CACHE_MAX || cache_size as u64 * 3 > count as u64 * 2 {
            return Err(invalid(format!(
                "cache size {cache_size} exceeds DPDK's limit: at most {CACHE_MAX} and count / 1.5"
            )));
        }
        if data_room < HEADROOM {
            return Err(invalid(format!(
                "a data room of {data_room} is below the {HEADROOM}-byte headroom"
            )));
        }
        let eal = Eal::current()?;
        // SAFETY: checked arguments and a NUL-terminated name.
        let mp = unsafe {
            ffi::rte_pktmbuf_pool_create(
                cname.as_ptr(),
                count,
                cache_size,
                0,
                data_room,
                socket.as_raw(),
            )
        };
        let mp = NonNull::new(mp).ok_or_else(|| Error::from_rte_errno(call()))?;
        // SAFETY: every mbuf is in the pool and was initialised by rte_pktmbuf_init.
        unsafe {
            ffi::rte_mempool_obj_iter(mp.as_ptr(), Some(zero_data_room), std::ptr::null_mut())
        };
        Ok(PktMbufPool { raw: RawPool::new(mp, eal) })
    }

    /// A fresh packet: one empty segment with [`HEADROOM`] bytes of headroom
    /// (`rte_pktmbuf_alloc`), or `None` if the pool (with this lcore's cache) is empty.
    #[doc(alias = "rte_pktmbuf_alloc")]
    #[inline]
    pub fn alloc(&self) -> Option<Mbuf<'_>> {
        // SAFETY: the calling thread's lcore cache.
        let obj = unsafe { self.raw.get_one(self.raw.default_cache()) }?;
        let m = obj.cast::<ffi::rte_mbuf>();
        // SAFETY: a packet just taken from the pool, owned by us.
        unsafe { reset(m.as_ptr()) };
        Some(Mbuf { ptr: m, _pool: PhantomData })
    }

    /// Appends `n` fresh packets to `burst`, all or nothing (`rte_pktmbuf_alloc_bulk`).
    ///
    /// # Errors
    /// [`PoolEmpty`] if the pool has fewer than `n` (nothing is taken).
    ///
    /// # Panics
    /// If `burst` has no room for `n` more.
    #[doc(alias = "rte_pktmbuf_alloc_bulk")]
    #[inline]
    pub fn alloc_bulk<'p, const N: usize>(
        &'p self,
        burst: &mut Burst<'p, N>,
        n: usize,
    ) -> Result<(), PoolEmpty> {
        let len = burst.len;
        assert!(n <= N - len, "a burst of {N} holding {len} has no room for {n}");
        let cache = self.raw.default_cache();
        // SAFETY: room for n pointers after `len`; the calling thread's lcore cache.
        let dst = unsafe { burst.slots.as_mut_ptr().add(len).cast::<*mut c_void>() };
        // SAFETY: as above.
        if !unsafe { self.raw.get(dst, n as u32, cache) } {
            return Err(PoolEmpty { requested: n as u32 });
        }
        for i in 0..n {
            // SAFETY: the packets just taken, owned by the burst from here on.
            unsafe { reset(*dst.add(i).cast::<*mut ffi::rte_mbuf>()) };
        }
        burst.len = len + n;
        Ok(())
    }

    /// Takes back a packet given up with [`Mbuf::into_raw`] (e.g. after a trip through a
    /// ring).
    ///
    /// # Safety
    /// `ptr` is a packet that nobody else owns or references (reference count 1, its data
    /// not shared with another packet), taken back once, from a pool that lives at least
    /// as long as `self` (this pool, in practice).
    pub unsafe fn from_raw(&self, ptr: NonNull<ffi::rte_mbuf>) -> Mbuf<'_> {
        Mbuf { ptr, _pool: PhantomData }
    }

    /// Packets in the pool and in lcore caches (`rte_mempool_avail_count`).
    #[doc(alias = "rte_mempool_avail_count")]
    pub fn available(&self) -> u32 {
        self.raw.available()
    }

    /// Packets handed out (`rte_mempool_in_use_count`), including those held by ports'
    /// RX rings.
    #[doc(alias = "rte_mempool_in_use_count")]
    pub fn in_use(&self) -> u32 {
        self.raw.in_use()
    }

    /// How many packets the pool has.
    pub fn capacity(&self) -> u32 {
        self.raw.capacity()
    }

    /// Bytes of data room per packet, headroom included (`rte_pktmbuf_data_room_size`).
    #[doc(alias = "rte_pktmbuf_data_room_size")]
    pub fn data_room(&self) -> u16 {
        // SAFETY: a live packet pool.
        unsafe { ffi::rte_pktmbuf_data_room_size(self.raw.mp.as_ptr()) }
    }

    /// Name, counts, sizes and the socket asked for.
    pub fn info(&self) -> PoolInfo {
        self.raw.info()
    }

    /// The socket the pool's memory is on (from DPDK's memsegs of its first packet), or
    /// `None` when DPDK cannot tell.
    pub fn socket(&self) -> Option<SocketId> {
        self.raw.socket()
    }

    /// The raw pool, for DPDK calls this crate does not wrap.
    pub fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.raw.mp.as_ptr()
    }
}

impl Drop for PktMbufPool {
    fn drop(&mut self) {
        let out = self.in_use();
        if out != 0 {
            log::warn!(
                "mbuf pool {:?} freed with {out} packets out (given up with into_raw)",
                self.info().name
            );
        }
        // SAFETY: freed once; packets and ports borrowing the pool are gone.
        unsafe { ffi::rte_mempool_free(self.raw.mp.as_ptr()) };
    }
}

impl fmt::Debug for PktMbufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PktMbufPool").field(&self.info()).finish()
    }
}

/// `rte_pktmbuf_reset` of 22.11: an empty single segment with the default headroom.
///
/// # Safety
/// `m` is a packet owned by the caller.
#[inline(always)]
unsafe fn reset(m: *mut ffi::rte_mbuf) {
    // SAFETY: per the contract.
    unsafe {
        (*m).next = std::ptr::null_mut();
        (*m).set_pkt_len(0);
        (*m).__bindgen_anon_3.tx_offload = 0;
        (*m).set_vlan_tci(0);
        (*m).set_vlan_tci_outer(0);
        (*m).set_nb_segs(1);
        (*m).set_port(ffi::RTE_MBUF_PORT_INVALID as u16);
        (*m).ol_flags &= ffi::RTE_MBUF_F_EXTERNAL;
        (*m).set_packet_type(0);
        (*m).set_data_off(HEADROOM.min((*m).buf_len()));
        (*m).set_data_len(0);
    }
}

/// Whether freeing `m` is the plain case that [`free`] handles inline: reference count
/// 1 (read atomically, as DPDK does), its own data buffer, one segment.
///
/// # Safety
/// `m` is a live packet owned by the caller.
#[inline(always)]
unsafe fn is_plain(m: *mut ffi::rte_mbuf) -> bool {
    // SAFETY: per the contract; refcnt is read with a relaxed atomic load like
    // rte_mbuf_refcnt_read.
    unsafe {
        let refcnt = AtomicU16::from_ptr(ffi::rte_mbuf::refcnt_ptr(m));
        refcnt.load(Ordering::Relaxed) == 1
            && (*m).ol_flags & (ffi::RTE_MBUF_F_INDIRECT | ffi::RTE_MBUF_F_EXTERNAL) == 0
            && (*m).next.is_null()
    }
}

/// `rte_pktmbuf_free(m)`: the plain case (see [`is_plain`]) is `rte_pktmbuf_free_seg`'s
/// inline path ported to Rust; anything else is DPDK's C.
///
/// # Safety
/// `m` is a live packet owned by the caller, freed once.
#[inline(always)]
unsafe fn free(m: *mut ffi::rte_mbuf) {
    // SAFETY: per the contract.
    unsafe {
        if crate::inline::MBUF && is_plain(m) {
            if (*m).nb_segs() != 1 {
                (*m).set_nb_segs(1);
            }
            let obj = m.cast::<c_void>();
            put_any((*m).pool, &obj, 1);
        } else {
            ffi::rte_pktmbuf_free(m);
        }
    }
}

/// Frees `n` packets (`rte_pktmbuf_free_bulk`): runs of plain packets of one pool go
/// back with one bulk put, like DPDK's C does.
///
/// # Safety
/// `ms` holds `n` live packets owned by the caller, freed once.
#[inline]
unsafe fn free_bulk(ms: *mut *mut ffi::rte_mbuf, n: usize) {
    let mut start = 0;
    while start < n {
        // SAFETY: indices below n are the caller's packets.
        unsafe {
            let first = *ms.add(start);
            if !crate::inline::MBUF || !is_plain(first) {
                ffi::rte_pktmbuf_free(first);
                start += 1;
                continue;
            }
            let pool = (*first).pool;
            let mut end = start + 1;
            while end < n {
                let m = *ms.add(end);
                if (*m).pool != pool || !is_plain(m) {
                    break;
                }
                end += 1;
            }
            for i in start..end {
                let m = *ms.add(i);
                if (*m).nb_segs() != 1 {
                    (*m).set_nb_segs(1);
                }
            }
            put_any(pool, ms.add(start).cast::<*mut c_void>(), (end - start) as u32);
            start = end;
        }
    }
}

/// A packet (`struct rte_mbuf`) of a pool that lives for `'p`: freed when dropped.
///
/// `#[repr(transparent)]` over the packet pointer, so a slice of `Mbuf`s is the
/// `struct rte_mbuf **` array that DPDK's burst calls take.
#[repr(transparent)]
pub struct Mbuf<'p> {
    ptr: NonNull<ffi::rte_mbuf>,
    _pool: PhantomData<&'p PktMbufPool>,
}

// SAFETY: the packet is owned by this handle; freeing it from another thread puts it into
// its pool, which any thread may do (the pool is Sync).
unsafe impl Send for Mbuf<'_> {}
// SAFETY: &Mbuf gives only reads of the packet.
unsafe impl Sync for Mbuf<'_> {}

impl<'p> Mbuf<'p> {
    #[inline(always)]
    fn raw(&self) -> &ffi::rte_mbuf {
        // SAFETY: a live packet owned by this handle.
        unsafe { self.ptr.as_ref() }
    }

    /// Whether this handle is the packet header's only holder (reference count 1, read
    /// atomically as DPDK does). Packets from this crate always are; a driver could hand
    /// out shared ones.
    #[inline(always)]
    fn header_exclusive(&self) -> bool {
        // SAFETY: a live packet; DPDK updates refcnt atomically.
        let refcnt = unsafe { AtomicU16::from_ptr(ffi::rte_mbuf::refcnt_ptr(self.ptr.as_ptr())) };
        refcnt.load(Ordering::Relaxed) == 1
    }

    /// Whether the packet's data may be written through this handle: it holds the header
    /// alone and the data buffer is the packet's own, or an external buffer with no other
    /// user.
    #[inline(always)]
    fn data_exclusive(&self) -> bool {
        let flags = self.raw().ol_flags;
        if !self.header_exclusive() || flags & ffi::RTE_MBUF_F_INDIRECT != 0 {
            return false;
        }
        if flags & ffi::RTE_MBUF_F_EXTERNAL == 0 {
            return true;
        }
        let shinfo = self.raw().shinfo;
        // SAFETY: an external-buffer packet has its shared info; refcnt_atomic is atomic.
        !shinfo.is_null()
            && unsafe {
                AtomicU16::from_ptr(std::ptr::addr_of_mut!((*shinfo).refcnt))
                    .load(Ordering::Relaxed)
            } == 1
    }

    /// The bytes of the first segment (`rte_pktmbuf_mtod`, `data_len` bytes).
    #[doc(alias = "rte_pktmbuf_mtod")]
    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.raw();
        // SAFETY: data_off + data_len lie within the segment's initialised data room.
        unsafe {
            std::slice::from_raw_parts(
                m.buf_addr.cast::<u8>().add(m.data_off() as usize),
                m.data_len() as usize,
            )
        }
    }

    /// The bytes of the first segment, writable.
    ///
    /// # Errors
    /// [`MbufError::Shared`] when a driver handed out a packet whose data others hold too.
    #[inline]
    pub fn data_mut(&mut self) -> Result<&mut [u8], MbufError> {
        if !self.data_exclusive() {
            return Err(MbufError::Shared);
        }
        let (addr, off, len) = {
            let m = self.raw();
            (m.buf_addr.cast::<u8>(), m.data_off() as usize, m.data_len() as usize)
        };
        // SAFETY: as in `data`; the packet and its buffer are ours alone (checked above)
        // and `&mut self` is exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(addr.add(off), len) })
    }

    /// Bytes in the first segment (`rte_pktmbuf_data_len`).
    #[doc(alias = "rte_pktmbuf_data_len")]
    #[inline]
    pub fn len(&self) -> usize {
        self.raw().data_len() as usize
    }

    /// Whether the first segment holds no byte.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes in the whole packet, all segments (`rte_pktmbuf_pkt_len`).
    #[doc(alias = "rte_pktmbuf_pkt_len")]
    #[inline]
    pub fn pkt_len(&self) -> usize {
        self.raw().pkt_len() as usize
    }

    /// How many segments the packet has.
    #[inline]
    pub fn segments(&self) -> u16 {
        self.raw().nb_segs()
    }

    /// Bytes free in front of the data (`rte_pktmbuf_headroom`).
    #[doc(alias = "rte_pktmbuf_headroom")]
    #[inline]
    pub fn headroom(&self) -> usize {
        self.raw().data_off() as usize
    }

    /// Bytes free after the data of the last segment (`rte_pktmbuf_tailroom`).
    #[doc(alias = "rte_pktmbuf_tailroom")]
    pub fn tailroom(&self) -> usize {
        // SAFETY: a live packet; the wrapper reads its last segment.
        unsafe { ffi::rte_pktmbuf_tailroom(ffi::rte_pktmbuf_lastseg(self.ptr.as_ptr())) as usize }
    }

    /// Grows the packet by `n` bytes at its end (in the last segment) and returns them
    /// (`rte_pktmbuf_append`); they hold what the buffer held before.
    ///
    /// # Errors
    /// [`MbufError::NoTailroom`] (the packet is unchanged).
    #[doc(alias = "rte_pktmbuf_append")]
    pub fn append(&mut self, n: usize) -> Result<&mut [u8], MbufError> {
        if !self.data_exclusive() {
            return Err(MbufError::Shared);
        }
        let available = self.tailroom();
        let len = u16::try_from(n).ok().filter(|_| n <= available);
        let len = len.ok_or(MbufError::NoTailroom { requested: n, available })?;
        // SAFETY: room checked; DPDK grows the last segment and the packet length.
        let at = unsafe { ffi::rte_pktmbuf_append(self.ptr.as_ptr(), len) };
        debug_assert!(!at.is_null());
        // SAFETY: `n` bytes of this packet's own buffer, initialised (zeroed at creation
        // or written since); `&mut self` is exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(at.cast::<u8>(), n) })
    }

    /// Grows the packet by `n` bytes at its front (into the headroom) and returns them
    /// (`rte_pktmbuf_prepend`).
    ///
    /// # Errors
    /// [`MbufError::NoHeadroom`] (the packet is unchanged).
    #[doc(alias = "rte_pktmbuf_prepend")]
    pub fn prepend(&mut self, n: usize) -> Result<&mut [u8], MbufError> {
        if !self.data_exclusive() {
            return Err(MbufError::Shared);
        }
        let available = self.headroom();
        let len = u16::try_from(n).ok().filter(|_| n <= available);
        let len = len.ok_or(MbufError::NoHeadroom { requested: n, available })?;
        // SAFETY: room checked.
        let at = unsafe { ffi::rte_pktmbuf_prepend(self.ptr.as_ptr(), len) };
        debug_assert!(!at.is_null());
        // SAFETY: as in `append`.
        Ok(unsafe { std::slice::from_raw_parts_mut(at.cast::<u8>(), n) })
    }

    /// The whole room of a one-segment packet from its first byte: the data and the
    /// tailroom after it, for rewriting a packet in place into a longer one; then
    /// [`set_len`](Self::set_len) says how long it is.
    ///
    /// # Errors
    /// [`MbufError::Segmented`] for a chained packet (unchanged).
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::mbuf::{PktMbufPool, DEFAULT_DATA_ROOM};
    /// let pool = PktMbufPool::new("doc_room", 63, 0, DEFAULT_DATA_ROOM, dpdk::SocketId::current())?;
    /// let mut m = pool.alloc().unwrap();
    /// m.append(4)?.copy_from_slice(b"ping");
    /// let room = m.room_mut()?;
    /// assert_eq!(room.len(), 2048);
    /// room[..6].copy_from_slice(b"pong!!");
    /// m.set_len(6)?;
    /// assert_eq!(m.data(), b"pong!!");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn room_mut(&mut self) -> Result<&mut [u8], MbufError> {
        let (addr, off, buf_len, segments) = {
            let m = self.raw();
            (m.buf_addr.cast::<u8>(), m.data_off() as usize, m.buf_len() as usize, m.nb_segs())
        };
        if segments != 1 {
            return Err(MbufError::Segmented { segments });
        }
        if !self.data_exclusive() {
            return Err(MbufError::Shared);
        }
        // SAFETY: data_off..buf_len lies in the packet's own buffer, initialised as in
        // `append`; `&mut self` is exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(addr.add(off), buf_len - off) })
    }

    /// Sets the length of a one-segment packet (its data and packet length), within the
    /// room [`room_mut`](Self::room_mut) gives.
    ///
    /// # Errors
    /// [`MbufError::Segmented`]; [`MbufError::NoTailroom`] when `len` exceeds the room
    /// (unchanged either way).
    #[inline]
    pub fn set_len(&mut self, len: usize) -> Result<(), MbufError> {
        if !self.header_exclusive() {
            return Err(MbufError::Shared);
        }
        let m = self.raw();
        if m.nb_segs() != 1 {
            return Err(MbufError::Segmented { segments: m.nb_segs() });
        }
        let room = m.buf_len() as usize - m.data_off() as usize;
        if len > room {
            let available = room.saturating_sub(m.data_len() as usize);
            let requested = len - m.data_len() as usize;
            return Err(MbufError::NoTailroom { requested, available });
        }
        // SAFETY: a one-segment packet owned by this handle; the length fits its room.
        unsafe {
            let m = self.ptr.as_ptr();
            (*m).set_data_len(len as u16);
            (*m).set_pkt_len(len as u32);
        }
        Ok(())
    }

    /// Removes `n` bytes from the front of the packet (`rte_pktmbuf_adj`).
    ///
    /// # Errors
    /// [`MbufError::TooShort`] if the first segment holds fewer (unchanged).
    #[doc(alias = "rte_pktmbuf_adj")]
    pub fn adj(&mut self, n: usize) -> Result<(), MbufError> {
        if !self.header_exclusive() {
            return Err(MbufError::Shared);
        }
        let available = self.len();
        let len = u16::try_from(n).ok().filter(|_| n <= available);
        let len = len.ok_or(MbufError::TooShort { requested: n, available })?;
        // SAFETY: length checked.
        let at = unsafe { ffi::rte_pktmbuf_adj(self.ptr.as_ptr(), len) };
        debug_assert!(!at.is_null());
        Ok(())
    }

    /// Removes `n` bytes from the end of the packet (`rte_pktmbuf_trim`).
    ///
    /// # Errors
    /// [`MbufError::TooShort`] if the last segment holds fewer (unchanged).
    #[doc(alias = "rte_pktmbuf_trim")]
    pub fn trim(&mut self, n: usize) -> Result<(), MbufError> {
        if !self.header_exclusive() {
            return Err(MbufError::Shared);
        }
        // SAFETY: a live packet.
        let available = unsafe { (*ffi::rte_pktmbuf_lastseg(self.ptr.as_ptr())).data_len() };
        let available = available as usize;
        let len = u16::try_from(n).ok().filter(|_| n <= available);
        let len = len.ok_or(MbufError::TooShort { requested: n, available })?;
        // SAFETY: length checked.
        let rc = unsafe { ffi::rte_pktmbuf_trim(self.ptr.as_ptr(), len) };
        debug_assert_eq!(rc, 0);
        Ok(())
    }

    /// Empties the packet, keeping its buffer, with the default headroom (as fresh).
    #[doc(alias = "rte_pktmbuf_reset")]
    ///
    /// # Panics
    /// If a driver handed out this packet shared by reference count (others hold the same
    /// header); packets of this crate never are.
    pub fn clear(&mut self) {
        assert!(self.header_exclusive(), "Mbuf::clear on a packet others hold too");
        if self.raw().ol_flags & (ffi::RTE_MBUF_F_INDIRECT | ffi::RTE_MBUF_F_EXTERNAL) != 0 {
            // Give the borrowed buffer back and take the packet's own (the reset below
            // would otherwise forget that it is attached, and the free would not detach).
            // SAFETY: a packet we hold alone, attached to another's buffer.
            unsafe { ffi::rte_pktmbuf_detach(self.ptr.as_ptr()) };
        }
        if self.segments() == 1 {
            // SAFETY: a single-segment packet owned by us.
            unsafe { reset(self.ptr.as_ptr()) }
        } else {
            // Free the tail segments through DPDK, keep the first.
            // SAFETY: the tail chain belongs to this packet and is freed once; the head
            // is then a single segment.
            unsafe {
                let m = self.ptr.as_ptr();
                let tail = (*m).next;
                (*m).next = std::ptr::null_mut();
                ffi::rte_pktmbuf_free(tail);
                reset(m);
            }
        }
    }

    /// The port the packet was received on, if any.
    #[inline]
    pub fn port(&self) -> Option<u16> {
        let port = self.raw().port();
        (port != ffi::RTE_MBUF_PORT_INVALID as u16).then_some(port)
    }

    /// The RSS hash the device computed, when it set one (`RTE_MBUF_F_RX_RSS_HASH`).
    #[inline]
    pub fn rss_hash(&self) -> Option<u32> {
        let m = self.raw();
        // `rss` is what DPDK reads when the flag is set.
        let rss = m.hash_rss();
        (m.ol_flags & ffi::RTE_MBUF_F_RX_RSS_HASH as u64 != 0).then_some(rss)
    }

    /// The packet type the device recognised (`RTE_PTYPE_*` bits), when it set one.
    #[inline]
    pub fn packet_type(&self) -> Option<u32> {
        let ptype = self.raw().packet_type();
        (ptype != 0).then_some(ptype)
    }

    /// DPDK's offload flags (`ol_flags`, `RTE_MBUF_F_*`).
    #[inline]
    pub fn offload_flags(&self) -> u64 {
        self.raw().ol_flags
    }

    /// The raw packet, still owned by this handle.
    #[inline]
    pub fn as_ptr(&self) -> *mut ffi::rte_mbuf {
        self.ptr.as_ptr()
    }

    /// Gives up the packet without freeing it; [`PktMbufPool::from_raw`] takes it back.
    #[inline]
    pub fn into_raw(self) -> NonNull<ffi::rte_mbuf> {
        ManuallyDrop::new(self).ptr
    }
}

impl Drop for Mbuf<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this handle owned the packet and frees it once.
        unsafe { free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Mbuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mbuf")
            .field("len", &self.len())
            .field("pkt_len", &self.pkt_len())
            .field("segments", &self.segments())
            .field("port", &self.port())
            .finish_non_exhaustive()
    }
}

/// A caller-owned buffer of up to `N` packets: what RX bursts fill and TX bursts drain
/// (the `struct rte_mbuf *pkts[N]` array of a C dataplane, with its count).
///
/// - [`RxQueue::rx_burst`](crate::ethdev::RxQueue::rx_burst) receives into the free
///   room at the end and returns the packets it added.
/// - [`TxQueue::tx_burst`](crate::ethdev::TxQueue::tx_burst) hands packets to the
///   device from the front; those the device did not take stay, moved to the front, so
///   the next call retries them (or dropping the burst frees them).
/// - Packets still in it are freed when it is cleared or dropped, in bulk.
///
/// It derefs to `[Mbuf]` for reading and editing packets in place.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mbuf::{Burst, PktMbufPool, DEFAULT_DATA_ROOM};
/// let pool = PktMbufPool::new("doc_burst", 255, 0, DEFAULT_DATA_ROOM, dpdk::SocketId::current())?;
/// let mut burst = Burst::<32>::new();
/// pool.alloc_bulk(&mut burst, 32)?;
/// for m in burst.iter_mut() {
///     m.append(60)?.fill(0xab);
/// }
/// assert_eq!(pool.in_use(), 32);
/// burst.clear();
/// assert_eq!(pool.in_use(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Burst<'p, const N: usize> {
    len: usize,
    slots: [MaybeUninit<Mbuf<'p>>; N],
}

impl<'p, const N: usize> Default for Burst<'p, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'p, const N: usize> Burst<'p, N> {
    /// An empty burst.
    pub const fn new() -> Self {
        // DPDK counts a bulk in 32 bits (and a burst in 16): no larger burst is filled.
        const { assert!(N <= u32::MAX as usize, "a burst holds at most u32::MAX packets") };
        Burst { len: 0, slots: [const { MaybeUninit::uninit() }; N] }
    }

    /// How many packets it holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it holds `N`.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// `N`.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Adds a packet at the end, or hands it back when full.
    ///
    /// # Errors
    /// The packet, when the burst is full.
    #[inline]
    pub fn push(&mut self, m: Mbuf<'p>) -> Result<(), Mbuf<'p>> {
        if self.len == N {
            return Err(m);
        }
        self.slots[self.len] = MaybeUninit::new(m);
        self.len += 1;
        Ok(())
    }

    /// Takes the last packet out.
    #[inline]
    pub fn pop(&mut self) -> Option<Mbuf<'p>> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: slot `len` held a packet; ownership moves out and the slot is now free.
        Some(unsafe { self.slots[self.len].assume_init_read() })
    }

    /// Frees every packet (in bulk).
    #[inline]
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Frees the packets from index `len` on.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let n = self.len - len;
        self.len = len;
        // SAFETY: slots len..len+n held packets owned by the burst, freed once (the
        // length already excludes them).
        unsafe { free_bulk(self.slots.as_mut_ptr().add(len).cast(), n) }
    }

    /// The free room at the end, as raw packet pointers (for burst calls).
    #[inline]
    pub(crate) fn spare_ptr(&mut self) -> (*mut *mut ffi::rte_mbuf, usize) {
        // SAFETY: `len <= N`.
        let ptr = unsafe { self.slots.as_mut_ptr().add(self.len) };
        (ptr.cast(), N - self.len)
    }

    /// Records `n` packets written into the spare room.
    ///
    /// # Safety
    /// The first `n` spare slots now hold packets owned by the burst.
    #[inline]
    pub(crate) unsafe fn added(&mut self, n: usize) -> &mut [Mbuf<'p>] {
        let start = self.len;
        self.len += n;
        &mut self[start..]
    }

    /// The held packets as raw pointers.
    #[inline]
    pub(crate) fn as_raw(&mut self) -> *mut *mut ffi::rte_mbuf {
        self.slots.as_mut_ptr().cast()
    }

    /// Forgets the first `n` packets (handed to a device) and moves the rest to the
    /// front.
    ///
    /// # Safety
    /// The first `n` packets are no longer owned by the burst.
    #[inline]
    pub(crate) unsafe fn consumed(&mut self, n: usize) {
        let rest = self.len - n;
        if rest != 0 && n != 0 {
            // SAFETY: both ranges lie within the first `len` slots; they may overlap.
            unsafe {
                let base = self.slots.as_mut_ptr();
                std::ptr::copy(base.add(n), base, rest);
            }
        }
        self.len = rest;
    }
}

impl<'p, const N: usize> Deref for Burst<'p, N> {
    type Target = [Mbuf<'p>];
    #[inline]
    fn deref(&self) -> &[Mbuf<'p>] {
        // SAFETY: the first `len` slots hold packets.
        unsafe { std::slice::from_raw_parts(self.slots.as_ptr().cast(), self.len) }
    }
}

impl<'p, const N: usize> DerefMut for Burst<'p, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Mbuf<'p>] {
        // SAFETY: as above; `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.slots.as_mut_ptr().cast(), self.len) }
    }
}

impl<const N: usize> Drop for Burst<'_, N> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<const N: usize> fmt::Debug for Burst<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Burst").field("len", &self.len).field("capacity", &N).finish()
    }
}

// SAFETY: an `Mbuf` is one pointer (`repr(transparent)`); `into_raw`/`from_raw` move the
// packet's ownership through it. The ring's type carries `'p`, so it cannot outlive the
// pool, and a ring dropped with packets in it frees them.
unsafe impl<'p> crate::ring::RingItem for Mbuf<'p> {
    fn into_raw(self) -> *mut std::ffi::c_void {
        Mbuf::into_raw(self).as_ptr().cast()
    }
    unsafe fn from_raw(ptr: *mut std::ffi::c_void) -> Self {
        // SAFETY: per the contract, a non-null packet pointer from `into_raw`.
        Mbuf { ptr: unsafe { NonNull::new_unchecked(ptr.cast()) }, _pool: PhantomData }
    }
}

impl<'p, P: crate::ring::SyncMode> crate::ring::Producer<Mbuf<'p>, P> {
    /// Moves packets from the front of `burst` into the ring, as many as fit, and returns
    /// how many; the rest stay in `burst`, moved to its front.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::mbuf::{Burst, Mbuf, PktMbufPool, DEFAULT_DATA_ROOM};
    /// use dpdk::ring::{Ring, RingOptions};
    /// let socket = dpdk::SocketId::current();
    /// let pool = PktMbufPool::new("doc_ring_mb", 63, 0, DEFAULT_DATA_ROOM, socket)?;
    /// let ring: Ring<Mbuf<'_>> = Ring::new("doc_mb_ring", 8, socket, RingOptions::new())?;
    /// let (tx, rx) = ring.split();
    /// let mut burst = Burst::<16>::new();
    /// pool.alloc_bulk(&mut burst, 10)?;
    /// assert_eq!(tx.enqueue_from_burst(&mut burst), 7); // a ring of 8 holds 7
    /// assert_eq!(burst.len(), 3);
    /// assert_eq!(rx.dequeue_to_burst(&mut burst).len(), 7);
    /// assert_eq!(burst.len(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn enqueue_from_burst<const N: usize>(&self, burst: &mut Burst<'p, N>) -> usize {
        let n = burst.len() as u32;
        // SAFETY: an Mbuf's bits are its raw pointer (repr(transparent)), so the burst's
        // first `n` slots are `n` raw items; the ring owns the first `sent` now.
        unsafe {
            let sent = self.enqueue_raw_burst(burst.as_raw().cast(), n) as usize;
            burst.consumed(sent);
            sent
        }
    }
}

impl<'p, C: crate::ring::SyncMode> crate::ring::Consumer<Mbuf<'p>, C> {
    /// Moves up to the free room of `burst` from the ring to its end and returns them.
    #[inline]
    pub fn dequeue_to_burst<'b, const N: usize>(
        &self,
        burst: &'b mut Burst<'p, N>,
    ) -> &'b mut [Mbuf<'p>] {
        let (dst, room) = burst.spare_ptr();
        // SAFETY: room for `room` pointers; each packet written is now the burst's.
        unsafe {
            let got = self.dequeue_raw_burst(dst.cast(), room as u32) as usize;
            burst.added(got)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_was_missing() {
        let e = MbufError::NoTailroom { requested: 10, available: 4 };
        assert_eq!(e.to_string(), "cannot append 10 bytes: 4 bytes of tailroom");
        assert!(MbufError::TooShort { requested: 3, available: 1 }.to_string().contains("holds 1"));
    }

    #[test]
    fn an_mbuf_is_a_pointer() {
        assert_eq!(std::mem::size_of::<Mbuf<'static>>(), std::mem::size_of::<*mut u8>());
        assert_eq!(std::mem::size_of::<Option<Mbuf<'static>>>(), std::mem::size_of::<*mut u8>());
    }
}
