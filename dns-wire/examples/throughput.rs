//! Nanoseconds per packet for parse + key + in-place response, on one core:
//!
//! ```text
//! cargo run --release -p dns-wire --example throughput
//! ```
//!
//! Frames come from the generator (default mix: hits, misses, blocked, counted, 5%
//! malformed; 20% IPv6, 30% EDNS). Each round copies every query into a work buffer (as a
//! NIC would have written it into an mbuf), parses it, and builds its response from the
//! generator's record of the entry (no hash lookup: that is the dataplane's stage). The
//! copy alone is timed too and reported, so it can be subtracted.

use std::hint::black_box;
use std::time::Instant;

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), so a
/// busy shared machine does not count time the thread spent waiting; falls back to wall
/// time elsewhere.
fn cpu_ns(start: Instant) -> u128 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| start.elapsed().as_nanos())
}

/// Runs `f` and returns (wall, on-CPU) nanoseconds per packet.
fn time(packets: f64, mut f: impl FnMut()) -> (f64, f64) {
    let t = Instant::now();
    let c = cpu_ns(t);
    f();
    let cpu = cpu_ns(t) - c;
    (t.elapsed().as_nanos() as f64 / packets, cpu as f64 / packets)
}

use dns_wire::*;

const FRAMES: usize = 256;
const ROUNDS_DEFAULT: usize = 8000;

fn main() {
    // DNS_WIRE_ROUNDS: fewer rounds, e.g. under valgrind.
    let rounds_env = std::env::var("DNS_WIRE_ROUNDS").ok().and_then(|r| r.parse().ok());
    let rounds: usize = rounds_env.unwrap_or(ROUNDS_DEFAULT);
    let list = DomainList::default_list();
    let mut gen = Generator::new(1, &list, Mix::default()).expect("mix");
    let mut frames = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        let mut buf = [0u8; 256 + MAX_FRAME_LEN];
        let (len, e) = gen.next_frame(&mut buf).expect("room");
        let answer = e.entry.map(|i| list.entries()[i]);
        frames.push((buf, len, answer));
    }
    let options = BuildOptions::default();
    let mut work = [0u8; 256 + MAX_FRAME_LEN];
    let packets = (FRAMES * rounds) as f64;

    let copy = time(packets, || {
        for _ in 0..rounds {
            for (buf, len, _) in &frames {
                work[..*len].copy_from_slice(&buf[..*len]);
                black_box(&mut work);
            }
        }
    });

    let mut queries = 0u64;
    let parse_ns = time(packets, || {
        for _ in 0..rounds {
            for (buf, len, _) in &frames {
                if let Parsed::Query(q) = parse(black_box(&buf[..*len])) {
                    queries += u64::from(q.key_status.is_lookup());
                    black_box(&q.key);
                }
            }
        }
    });

    let mut bytes = 0usize;
    let all = time(packets, || {
        for _ in 0..rounds {
            for (buf, len, entry) in &frames {
                work[..*len].copy_from_slice(&buf[..*len]);
                if let Parsed::Query(q) = parse(black_box(&work[..*len])) {
                    let answer = entry.as_ref().map_or(Answer::NxDomain, |e| e.answer());
                    if let Ok(r) = build_response(&mut work, &q, &answer, &options) {
                        bytes += r.len;
                    }
                }
                black_box(&mut work);
            }
        }
    });
    black_box((queries, bytes));

    println!("{FRAMES} frames x {rounds} rounds, default mix; ns/packet, wall and on-CPU");
    println!("copy into work buffer        {:6.1} {:6.1}", copy.0, copy.1);
    println!("parse + key                  {:6.1} {:6.1}", parse_ns.0, parse_ns.1);
    println!("copy + parse + key + build   {:6.1} {:6.1}", all.0, all.1);
    let net = all.1 - copy.1;
    println!("parse + key + build          {net:13.1} (on-CPU, copy subtracted)");
    println!("=> {:.1} M packets/s on one core", 1e3 / net);
}
