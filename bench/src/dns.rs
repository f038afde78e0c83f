//! Rows of the DNS dataplane issue: one worker's engine (parse, bulk lookup, answer in
//! place) on the generator's default traffic, in bursts of 32, next to the bare C
//! `rte_hash_lookup_bulk` of the same names on a table of the same shape.
//!
//! Frames are restored from their templates before each burst (an answered frame is no
//! longer a query); only the engine's own work is timed.

use dns_dataplane::engine::{Counters, Engine, Verdict, BURST};
use dns_dataplane::table::DomainTable;
use dns_wire::{BuildOptions, DomainList, Generator, Mix, Parsed, KEY_LEN};
use dpdk::ffi;
use dpdk::SocketId;

use crate::{rdtsc, Rig};

extern "C" {
    fn bench_c_hash_lookup_bulk_misses(
        h: *mut ffi::rte_hash,
        keys: *const u8,
        key_len: u32,
        n: u32,
        values: *const u32,
        sum: *mut u64,
        misses: *mut u64,
    ) -> u64;
}

/// Frames in the generated stream (a multiple of the burst and of C's 16).
const FRAMES: usize = 8192;
/// Room of each frame buffer (an mbuf's default data room).
const ROOM: usize = 2048;

/// The engine rows.
pub fn rows(rig: &mut Rig, socket: SocketId) {
    if !rig.selected("dns") {
        return;
    }
    let list = DomainList::default_list();
    let table = DomainTable::load(&list, "bench_dns", socket).expect("domain table");
    let mut gen = Generator::new(2026, &list, Mix::default()).expect("generator");
    let templates: Vec<(Vec<u8>, usize)> = (0..FRAMES)
        .map(|_| {
            let mut buf = vec![0u8; ROOM];
            let (len, _) = gen.next_frame(&mut buf).expect("a frame");
            (buf, len)
        })
        .collect();
    let mut frames = templates.clone();
    let mut engine = Engine::new(&table, BuildOptions::default(), ());
    let mut totals = Counters::default();

    // The names the engine looks up, in stream order, for the C side.
    let keys: Vec<[u8; KEY_LEN]> = templates
        .iter()
        .filter_map(|(buf, len)| match dns_wire::parse(&buf[..*len]) {
            Parsed::Query(q) => q.lookup_key().map(|k| k.0),
            _ => None,
        })
        .collect();
    let n_keys = keys.len() / 16 * 16;
    let flat: Vec<u8> = keys[..n_keys].iter().flatten().copied().collect();
    let cname = std::ffi::CString::new("bench_dns_c").unwrap();
    let params = ffi::rte_hash_parameters {
        name: cname.as_ptr(),
        entries: (list.len() as u32 * 2).max(1024),
        reserved: 0,
        key_len: KEY_LEN as u32,
        hash_func: Some(ffi::rte_hash_crc),
        hash_func_init_val: 0,
        socket_id: socket.as_raw(),
        extra_flag: ffi::RTE_HASH_EXTRA_FLAGS_EXT_TABLE as u8,
    };
    // SAFETY: valid parameters; freed at the end of this function.
    let h = unsafe { ffi::rte_hash_create(&params) };
    assert!(!h.is_null(), "C table");
    // SAFETY: a live table.
    let slots = unsafe { ffi::rte_hash_max_key_id(h) } as usize + 1;
    let mut values = vec![0u32; slots];
    for (i, e) in list.entries().iter().enumerate() {
        // SAFETY: a live table and a KEY_LEN-byte key.
        let pos = unsafe { ffi::rte_hash_add_key(h, e.key.0.as_ptr().cast()) };
        assert!(pos >= 0, "C add");
        values[pos as usize] = i as u32;
    }

    let per_query = n_keys as u64;
    rig.pair(
        "dns engine per frame (parse + bulk lookup + answer) vs C bare lookup_bulk per name",
        ("engine", "C lookup"),
        false,
        1,
        per_query,
        Box::new(|_| {
            let mut c = Counters::default();
            let mut spent = 0;
            for (burst, originals) in frames.chunks_mut(BURST).zip(templates.chunks(BURST)) {
                for ((buf, len), (tbuf, tlen)) in burst.iter_mut().zip(originals) {
                    buf[..*tlen].copy_from_slice(&tbuf[..*tlen]);
                    *len = *tlen;
                }
                let mut verdicts = [Verdict::Drop; BURST];
                let start = rdtsc();
                engine.process(burst, &mut verdicts, &mut c);
                spent += rdtsc() - start;
            }
            // The stages of the fastest round, as the rig keeps the fastest round's total.
            let spent_of = |c: &Counters| c.ticks_parse + c.ticks_lookup + c.ticks_build;
            if totals.frames == 0 || spent_of(&c) < spent_of(&totals) {
                totals = c;
            }
            // Per frame: the rig divides by the C side's count of names.
            Some(spent * per_query / c.frames.max(1))
        }),
        Box::new(|_| {
            let (mut sum, mut misses) = (0u64, 0u64);
            // SAFETY: n_keys (a multiple of 16) packed keys of KEY_LEN bytes; values has a
            // slot for every position.
            let t = unsafe {
                bench_c_hash_lookup_bulk_misses(
                    h,
                    flat.as_ptr(),
                    KEY_LEN as u32,
                    n_keys as u32,
                    values.as_ptr(),
                    &mut sum,
                    &mut misses,
                )
            };
            std::hint::black_box(sum);
            (misses < n_keys as u64).then_some(t)
        }),
    );
    if totals.frames > 0 {
        let per = |t: u64| t as f64 / totals.frames as f64;
        let total = per(totals.ticks_parse + totals.ticks_lookup + totals.ticks_build);
        println!(
            "    per frame, fastest round: parse {:.1}, bulk lookup {:.1}, answer {:.1} ticks; \
             {:.1} ticks in all = {:.1} M frames/s per worker lcore at {:.2} GHz",
            per(totals.ticks_parse),
            per(totals.ticks_lookup),
            per(totals.ticks_build),
            total,
            rig.tsc_hz() as f64 / total / 1e6,
            rig.tsc_hz() as f64 / 1e9
        );
    }
    drop(table);
    // SAFETY: the C table is no longer used.
    unsafe { ffi::rte_hash_free(h) };
}
