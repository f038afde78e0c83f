//! Classifying a received frame: Ethernet (one optional 802.1Q tag), IPv4 or IPv6, UDP to
//! port 53, and a DNS query (RFC 1035 section 4.1) with one question and optionally an
//! EDNS(0) OPT record (RFC 6891).

use crate::name::{read_name, read_question, DomainKey, KeyStatus, KEY_LEN};

/// The DNS port (RFC 1035 section 4.2.1).
pub const DNS_PORT: u16 = 53;
/// Ethertypes this parser understands.
const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
pub(crate) const PROTO_UDP: u8 = 17;
/// Resource record type of the EDNS(0) pseudo-record (RFC 6891 section 6.1.1).
pub(crate) const TYPE_OPT: u16 = 41;
/// Additional records accepted in a query: an OPT and perhaps a TSIG or two, no more.
pub const MAX_ADDITIONAL: u16 = 4;

/// What a frame is, as far as the DNS dataplane cares.
///
/// ```
/// use dns_wire::{parse, Parsed, NotDns};
/// assert!(matches!(parse(&[0u8; 60]), Parsed::NotDns(NotDns::EtherType)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A DNS query this dataplane can answer.
    Query(Query),
    /// Some other traffic (another protocol or port, a fragment, a DNS response): not ours
    /// to answer; ignore or forward it.
    NotDns(NotDns),
    /// A frame that claims to be a DNS query to port 53 (or an IP packet) but breaks the
    /// rules: count it and drop it.
    Malformed(Malformed),
}

/// Why a frame is not a DNS query for us (see [`Parsed::NotDns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NotDns {
    /// Neither IPv4 nor IPv6 (after at most one VLAN tag).
    #[error("ethertype is neither IPv4 nor IPv6")]
    EtherType,
    /// Not UDP (for IPv6: any extension header lands here too).
    #[error("not UDP")]
    Protocol,
    /// An IPv4 fragment: not reassembled here.
    #[error("IPv4 fragment")]
    Fragment,
    /// UDP to a port other than 53.
    #[error("UDP destination port is not 53")]
    Port,
    /// A DNS message with the QR bit set: a response, not a query.
    #[error("DNS response, not a query")]
    Response,
}

/// Why a frame is malformed (see [`Parsed::Malformed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// Shorter than an Ethernet header (and VLAN tag).
    #[error("truncated Ethernet header")]
    TruncatedEthernet,
    /// The IP header or the packet its length field announces runs past the frame.
    #[error("truncated IP packet")]
    TruncatedIp,
    /// The IP version field does not match the ethertype.
    #[error("IP version does not match the ethertype")]
    IpVersion,
    /// IPv4 header length below 20 bytes or past the total length.
    #[error("bad IPv4 header length")]
    IpHeaderLength,
    /// The UDP header runs past the IP packet.
    #[error("truncated UDP header")]
    TruncatedUdp,
    /// UDP length below 8 or past the IP packet.
    #[error("bad UDP length")]
    UdpLength,
    /// The DNS message is shorter than its 12-byte header.
    #[error("truncated DNS header")]
    TruncatedDns,
    /// An opcode other than QUERY (0).
    #[error("DNS opcode is not QUERY")]
    Opcode,
    /// QDCOUNT is not 1.
    #[error("question count is not 1")]
    QuestionCount,
    /// Answer or authority records in a query, or too many additional records.
    #[error("unexpected record counts for a query")]
    RecordCount,
    /// A name runs off the end of the message (no final zero label).
    #[error("name runs past the end of the message")]
    NamePastEnd,
    /// A label's length runs past the end of the message.
    #[error("label runs past the end of the message")]
    LabelPastEnd,
    /// A label type other than a plain label or a pointer (length byte 0x40..=0xbf).
    #[error("bad label type")]
    BadLabelType,
    /// A name longer than 255 bytes on the wire.
    #[error("name longer than 255 bytes")]
    NameTooLong,
    /// A compression pointer past the end of the message, or cut in half.
    #[error("compression pointer past the end")]
    PointerPastEnd,
    /// A compression pointer that does not point strictly backwards: a loop or a forward
    /// reference.
    #[error("compression pointer loop or forward pointer")]
    PointerLoop,
    /// A compression pointer into the 12-byte header.
    #[error("compression pointer into the header")]
    PointerIntoHeader,
    /// QTYPE/QCLASS cut off.
    #[error("truncated question")]
    TruncatedQuestion,
    /// An additional record cut off.
    #[error("truncated additional record")]
    TruncatedRecord,
    /// An OPT record whose owner is not the root, or a second OPT record.
    #[error("bad or repeated OPT record")]
    BadOpt,
}

/// IP version of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpVersion {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// The EDNS(0) OPT record of a query (RFC 6891 section 6.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edns {
    /// The requestor's UDP payload size.
    pub udp_payload_size: u16,
    /// EDNS version (only 0 is defined; others get BADVERS).
    pub version: u8,
    /// The DO bit (DNSSEC OK), copied into the response (RFC 3225 section 3).
    pub dnssec_ok: bool,
}

/// A DNS query this dataplane can answer: where its pieces are in the frame, what it asks,
/// and the key to look its name up with.
///
/// Offsets are from the frame's first byte. [`crate::build_response`] uses them to turn the
/// same buffer into the answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Query {
    /// IPv4 or IPv6.
    pub ip: IpVersion,
    /// Start of the IP header (14, or 18 after a VLAN tag).
    pub l3_offset: u16,
    /// Start of the UDP header.
    pub l4_offset: u16,
    /// Start of the DNS header.
    pub dns_offset: u16,
    /// First byte after the question (QTYPE and QCLASS included).
    pub question_end: u16,
    /// The message ID.
    pub id: u16,
    /// The header's flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).
    pub flags: u16,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
    /// The OPT record, if the query has one.
    pub edns: Option<Edns>,
    /// Whether [`Query::key`] holds the name (else the name is a certain miss).
    pub key_status: KeyStatus,
    /// The question's name, normalised for the lookup table (valid when `key_status` is
    /// [`KeyStatus::Exact`], all zeros otherwise).
    pub key: DomainKey,
    /// `key.digest()`, computed while the key was built: a table hashed with
    /// [`DomainKey::hash`] can be searched with [`finish_hash`](crate::finish_hash) of it,
    /// without reading the key again.
    pub key_digest: u64,
}

impl core::fmt::Debug for Query {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Query")
            .field("ip", &self.ip)
            .field("id", &self.id)
            .field("qtype", &self.qtype)
            .field("qclass", &self.qclass)
            .field("key", &self.key)
            .field("key_status", &self.key_status)
            .field("edns", &self.edns)
            .field("offsets", &(self.l3_offset, self.l4_offset, self.dns_offset, self.question_end))
            .finish()
    }
}

impl Query {
    /// The key to look up, or `None` when the name is a certain miss (too long for the table
    /// or not expressible as a key).
    ///
    /// ```
    /// # use dns_wire::*;
    /// # let list = DomainList::default_list();
    /// # let mut g = Generator::new(1, &list, Mix { hit: 1, ..Mix::NONE })?;
    /// # let mut frame = [0u8; 2048];
    /// # let (len, _) = g.next_frame(&mut frame)?;
    /// let Parsed::Query(q) = parse(&frame[..len]) else { panic!() };
    /// assert!(list.get(q.lookup_key().unwrap()).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn lookup_key(&self) -> Option<&DomainKey> {
        self.key_status.is_lookup().then_some(&self.key)
    }

    /// The RD (recursion desired) bit.
    ///
    /// ```
    /// # use dns_wire::*;
    /// # let list = DomainList::default_list();
    /// # let mut g = Generator::new(1, &list, Mix { hit: 1, ..Mix::NONE })?;
    /// # let mut frame = [0u8; 2048];
    /// # let (len, _) = g.next_frame(&mut frame)?;
    /// let Parsed::Query(q) = parse(&frame[..len]) else { panic!() };
    /// assert!(q.recursion_desired());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn recursion_desired(&self) -> bool {
        self.flags & 0x0100 != 0
    }
}

pub(crate) enum Reject {
    NotDns(NotDns),
    Malformed(Malformed),
}

impl From<Malformed> for Reject {
    #[inline]
    fn from(m: Malformed) -> Self {
        Reject::Malformed(m)
    }
}

impl From<NotDns> for Reject {
    #[inline]
    fn from(n: NotDns) -> Self {
        Reject::NotDns(n)
    }
}

/// Classifies a received Ethernet frame: a DNS query (with everything needed to look it up
/// and answer it), other traffic, or a malformed packet. Reads nothing outside `frame`,
/// allocates nothing and never panics.
///
/// Trailing bytes after the IP packet (Ethernet padding) and after the DNS records are
/// ignored. The IPv4 header checksum and the UDP checksum are not verified: NICs check them
/// (or strip them on offload), and captures taken on the sender often hold placeholders.
///
/// ```
/// use dns_wire::{parse, DomainList, Generator, Mix, Parsed};
/// let list = DomainList::default_list();
/// let mut gen = Generator::new(7, &list, Mix { hit: 1, ..Mix::NONE })?;
/// let mut frame = [0u8; 2048];
/// let (len, _expected) = gen.next_frame(&mut frame)?;
/// match parse(&frame[..len]) {
///     Parsed::Query(q) => assert!(list.get(&q.key).is_some()),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[inline]
pub fn parse(frame: &[u8]) -> Parsed {
    match parse_frame(frame) {
        Ok(q) => Parsed::Query(q),
        Err(Reject::NotDns(n)) => Parsed::NotDns(n),
        Err(Reject::Malformed(m)) => Parsed::Malformed(m),
    }
}

#[inline]
fn parse_frame(frame: &[u8]) -> Result<Query, Reject> {
    // Fixed-size views: one length check each, then the fields are read without any.
    let Some(&[.., t0, t1, _, _, v0, v1]) = frame.first_chunk::<18>() else {
        return parse_short(frame);
    };
    // The usual layouts, each with the same checks at constant offsets: in a frame that
    // holds the headers up to the DNS header's end, the compiler drops the bounds checks
    // the frame's length already answers.
    match (u16::from_be_bytes([t0, t1]), u16::from_be_bytes([v0, v1])) {
        (ETH_IPV4, _) if frame.len() >= 14 + 20 + 8 + 12 => from_l3(frame, 14, ETH_IPV4),
        (ETH_IPV6, _) if frame.len() >= 14 + 40 + 8 + 12 => from_l3(frame, 14, ETH_IPV6),
        (ETH_VLAN, ETH_IPV4) if frame.len() >= 18 + 20 + 8 + 12 => from_l3(frame, 18, ETH_IPV4),
        (ETH_VLAN, ETH_IPV6) if frame.len() >= 18 + 40 + 8 + 12 => from_l3(frame, 18, ETH_IPV6),
        (ETH_VLAN, ethertype) => from_l3(frame, 18, ethertype),
        (ethertype, _) => from_l3(frame, 14, ethertype),
    }
}

/// [`parse_frame`] of a frame too short for an Ethernet header with a VLAN tag.
#[cold]
fn parse_short(frame: &[u8]) -> Result<Query, Reject> {
    let Some(&[.., t0, t1]) = frame.first_chunk::<14>() else {
        return Err(Malformed::TruncatedEthernet.into());
    };
    match u16::from_be_bytes([t0, t1]) {
        ETH_VLAN => Err(Malformed::TruncatedEthernet.into()),
        ethertype => from_l3(frame, 14, ethertype),
    }
}

/// The rest of [`parse_frame`], from the IP header at `l3` of the given ethertype.
#[inline(always)]
fn from_l3(frame: &[u8], l3: usize, ethertype: u16) -> Result<Query, Reject> {
    let usual = match ethertype {
        ETH_IPV4 => usual_headers::<{ 20 + 8 + 12 }>(frame, l3).map(|u| (IpVersion::V4, u)),
        ETH_IPV6 => usual_headers::<{ 40 + 8 + 12 }>(frame, l3).map(|u| (IpVersion::V6, u)),
        _ => None,
    };
    if let Some((ip, (l4, end, header))) = usual {
        let msg = frame.get(l4 + 8..end).ok_or(Malformed::UdpLength)?;
        // l3 <= 18, l4 <= 58 and dns <= 66: the offsets fit in u16.
        return question(msg, ip, [l3 as u16, l4 as u16, (l4 + 8) as u16], header);
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
    // UDP (RFC 768). The IP checks put `l4_end` inside the frame.
    let Some(udp) = frame.get(l4..l4_end).and_then(|s| s.first_chunk::<8>()) else {
        return Err(Malformed::TruncatedUdp.into());
    };
    if u16::from_be_bytes([udp[2], udp[3]]) != DNS_PORT {
        return Err(NotDns::Port.into());
    }
    let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
    if udp_len < 8 || l4 + udp_len > l4_end {
        return Err(Malformed::UdpLength.into());
    }
    let dns = l4 + 8;
    let msg = frame.get(dns..l4 + udp_len).ok_or(Malformed::UdpLength)?;
    // l3 <= 18, l4 <= 78 and dns <= 86: the offsets fit in u16.
    query(msg, ip, [l3 as u16, l4 as u16, dns as u16])
}

/// Checks an IPv4 header (RFC 791) at `l3`; returns where UDP starts and where the packet
/// ends.
#[inline(always)]
fn ipv4(frame: &[u8], l3: usize) -> Result<(usize, usize), Reject> {
    let Some(hdr) = frame.get(l3..).and_then(|s| s.first_chunk::<20>()) else {
        return Err(Malformed::TruncatedIp.into());
    };
    if hdr[0] >> 4 != 4 {
        return Err(Malformed::IpVersion.into());
    }
    let ihl = usize::from(hdr[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    if ihl < 20 || ihl > total {
        return Err(Malformed::IpHeaderLength.into());
    }
    if l3 + total > frame.len() {
        return Err(Malformed::TruncatedIp.into());
    }
    // More-fragments flag or a fragment offset.
    if u16::from_be_bytes([hdr[6], hdr[7]]) & 0x3fff != 0 {
        return Err(NotDns::Fragment.into());
    }
    if hdr[9] != PROTO_UDP {
        return Err(NotDns::Protocol.into());
    }
    Ok((l3 + ihl, l3 + total))
}

/// Checks an IPv6 header (RFC 8200) at `l3`; returns where UDP starts and where the packet
/// ends. Extension headers are not walked: such packets are [`NotDns::Protocol`].
#[inline(always)]
fn ipv6(frame: &[u8], l3: usize) -> Result<(usize, usize), Reject> {
    let Some(hdr) = frame.get(l3..).and_then(|s| s.first_chunk::<40>()) else {
        return Err(Malformed::TruncatedIp.into());
    };
    if hdr[0] >> 4 != 6 {
        return Err(Malformed::IpVersion.into());
    }
    let payload = usize::from(u16::from_be_bytes([hdr[4], hdr[5]]));
    let l4 = l3 + 40;
    if l4 + payload > frame.len() {
        return Err(Malformed::TruncatedIp.into());
    }
    if hdr[6] != PROTO_UDP {
        return Err(NotDns::Protocol.into());
    }
    Ok((l4, l4 + payload))
}

/// Checks a DNS message (offsets relative to `msg`) that starts at `offsets[2]` of its
/// frame (`offsets`: IP, UDP, DNS).
#[inline(always)]
fn query(msg: &[u8], ip: IpVersion, offsets: [u16; 3]) -> Result<Query, Reject> {
    let Some(h) = msg.first_chunk::<12>() else {
        return Err(Malformed::TruncatedDns.into());
    };
    let [i0, i1, f0, f1, q0, q1, a0, a1, n0, n1, r0, r1] = *h;
    let be = u16::from_be_bytes;
    let (id, flags, qd) = (be([i0, i1]), be([f0, f1]), be([q0, q1]));
    let (an, ns, ar) = (be([a0, a1]), be([n0, n1]), be([r0, r1]));
    check_header(flags, [qd, an, ns, ar])?;
    question(msg, ip, offsets, [id, flags, ar])
}

/// What a query's header must say, given its flags and its four counts: a query (not a
/// response) of the standard opcode, with one question, no answer or authority records
/// and at most [`MAX_ADDITIONAL`] additional ones.
#[inline(always)]
pub(crate) fn check_header(flags: u16, [qd, an, ns, ar]: [u16; 4]) -> Result<(), Reject> {
    if flags & 0x8000 != 0 {
        return Err(NotDns::Response.into());
    }
    if (flags >> 11) & 0x0f != 0 {
        return Err(Malformed::Opcode.into());
    }
    if qd != 1 {
        return Err(Malformed::QuestionCount.into());
    }
    if an != 0 || ns != 0 || ar > MAX_ADDITIONAL {
        return Err(Malformed::RecordCount.into());
    }
    Ok(())
}

/// The question and additional records of a DNS message whose header checked out
/// (`header`: its ID, flags and additional count), and the query they make.
#[inline(always)]
fn question(
    msg: &[u8],
    ip: IpVersion,
    offsets: [u16; 3],
    header: [u16; 3],
) -> Result<Query, Reject> {
    let [id, flags, ar] = header;
    let (name_end, key, key_status, key_digest) = read_question(msg)?;
    let Some(&[q0, q1, c0, c1]) = msg.get(name_end..).and_then(|s| s.first_chunk::<4>()) else {
        return Err(Malformed::TruncatedQuestion.into());
    };
    let (qtype, qclass) = (u16::from_be_bytes([q0, q1]), u16::from_be_bytes([c0, c1]));
    let question_end = name_end + 4;
    let edns = if ar == 0 { None } else { additional(msg, question_end, ar)? };
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
        key_digest,
    })
}

/// The usual query's headers, checked in a few compares and one branch: IPv4 without
/// options or IPv6, at `l3`, as `N` says (the IP header, 20 or 40 bytes, and the UDP and
/// DNS headers: 40 or 60 bytes, all a query without its question needs); UDP to port 53 whose datagram holds the DNS
/// header and fits the IP packet, which fits the frame; a query (QR 0, opcode 0) with
/// one question, no answer or authority records and at most four additional ones.
///
/// `Some((l4, end of the UDP datagram, [ID, flags, additional count]))` when all that
/// holds, in which case the step-by-step checks of [`from_l3`] pass too and find the
/// same; `None` sends the frame to them (they say what is wrong, if anything is).
#[inline(always)]
fn usual_headers<const N: usize>(frame: &[u8], l3: usize) -> Option<(usize, usize, [u16; 3])> {
    // IP header, UDP header, DNS header: no more than an IPv4 query holds before its
    // question, so that the shortest queries take this path too.
    let iph = N - 8 - 12;
    let v6 = iph == 40;
    let h: &[u8; N] = frame.get(l3..)?.first_chunk()?;
    // Constant offsets inside the view: no checks left once `N` is known.
    let byte = |at: usize| h.get(at).copied().unwrap_or(0);
    let be =
        |at: usize| h.get(at..).and_then(|b| b.first_chunk()).map_or(0, |b| u16::from_be_bytes(*b));
    let (ip_ok, ip_room) = if v6 {
        // Version 6, next header UDP, the payload inside the frame.
        let payload = usize::from(be(4));
        (byte(0) >> 4 == 6 && byte(6) == PROTO_UDP && l3 + 40 + payload <= frame.len(), payload)
    } else {
        // Version 4 with a 20-byte header, not a fragment, UDP, the packet in the frame.
        let total = usize::from(be(2));
        let ok = byte(0) == 0x45 && be(6) & 0x3fff == 0 && byte(9) == PROTO_UDP;
        (ok && l3 + total <= frame.len(), total.saturating_sub(20))
    };
    let udp_len = usize::from(be(iph + 4));
    let flags = be(iph + 10);
    let usual = ip_ok
        & (be(iph + 2) == DNS_PORT)
        & (udp_len >= 8 + 12)
        & (udp_len <= ip_room)
        & (flags & 0xf800 == 0)
        & (be(iph + 12) == 1)
        & (be(iph + 14) == 0)
        & (be(iph + 16) == 0)
        & (be(iph + 18) <= MAX_ADDITIONAL);
    let l4 = l3 + iph;
    usual.then_some((l4, l4 + udp_len, [be(iph + 8), flags, be(iph + 18)]))
}

/// Checks the `count` additional records from `pos` and returns the OPT record's EDNS
/// details, if there is one.
#[inline(always)]
pub(crate) fn additional(msg: &[u8], mut pos: usize, count: u16) -> Result<Option<Edns>, Reject> {
    let mut edns = None;
    for _ in 0..count {
        // The usual owner is the root (an OPT record): no name walk for it.
        let (fixed, root) = if msg.get(pos) == Some(&0) {
            (pos + 1, true)
        } else {
            let mut scratch = [0u8; KEY_LEN];
            let mut too_long = false;
            let owner = read_name(msg, pos, &mut scratch, &mut too_long)?;
            (owner.end, owner.labels == 0)
        };
        let Some(r) = msg.get(fixed..).and_then(|s| s.first_chunk::<10>()) else {
            return Err(Malformed::TruncatedRecord.into());
        };
        let rtype = u16::from_be_bytes([r[0], r[1]]);
        let class = u16::from_be_bytes([r[2], r[3]]);
        let ttl = u32::from_be_bytes([r[4], r[5], r[6], r[7]]);
        let next = fixed + 10 + usize::from(u16::from_be_bytes([r[8], r[9]]));
        if next > msg.len() {
            return Err(Malformed::TruncatedRecord.into());
        }
        if rtype == TYPE_OPT {
            // RFC 6891 section 6.1.1: the owner is the root, and there is one OPT at most.
            if !root || edns.is_some() {
                return Err(Malformed::BadOpt.into());
            }
            edns = Some(Edns {
                udp_payload_size: class,
                version: (ttl >> 16) as u8,
                dnssec_ok: ttl & 0x8000 != 0,
            });
        }
        pos = next;
    }
    Ok(edns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 query for `example.com` A without EDNS: 71 bytes, as short as queries come.
    fn short_ipv4_query() -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        // IPv4: 20-byte header, total 57, no fragment, TTL 64, UDP.
        f.extend_from_slice(&[0x45, 0, 0, 57, 0, 0, 0, 0, 64, PROTO_UDP, 0, 0]);
        f.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 53]);
        // UDP from 1234 to 53, length 37.
        f.extend_from_slice(&[0x04, 0xd2, 0, 53, 0, 37, 0, 0]);
        // DNS: ID 7, RD, one question.
        f.extend_from_slice(&[0, 7, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        f.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        f
    }

    #[test]
    fn the_shortest_ipv4_queries_take_the_usual_path() {
        let frame = short_ipv4_query();
        assert_eq!(frame.len(), 71);
        let (l4, end, [id, flags, ar]) =
            usual_headers::<{ 20 + 8 + 12 }>(&frame, 14).expect("the usual headers");
        assert_eq!((l4, end, id, flags, ar), (34, 71, 7, 0x0100, 0));
        let Parsed::Query(q) = parse(&frame) else { panic!("a query") };
        assert_eq!(q.key.to_string(), "example.com");
    }
}
