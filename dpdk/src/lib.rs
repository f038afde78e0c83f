//! Safe, zero-overhead, NUMA-explicit Rust over DPDK's (22.11, 24.11, 25.11) EAL, memory and packet I/O
//! libraries.
//!
//! Start with [`EalBuilder`] to bring up the EAL, which gives an [`Eal`] handle. Every DPDK
//! object this crate creates keeps the EAL alive and is placed on a [`SocketId`] that the
//! caller names, so NUMA placement is always a decision written in the code.
//!
//! ```
//! use dpdk::{EalBuilder, SocketId};
//! let eal = EalBuilder::new().lcores([0, 1]).in_memory(true).no_pci(true)
//!     .env_overrides()?.build()?;
//! for lcore in eal.lcores() {
//!     println!("{lcore}: {}", lcore.socket());
//! }
//! let worker = eal.workers()[0];
//! let socket = eal.launch(worker, SocketId::current)?.join().unwrap();
//! assert_eq!(socket, worker.socket());
//! # Ok::<(), dpdk::Error>(())
//! ```
//!
//! Memory comes from [`SocketBox`] (a value on a socket's hugepage heap), [`Memzone`]
//! (named regions shared with secondary processes), [`Mempool`] (typed object pools with
//! per-lcore caches) and moves between lcores through [`Ring`] and [`ElemRing`].
//!
//! Packets are [`Mbuf`]s from a [`PktMbufPool`] placed on the socket of the [`Port`]
//! that receives them; a [`ConfiguredPort`]'s [`RxQueue`] and [`TxQueue`] move them in
//! bursts through a [`Burst`] buffer.
//!
//! The raw bindings are re-exported as [`ffi`].

pub use dpdk_sys as ffi;

pub mod concurrent_hash;
pub mod eal;
pub mod error;
pub mod ethdev;
pub mod hash;
/// The old path of [`concurrent_hash`] (its file was `hash_lf.rs`, after DPDK's
/// lock-free flag); everything is there too.
pub mod hash_lf {
    pub use crate::concurrent_hash::*;
}
pub mod inline;
pub mod lcore;
pub mod log;
pub mod malloc;
pub mod mbuf;
pub mod mempool;
pub mod memzone;
pub mod numa;
pub mod ring;
pub mod socket;
mod unwind;
pub(crate) mod vdev;

pub use eal::{doc_eal, Eal, EalBuilder, IovaMode, Memory, ProcessType};
pub use error::{Call, Error, Result};
pub use ethdev::{ConfiguredPort, Port, PortConfig, RxQueue, TxQueue};
pub use hash::{Hash, HashOptions};
pub use lcore::{LcoreId, LcoreJoinHandle, LcoreScope, ScopedJoinHandle, ThreadRegistration};
pub use malloc::SocketBox;
pub use mbuf::{Burst, Mbuf, PktMbufPool};
pub use mempool::{Batch, Mempool, MempoolOptions, Pooled};
pub use memzone::{Memzone, MemzoneOptions, MemzoneRef, PageSize};
pub use ring::{Consumer, ElemRing, Producer, Ring, RingOptions};
pub use socket::SocketId;
