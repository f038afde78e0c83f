//! The seed's `domain_details_table`: normalised names to what to answer, in an `rte_hash`
//! whose keys and values both live on the workers' socket.

use dns_wire::{DomainEntry, DomainList, KEY_LEN};
use dpdk::hash::{BulkLookup, Hash, HashOptions};
use dpdk::SocketId;

/// The lookup key: a [`dns_wire::DomainKey`]'s bytes.
pub type Key = [u8; KEY_LEN];

/// The domain table, shared read-only by the worker lcores.
#[derive(Debug)]
pub struct DomainTable {
    hash: Hash<Key, DomainEntry>,
    socket: SocketId,
}

impl DomainTable {
    /// Loads `list` into a table named `name` on `socket`.
    ///
    /// The table is sized at twice the list (at least 1024) with extendable buckets, so no
    /// entry of a list that fits in memory is refused for want of a bucket.
    ///
    /// # Errors
    /// DPDK's errors creating the table (name too long or taken, no memory on `socket`, a
    /// socket DPDK does not have) or inserting (`TableFull`, with the name).
    pub fn load(list: &DomainList, name: &str, socket: SocketId) -> Result<Self, dpdk::Error> {
        let capacity = (list.len() * 2).max(1024);
        let capacity = u32::try_from(capacity).unwrap_or(u32::MAX);
        let options = HashOptions::new().extendable_buckets(true);
        let mut hash = Hash::new(name, capacity, socket, options)?;
        for entry in list.entries() {
            hash.insert(entry.key.0, *entry).map_err(|e| e.error)?;
        }
        Ok(DomainTable { hash, socket })
    }

    /// Entries in the table.
    pub fn len(&self) -> usize {
        self.hash.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.hash.is_empty()
    }

    /// The socket it was asked on.
    pub fn socket(&self) -> SocketId {
        self.socket
    }

    /// Where the `rte_hash` and the values landed (see [`Hash::memory_sockets`]).
    pub fn memory_sockets(&self) -> (Option<SocketId>, Option<SocketId>) {
        self.hash.memory_sockets()
    }

    /// The entry of one name.
    pub fn get(&self, key: &Key) -> Option<&DomainEntry> {
        self.hash.get(key)
    }

    /// Up to [`dpdk::hash::BULK_MAX`] names at once.
    #[inline]
    pub fn lookup_bulk(&self, keys: &[Key]) -> BulkLookup<'_, DomainEntry> {
        self.hash.lookup_bulk(keys)
    }

    /// Up to [`dpdk::hash::BULK_MAX`] names at once, each where it already is.
    #[inline]
    pub fn lookup_bulk_refs(&self, keys: &[&Key]) -> BulkLookup<'_, DomainEntry> {
        self.hash.lookup_bulk_refs(keys)
    }
}
