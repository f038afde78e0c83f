//! One packet, owned: `Mbuf`.

use super::*;
use crate::inline::mbuf::free;

/// A packet (`struct rte_mbuf`) of a pool that lives for `'p`: freed when dropped.
///
/// `#[repr(transparent)]` over the packet pointer, so a slice of `Mbuf`s is the
/// `struct rte_mbuf **` array that DPDK's burst calls take.
#[repr(transparent)]
pub struct Mbuf<'p> {
    pub(super) ptr: NonNull<ffi::rte_mbuf>,
    pub(super) _pool: PhantomData<&'p PktMbufPool>,
}

// SAFETY: the packet is owned by this handle; freeing it from another thread puts it into
// its pool, which any thread may do (the pool is Sync).
unsafe impl Send for Mbuf<'_> {}
// SAFETY: &Mbuf gives only reads of the packet.
unsafe impl Sync for Mbuf<'_> {}

/// Reads of a live packet's header through its raw pointer, one field at a time: no
/// reference to the header is made, because a packet a driver hands out may be shared
/// and its `refcnt` changed atomically by other lcores.
#[derive(Clone, Copy)]
struct Header(*const ffi::rte_mbuf);

macro_rules! header_reads {
    ($($name:ident => $of:ident: $ty:ty;)*) => {
        impl Header {
            $(
                #[inline(always)]
                fn $name(self) -> $ty {
                    // SAFETY: `Header`s are made only from live packets (`Mbuf::raw`).
                    unsafe { ffi::rte_mbuf::$of(self.0) }
                }
            )*
        }
    };
}

header_reads! {
    data_off => data_off_of: u16;
    data_len => data_len_of: u16;
    pkt_len => pkt_len_of: u32;
    buf_len => buf_len_of: u16;
    nb_segs => nb_segs_of: u16;
    port => port_of: u16;
    packet_type => packet_type_of: u32;
    hash_rss => hash_rss_of: u32;
    ol_flags => ol_flags_of: u64;
    buf_addr => buf_addr_of: *mut c_void;
    shinfo => shinfo_of: *mut ffi::rte_mbuf_ext_shared_info;
}

impl<'p> Mbuf<'p> {
    #[inline(always)]
    fn raw(&self) -> Header {
        Header(self.ptr.as_ptr())
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
        let flags = self.raw().ol_flags();
        if !self.header_exclusive() || flags & ffi::RTE_MBUF_F_INDIRECT != 0 {
            return false;
        }
        if flags & ffi::RTE_MBUF_F_EXTERNAL == 0 {
            return true;
        }
        let shinfo = self.raw().shinfo();
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
                m.buf_addr().cast::<u8>().add(m.data_off() as usize),
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
            (m.buf_addr().cast::<u8>(), m.data_off() as usize, m.data_len() as usize)
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
            (m.buf_addr().cast::<u8>(), m.data_off() as usize, m.buf_len() as usize, m.nb_segs())
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
        if self.raw().ol_flags() & (ffi::RTE_MBUF_F_INDIRECT | ffi::RTE_MBUF_F_EXTERNAL) != 0 {
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
        (m.ol_flags() & ffi::RTE_MBUF_F_RX_RSS_HASH as u64 != 0).then_some(rss)
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
        self.raw().ol_flags()
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
