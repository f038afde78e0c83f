//! Rows of the hash issue, mirroring `hash_perf_autotest`: a table of 2^19 entries filled
//! to 75% with keys of 4, 16 and 64 bytes (jhash), in shuffled order; add, lookup (with
//! and without precomputed signatures), lookup_bulk in bursts of 16, and delete, through
//! the typed table against the same loops in C on a table of the same shape. Lookups on
//! both sides read the value stored for the key. Plus `std::collections::HashMap` and
//! `hashbrown` lookups on the same keys.

use std::hint::black_box;

use dpdk::ffi;
use dpdk::hash::{Hash, HashFunction, HashOptions, Signature};
use dpdk::SocketId;

use crate::{rdtsc, Rig};

extern "C" {
    fn bench_c_hash_add(
        h: *mut ffi::rte_hash,
        keys: *const u8,
        key_len: u32,
        n: u32,
        values: *mut u32,
    ) -> u64;
    fn bench_c_hash_lookup(
        h: *mut ffi::rte_hash,
        keys: *const u8,
        sigs: *const u32,
        key_len: u32,
        n: u32,
        values: *const u32,
        sum: *mut u64,
    ) -> u64;
    fn bench_c_hash_lookup_bulk(
        h: *mut ffi::rte_hash,
        keys: *const u8,
        key_len: u32,
        n: u32,
        values: *const u32,
        sum: *mut u64,
    ) -> u64;
    fn bench_c_hash_delete(
        h: *mut ffi::rte_hash,
        keys: *const u8,
        key_len: u32,
        n: u32,
        values: *const u32,
        sum: *mut u64,
    ) -> u64;
}

const ENTRIES: u32 = 1 << 19;
const KEYS: usize = ENTRIES as usize * 3 / 4;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `KEYS` distinct keys: the first 4 bytes are a bijection of the index, the rest random.
fn make_keys<const N: usize>() -> Vec<[u8; N]> {
    (0..KEYS as u64)
        .map(|i| {
            let mut k = [0u8; N];
            for (j, b) in k.iter_mut().enumerate() {
                *b = (splitmix(i * 64 + j as u64) >> 7) as u8;
            }
            let unique = (i as u32).wrapping_mul(0x9E37_79B1).to_le_bytes();
            k[..4].copy_from_slice(&unique);
            k
        })
        .collect()
}

/// The keys in a shuffled order (Fisher-Yates with splitmix).
fn shuffled<T: Copy>(v: &[T]) -> Vec<T> {
    let mut out = v.to_vec();
    for i in (1..out.len()).rev() {
        let j = (splitmix(i as u64 ^ 0xABCD) % (i as u64 + 1)) as usize;
        out.swap(i, j);
    }
    out
}

fn rows_for<const N: usize>(rig: &mut Rig, socket: SocketId) {
    let keys = make_keys::<N>();
    let order = shuffled(&keys);
    let opts = HashOptions::new().hash_function(HashFunction::Jhash);
    let mut table: Hash<[u8; N], u32> =
        Hash::new(&format!("bench_h{N}"), ENTRIES, socket, opts).expect("table");
    let cname = std::ffi::CString::new(format!("bench_hc{N}")).unwrap();
    let params = ffi::rte_hash_parameters {
        name: cname.as_ptr(),
        entries: ENTRIES,
        reserved: 0,
        key_len: N as u32,
        hash_func: Some(ffi::rte_jhash),
        hash_func_init_val: 0,
        socket_id: socket.as_raw(),
        extra_flag: 0,
    };
    // SAFETY: valid parameters; freed at the end of this function.
    let h = unsafe { ffi::rte_hash_create(&params) };
    assert!(!h.is_null(), "C table");
    // SAFETY: a live table.
    let slots = unsafe { ffi::rte_hash_max_key_id(h) } as usize + 1;
    let mut values: Vec<u32> = vec![0; slots];
    let flat: Vec<u8> = order.iter().flatten().copied().collect();
    // Raw pointers for the C workloads; the vectors outlive every row of this function.
    let (flat_ptr, values_ptr) = (flat.as_ptr(), values.as_mut_ptr());
    let n = KEYS as u32;

    let tag = format!("hash key={N}");
    rig.row(
        &format!("{tag} add (75% of 2^19)"),
        1,
        KEYS as u64,
        Box::new(|_| {
            table.clear();
            let start = rdtsc();
            for (i, k) in order.iter().enumerate() {
                table.insert(k, i as u32).ok()?;
            }
            Some(rdtsc() - start)
        }),
        Box::new(move |_| {
            // SAFETY: adds the n packed keys to the C table, values to `values`.
            let t = unsafe { bench_c_hash_add(h, flat_ptr, N as u32, n, values_ptr) };
            (t > 0).then_some(t)
        }),
    );
    // The later rows need both tables full, whether or not the add row ran.
    if table.len() != KEYS {
        for (i, k) in order.iter().enumerate() {
            table.insert(*k, i as u32).expect("room for 75% of the entries");
        }
        // SAFETY: adds the n packed keys to the C table, values to `values`.
        assert!(unsafe { bench_c_hash_add(h, flat_ptr, N as u32, n, values_ptr) } > 0);
    }
    let sigs: Vec<Signature> = order.iter().map(|k| table.signature(k)).collect();
    let raw_sigs: Vec<u32> = sigs.iter().map(|s| s.0).collect();
    let c_lookup = move |sigs: *const u32| {
        move |_| {
            let mut sum = 0u64;
            // SAFETY: the C table holds every key; `values` covers every position.
            let t = unsafe {
                bench_c_hash_lookup(h, flat_ptr, sigs, N as u32, n, values_ptr, &mut sum)
            };
            black_box(sum);
            (t > 0).then_some(t)
        }
    };
    rig.row(
        &format!("{tag} lookup"),
        1,
        KEYS as u64,
        Box::new(|_| {
            let mut sum = 0u64;
            let start = rdtsc();
            for k in &order {
                sum += u64::from(*table.get(k)?);
            }
            let t = rdtsc() - start;
            black_box(sum);
            Some(t)
        }),
        Box::new(c_lookup(std::ptr::null())),
    );
    rig.row(
        &format!("{tag} lookup with signature"),
        1,
        KEYS as u64,
        Box::new(|_| {
            let mut sum = 0u64;
            let start = rdtsc();
            for (k, s) in order.iter().zip(&sigs) {
                sum += u64::from(*table.get_with_signature(k, *s)?);
            }
            let t = rdtsc() - start;
            black_box(sum);
            Some(t)
        }),
        Box::new(c_lookup(raw_sigs.as_ptr())),
    );
    rig.row(
        &format!("{tag} lookup_bulk 16"),
        1,
        KEYS as u64,
        Box::new(|_| {
            let mut sum = 0u64;
            let start = rdtsc();
            for chunk in order.chunks_exact(16) {
                let hits = table.lookup_bulk(chunk);
                for v in hits.iter() {
                    sum += u64::from(*v?);
                }
            }
            let t = rdtsc() - start;
            black_box(sum);
            Some(t)
        }),
        Box::new(|_| {
            let mut sum = 0u64;
            // SAFETY: as for the lookups; n is a multiple of 16.
            let t = unsafe {
                bench_c_hash_lookup_bulk(h, flat.as_ptr(), N as u32, n, values.as_ptr(), &mut sum)
            };
            black_box(sum);
            (t > 0).then_some(t)
        }),
    );
    rig.row(
        &format!("{tag} delete"),
        1,
        KEYS as u64,
        Box::new(|_| {
            let mut sum = 0u64;
            let start = rdtsc();
            for k in &order {
                sum += u64::from(table.remove(k)?);
            }
            let t = rdtsc() - start;
            black_box(sum);
            for (i, k) in order.iter().enumerate() {
                table.insert(k, i as u32).ok()?; // refill for the next round
            }
            Some(t)
        }),
        Box::new(move |_| {
            let mut sum = 0u64;
            // SAFETY: deletes then re-adds the keys of the C table.
            let t = unsafe { bench_c_hash_delete(h, flat_ptr, N as u32, n, values_ptr, &mut sum) };
            black_box(sum);
            // SAFETY: as above.
            unsafe { bench_c_hash_add(h, flat_ptr, N as u32, n, values_ptr) };
            (t > 0).then_some(t)
        }),
    );

    // What a Rust user would pick instead, on the same keys and order.
    let std_map: std::collections::HashMap<[u8; N], u32> =
        keys.iter().enumerate().map(|(i, k)| (*k, i as u32)).collect();
    let brown: hashbrown::HashMap<[u8; N], u32> =
        keys.iter().enumerate().map(|(i, k)| (*k, i as u32)).collect();
    let lookup_all = |get: &dyn Fn(&[u8; N]) -> Option<u32>| {
        let mut sum = 0u64;
        let start = rdtsc();
        for k in &order {
            sum += u64::from(get(k)?);
        }
        let t = rdtsc() - start;
        black_box(sum);
        Some(t)
    };
    rig.pair(
        &format!("{tag} lookup: rte_hash vs std HashMap"),
        ("rte_hash", "std"),
        false,
        1,
        KEYS as u64,
        Box::new(|_| lookup_all(&|k| table.get(k).copied())),
        Box::new(|_| lookup_all(&|k| std_map.get(k).copied())),
    );
    rig.pair(
        &format!("{tag} lookup: rte_hash vs hashbrown"),
        ("rte_hash", "hashbrown"),
        false,
        1,
        KEYS as u64,
        Box::new(|_| lookup_all(&|k| table.get(k).copied())),
        Box::new(|_| lookup_all(&|k| brown.get(k).copied())),
    );
    // SAFETY: nothing uses the C table any more.
    unsafe { ffi::rte_hash_free(h) };
}

/// How lookup cost grows with the table: 2^10 to 2^22 entries filled to 75%, 16-byte
/// keys, 65536 lookups of shuffled present keys per round, the typed table against
/// hashbrown on the same keys. Run under `DPDK_RS_MEMORY=hugepages` and `no-huge` to see
/// what hugepages change (`cargo xtask bench` runs both).
pub fn scaling_rows(rig: &mut Rig, socket: SocketId, hugepages: bool) {
    const SAMPLE: usize = 1 << 16;
    let memory = if hugepages { "hugepages" } else { "no-huge" };
    for bits in (10..=22).step_by(2) {
        let name = format!("hash lookup scaling 2^{bits} entries ({memory})");
        if !rig.selected(&name) {
            continue;
        }
        let entries = 1u32 << bits;
        let count = entries as usize * 3 / 4;
        let keys: Vec<[u8; 16]> = (0..count as u64)
            .map(|i| {
                let mut k = [0u8; 16];
                k[..8].copy_from_slice(&splitmix(i).to_le_bytes());
                k[8..12].copy_from_slice(&(i as u32).to_le_bytes());
                k
            })
            .collect();
        let opts = HashOptions::new().hash_function(HashFunction::Jhash);
        let Ok(mut table) =
            Hash::<[u8; 16], u32>::new(&format!("bench_hs{bits}"), entries, socket, opts)
        else {
            println!("{name}: skipped, no memory for the table");
            continue;
        };
        let mut brown: hashbrown::HashMap<[u8; 16], u32> = hashbrown::HashMap::with_capacity(count);
        for (i, k) in keys.iter().enumerate() {
            if table.insert(*k, i as u32).is_err() {
                break;
            }
            brown.insert(*k, i as u32);
        }
        let sample: Vec<[u8; 16]> = (0..SAMPLE)
            .map(|i| keys[(splitmix(i as u64 ^ 0x5EED) % brown.len() as u64) as usize])
            .collect();
        let lookup_all = |get: &dyn Fn(&[u8; 16]) -> Option<u32>| {
            let mut sum = 0u64;
            let start = rdtsc();
            for k in &sample {
                sum += u64::from(get(k)?);
            }
            let t = rdtsc() - start;
            black_box(sum);
            Some(t)
        };
        rig.pair(
            &name,
            ("rte_hash", "hashbrown"),
            false,
            1,
            SAMPLE as u64,
            Box::new(|_| lookup_all(&|k| table.get(k).copied())),
            Box::new(|_| lookup_all(&|k| brown.get(k).copied())),
        );
    }
}

/// All hash rows.
pub fn rows(rig: &mut Rig, socket: SocketId, hugepages: bool) {
    rows_for::<4>(rig, socket);
    rows_for::<16>(rig, socket);
    rows_for::<64>(rig, socket);
    scaling_rows(rig, socket, hugepages);
}
