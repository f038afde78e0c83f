//! The seed's `domain_details_table`: normalised names to what to answer, in an `rte_hash`
//! whose keys and values both live on the workers' socket.

use std::ffi::c_void;
use std::hash::{BuildHasher, Hasher};

use dns_wire::{finish_hash, Action, DomainEntry, DomainKey, DomainList, PreparedAnswer, KEY_LEN};
use dpdk::hash::{BulkLookup, Hash, HashFunction, HashOptions, Signature};
use dpdk::SocketId;

/// The lookup key: a [`dns_wire::DomainKey`]'s bytes.
pub type Key = [u8; KEY_LEN];

/// What the table holds for a name (the seed's "domain details"): the list's action, and
/// the answer prepared for [`dns_wire::build_prepared_response`] (records written and
/// checksummed once, at load).
#[derive(Debug, Clone, Copy)]
pub struct Details {
    /// What to do with queries for the name.
    pub action: Action,
    /// The responses' RCODE and answer records.
    pub answer: PreparedAnswer,
}

impl From<&DomainEntry> for Details {
    fn from(e: &DomainEntry) -> Self {
        Details { action: e.action, answer: e.prepared() }
    }
}

/// The domain table, shared read-only by the worker lcores.
///
/// Keys are hashed with [`DomainKey::hash`] under a seed drawn when the table is loaded,
/// so that a query's signature comes from the digest the parser computed while it built
/// the key ([`dns_wire::Query::key_digest`]): the bulk lookup does not hash the names
/// again. The seed changes the buckets names land in from run to run (names whose 64-bit
/// digests are equal still share them, under every seed).
#[derive(Debug)]
pub struct DomainTable {
    hash: Hash<Key, Details>,
    socket: SocketId,
    seed: u32,
}

/// The table's hash function, as DPDK calls it: [`DomainKey::hash`] of the key.
///
/// # Safety
/// `key` points at [`KEY_LEN`] readable bytes (DPDK passes the table's keys, of the
/// table's key length).
unsafe extern "C" fn key_hash(key: *const c_void, _key_len: u32, seed: u32) -> u32 {
    // SAFETY: DPDK passes the table's hash function a pointer to one of its keys, whose
    // length is the table's key length, KEY_LEN bytes; DomainKey is those bytes.
    let key = unsafe { key.cast::<DomainKey>().read_unaligned() };
    key.hash(seed)
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
        // Different in every process: std's hash maps draw their keys from the OS.
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish() as u32;
        let options = HashOptions::new()
            .hash_function(HashFunction::Custom(key_hash))
            .seed(seed)
            .extendable_buckets(true);
        let mut hash = Hash::new(name, capacity, socket, options)?;
        for entry in list.entries() {
            hash.insert(entry.key.0, Details::from(entry)).map_err(|e| e.error)?;
        }
        Ok(DomainTable { hash, socket, seed })
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

    /// The details of one name.
    pub fn get(&self, key: &Key) -> Option<&Details> {
        self.hash.get(key)
    }

    /// Up to [`dpdk::hash::BULK_MAX`] names at once.
    #[inline]
    pub fn lookup_bulk(&self, keys: &[Key]) -> BulkLookup<'_, Details> {
        self.hash.lookup_bulk(keys)
    }

    /// Up to [`dpdk::hash::BULK_MAX`] names at once, each where it already is.
    #[inline]
    pub fn lookup_bulk_refs(&self, keys: &[&Key]) -> BulkLookup<'_, Details> {
        self.hash.lookup_bulk_refs(keys)
    }

    /// The signature the table gives a key of this digest ([`DomainKey::digest`], as the
    /// parser gives it in [`dns_wire::Query::key_digest`]).
    #[inline]
    pub fn signature(&self, digest: u64) -> Signature {
        Signature(finish_hash(digest, self.seed))
    }

    /// Up to [`dpdk::hash::BULK_MAX`] names at once, each where it already is, with their
    /// [`signature`](Self::signature)s: no name is hashed again.
    ///
    /// # Panics
    /// If `keys` holds more than [`BULK_MAX`] names, or `signatures` fewer than `keys`.
    #[inline]
    pub fn lookup_bulk_signed(
        &self,
        keys: &[&Key],
        signatures: &[Signature],
    ) -> BulkLookup<'_, Details> {
        self.hash.lookup_bulk_refs_with_signatures(keys, signatures)
    }
}
