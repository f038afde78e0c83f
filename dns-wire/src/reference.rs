//! The parser and response builder as first written: straightforward, every field read
//! through a bounds-checked accessor, no fast paths. Kept as the oracle for the optimised
//! per-packet path in `packet`, `name` and `answer`: the differential tests (and the fuzz
//! target, through the `reference` feature) check that both classify every input alike
//! and write byte-identical responses.
//!
//! Where the optimised code still is the first version (the general name walk for
//! compressed or malformed names, the header's rules, the additional records' check, the
//! choice of records for an answer), this module calls it rather than keeping a second copy: the oracle
//! checks what was rewritten for speed, and those parts are tested on their own.
#![allow(missing_docs, clippy::indexing_slicing)]

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::answer::{
    rtype, selection, Answer, BuildError, BuildOptions, Ipv4UdpChecksum, Response, Selection,
    AAAA_RECORD_LEN, A_RECORD_LEN, CLASSIC_UDP_PAYLOAD, CLASS_IN, OPT_RECORD_LEN,
    RESPONSE_HOP_LIMIT,
};
use crate::bytes::{be16, put, put16, put32, swap};
use crate::name::{read_name, DomainKey, KeyStatus, KEY_LEN, MAX_LABEL_LEN, MAX_NAME_WIRE_LEN};
use crate::packet::{
    additional, check_header, IpVersion, Malformed, NotDns, Parsed, Query, Reject, DNS_PORT,
    PROTO_UDP, TYPE_OPT,
};

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
const HEADER_LEN: usize = 12;

pub fn parse(frame: &[u8]) -> Parsed {
    match parse_frame(frame) {
        Ok(q) => Parsed::Query(q),
        Err(Reject::NotDns(n)) => Parsed::NotDns(n),
        Err(Reject::Malformed(m)) => Parsed::Malformed(m),
    }
}

fn parse_frame(frame: &[u8]) -> Result<Query, Reject> {
    let mut ethertype = be16(frame, 12).ok_or(Malformed::TruncatedEthernet)?;
    let mut l3 = 14;
    if ethertype == ETH_VLAN {
        ethertype = be16(frame, 16).ok_or(Malformed::TruncatedEthernet)?;
        l3 = 18;
    }
    let (ip, l4, l4_end) = match ethertype {
        ETH_IPV4 => {
            let (l4, end) = ipv4(frame, l3)?;
            (IpVersion::V4, l4, end)
        }
        ETH_IPV6 => {
            let (l4, end) = ipv6(frame, l3)?;
            (IpVersion::V6, l4, end)
        }
        _ => return Err(NotDns::EtherType.into()),
    };
    // UDP (RFC 768).
    if l4 + 8 > l4_end {
        return Err(Malformed::TruncatedUdp.into());
    }
    if be16(frame, l4 + 2) != Some(DNS_PORT) {
        return Err(NotDns::Port.into());
    }
    let udp_len = usize::from(be16(frame, l4 + 4).ok_or(Malformed::TruncatedUdp)?);
    if udp_len < 8 || l4 + udp_len > l4_end {
        return Err(Malformed::UdpLength.into());
    }
    let dns = l4 + 8;
    let msg = frame.get(dns..l4 + udp_len).ok_or(Malformed::UdpLength)?;
    // l3 <= 18, l4 <= 78 and dns <= 86: the offsets fit in u16.
    query(msg, ip, [l3 as u16, l4 as u16, dns as u16])
}

fn ipv4(frame: &[u8], l3: usize) -> Result<(usize, usize), Reject> {
    let hdr = frame.get(l3..l3 + 20).ok_or(Malformed::TruncatedIp)?;
    let (&vihl, _) = hdr.split_first().ok_or(Malformed::TruncatedIp)?;
    if vihl >> 4 != 4 {
        return Err(Malformed::IpVersion.into());
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    let total = usize::from(be16(hdr, 2).ok_or(Malformed::TruncatedIp)?);
    if ihl < 20 || ihl > total {
        return Err(Malformed::IpHeaderLength.into());
    }
    if l3 + total > frame.len() {
        return Err(Malformed::TruncatedIp.into());
    }
    // More-fragments flag or a fragment offset.
    if be16(hdr, 6).ok_or(Malformed::TruncatedIp)? & 0x3fff != 0 {
        return Err(NotDns::Fragment.into());
    }
    if hdr.get(9) != Some(&PROTO_UDP) {
        return Err(NotDns::Protocol.into());
    }
    Ok((l3 + ihl, l3 + total))
}

fn ipv6(frame: &[u8], l3: usize) -> Result<(usize, usize), Reject> {
    let hdr = frame.get(l3..l3 + 40).ok_or(Malformed::TruncatedIp)?;
    if hdr.first().map(|b| b >> 4) != Some(6) {
        return Err(Malformed::IpVersion.into());
    }
    let payload = usize::from(be16(hdr, 4).ok_or(Malformed::TruncatedIp)?);
    let l4 = l3 + 40;
    if l4 + payload > frame.len() {
        return Err(Malformed::TruncatedIp.into());
    }
    if hdr.get(6) != Some(&PROTO_UDP) {
        return Err(NotDns::Protocol.into());
    }
    Ok((l4, l4 + payload))
}

fn query(msg: &[u8], ip: IpVersion, offsets: [u16; 3]) -> Result<Query, Reject> {
    let (Some(id), Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) =
        (be16(msg, 0), be16(msg, 2), be16(msg, 4), be16(msg, 6), be16(msg, 8), be16(msg, 10))
    else {
        return Err(Malformed::TruncatedDns.into());
    };
    check_header(flags, [qd, an, ns, ar])?;
    let (name_end, key, key_status) = read_question(msg)?;
    let (Some(qtype), Some(qclass)) = (be16(msg, name_end), be16(msg, name_end + 2)) else {
        return Err(Malformed::TruncatedQuestion.into());
    };
    let question_end = name_end + 4;
    let edns = additional(msg, question_end, ar)?;
    let [l3_offset, l4_offset, dns_offset] = offsets;
    Ok(Query {
        ip,
        l3_offset,
        l4_offset,
        dns_offset,
        // The question ends within 12 + 255 + 4 bytes of the message's start.
        question_end: dns_offset + question_end as u16,
        id,
        flags,
        qtype,
        qclass,
        edns,
        key_status,
        key,
        key_digest: key.digest(),
    })
}

const QUESTION: usize = HEADER_LEN;

fn read_question(msg: &[u8]) -> Result<(usize, DomainKey, KeyStatus), Malformed> {
    let mut pos = QUESTION;
    loop {
        let len = usize::from(*msg.get(pos).ok_or(Malformed::NamePastEnd)?);
        if len == 0 {
            break;
        }
        if len > MAX_LABEL_LEN {
            let mut scratch = [0u8; KEY_LEN];
            let mut too_long = false;
            return Err(read_name(msg, QUESTION, &mut scratch, &mut too_long)
                .err()
                .unwrap_or(Malformed::BadLabelType));
        }
        let next = pos + 1 + len;
        if next > msg.len() {
            return Err(Malformed::LabelPastEnd);
        }
        // Room must be left for the final zero byte.
        if next - QUESTION >= MAX_NAME_WIRE_LEN {
            return Err(Malformed::NameTooLong);
        }
        pos = next;
    }
    let end = pos + 1;
    // The key: the name in wire form without the final zero, lowercased.
    let len = pos - QUESTION;
    if len > KEY_LEN {
        return Ok((end, DomainKey::ROOT, KeyStatus::TooLong));
    }
    let mut key = [0u8; KEY_LEN];
    for (k, b) in key.iter_mut().zip(&msg[QUESTION..pos]) {
        *k = b.to_ascii_lowercase();
    }
    Ok((end, DomainKey(key), KeyStatus::Exact))
}

pub fn build_response(
    buf: &mut [u8],
    query: &Query,
    answer: &Answer<'_>,
    options: &BuildOptions,
) -> Result<Response, BuildError> {
    let l3 = usize::from(query.l3_offset);
    let l4 = usize::from(query.l4_offset);
    let dns = usize::from(query.dns_offset);
    let qend = usize::from(query.question_end);
    if !(l3 < l4 && l4 + 8 == dns && dns + 12 < qend && qend <= buf.len()) {
        return Err(BuildError::Mismatch);
    }

    let Selection { rcode, ttl, v4, v6 } = selection(query, answer);
    let opt_len = if query.edns.is_some() { OPT_RECORD_LEN } else { 0 };
    let limit = match query.edns {
        Some(e) => e.udp_payload_size.clamp(CLASSIC_UDP_PAYLOAD, options.edns_udp_payload.max(512)),
        None => CLASSIC_UDP_PAYLOAD,
    };
    let base = qend - dns + opt_len;
    let records = v4.len() * A_RECORD_LEN + v6.len() * AAAA_RECORD_LEN;
    let truncated = base + records > usize::from(limit);
    let (v4, v6, records) = if truncated { (&[][..], &[][..], 0) } else { (v4, v6, records) };
    let answers = u16::try_from(v4.len() + v6.len()).map_err(|_| BuildError::Mismatch)?;
    let len = dns + base + records;
    if len > buf.len() {
        return Err(BuildError::NoRoom { needed: len, room: buf.len() });
    }
    let plan = Plan { len, rcode, ttl, v4, v6, answers, truncated };
    write(buf, query, &plan, options).ok_or(BuildError::Mismatch)?;
    Ok(Response { len, rcode, answers, truncated })
}

struct Plan<'a> {
    len: usize,
    rcode: u16,
    ttl: u32,
    v4: &'a [Ipv4Addr],
    v6: &'a [Ipv6Addr],
    answers: u16,
    truncated: bool,
}

fn write(buf: &mut [u8], q: &Query, plan: &Plan<'_>, options: &BuildOptions) -> Option<()> {
    let buf = buf.get_mut(..plan.len)?;
    let (l3, l4, dns, qend) = (
        usize::from(q.l3_offset),
        usize::from(q.l4_offset),
        usize::from(q.dns_offset),
        usize::from(q.question_end),
    );
    let udp_len = u16::try_from(plan.len - l4).ok()?;
    let ip_len = u16::try_from(plan.len - l3).ok()?;
    let v4 = q.ip == IpVersion::V4;

    // Reads, before any write.
    // The IP header's sum less the words that change (IPv4 only: total length, TTL and
    // protocol, checksum; ones' complement subtraction adds the complement).
    let ip_sum = if v4 {
        let ihl = usize::from(*buf.get(l3)? & 0x0f) * 4;
        let header = buf.get(l3..l3 + ihl)?;
        let old = |at| be16(header, at).map(|w| u64::from(!w));
        checksum_add(0, header) + old(2)? + old(8)? + old(10)?
    } else {
        0
    };
    let addresses = if v4 { buf.get(l3 + 12..l3 + 20)? } else { buf.get(l3 + 8..l3 + 40)? };
    // Pseudo-header addresses, the ports and the DNS ID (the rest of the UDP and DNS headers
    // is new), and the question, which stays as it is.
    let mut udp_sum = checksum_add(0, addresses)
        + u64::from(be16(buf, l4)?)
        + u64::from(be16(buf, l4 + 2)?)
        + u64::from(be16(buf, dns)?);
    udp_sum = checksum_add(udp_sum, buf.get(dns + 12..qend)?);

    // DNS header: QR 1, opcode 0 (a query's), AA 0, TC, RD and CD kept, RA 1, Z 0, AD 0.
    let tc = if plan.truncated { 0x0200 } else { 0 };
    let flags = 0x8080 | tc | (q.flags & 0x0110) | (plan.rcode & 0x000f);
    let arcount = u16::from(q.edns.is_some());
    put16(buf, dns + 2, flags)?;
    put16(buf, dns + 4, 1)?;
    put16(buf, dns + 6, plan.answers)?;
    put16(buf, dns + 8, 0)?;
    put16(buf, dns + 10, arcount)?;
    // Pseudo-header protocol and length, UDP length, DNS header words.
    udp_sum += 17 + 2 * u64::from(udp_len) + u64::from(flags) + 1;
    udp_sum += u64::from(plan.answers) + u64::from(arcount);

    // The records, summed as if they started at an even offset of the UDP datagram; they
    // start where the question ends, which may be odd.
    let mut records = 0u64;
    let mut pos = qend;
    let ttl = (u64::from(plan.ttl >> 16)) + u64::from(plan.ttl & 0xffff);
    for a in plan.v4 {
        let addr = a.to_bits();
        records += RECORD_SUM + u64::from(rtype::A) + ttl + 4;
        records += u64::from(addr >> 16) + u64::from(addr & 0xffff);
        pos = record(buf, pos, rtype::A, plan.ttl, &a.octets())?;
    }
    for a in plan.v6 {
        let addr = a.to_bits();
        records += RECORD_SUM + u64::from(rtype::AAAA) + ttl + 16;
        records = checksum_add(records, &addr.to_be_bytes());
        pos = record(buf, pos, rtype::AAAA, plan.ttl, &a.octets())?;
    }
    if let Some(e) = q.edns {
        // Owner root, TYPE OPT, CLASS our payload size, TTL = extended RCODE (upper eight
        // bits), version 0, DO copied, Z 0; no options (RFC 6891 section 6.1.3).
        let payload = options.edns_udp_payload.max(CLASSIC_UDP_PAYLOAD);
        let ext = u32::from(plan.rcode >> 4) << 24;
        let opt_ttl = ext | if e.dnssec_ok { 0x8000 } else { 0 };
        put(buf, pos, &[0])?;
        put16(buf, pos + 1, TYPE_OPT)?;
        put16(buf, pos + 3, payload)?;
        put32(buf, pos + 5, opt_ttl)?;
        put16(buf, pos + 9, 0)?;
        // After the one-byte owner, the words sit at the other parity: times 256.
        let words = u64::from(TYPE_OPT)
            + u64::from(payload)
            + u64::from(opt_ttl >> 16)
            + u64::from(opt_ttl & 0xffff);
        records += words << 8;
    }
    // An odd start swaps every word's bytes: times 256 (see the checksum module).
    udp_sum += records << (8 * ((qend - l4) & 1));

    // Ethernet: back to the sender.
    swap::<6>(buf, 0, 6)?;

    // UDP header.
    swap::<2>(buf, l4, l4 + 2)?;
    put16(buf, l4 + 4, udp_len)?;

    if v4 {
        swap::<4>(buf, l3 + 12, l3 + 16)?;
        put16(buf, l3 + 2, ip_len)?;
        put(buf, l3 + 8, &[RESPONSE_HOP_LIMIT])?;
        let ttl_proto = u16::from(RESPONSE_HOP_LIMIT) << 8 | u16::from(PROTO_UDP);
        put16(buf, l3 + 10, checksum_finish(ip_sum + u64::from(ip_len) + u64::from(ttl_proto)))?;
        let udp = match options.ipv4_udp_checksum {
            Ipv4UdpChecksum::Compute => udp_checksum(udp_sum),
            Ipv4UdpChecksum::Zero => 0,
        };
        put16(buf, l4 + 6, udp)?;
    } else {
        swap::<16>(buf, l3 + 8, l3 + 24)?;
        put16(buf, l3 + 4, udp_len)?;
        put(buf, l3 + 7, &[RESPONSE_HOP_LIMIT])?;
        // Mandatory over IPv6 (RFC 8200 section 8.1).
        put16(buf, l4 + 6, udp_checksum(udp_sum))?;
    }
    Some(())
}

const RECORD_SUM: u64 = 0xc00c + CLASS_IN as u64;

fn udp_checksum(acc: u64) -> u16 {
    match checksum_finish(acc) {
        0 => 0xffff,
        c => c,
    }
}

fn record(buf: &mut [u8], pos: usize, rtype: u16, ttl: u32, rdata: &[u8]) -> Option<usize> {
    put16(buf, pos, 0xc00c)?;
    put16(buf, pos + 2, rtype)?;
    put16(buf, pos + 4, CLASS_IN)?;
    put32(buf, pos + 6, ttl)?;
    put16(buf, pos + 10, u16::try_from(rdata.len()).ok()?)?;
    put(buf, pos + 12, rdata)?;
    Some(pos + 12 + rdata.len())
}

fn checksum_add(acc: u64, bytes: &[u8]) -> u64 {
    // A 128-bit accumulator: one add with carry per word, no overflow before 2^64 words.
    let mut wide = u128::from(acc);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        if let Ok(w) = <[u8; 8]>::try_from(c) {
            wide += u128::from(u64::from_be_bytes(w));
        }
    }
    wide += u128::from(tail(chunks.remainder()));
    let (sum, carry) = (wide as u64).overflowing_add((wide >> 64) as u64);
    // No overflow: with a carry out, `sum` is at most 2^64 - 2.
    let sum = sum + u64::from(carry);
    (sum & 0xffff_ffff) + (sum >> 32)
}

fn tail(rest: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut rest = rest;
    let mut shift = 64u32;
    if let Some((four, more)) = rest.split_first_chunk::<4>() {
        shift -= 32;
        w |= u64::from(u32::from_be_bytes(*four)) << shift;
        rest = more;
    }
    if let Some((two, more)) = rest.split_first_chunk::<2>() {
        shift -= 16;
        w |= u64::from(u16::from_be_bytes(*two)) << shift;
        rest = more;
    }
    if let Some(&one) = rest.first() {
        shift -= 8;
        w |= u64::from(one) << shift;
    }
    w
}

fn checksum_finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainList, Generator, Mix, SplitMix64};

    /// Both parsers agree on `frame`; when it is a query, both builders write the same
    /// bytes (or refuse alike) for several answers and rooms.
    fn agree(frame: &[u8]) {
        let (fast, slow) = (crate::parse(frame), parse(frame));
        assert_eq!(fast, slow, "parse of {frame:02x?}");
        let Parsed::Query(q) = fast else { return };
        let v4 = [Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(198, 51, 100, 255)];
        let v6 = [Ipv6Addr::LOCALHOST, Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0xffff, 1)];
        let answers = [
            Answer::Addresses { ttl: 300, v4: &v4[..1], v6: &v6[..1] },
            Answer::Addresses { ttl: 0x8001_ffff, v4: &v4, v6: &v6 },
            Answer::Addresses { ttl: 7, v4: &[], v6: &[] },
            Answer::NxDomain,
            Answer::Refused,
            Answer::ServFail,
        ];
        let options = [
            BuildOptions::default(),
            BuildOptions { edns_udp_payload: 512, ipv4_udp_checksum: Ipv4UdpChecksum::Zero },
            BuildOptions { edns_udp_payload: 4096, ..BuildOptions::default() },
        ];
        for answer in &answers {
            for opts in &options {
                for extra in [0, 7, 40, 400] {
                    let mut a = frame.to_vec();
                    a.resize(frame.len() + extra, 0xee);
                    let mut b = a.clone();
                    let mut c = a.clone();
                    let ra = crate::build_response(&mut a, &q, answer, opts);
                    let rb = build_response(&mut b, &q, answer, opts);
                    assert_eq!(ra, rb, "build for {frame:02x?}");
                    if let Ok(r) = ra {
                        assert_eq!(a[..r.len], b[..r.len], "bytes for {frame:02x?}");
                    }
                    let prepared = crate::PreparedAnswer::new(answer).expect("a few addresses");
                    let rc = crate::build_prepared_response(&mut c, &q, &prepared, opts);
                    assert_eq!(rc, rb, "prepared build for {frame:02x?}");
                    if let Ok(r) = rc {
                        assert_eq!(c[..r.len], b[..r.len], "prepared bytes for {frame:02x?}");
                    }
                }
            }
        }
    }

    fn frames(seed: u64, mix: Mix, n: usize) -> Vec<Vec<u8>> {
        let list = DomainList::default_list();
        let mut gen = Generator::new(seed, &list, mix).unwrap();
        (0..n)
            .map(|_| {
                let mut buf = [0u8; crate::MAX_FRAME_LEN];
                let (len, _) = gen.next_frame(&mut buf).unwrap();
                buf[..len].to_vec()
            })
            .collect()
    }

    #[test]
    fn generated_traffic() {
        let all = Mix { edns_percent: 50, vlan_percent: 30, ..Mix::default() };
        for f in frames(1, all, 4000) {
            agree(&f);
        }
    }

    /// Every prefix of some frames, and random mutations of many: flipped bytes, bytes set
    /// to the values parsers care about, and cut or grown frames.
    #[test]
    fn mutated_traffic() {
        let mix = Mix { edns_percent: 50, vlan_percent: 30, ..Mix::default() };
        let base = frames(2, mix, 600);
        for f in base.iter().take(60) {
            for cut in 0..=f.len() {
                agree(&f[..cut]);
            }
        }
        let mut rng = SplitMix64::new(3);
        const SPECIAL: [u8; 16] =
            [0, 1, 2, 3, 5, 8, 0x0c, 0x11, 0x29, 0x2e, 0x3f, 0x40, 0x41, 0xc0, 0xff, b'A'];
        for round in 0..40 {
            for f in &base {
                let mut m = f.clone();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(m.len() as u64) as usize;
                    m[at] = match rng.below(3) {
                        0 => rng.next_u64() as u8,
                        1 => SPECIAL[rng.below(SPECIAL.len() as u64) as usize],
                        _ => m[at] ^ (1 << rng.below(8)),
                    };
                }
                match round % 4 {
                    0 => m.truncate(rng.below(m.len() as u64 + 1) as usize),
                    1 => m.extend((0..rng.below(80)).map(|_| rng.next_u64() as u8)),
                    _ => {}
                }
                agree(&m);
            }
        }
    }
}
