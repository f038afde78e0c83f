//! Parses arbitrary bytes as a frame; when they are a query, builds a response (the kind
//! and the buffer's spare room chosen by the input's last byte) and checks it: it fits,
//! the IPv4 header checksum and the UDP checksum verify (summed here 16 bits at a time,
//! independently of the crate's own sums), and it parses back as not-a-query.
//!
//! Differentially, too: the optimised parser classifies every input as the crate's first,
//! plain one does (`dns_wire::reference`), and `build_response` and
//! `build_prepared_response` write the bytes the plain builder writes.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use dns_wire::{
    build_prepared_response, build_response, parse, reference, Answer, BuildOptions, IpVersion,
    Parsed, PreparedAnswer,
};
use libfuzzer_sys::fuzz_target;

fn sum16(bytes: &[u8]) -> u32 {
    let mut s = 0u32;
    for pair in bytes.chunks(2) {
        let hi = u32::from(pair[0]) << 8;
        let lo = pair.get(1).map_or(0, |&b| u32::from(b));
        s += hi | lo;
    }
    s
}

fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

fuzz_target!(|data: &[u8]| {
    let parsed = parse(data);
    assert_eq!(parsed, reference::parse(data), "the plain parser disagrees");
    let Parsed::Query(q) = parsed else { return };
    let selector = data.last().copied().unwrap_or(0);
    let v4 = [Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)];
    let v6 = [Ipv6Addr::LOCALHOST; 3];
    let answer = match selector & 3 {
        0 => Answer::Addresses { ttl: 300, v4: &v4, v6: &v6 },
        1 => Answer::NxDomain,
        2 => Answer::Refused,
        _ => Answer::Addresses { ttl: 1, v4: &[], v6: &v6[..1] },
    };
    let room = data.len() + usize::from(selector >> 2) * 4;
    let mut buf = data.to_vec();
    buf.resize(room, 0);
    let (mut plain, mut prepared) = (buf.clone(), buf.clone());
    let built = build_response(&mut buf, &q, &answer, &BuildOptions::default());
    let plain_built = reference::build_response(&mut plain, &q, &answer, &BuildOptions::default());
    assert_eq!(built, plain_built, "the plain builder disagrees");
    let prep = PreparedAnswer::new(&answer).expect("three addresses fit");
    let prepared_built =
        build_prepared_response(&mut prepared, &q, &prep, &BuildOptions::default());
    assert_eq!(prepared_built, plain_built, "the prepared builder disagrees");
    let Ok(r) = built else { return };
    assert_eq!(buf[..r.len], plain[..r.len]);
    assert_eq!(prepared[..r.len], plain[..r.len]);
    assert!(r.len <= room);
    let frame = &buf[..r.len];
    let l3 = usize::from(q.l3_offset);
    let l4 = usize::from(q.l4_offset);
    let udp = &frame[l4..];
    assert_eq!(usize::from(u16::from_be_bytes([udp[4], udp[5]])), udp.len());
    let pseudo = match q.ip {
        IpVersion::V4 => {
            let ihl = usize::from(frame[l3] & 0x0f) * 4;
            assert_eq!(fold(sum16(&frame[l3..l3 + ihl])), 0xffff, "IPv4 header checksum");
            assert_eq!(usize::from(u16::from_be_bytes([frame[l3 + 2], frame[l3 + 3]])), r.len - l3);
            sum16(&frame[l3 + 12..l3 + 20])
        }
        IpVersion::V6 => sum16(&frame[l3 + 8..l3 + 40]),
    };
    let total = pseudo + 17 + udp.len() as u32 + sum16(udp);
    assert_eq!(fold(total), 0xffff, "UDP checksum");
    assert!(matches!(parse(frame), Parsed::NotDns(_)), "a response is not a query");
});
