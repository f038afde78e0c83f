//! Turning a parsed query's buffer into its response, in place (RFC 1035 section 4.1).

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::checksum;
use crate::packet::{IpVersion, Query, PROTO_UDP, TYPE_OPT};

/// QTYPE / TYPE values (RFC 1035 section 3.2.2, RFC 3596).
pub mod rtype {
    /// An IPv4 address.
    pub const A: u16 = 1;
    /// An IPv6 address.
    pub const AAAA: u16 = 28;
    /// Any type (QTYPE only).
    pub const ANY: u16 = 255;
}

/// Class IN (RFC 1035 section 3.2.4).
pub const CLASS_IN: u16 = 1;
/// QCLASS "any" (RFC 1035 section 3.2.5).
pub const CLASS_ANY: u16 = 255;

/// Response codes (RFC 1035 section 4.1.1, RFC 6891).
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The server could not interpret the query.
    pub const FORMERR: u8 = 1;
    /// The server failed.
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// Not implemented.
    pub const NOTIMP: u8 = 4;
    /// Refused by policy.
    pub const REFUSED: u8 = 5;
    /// Unsupported EDNS version (extended RCODE 16: 0 in the header, 1 in the OPT record).
    pub const BADVERS: u16 = 16;
}

/// The largest UDP payload a client without EDNS accepts (RFC 1035 section 4.2.1).
pub const CLASSIC_UDP_PAYLOAD: u16 = 512;
/// Bytes of an A record that points back at the question name (2+2+2+4+2+4).
pub const A_RECORD_LEN: usize = 16;
/// Bytes of an AAAA record that points back at the question name (2+2+2+4+2+16).
pub const AAAA_RECORD_LEN: usize = 28;
/// Bytes of an OPT record with no options (1+2+2+4+2).
pub const OPT_RECORD_LEN: usize = 11;
/// The hop limit / TTL written into responses.
pub const RESPONSE_HOP_LIMIT: u8 = 64;

/// What to answer.
///
/// ```
/// use dns_wire::Answer;
/// use std::net::Ipv4Addr;
/// let v4 = [Ipv4Addr::new(192, 0, 2, 1)];
/// let a = Answer::Addresses { ttl: 300, v4: &v4, v6: &[] };
/// assert_eq!(a.rcode(), 0);
/// assert_eq!(Answer::NxDomain.rcode(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    /// NOERROR with the addresses that match the query type: the `v4` ones for A, the `v6`
    /// ones for AAAA, none for any other type (NODATA) or for a class other than IN/ANY.
    Addresses {
        /// TTL of the records, in seconds.
        ttl: u32,
        /// IPv4 addresses (A records).
        v4: &'a [Ipv4Addr],
        /// IPv6 addresses (AAAA records).
        v6: &'a [Ipv6Addr],
    },
    /// NXDOMAIN: the name does not exist.
    NxDomain,
    /// REFUSED: blocked by policy.
    Refused,
    /// SERVFAIL.
    ServFail,
}

impl Answer<'_> {
    /// The RCODE this answer carries.
    ///
    /// ```
    /// assert_eq!(dns_wire::Answer::Refused.rcode(), dns_wire::rcode::REFUSED);
    /// ```
    pub fn rcode(&self) -> u8 {
        match self {
            Answer::Addresses { .. } => rcode::NOERROR,
            Answer::NxDomain => rcode::NXDOMAIN,
            Answer::Refused => rcode::REFUSED,
            Answer::ServFail => rcode::SERVFAIL,
        }
    }
}

/// How to fill in the UDP checksum of IPv4 responses (IPv6 always gets a computed one: RFC
/// 8200 section 8.1 makes it mandatory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ipv4UdpChecksum {
    /// Compute it.
    #[default]
    Compute,
    /// Write zero ("no checksum", allowed for UDP over IPv4 by RFC 768).
    Zero,
}

/// Options for [`build_response`].
///
/// ```
/// let o = dns_wire::BuildOptions::default();
/// assert_eq!(o.edns_udp_payload, 1232);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// The UDP payload size this server advertises in its OPT record and the most it sends
    /// to an EDNS client (which may ask for less). 1232 avoids IP fragmentation on common
    /// paths (the DNS flag day 2020 value).
    pub edns_udp_payload: u16,
    /// The UDP checksum of IPv4 responses.
    pub ipv4_udp_checksum: Ipv4UdpChecksum,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions { edns_udp_payload: 1232, ipv4_udp_checksum: Ipv4UdpChecksum::Compute }
    }
}

impl BuildOptions {
    /// The UDP payload size this server advertises in its OPT records and takes as the
    /// most an EDNS client may ask for: `edns_udp_payload`, never below the classic 512.
    #[inline(always)]
    fn advertised_payload(&self) -> u16 {
        self.edns_udp_payload.max(CLASSIC_UDP_PAYLOAD)
    }
}

/// Why a response could not be built. The buffer may be partly rewritten: drop the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The response needs `needed` bytes but the buffer holds `room`.
    #[error("response needs {needed} bytes, the buffer has room for {room}")]
    NoRoom {
        /// Bytes the whole response frame needs.
        needed: usize,
        /// The buffer's length.
        room: usize,
    },
    /// The buffer does not hold the frame the query was parsed from (it is too short for
    /// the query's offsets).
    #[error("buffer does not hold the parsed query's frame")]
    Mismatch,
}

/// What [`build_response`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The response frame's length: send `buf[..len]`.
    pub len: usize,
    /// The RCODE sent (the low four bits in the header; BADVERS is 16).
    pub rcode: u16,
    /// Answer records written.
    pub answers: u16,
    /// Whether the answers did not fit the client's UDP payload size and TC was set
    /// instead (with no answers).
    pub truncated: bool,
}

/// Rewrites the frame in `buf` that `query` was parsed from into its response, in place,
/// and returns what it wrote. `buf` is the whole room the frame may grow into (the mbuf's
/// data room from the frame's first byte); the response frame is `buf[..response.len]`.
///
/// Swaps the MAC and IP addresses and the UDP ports, resets the IP TTL / hop limit to 64,
/// keeps the ID, question (its case included), RD and CD bits; sets QR and RA; appends the
/// answer records (each pointing back at the question name, `0xc00c`); drops anything after
/// the question (the query's OPT, other additional records, garbage) and, when the query
/// had an OPT record, appends one of ours (EDNS version 0, our payload size, DO copied).
/// An EDNS version other than 0 gets BADVERS and no answers (RFC 6891 section 6.1.3).
/// When the answers would exceed the client's UDP payload size (512 bytes without EDNS),
/// TC is set and no answers are sent. Finally fixes the IP lengths, the IPv4 header
/// checksum, the UDP length and the UDP checksum.
///
/// # Errors
/// [`BuildError::NoRoom`] when the response does not fit `buf` (count it; the buffer is
/// then untouched), [`BuildError::Mismatch`] when `buf` cannot be the query's frame.
///
/// ```
/// use dns_wire::*;
/// use std::net::Ipv4Addr;
/// let list = DomainList::default_list();
/// let mut gen = Generator::new(1, &list, Mix { hit: 1, ..Mix::NONE })?;
/// let mut buf = [0u8; 2048];
/// let (len, _) = gen.next_frame(&mut buf)?;
/// let Parsed::Query(q) = parse(&buf[..len]) else { panic!("not a query") };
/// let v4 = [Ipv4Addr::new(192, 0, 2, 7)];
/// let answer = Answer::Addresses { ttl: 60, v4: &v4, v6: &[] };
/// let r = build_response(&mut buf, &q, &answer, &BuildOptions::default())?;
/// assert!(r.len > len - 12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[inline]
pub fn build_response(
    buf: &mut [u8],
    query: &Query,
    answer: &Answer<'_>,
    options: &BuildOptions,
) -> Result<Response, BuildError> {
    let layout = checked_layout(query, buf.len())?;

    let Selection { rcode, ttl, v4, v6 } = selection(query, answer);
    let records = v4.len() * A_RECORD_LEN + v6.len() * AAAA_RECORD_LEN;
    let (len, truncated) = response_len(query, options, layout, records);
    let (v4, v6) = if truncated { (&[][..], &[][..]) } else { (v4, v6) };
    let answers = u16::try_from(v4.len() + v6.len()).map_err(|_| BuildError::Mismatch)?;
    if len > buf.len() {
        return Err(BuildError::NoRoom { needed: len, room: buf.len() });
    }
    let plan = Plan { len, rcode, records: Records::Addresses { ttl, v4, v6 }, answers, truncated };
    write(buf, query, &plan, options).ok_or(BuildError::Mismatch)?;
    Ok(Response { len, rcode, answers, truncated })
}

/// What an answer puts into the response to a query.
pub(crate) struct Selection<'a> {
    /// The answer's RCODE, or BADVERS for an EDNS version other than 0.
    pub rcode: u16,
    /// The records' TTL (0 when there are none).
    pub ttl: u32,
    /// The A records: the answer's IPv4 addresses for a question of type A.
    pub v4: &'a [Ipv4Addr],
    /// The AAAA records: its IPv6 addresses for a question of type AAAA.
    pub v6: &'a [Ipv6Addr],
}

/// Chooses what goes into the response to `query`: the addresses of the question's type
/// (class IN or ANY only, and none when the EDNS version is not one this server speaks).
#[inline(always)]
pub(crate) fn selection<'a>(query: &Query, answer: &Answer<'a>) -> Selection<'a> {
    let (rcode, records_ok) = rules(query, answer.rcode());
    let (v4, v6): (&[Ipv4Addr], &[Ipv6Addr]) = match *answer {
        Answer::Addresses { v4, v6, .. } if records_ok => match query.qtype {
            rtype::A => (v4, &[]),
            rtype::AAAA => (&[], v6),
            _ => (&[], &[]),
        },
        _ => (&[], &[]),
    };
    let ttl = match *answer {
        Answer::Addresses { ttl, .. } => ttl,
        _ => 0,
    };
    Selection { rcode, ttl, v4, v6 }
}

/// The rules every response follows: its RCODE for an answer's `rcode` (BADVERS when
/// the query's EDNS version is not one this server speaks), and whether answer records may
/// go in at all (not then, and only for class IN or ANY).
#[inline(always)]
fn rules(query: &Query, rcode: u8) -> (u16, bool) {
    let edns_ok = query.edns.map_or(true, |e| e.version == 0);
    let class_ok = query.qclass == CLASS_IN || query.qclass == CLASS_ANY;
    let rcode = if edns_ok { u16::from(rcode) } else { rcode::BADVERS };
    (rcode, edns_ok & class_ok)
}

/// The length of the response to `query` (its DNS message from `dns`, the question ending
/// at `qend`) with `records` bytes of answer records, and whether those records are left
/// out and the response truncated (past the payload the client takes).
#[inline(always)]
fn response_len(
    query: &Query,
    options: &BuildOptions,
    (dns, qend): (usize, usize),
    records: usize,
) -> (usize, bool) {
    let base = qend - dns + OPT_RECORD_LEN * usize::from(query.edns.is_some());
    let truncated = base + records > usize::from(payload_limit(query, options));
    (dns + base + if truncated { 0 } else { records }, truncated)
}

/// The DNS offset and the question's end of `query`, checked against a buffer of
/// `buf_len` bytes.
#[inline(always)]
fn checked_layout(query: &Query, buf_len: usize) -> Result<(usize, usize), BuildError> {
    let l3 = usize::from(query.l3_offset);
    let l4 = usize::from(query.l4_offset);
    let dns = usize::from(query.dns_offset);
    let qend = usize::from(query.question_end);
    if !(l3 < l4 && l4 + 8 == dns && dns + 12 < qend && qend <= buf_len) {
        return Err(BuildError::Mismatch);
    }
    Ok((dns, qend))
}

/// The most UDP payload the client takes: 512 without EDNS, else what it says, kept
/// between 512 and what this server advertises.
#[inline(always)]
fn payload_limit(query: &Query, options: &BuildOptions) -> u16 {
    match query.edns {
        Some(e) => e.udp_payload_size.clamp(CLASSIC_UDP_PAYLOAD, options.advertised_payload()),
        None => CLASSIC_UDP_PAYLOAD,
    }
}

/// A response whose size has been checked against the buffer.
struct Plan<'a> {
    len: usize,
    rcode: u16,
    records: Records<'a>,
    answers: u16,
    truncated: bool,
}

/// Where a response's answer records come from.
enum Records<'a> {
    /// Written here from the addresses (the ones matching the query type, or none).
    Addresses { ttl: u32, v4: &'a [Ipv4Addr], v6: &'a [Ipv6Addr] },
    /// Copied from prepared records: `COPY` bytes starting with the set's.
    Prepared(&'a [u8; COPY], &'a RecordSet),
}

/// Writes the response; every access is inside `room[..plan.len]`, which the caller
/// checked, except two that may reach further inside `room`: the question is read through
/// a window, and prepared records are copied `COPY` bytes at a time (past the response's
/// end, bytes that are not part of it). `None` only comes from a query that does not
/// describe this buffer.
#[inline(always)]
fn write(room: &mut [u8], q: &Query, plan: &Plan<'_>, options: &BuildOptions) -> Option<()> {
    let (l3, l4, dns, qend) = (
        usize::from(q.l3_offset),
        usize::from(q.l4_offset),
        usize::from(q.dns_offset),
        usize::from(q.question_end),
    );
    // The question's sum, read through a window that may reach past the frame, before the
    // records overwrite what follows it.
    let question = checksum::add_window(0, room, dns + 12, qend.checked_sub(dns + 12)?)?;
    let body = body(room, q, plan, options)?;
    let buf = room.get_mut(..plan.len)?;
    // An odd start swaps every word's bytes: times 256 (see the checksum module).
    let payload = question + (body << (8 * ((qend - l4) & 1)));
    let fields = Fields {
        v4: q.ip == IpVersion::V4,
        udp_len: u16::try_from(plan.len - l4).ok()?,
        ip_len: u16::try_from(plan.len - l3).ok()?,
        flags: 0x8080
            | if plan.truncated { 0x0200 } else { 0 }
            | (q.flags & 0x0110)
            | (plan.rcode & 0x000f),
        answers: plan.answers,
        arcount: u16::from(q.edns.is_some()),
        zero_v4_checksum: options.ipv4_udp_checksum == Ipv4UdpChecksum::Zero,
        payload,
    };
    // The usual layouts get their headers written at constant offsets into a fixed-size
    // array (no bounds checks); any other, with the same code at variable offsets.
    match (fields.v4, l3, l4 - l3) {
        (true, 14, 20) => headers(buf.first_chunk_mut::<54>()?, 14, 34, &fields),
        (true, 18, 20) => headers(buf.first_chunk_mut::<58>()?, 18, 38, &fields),
        (false, 14, 40) => headers(buf.first_chunk_mut::<74>()?, 14, 54, &fields),
        (false, 18, 40) => headers(buf.first_chunk_mut::<78>()?, 18, 58, &fields),
        _ => headers(buf, l3, l4, &fields),
    }
}

/// What the headers of a response need besides the query's own bytes.
struct Fields {
    v4: bool,
    udp_len: u16,
    ip_len: u16,
    flags: u16,
    answers: u16,
    arcount: u16,
    zero_v4_checksum: bool,
    /// The UDP payload's sum past the DNS header: the question and the records.
    payload: u64,
}

/// Writes the answer records and the OPT record after the question, in `room` (the
/// response is its first `plan.len` bytes); returns their sum as if they started at an
/// even offset of the UDP datagram.
#[inline(always)]
fn body(room: &mut [u8], q: &Query, plan: &Plan<'_>, options: &BuildOptions) -> Option<u64> {
    let start = usize::from(q.question_end);
    let (mut pos, mut sum) = match plan.records {
        Records::Addresses { ttl, v4, v6 } => {
            let buf = room.get_mut(..plan.len)?;
            address_records(buf, start, ttl, v4, v6)?
        }
        Records::Prepared(bytes, set) => {
            let len = usize::from(set.len);
            // One copy of a fixed size when the room allows: whatever it puts past the
            // records is overwritten by the OPT record or lies past the response.
            match room.get_mut(start..).and_then(|r| r.first_chunk_mut::<COPY>()) {
                Some(out) => *out = *bytes,
                None => room.get_mut(start..start + len)?.copy_from_slice(bytes.get(..len)?),
            }
            (start + len, set.sum)
        }
    };
    if let Some(e) = q.edns {
        sum += opt_record(room.get_mut(..plan.len)?, pos, plan.rcode, e.dnssec_ok, options)?;
        pos += OPT_RECORD_LEN;
    }
    debug_assert_eq!(pos, plan.len);
    Some(sum)
}

/// Writes the A records of `v4` then the AAAA records of `v6` (TTL `ttl`) from `pos`;
/// returns where they end and their sum as if they started at an even offset.
#[inline(always)]
fn address_records(
    buf: &mut [u8],
    mut pos: usize,
    ttl: u32,
    v4: &[Ipv4Addr],
    v6: &[Ipv6Addr],
) -> Option<(usize, u64)> {
    let mut sum = 0u64;
    let ttl_sum = u64::from(ttl >> 16) + u64::from(ttl & 0xffff);
    for a in v4 {
        let addr = a.to_bits();
        sum += RECORD_SUM + u64::from(rtype::A) + ttl_sum + 4;
        sum += u64::from(addr >> 16) + u64::from(addr & 0xffff);
        pos = record::<4, A_RECORD_LEN>(buf, pos, rtype::A, ttl, a.octets())?;
    }
    for a in v6 {
        let addr = a.to_bits();
        sum += RECORD_SUM + u64::from(rtype::AAAA) + ttl_sum + 16;
        sum += (addr >> 64) as u64 >> 32;
        sum += (addr >> 64) as u64 & 0xffff_ffff;
        sum += (addr as u64) >> 32;
        sum += addr as u64 & 0xffff_ffff;
        pos = record::<16, AAAA_RECORD_LEN>(buf, pos, rtype::AAAA, ttl, a.octets())?;
    }
    Some((pos, sum))
}

/// Writes our OPT record at `pos`: owner root, TYPE OPT, CLASS our payload size, TTL =
/// extended RCODE (upper eight bits of `rcode`), version 0, DO as asked, Z 0; no options
/// (RFC 6891 section 6.1.3). Returns its sum at `pos`'s parity, relative to even records.
#[inline(always)]
fn opt_record(
    buf: &mut [u8],
    pos: usize,
    rcode: u16,
    dnssec_ok: bool,
    options: &BuildOptions,
) -> Option<u64> {
    let payload = options.advertised_payload();
    let ext = u32::from(rcode >> 4) << 24;
    let opt_ttl = ext | if dnssec_ok { 0x8000 } else { 0 };
    let [t0, t1] = TYPE_OPT.to_be_bytes();
    let [p0, p1] = payload.to_be_bytes();
    let [x0, x1, x2, x3] = opt_ttl.to_be_bytes();
    let opt: &mut [u8; OPT_RECORD_LEN] = buf.get_mut(pos..)?.first_chunk_mut()?;
    *opt = [0, t0, t1, p0, p1, x0, x1, x2, x3, 0, 0];
    // After the one-byte owner, the words sit at the other parity: times 256.
    let words = u64::from(TYPE_OPT)
        + u64::from(payload)
        + u64::from(opt_ttl >> 16)
        + u64::from(opt_ttl & 0xffff);
    Some(words << 8)
}

/// Turns the Ethernet, IP, UDP and DNS headers of the query in `buf` (IP at `l3`, UDP at
/// `l4`, DNS right after) into the response's, checksums included. Every read comes
/// before the first write.
///
/// The checksums are not summed over the bytes just written: reading back fresh narrow
/// stores with wide loads stalls the CPU (store forwarding fails). Everything the sums
/// need from the query (IP header, addresses, ports, ID) is read first, and the new
/// fields are summed as the numbers they are. Swapping two addresses or ports does not
/// change a sum.
#[inline(always)]
fn headers(buf: &mut [u8], l3: usize, l4: usize, f: &Fields) -> Option<()> {
    let dns = l4 + 8;
    let be = u16::from_be_bytes;
    // The IP header's sum less the words that change (IPv4 only: total length, TTL and
    // protocol, checksum; ones' complement subtraction adds the complement), and the
    // pseudo-header's addresses.
    let (ip_sum, addresses) = if f.v4 {
        let h: &[u8; 20] = buf.get(l3..)?.first_chunk()?;
        let ihl = usize::from(h[0] & 0x0f) * 4;
        let changing = [be([h[2], h[3]]), be([h[8], h[9]]), be([h[10], h[11]])];
        let old = changing.iter().map(|w| u64::from(!w)).sum::<u64>();
        let header = if ihl == 20 {
            checksum::add_words(old, h)
        } else {
            checksum::add(old, buf.get(l3..l3 + ihl)?)
        };
        let addresses: &[u8; 8] = buf.get(l3 + 12..)?.first_chunk()?;
        (header, checksum::add_words(0, addresses))
    } else {
        let addresses: &[u8; 32] = buf.get(l3 + 8..)?.first_chunk()?;
        (0, checksum::add_words(0, addresses))
    };
    // The ports and the DNS ID (the rest of the UDP and DNS headers is new).
    let ports: &[u8; 4] = buf.get(l4..)?.first_chunk()?;
    let id: &[u8; 2] = buf.get(dns..)?.first_chunk()?;
    let udp_sum = f.payload
        + addresses
        + u64::from(be([ports[0], ports[1]]))
        + u64::from(be([ports[2], ports[3]]))
        + u64::from(be(*id))
        // Pseudo-header protocol and length, UDP length, DNS header words.
        + 17
        + 2 * u64::from(f.udp_len)
        + u64::from(f.flags)
        + 1
        + u64::from(f.answers)
        + u64::from(f.arcount);

    // DNS header: QR 1, opcode 0 (a query's), AA 0, TC, RD and CD kept, RA 1, Z 0, AD 0.
    let header: &mut [u8; 12] = buf.get_mut(dns..)?.first_chunk_mut()?;
    let [f0, f1] = f.flags.to_be_bytes();
    let [a0, a1] = f.answers.to_be_bytes();
    let [r0, r1] = f.arcount.to_be_bytes();
    header[2..].copy_from_slice(&[f0, f1, 0, 1, a0, a1, 0, 0, r0, r1]);

    // Ethernet: back to the sender.
    let eth: &mut [u8; 12] = buf.first_chunk_mut()?;
    let (dst, src) = eth.split_at_mut(6);
    dst.swap_with_slice(src);

    // UDP header: ports swapped, the new length, the checksum: computed (mandatory over
    // IPv6, RFC 8200 section 8.1) or, if asked, zero over IPv4.
    let udp: &mut [u8; 8] = buf.get_mut(l4..)?.first_chunk_mut()?;
    let [u0, u1] = f.udp_len.to_be_bytes();
    let [s0, s1, d0, d1, ..] = *udp;
    let [c0, c1] = if f.v4 && f.zero_v4_checksum { 0 } else { udp_checksum(udp_sum) }.to_be_bytes();
    *udp = [d0, d1, s0, s1, u0, u1, c0, c1];

    if f.v4 {
        let [i0, i1] = f.ip_len.to_be_bytes();
        let h: &mut [u8; 20] = buf.get_mut(l3..)?.first_chunk_mut()?;
        let (src, dst) = h[12..].split_at_mut(4);
        src.swap_with_slice(dst);
        let ttl_proto = u16::from(RESPONSE_HOP_LIMIT) << 8 | u16::from(PROTO_UDP);
        let [c0, c1] =
            checksum::finish(ip_sum + u64::from(f.ip_len) + u64::from(ttl_proto)).to_be_bytes();
        h[2..4].copy_from_slice(&[i0, i1]);
        h[8] = RESPONSE_HOP_LIMIT;
        h[10..12].copy_from_slice(&[c0, c1]);
    } else {
        let h: &mut [u8; 40] = buf.get_mut(l3..)?.first_chunk_mut()?;
        let (src, dst) = h[8..].split_at_mut(16);
        src.swap_with_slice(dst);
        // The payload length: the UDP datagram (no extension headers).
        h[4..6].copy_from_slice(&[u0, u1]);
        h[7] = RESPONSE_HOP_LIMIT;
    }
    Some(())
}

/// The words of an answer record that do not depend on it: the pointer to the question
/// name (`0xc00c`) and the class (IN).
const RECORD_SUM: u64 = 0xc00c + CLASS_IN as u64;

/// A computed UDP checksum of zero is sent as all ones: zero means "none" (RFC 768).
#[inline(always)]
fn udp_checksum(acc: u64) -> u16 {
    match checksum::finish(acc) {
        0 => 0xffff,
        c => c,
    }
}

/// Writes one answer record of `LEN` bytes with an `N`-byte address at `pos` (owner:
/// pointer to the question name at offset 12) and returns where the next one goes.
#[inline(always)]
fn record<const N: usize, const LEN: usize>(
    buf: &mut [u8],
    pos: usize,
    rtype: u16,
    ttl: u32,
    rdata: [u8; N],
) -> Option<usize> {
    let out: &mut [u8; LEN] = buf.get_mut(pos..)?.first_chunk_mut()?;
    let [t0, t1] = rtype.to_be_bytes();
    let [c0, c1] = CLASS_IN.to_be_bytes();
    let [l0, l1, l2, l3] = ttl.to_be_bytes();
    let [n0, n1] = (N as u16).to_be_bytes();
    let (fixed, data) = out.split_at_mut(12);
    fixed.copy_from_slice(&[0xc0, 0x0c, t0, t1, c0, c1, l0, l1, l2, l3, n0, n1]);
    data.copy_from_slice(&rdata);
    Some(pos + LEN)
}

/// Bytes of a prepared answer's A records (four of them at most) and AAAA records (four).
const A_ROOM: usize = 4 * A_RECORD_LEN;
const AAAA_ROOM: usize = 4 * AAAA_RECORD_LEN;
/// Bytes every prepared response copies, whatever its records' length: as many as the
/// AAAA records take at most (from the A records, the copy runs on into the AAAA ones).
const COPY: usize = AAAA_ROOM;
// A domain list entry's addresses always fit (`DomainEntry::prepared`).
const _: () =
    assert!(crate::MAX_V4 * A_RECORD_LEN <= A_ROOM && crate::MAX_V6 * AAAA_RECORD_LEN <= AAAA_ROOM);

/// What a prepared set of records is: its length, how many, and its checksum sum as if it
/// started at an even offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RecordSet {
    len: u16,
    count: u16,
    sum: u64,
}

/// No records.
const NO_RECORDS: RecordSet = RecordSet { len: 0, count: 0, sum: 0 };

/// An [`Answer`] turned ahead of time into what every response to it carries: its RCODE
/// and, for A and AAAA queries, its answer records, written and checksummed. A table of
/// names can hold one per name; [`build_prepared_response`] then copies the records into
/// each response instead of writing them, and decides with arithmetic rather than
/// branches, so that a mix of query types, address counts and answers does not cost the
/// CPU mispredicted branches.
///
/// ```
/// use dns_wire::{Answer, PreparedAnswer};
/// use std::net::Ipv4Addr;
/// let v4 = [Ipv4Addr::new(192, 0, 2, 1)];
/// let prepared = PreparedAnswer::new(&Answer::Addresses { ttl: 60, v4: &v4, v6: &[] });
/// assert_eq!(prepared.map(|p| p.rcode()), Some(0));
/// assert_eq!(PreparedAnswer::NXDOMAIN.rcode(), 3);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PreparedAnswer {
    /// The A records from 0, the AAAA records from [`A_ROOM`].
    bytes: [u8; A_ROOM + AAAA_ROOM],
    /// The A records, then the AAAA records.
    sets: [RecordSet; 2],
    rcode: u8,
}

impl core::fmt::Debug for PreparedAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PreparedAnswer")
            .field("rcode", &self.rcode)
            .field("a", &self.sets[0])
            .field("aaaa", &self.sets[1])
            .finish()
    }
}

impl PreparedAnswer {
    /// [`Answer::NxDomain`], prepared.
    pub const NXDOMAIN: PreparedAnswer = PreparedAnswer::bare(rcode::NXDOMAIN);
    /// [`Answer::Refused`], prepared.
    pub const REFUSED: PreparedAnswer = PreparedAnswer::bare(rcode::REFUSED);
    /// [`Answer::ServFail`], prepared.
    pub const SERVFAIL: PreparedAnswer = PreparedAnswer::bare(rcode::SERVFAIL);

    const fn bare(rcode: u8) -> PreparedAnswer {
        PreparedAnswer { bytes: [0; A_ROOM + AAAA_ROOM], sets: [NO_RECORDS; 2], rcode }
    }

    /// `answer`, prepared; `None` when it has more than four addresses of a family (build
    /// its responses with [`build_response`]).
    pub fn new(answer: &Answer<'_>) -> Option<PreparedAnswer> {
        let mut prepared = PreparedAnswer::bare(answer.rcode());
        if let Answer::Addresses { ttl, v4, v6 } = *answer {
            let (a, aaaa) = prepared.bytes.split_at_mut(A_ROOM);
            let set = |buf: &mut [u8], v4, v6| {
                let (len, sum) = address_records(buf, 0, ttl, v4, v6)?;
                let count = u16::try_from(v4.len() + v6.len()).ok()?;
                Some(RecordSet { len: u16::try_from(len).ok()?, count, sum })
            };
            prepared.sets = [set(a, v4, &[])?, set(aaaa, &[], v6)?];
        }
        Some(prepared)
    }

    /// The RCODE of the responses.
    pub fn rcode(&self) -> u8 {
        self.rcode
    }
}

/// [`build_response`] for a [`PreparedAnswer`]: the same response, byte for byte, as for
/// the answer it was prepared from, with its records copied rather than written. The copy
/// is of a fixed size when `buf` has room for it, so bytes of `buf` past the response
/// (up to 112 of them) may be overwritten.
///
/// # Errors
/// As [`build_response`].
///
/// ```
/// use dns_wire::*;
/// use std::net::Ipv4Addr;
/// let list = DomainList::default_list();
/// let mut gen = Generator::new(1, &list, Mix { hit: 1, ..Mix::NONE })?;
/// let mut buf = [0u8; 2048];
/// let (len, _) = gen.next_frame(&mut buf)?;
/// let Parsed::Query(q) = parse(&buf[..len]) else { panic!("not a query") };
/// let v4 = [Ipv4Addr::new(192, 0, 2, 7)];
/// let answer = Answer::Addresses { ttl: 60, v4: &v4, v6: &[] };
/// let prepared = PreparedAnswer::new(&answer).expect("one address fits");
/// let mut copy = buf;
/// let r = build_prepared_response(&mut buf, &q, &prepared, &BuildOptions::default())?;
/// assert_eq!(build_response(&mut copy, &q, &answer, &BuildOptions::default())?, r);
/// assert_eq!(buf[..r.len], copy[..r.len]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[inline]
pub fn build_prepared_response(
    buf: &mut [u8],
    query: &Query,
    answer: &PreparedAnswer,
    options: &BuildOptions,
) -> Result<Response, BuildError> {
    let layout = checked_layout(query, buf.len())?;
    let (rcode, records_ok) = rules(query, answer.rcode);
    let typed = query.qtype == rtype::A || query.qtype == rtype::AAAA;
    // Selected, not branched on: the set of the query's type, or none.
    let aaaa = usize::from(query.qtype == rtype::AAAA);
    let set = answer.sets.get(aaaa).unwrap_or(&NO_RECORDS);
    let set = if records_ok & typed { set } else { &NO_RECORDS };
    // The bytes to copy: the set's records and whatever follows them.
    let bytes = answer.bytes.get(A_ROOM * aaaa..).and_then(|b| b.first_chunk::<COPY>());
    let bytes = bytes.ok_or(BuildError::Mismatch)?;
    let (len, truncated) = response_len(query, options, layout, usize::from(set.len));
    let set = if truncated { &NO_RECORDS } else { set };
    if len > buf.len() {
        return Err(BuildError::NoRoom { needed: len, room: buf.len() });
    }
    let answers = set.count;
    let plan = Plan { len, rcode, records: Records::Prepared(bytes, set), answers, truncated };
    write(buf, query, &plan, options).ok_or(BuildError::Mismatch)?;
    Ok(Response { len, rcode, answers, truncated })
}
