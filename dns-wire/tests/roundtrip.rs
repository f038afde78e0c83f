//! Generator -> parser -> answer builder, with every query and response decoded by
//! decoders nobody here wrote: `etherparse` for Ethernet/IP/UDP (lengths and checksums) and
//! `hickory-proto` for the DNS messages.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dns_wire::*;
use etherparse::{NetHeaders, PacketHeaders, TransportHeader};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

/// Addresses, ports, UDP payload and whether every length and checksum is right.
struct Decoded {
    macs: ([u8; 6], [u8; 6]),
    ips: (IpAddr, IpAddr),
    ports: (u16, u16),
    ttl: u8,
    dns: Vec<u8>,
}

fn decode(frame: &[u8]) -> Decoded {
    let p = PacketHeaders::from_ethernet_slice(frame).expect("etherparse reads the frame");
    let eth = match p.link {
        Some(etherparse::LinkHeader::Ethernet2(e)) => e,
        other => panic!("{other:?}"),
    };
    let Some(TransportHeader::Udp(udp)) = p.transport.clone() else { panic!("not UDP") };
    let payload = p.payload.slice();
    assert_eq!(usize::from(udp.length), payload.len() + 8, "UDP length");
    let (ips, ttl, checksum) = match p.net {
        Some(NetHeaders::Ipv4(h, _)) => {
            assert_eq!(h.header_checksum, h.calc_header_checksum(), "IPv4 header checksum");
            assert_eq!(usize::from(h.total_len), h.header_len() + 8 + payload.len());
            let c = udp.calc_checksum_ipv4(&h, payload).unwrap();
            ((IpAddr::from(h.source), IpAddr::from(h.destination)), h.time_to_live, c)
        }
        Some(NetHeaders::Ipv6(h, _)) => {
            assert_eq!(usize::from(h.payload_length), 8 + payload.len());
            let c = udp.calc_checksum_ipv6(&h, payload).unwrap();
            ((IpAddr::from(h.source), IpAddr::from(h.destination)), h.hop_limit, c)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(udp.checksum, checksum, "UDP checksum");
    Decoded {
        macs: (eth.source, eth.destination),
        ips,
        ports: (udp.source_port, udp.destination_port),
        ttl,
        dns: payload.to_vec(),
    }
}

#[test]
fn generated_queries_round_trip_through_independent_decoders() {
    let list = DomainList::default_list();
    let options = BuildOptions::default();
    for seed in 0..4u64 {
        let mut gen = Generator::new(seed, &list, Mix::default()).unwrap();
        let mut seen = GeneratedCounts::default();
        for _ in 0..5_000 {
            let mut buf = [0u8; 2048];
            let (len, expected) = gen.next_frame(&mut buf).unwrap();
            seen.add(&expected);
            let query_frame = buf[..len].to_vec();
            let parsed = parse(&query_frame);
            if let Some(kind) = expected.malformed {
                assert_eq!(parsed, Parsed::Malformed(kind.reason()), "{kind:?}");
                continue;
            }
            let Parsed::Query(q) = parsed else { panic!("{expected:?}: {parsed:?}") };
            assert_eq!(
                (q.id, q.qtype, q.ip, q.edns.is_some()),
                (expected.id, expected.qtype, expected.ip, expected.edns)
            );

            // The query as hickory reads it.
            let sent = decode(&query_frame);
            let qmsg = Message::from_vec(&sent.dns).expect("hickory reads the query");
            let question = &qmsg.queries[0];
            assert_eq!(u16::from(question.query_type), q.qtype);
            let qname = question.name.to_string();
            let lower = qname.trim_end_matches('.').to_ascii_lowercase();

            let entry = expected.entry.map(|i| &list.entries()[i]);
            match q.lookup_key() {
                Some(key) => {
                    assert_eq!(key.dotted().as_bytes(), lower.as_bytes());
                    assert_eq!(list.get(key), entry);
                }
                None => {
                    assert_eq!(expected.category, Category::Miss);
                    assert!(lower.len() > KEY_LEN);
                }
            }
            let answer = entry.map_or(Answer::NxDomain, |e| e.answer());
            let r = build_response(&mut buf, &q, &answer, &options).unwrap();

            // The response as etherparse and hickory read it.
            let got = decode(&buf[..r.len]);
            assert_eq!(got.macs, (sent.macs.1, sent.macs.0));
            assert_eq!(got.ips, (sent.ips.1, sent.ips.0));
            assert_eq!(got.ports, (sent.ports.1, sent.ports.0));
            assert_eq!(got.ttl, RESPONSE_HOP_LIMIT);
            let rmsg = Message::from_vec(&got.dns).expect("hickory reads the response");
            let m = &rmsg.metadata;
            assert_eq!(m.id, expected.id);
            assert_eq!(m.message_type, MessageType::Response);
            assert!(m.recursion_desired && m.recursion_available && !m.truncation);
            assert_eq!(rmsg.queries.len(), 1);
            assert_eq!(rmsg.queries[0].name.to_string(), qname, "question copied, case kept");
            assert_eq!(rmsg.edns.is_some(), expected.edns);
            if let (Some(qe), Some(re)) = (&qmsg.edns, &rmsg.edns) {
                assert_eq!(qe.flags().dnssec_ok, re.flags().dnssec_ok);
                assert_eq!(re.max_payload(), options.edns_udp_payload);
            }
            let want_rcode = match expected.category {
                Category::Miss => ResponseCode::NXDomain,
                Category::Blocked => ResponseCode::Refused,
                _ => match entry.unwrap().answer() {
                    Answer::NxDomain => ResponseCode::NXDomain,
                    _ => ResponseCode::NoError,
                },
            };
            assert_eq!(m.response_code, want_rcode);

            let mut v4 = BTreeSet::new();
            let mut v6 = BTreeSet::new();
            for rec in &rmsg.answers {
                assert_eq!(rec.name.to_string().to_ascii_lowercase(), qname.to_ascii_lowercase());
                assert_eq!(rec.ttl, entry.unwrap().ttl);
                match &rec.data {
                    RData::A(a) => assert!(v4.insert(a.0)),
                    RData::AAAA(a) => assert!(v6.insert(a.0)),
                    other => panic!("{other:?}"),
                }
            }
            let (want4, want6): (BTreeSet<Ipv4Addr>, BTreeSet<Ipv6Addr>) =
                match (want_rcode, q.qtype) {
                    (ResponseCode::NoError, rtype::A) => {
                        (entry.unwrap().v4().iter().copied().collect(), BTreeSet::new())
                    }
                    (ResponseCode::NoError, rtype::AAAA) => {
                        (BTreeSet::new(), entry.unwrap().v6().iter().copied().collect())
                    }
                    _ => (BTreeSet::new(), BTreeSet::new()),
                };
            assert_eq!((v4, v6), (want4, want6));
            assert_eq!(usize::from(r.answers), rmsg.answers.len());
            if q.qtype == rtype::A && want_rcode == ResponseCode::NoError {
                assert!(rmsg.answers.iter().all(|r| r.record_type() == RecordType::A));
            }
        }
        assert_eq!(&seen, gen.counts());
        let c = gen.counts();
        assert_eq!(c.frames, c.hits + c.counted + c.blocked + c.misses + c.malformed);
        assert_eq!(c.malformed, c.malformed_by_kind.iter().sum::<u64>());
        assert!(c.malformed_by_kind.iter().all(|&n| n > 0), "{c:?}");
        assert!(c.ipv4 > 0 && c.ipv6 > 0);
    }
}

/// Builds a response for the first query a hit-only generator makes.
fn first_hit(seed: u64, mix: Mix) -> ([u8; 2048], usize, Query) {
    let list = DomainList::default_list();
    let mut gen = Generator::new(seed, &list, mix).unwrap();
    let mut buf = [0u8; 2048];
    let (len, _) = gen.next_frame(&mut buf).unwrap();
    let Parsed::Query(q) = parse(&buf[..len]) else { panic!() };
    (buf, len, q)
}

#[test]
fn trailing_garbage_is_dropped_and_lengths_fixed() {
    let (mut buf, len, q) = first_hit(3, Mix { hit: 1, ..Mix::NONE });
    // Append garbage after the DNS message and grow the IP/UDP lengths to cover it: the
    // parser ignores bytes after the records, the response drops them.
    buf[len..len + 40].fill(0xee);
    let l3 = usize::from(q.l3_offset);
    let l4 = usize::from(q.l4_offset);
    let grow = |b: &mut [u8], at: usize| {
        let v = u16::from_be_bytes([b[at], b[at + 1]]) + 40;
        b[at..at + 2].copy_from_slice(&v.to_be_bytes());
    };
    grow(&mut buf, if q.ip == IpVersion::V4 { l3 + 2 } else { l3 + 4 });
    grow(&mut buf, l4 + 4);
    let Parsed::Query(q2) = parse(&buf[..len + 40]) else { panic!() };
    assert_eq!(q2.question_end, q.question_end);
    let v4 = [Ipv4Addr::new(192, 0, 2, 9)];
    let r = build_response(
        &mut buf,
        &q2,
        &Answer::Addresses { ttl: 5, v4: &v4, v6: &[] },
        &BuildOptions::default(),
    )
    .unwrap();
    let got = decode(&buf[..r.len]);
    let msg = Message::from_vec(&got.dns).unwrap();
    assert!(msg.additionals.is_empty());
    assert_eq!(r.len, usize::from(q.question_end) + r.answers as usize * A_RECORD_LEN);
}

#[test]
fn too_many_answers_for_512_bytes_set_tc() {
    let (mut buf, _, q) = first_hit(5, Mix { hit: 1, ..Mix::NONE });
    let v6 = [Ipv6Addr::LOCALHOST; 20];
    let v4 = [Ipv4Addr::LOCALHOST; 40];
    let answer = Answer::Addresses { ttl: 5, v4: &v4, v6: &v6 };
    let r = build_response(&mut buf, &q, &answer, &BuildOptions::default()).unwrap();
    if q.qtype == rtype::A || q.qtype == rtype::AAAA {
        assert!(r.truncated);
        assert_eq!(r.answers, 0);
        let msg = Message::from_vec(&decode(&buf[..r.len]).dns).unwrap();
        assert!(msg.metadata.truncation && msg.answers.is_empty());
    }
}

#[test]
fn no_room_is_an_error_not_a_panic() {
    let (mut buf, len, q) = first_hit(1, Mix { hit: 1, ..Mix::NONE });
    let v4 = [Ipv4Addr::LOCALHOST; 4];
    let answer = Answer::Addresses { ttl: 5, v4: &v4, v6: &[] };
    let short = &mut buf[..len];
    let opts = BuildOptions::default();
    match build_response(short, &q, &answer, &opts) {
        Err(BuildError::NoRoom { needed, room }) => assert!(needed > room && room == len),
        // A NODATA or non-A query needs no room beyond the question.
        Ok(r) => assert_eq!(r.answers, 0),
        Err(e) => panic!("{e}"),
    }
    assert_eq!(build_response(&mut buf[..10], &q, &answer, &opts), Err(BuildError::Mismatch));
}

#[test]
fn edns_version_1_gets_badvers() {
    let (mut buf, len, q) = first_hit(2, Mix { hit: 1, edns_percent: 100, ..Mix::NONE });
    // The OPT record is the last 11 bytes; its version is the TTL's second byte.
    buf[len - 11 + 6] = 1;
    let Parsed::Query(q2) = parse(&buf[..len]) else { panic!() };
    assert_eq!(q2.edns.unwrap().version, 1);
    let _ = q;
    let v4 = [Ipv4Addr::LOCALHOST];
    let r = build_response(
        &mut buf,
        &q2,
        &Answer::Addresses { ttl: 1, v4: &v4, v6: &[] },
        &BuildOptions::default(),
    )
    .unwrap();
    assert_eq!((r.rcode, r.answers), (rcode::BADVERS, 0));
    let msg = Message::from_vec(&decode(&buf[..r.len]).dns).unwrap();
    // 16 is both BADVERS and BADSIG in the IANA registry; hickory names it BADSIG.
    assert_eq!(u16::from(msg.metadata.response_code), rcode::BADVERS);
}

#[test]
fn ipv4_zero_udp_checksum_option() {
    let (mut buf, _, q) = first_hit(9, Mix { hit: 1, ..Mix::NONE });
    let opts = BuildOptions { ipv4_udp_checksum: Ipv4UdpChecksum::Zero, ..BuildOptions::default() };
    let r = build_response(&mut buf, &q, &Answer::NxDomain, &opts).unwrap();
    let l4 = usize::from(q.l4_offset);
    assert_eq!(&buf[l4 + 6..l4 + 8], &[0, 0]);
    assert!(r.len > 0);
}

/// The response's checksums are summed from the new contents, never patched from the
/// query's: garbage in the query's IPv4 header checksum and UDP checksum changes nothing,
/// and IPv4 options are summed.
#[test]
fn response_checksums_ignore_the_querys() {
    let list = DomainList::default_list();
    let options = BuildOptions::default();
    let mut gen = Generator::new(9, &list, Mix { malformed: 0, ..Mix::default() }).unwrap();
    for n in 0..2_000u32 {
        let mut buf = [0u8; 2048];
        let (mut len, expected) = gen.next_frame(&mut buf).unwrap();
        let Parsed::Query(q) = parse(&buf[..len]) else { panic!("{expected:?}") };
        if q.ip == IpVersion::V4 && n % 2 == 0 {
            // Four bytes of IPv4 options (three NOPs and an end of list).
            let l3 = usize::from(q.l3_offset);
            buf.copy_within(l3 + 20..len, l3 + 24);
            buf[l3 + 20..l3 + 24].copy_from_slice(&[1, 1, 1, 0]);
            buf[l3] += 1;
            let total = u16::from_be_bytes([buf[l3 + 2], buf[l3 + 3]]) + 4;
            buf[l3 + 2..l3 + 4].copy_from_slice(&total.to_be_bytes());
            len += 4;
        }
        let Parsed::Query(q) = parse(&buf[..len]) else { panic!("{expected:?}") };
        let junk = n.wrapping_mul(0x9e37_79b9).to_be_bytes();
        let l3 = usize::from(q.l3_offset);
        let l4 = usize::from(q.l4_offset);
        if q.ip == IpVersion::V4 {
            buf[l3 + 10..l3 + 12].copy_from_slice(&junk[..2]);
        }
        buf[l4 + 6..l4 + 8].copy_from_slice(&junk[2..]);
        let entry = expected.entry.map(|i| &list.entries()[i]);
        let answer = entry.map_or(Answer::NxDomain, |e| e.answer());
        let r = build_response(&mut buf, &q, &answer, &options).unwrap();
        // Checks both checksums.
        decode(&buf[..r.len]);
    }
}
