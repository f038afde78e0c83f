//! Struct fields whose Rust spelling differs between DPDK releases.
//!
//! DPDK 24.03 replaced the zero-sized marker fields of `struct rte_mbuf` (`rearm_data`,
//! `rx_descriptor_fields1`, ...) with anonymous unions, and made `struct rte_eth_link` a
//! union with a 64-bit view; the C spellings (`m->data_off`, `link.link_speed`) did not
//! change, but bindgen names every anonymous member, so the Rust paths did
//! (`m.__bindgen_anon_1.__bindgen_anon_1.data_off`). The build script looks at the
//! generated struct and sets `dpdk_mbuf_unions` / `dpdk_eth_link_union` when a field is no
//! longer a direct member; the accessors here are the one place that knows both spellings,
//! so the safe crate reads `m.data_off()` on every release.
//!
//! The `&self` getters make a reference to the whole header: use them only on a header
//! no other thread can reach (one this thread allocated, or holds with reference count 1
//! and its own buffer). The `*_of` forms read one field through a raw pointer and are
//! for headers that may be shared, whose `refcnt` other lcores change atomically.
//!
//! Every union here overlays plain integers on plain integers (no pointers, no niches, no
//! padding inside the member read), so reading any member of an initialised union is
//! reading initialised integers: that is the argument behind each `unsafe` below.

use crate::{rte_eth_link, rte_mbuf};

// Each macro expands to the place (readable, writable, addressable) of a field of the
// `rte_mbuf` that `$m` is or points to, spelled for this release.

/// The rearm block (`data_off`, `refcnt`, `nb_segs`, `port`).
#[cfg(dpdk_mbuf_unions)]
macro_rules! rearm {
    ($m:expr, $f:ident) => {
        $m.__bindgen_anon_1.__bindgen_anon_1.$f
    };
}
#[cfg(not(dpdk_mbuf_unions))]
macro_rules! rearm {
    ($m:expr, $f:ident) => {
        $m.$f
    };
}

/// The receive-descriptor block (`pkt_len` .. `buf_len`).
#[cfg(dpdk_mbuf_unions)]
macro_rules! rx {
    ($m:expr, $f:ident) => {
        $m.__bindgen_anon_2.__bindgen_anon_1.$f
    };
}
#[cfg(not(dpdk_mbuf_unions))]
macro_rules! rx {
    ($m:expr, $f:ident) => {
        $m.$f
    };
}

/// The packet-type union, as its one `u32` word.
#[cfg(dpdk_mbuf_unions)]
macro_rules! packet_type {
    ($m:expr) => {
        $m.__bindgen_anon_2.__bindgen_anon_1.__bindgen_anon_1.packet_type
    };
}
#[cfg(not(dpdk_mbuf_unions))]
macro_rules! packet_type {
    ($m:expr) => {
        $m.__bindgen_anon_1.packet_type
    };
}

/// The hash union.
#[cfg(dpdk_mbuf_unions)]
macro_rules! hash {
    ($m:expr) => {
        $m.__bindgen_anon_2.__bindgen_anon_1.__bindgen_anon_2.hash
    };
}
#[cfg(not(dpdk_mbuf_unions))]
macro_rules! hash {
    ($m:expr) => {
        $m.__bindgen_anon_2.hash
    };
}

/// Getter and setter pairs for the plain integer fields that moved.
macro_rules! accessors {
    ($($(#[$doc:meta])* $get:ident / $of:ident / $set:ident : $ty:ty = $place:ident!($f:ident);)*) => {
        impl rte_mbuf {
            $(
                $(#[$doc])*
                #[inline(always)]
                #[allow(unused_unsafe)]
                pub fn $get(&self) -> $ty {
                    // SAFETY: see the module docs: a plain-integer member of a plain-data
                    // union (or a direct field, where it is no union).
                    unsafe { $place!(self, $f) }
                }

                #[doc = concat!("[`", stringify!($get), "`](Self::", stringify!($get), ") through a raw pointer, making no reference to")]
                /// the header (whose `refcnt` other lcores may change atomically).
                ///
                /// # Safety
                /// `m` points at a live `rte_mbuf` header.
                #[inline(always)]
                #[allow(unused_unsafe)]
                pub unsafe fn $of(m: *const rte_mbuf) -> $ty {
                    // SAFETY: per the contract; the field is read in place.
                    unsafe { std::ptr::addr_of!($place!(*m, $f)).read() }
                }

                #[doc = concat!("Sets the field that [`", stringify!($get), "`](Self::", stringify!($get), ") reads.")]
                #[inline(always)]
                #[allow(unused_unsafe)]
                pub fn $set(&mut self, value: $ty) {
                    // SAFETY: writing a plain integer into a plain-data union member (or
                    // a direct field); every bit pattern is valid for every member.
                    unsafe { $place!(self, $f) = value };
                }
            )*
        }
    };
}

accessors! {
    /// Offset of the data in the buffer (`m->data_off`).
    data_off / data_off_of / set_data_off: u16 = rearm!(data_off);
    /// Number of segments (`m->nb_segs`).
    nb_segs / nb_segs_of / set_nb_segs: u16 = rearm!(nb_segs);
    /// Input port (`m->port`).
    port / port_of / set_port: u16 = rearm!(port);
    /// Bytes in all segments (`m->pkt_len`).
    pkt_len / pkt_len_of / set_pkt_len: u32 = rx!(pkt_len);
    /// Bytes in this segment (`m->data_len`).
    data_len / data_len_of / set_data_len: u16 = rx!(data_len);
    /// VLAN tag (`m->vlan_tci`).
    vlan_tci / vlan_tci_of / set_vlan_tci: u16 = rx!(vlan_tci);
    /// Outer VLAN tag (`m->vlan_tci_outer`).
    vlan_tci_outer / vlan_tci_outer_of / set_vlan_tci_outer: u16 = rx!(vlan_tci_outer);
    /// Size of the buffer (`m->buf_len`).
    buf_len / buf_len_of / set_buf_len: u16 = rx!(buf_len);
}

impl rte_mbuf {
    /// The packet type word (`m->packet_type`, all of its bit fields at once).
    #[inline(always)]
    pub fn packet_type(&self) -> u32 {
        // SAFETY: see the module docs; `packet_type` covers the whole union.
        unsafe { packet_type!(self) }
    }

    /// Sets [`packet_type`](Self::packet_type).
    #[inline(always)]
    #[allow(unused_unsafe)]
    pub fn set_packet_type(&mut self, value: u32) {
        // SAFETY: a plain `u32` that covers the whole union.
        unsafe { packet_type!(self) = value };
    }

    /// [`packet_type`](Self::packet_type) through a raw pointer.
    ///
    /// # Safety
    /// `m` points at a live `rte_mbuf` header.
    #[inline(always)]
    pub unsafe fn packet_type_of(m: *const rte_mbuf) -> u32 {
        // SAFETY: per the contract; a plain `u32` read in place.
        unsafe { std::ptr::addr_of!(packet_type!(*m)).read() }
    }

    /// [`hash_rss`](Self::hash_rss) through a raw pointer.
    ///
    /// # Safety
    /// `m` points at a live `rte_mbuf` header.
    #[inline(always)]
    pub unsafe fn hash_rss_of(m: *const rte_mbuf) -> u32 {
        // SAFETY: per the contract; a plain `u32` read in place.
        unsafe { std::ptr::addr_of!(hash!(*m).rss).read() }
    }

    /// `m->ol_flags` through a raw pointer.
    ///
    /// # Safety
    /// `m` points at a live `rte_mbuf` header.
    #[inline(always)]
    pub unsafe fn ol_flags_of(m: *const rte_mbuf) -> u64 {
        // SAFETY: per the contract.
        unsafe { std::ptr::addr_of!((*m).ol_flags).read() }
    }

    /// `m->buf_addr` through a raw pointer.
    ///
    /// # Safety
    /// `m` points at a live `rte_mbuf` header.
    #[inline(always)]
    pub unsafe fn buf_addr_of(m: *const rte_mbuf) -> *mut std::ffi::c_void {
        // SAFETY: per the contract.
        unsafe { std::ptr::addr_of!((*m).buf_addr).read() }
    }

    /// `m->shinfo` through a raw pointer.
    ///
    /// # Safety
    /// `m` points at a live `rte_mbuf` header.
    #[inline(always)]
    pub unsafe fn shinfo_of(m: *const rte_mbuf) -> *mut crate::rte_mbuf_ext_shared_info {
        // SAFETY: per the contract.
        unsafe { std::ptr::addr_of!((*m).shinfo).read() }
    }

    /// The RSS hash word (`m->hash.rss`); meaningful only with `RTE_MBUF_F_RX_RSS_HASH`.
    #[inline(always)]
    pub fn hash_rss(&self) -> u32 {
        // SAFETY: see the module docs; `rss` is a `u32` at the start of the hash union,
        // whose 8 bytes are initialised.
        unsafe { hash!(self).rss }
    }

    /// The address of the reference count (`m->refcnt`), for atomic access: other lcores
    /// may change it, so no reference to it (or to the whole mbuf) may be made to read it.
    ///
    /// # Safety
    /// `m` must point into an allocation that holds an `rte_mbuf` header (it is only
    /// offset, not read).
    #[inline(always)]
    #[allow(unused_unsafe)]
    pub unsafe fn refcnt_ptr(m: *mut rte_mbuf) -> *mut u16 {
        // SAFETY: per the contract; `addr_of_mut!` computes the place's address without
        // reading it or making a reference.
        unsafe { std::ptr::addr_of_mut!(rearm!(*m, refcnt)) }
    }
}

impl rte_eth_link {
    #[inline(always)]
    #[cfg(dpdk_eth_link_union)]
    fn fields(&self) -> &crate::rte_eth_link__bindgen_ty_1__bindgen_ty_1 {
        // SAFETY: see the module docs; the struct member overlays the `u64` view with a
        // `u32` and bit fields.
        unsafe { &self.__bindgen_anon_1.__bindgen_anon_1 }
    }

    #[inline(always)]
    #[cfg(not(dpdk_eth_link_union))]
    fn fields(&self) -> &Self {
        self
    }

    /// Link speed in Mb/s (`link.link_speed`, an `RTE_ETH_SPEED_NUM_*`).
    #[inline]
    pub fn speed_mbps(&self) -> u32 {
        self.fields().link_speed
    }

    /// Whether the link is up (`link.link_status`).
    #[inline]
    pub fn is_up(&self) -> bool {
        self.fields().link_status() != 0
    }

    /// Whether the link is full duplex (`link.link_duplex`).
    #[inline]
    pub fn is_full_duplex(&self) -> bool {
        self.fields().link_duplex() != 0
    }

    /// Whether the speed was auto-negotiated (`link.link_autoneg`).
    #[inline]
    pub fn is_autoneg(&self) -> bool {
        self.fields().link_autoneg() != 0
    }
}
