//! A deterministic generator of DNS query frames: hits, misses, blocked, counted and
//! malformed queries in chosen proportions, over IPv4 and IPv6, counted as they are made so
//! the dataplane's counters can be checked against it.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::answer::{rtype, CLASS_IN};
use crate::bytes::{put, put16};
use crate::checksum;
use crate::domains::{Action, DomainList};
use crate::name::{DomainKey, MAX_LABEL_LEN};
use crate::packet::{IpVersion, Malformed, DNS_PORT};
use crate::rng::SplitMix64;

/// The longest frame the generator writes: a buffer of this size always suffices.
pub const MAX_FRAME_LEN: usize = 512;

/// The client's MAC address in generated frames (locally administered).
pub const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
/// The server's MAC address in generated frames (locally administered).
pub const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x35];
/// The server's IPv4 address (198.18.0.0/15 is set aside for benchmarks, RFC 2544).
pub const SERVER_V4: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 53);
/// The server's IPv6 address (documentation prefix, RFC 3849).
pub const SERVER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53);

/// Proportions of generated traffic. The five categories are weights (any scale); the
/// other fields are percentages applied to every frame.
///
/// ```
/// let mix = dns_wire::Mix { hit: 1, ..dns_wire::Mix::NONE };
/// assert_eq!(mix.ipv6_percent, 0);
/// assert_eq!(dns_wire::Mix::default().hit, 70);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    /// Queries for `answer` entries.
    pub hit: u32,
    /// Queries for `count` entries.
    pub counted: u32,
    /// Queries for `block` entries.
    pub blocked: u32,
    /// Queries for names not in the list (a tenth of them longer than a key can hold).
    pub miss: u32,
    /// Malformed frames (kinds picked uniformly from [`MalformedKind::ALL`]).
    pub malformed: u32,
    /// Percent of frames over IPv6.
    pub ipv6_percent: u32,
    /// Percent of queries with an EDNS(0) OPT record.
    pub edns_percent: u32,
    /// Percent of frames with an 802.1Q VLAN tag.
    pub vlan_percent: u32,
}

impl Mix {
    /// Nothing at all: a base for `Mix { hit: 1, ..Mix::NONE }`.
    pub const NONE: Mix = Mix {
        hit: 0,
        counted: 0,
        blocked: 0,
        miss: 0,
        malformed: 0,
        ipv6_percent: 0,
        edns_percent: 0,
        vlan_percent: 0,
    };
}

impl Default for Mix {
    /// 70% hits, 5% counted, 10% blocked, 10% misses, 5% malformed; 20% IPv6, 30% EDNS,
    /// 10% VLAN-tagged.
    fn default() -> Self {
        Mix {
            hit: 70,
            counted: 5,
            blocked: 10,
            miss: 10,
            malformed: 5,
            ipv6_percent: 20,
            edns_percent: 30,
            vlan_percent: 10,
        }
    }
}

/// The kinds of malformed frame the generator makes. Each is classified
/// [`crate::Parsed::Malformed`] with the reason [`MalformedKind::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MalformedKind {
    /// A frame cut inside the Ethernet header.
    TruncatedEthernet,
    /// A frame cut inside the IP header.
    TruncatedIpHeader,
    /// An IPv4 header length field below 5 (20 bytes).
    BadIpHeaderLength,
    /// An IP length field past the end of the frame.
    IpLengthPastEnd,
    /// A UDP length field past the end of the IP packet.
    BadUdpLength,
    /// A DNS message shorter than its header.
    TruncatedDnsHeader,
    /// A label whose length runs past the end of the message.
    LabelPastEnd,
    /// A compression pointer that loops back to itself.
    CompressionLoop,
    /// A compression pointer that points forward.
    ForwardPointer,
    /// A label length byte of 64..=191 (reserved label types).
    BadLabelType,
    /// A name longer than 255 bytes.
    NameTooLong,
    /// QDCOUNT of 0 or 2.
    WrongQuestionCount,
    /// A query with an answer record count.
    RecordsInQuery,
    /// A question cut before QTYPE/QCLASS.
    TruncatedQuestion,
}

impl MalformedKind {
    /// Every kind, in order.
    pub const ALL: [MalformedKind; 14] = [
        MalformedKind::TruncatedEthernet,
        MalformedKind::TruncatedIpHeader,
        MalformedKind::BadIpHeaderLength,
        MalformedKind::IpLengthPastEnd,
        MalformedKind::BadUdpLength,
        MalformedKind::TruncatedDnsHeader,
        MalformedKind::LabelPastEnd,
        MalformedKind::CompressionLoop,
        MalformedKind::ForwardPointer,
        MalformedKind::BadLabelType,
        MalformedKind::NameTooLong,
        MalformedKind::WrongQuestionCount,
        MalformedKind::RecordsInQuery,
        MalformedKind::TruncatedQuestion,
    ];

    /// The reason [`crate::parse`] gives for such a frame.
    ///
    /// ```
    /// use dns_wire::{Malformed, MalformedKind};
    /// assert_eq!(MalformedKind::CompressionLoop.reason(), Malformed::PointerLoop);
    /// ```
    pub fn reason(self) -> Malformed {
        match self {
            MalformedKind::TruncatedEthernet => Malformed::TruncatedEthernet,
            MalformedKind::TruncatedIpHeader => Malformed::TruncatedIp,
            MalformedKind::BadIpHeaderLength => Malformed::IpHeaderLength,
            MalformedKind::IpLengthPastEnd => Malformed::TruncatedIp,
            MalformedKind::BadUdpLength => Malformed::UdpLength,
            MalformedKind::TruncatedDnsHeader => Malformed::TruncatedDns,
            MalformedKind::LabelPastEnd => Malformed::LabelPastEnd,
            MalformedKind::CompressionLoop => Malformed::PointerLoop,
            MalformedKind::ForwardPointer => Malformed::PointerLoop,
            MalformedKind::BadLabelType => Malformed::BadLabelType,
            MalformedKind::NameTooLong => Malformed::NameTooLong,
            MalformedKind::WrongQuestionCount => Malformed::QuestionCount,
            MalformedKind::RecordsInQuery => Malformed::RecordCount,
            MalformedKind::TruncatedQuestion => Malformed::TruncatedQuestion,
        }
    }

    /// The kind's position in [`MalformedKind::ALL`].
    ///
    /// ```
    /// use dns_wire::MalformedKind;
    /// assert_eq!(MalformedKind::ALL[MalformedKind::NameTooLong.index()], MalformedKind::NameTooLong);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a generated frame is, and so what the dataplane should do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// A name listed with `answer`.
    Hit,
    /// A name listed with `count`.
    Counted,
    /// A name listed with `block`.
    Blocked,
    /// A name not in the list.
    Miss,
    /// A malformed frame.
    Malformed,
}

/// The truth about one generated frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// What it is.
    pub category: Category,
    /// For hits, counted and blocked queries: the entry's index in
    /// [`DomainList::entries`].
    pub entry: Option<usize>,
    /// For malformed frames: how it is broken.
    pub malformed: Option<MalformedKind>,
    /// IPv4 or IPv6.
    pub ip: IpVersion,
    /// The query's ID.
    pub id: u16,
    /// The query's QTYPE.
    pub qtype: u16,
    /// Whether the query carries an OPT record.
    pub edns: bool,
}

/// How many frames of each kind a [`Generator`] has made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GeneratedCounts {
    /// Frames in all.
    pub frames: u64,
    /// [`Category::Hit`] frames.
    pub hits: u64,
    /// [`Category::Counted`] frames.
    pub counted: u64,
    /// [`Category::Blocked`] frames.
    pub blocked: u64,
    /// [`Category::Miss`] frames.
    pub misses: u64,
    /// [`Category::Malformed`] frames.
    pub malformed: u64,
    /// Malformed frames by kind, indexed by [`MalformedKind::index`].
    pub malformed_by_kind: [u64; MalformedKind::ALL.len()],
    /// Frames over IPv4.
    pub ipv4: u64,
    /// Frames over IPv6.
    pub ipv6: u64,
    /// Well-formed queries of QTYPE A.
    pub qtype_a: u64,
    /// Well-formed queries of QTYPE AAAA.
    pub qtype_aaaa: u64,
    /// Well-formed queries of another QTYPE (answered NODATA when the name is a hit).
    pub qtype_other: u64,
}

impl GeneratedCounts {
    /// Counts one more frame.
    ///
    /// ```
    /// use dns_wire::*;
    /// let mut c = GeneratedCounts::default();
    /// c.add(&Expected { category: Category::Miss, entry: None, malformed: None,
    ///     ip: IpVersion::V4, id: 1, qtype: rtype::A, edns: false });
    /// assert_eq!((c.frames, c.misses, c.ipv4, c.qtype_a), (1, 1, 1, 1));
    /// ```
    pub fn add(&mut self, e: &Expected) {
        self.frames += 1;
        match e.category {
            Category::Hit => self.hits += 1,
            Category::Counted => self.counted += 1,
            Category::Blocked => self.blocked += 1,
            Category::Miss => self.misses += 1,
            Category::Malformed => self.malformed += 1,
        }
        if let Some(slot) = e.malformed.and_then(|k| self.malformed_by_kind.get_mut(k.index())) {
            *slot += 1;
        }
        match e.ip {
            IpVersion::V4 => self.ipv4 += 1,
            IpVersion::V6 => self.ipv6 += 1,
        }
        if e.category != Category::Malformed {
            match e.qtype {
                rtype::A => self.qtype_a += 1,
                rtype::AAAA => self.qtype_aaaa += 1,
                _ => self.qtype_other += 1,
            }
        }
    }
}

/// Why a [`Generator`] cannot be made or cannot write a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// All five category weights are zero.
    #[error("the mix has no category with a weight above zero")]
    EmptyMix,
    /// The mix asks for hits, counted or blocked queries but the list has no such entry.
    #[error("the mix asks for {0:?} queries but the domain list has no such entry")]
    NoEntries(Category),
    /// The buffer is shorter than the frame ([`MAX_FRAME_LEN`] always suffices).
    #[error("buffer of {room} bytes is too short for a {needed}-byte frame")]
    NoRoom {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        room: usize,
    },
}

/// A deterministic source of DNS query frames: the same seed, list and mix give the same
/// frames on every machine.
///
/// ```
/// use dns_wire::*;
/// let list = DomainList::default_list();
/// let mut gen = Generator::new(42, &list, Mix::default())?;
/// let mut buf = [0u8; MAX_FRAME_LEN];
/// for _ in 0..1000 {
///     let (len, expected) = gen.next_frame(&mut buf)?;
///     let parsed = parse(&buf[..len]);
///     assert_eq!(expected.category == Category::Malformed, matches!(parsed, Parsed::Malformed(_)));
/// }
/// assert_eq!(gen.counts().frames, 1000);
/// # Ok::<(), GenError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Generator<'a> {
    list: &'a DomainList,
    rng: SplitMix64,
    mix: Mix,
    answers: Vec<usize>,
    counts_idx: Vec<usize>,
    blocks: Vec<usize>,
    counts: GeneratedCounts,
}

/// A DNS message under construction (the generator's own scratch, not the frame).
struct Msg {
    bytes: [u8; MAX_FRAME_LEN],
    len: usize,
}

impl Msg {
    fn new() -> Self {
        Msg { bytes: [0; MAX_FRAME_LEN], len: 0 }
    }

    fn push(&mut self, data: &[u8]) {
        if put(&mut self.bytes, self.len, data).is_some() {
            self.len += data.len();
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl<'a> Generator<'a> {
    /// A generator over `list` with proportions `mix`, started from `seed`.
    ///
    /// # Errors
    /// [`GenError::EmptyMix`] when every weight is zero; [`GenError::NoEntries`] when the
    /// mix asks for a kind of entry the list lacks.
    ///
    /// ```
    /// use dns_wire::*;
    /// let empty = DomainList::parse("")?;
    /// assert!(matches!(Generator::new(1, &empty, Mix::default()), Err(GenError::NoEntries(_))));
    /// assert!(Generator::new(1, &empty, Mix { miss: 1, ..Mix::NONE }).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(seed: u64, list: &'a DomainList, mix: Mix) -> Result<Self, GenError> {
        let of = |action| -> Vec<usize> {
            list.entries()
                .iter()
                .enumerate()
                .filter(|(_, e)| e.action == action)
                .map(|(i, _)| i)
                .collect()
        };
        let g = Generator {
            list,
            rng: SplitMix64::new(seed),
            mix,
            answers: of(Action::Answer),
            counts_idx: of(Action::Count),
            blocks: of(Action::Block),
            counts: GeneratedCounts::default(),
        };
        if mix.hit + mix.counted + mix.blocked + mix.miss + mix.malformed == 0 {
            return Err(GenError::EmptyMix);
        }
        for (weight, entries, category) in [
            (mix.hit, &g.answers, Category::Hit),
            (mix.counted, &g.counts_idx, Category::Counted),
            (mix.blocked, &g.blocks, Category::Blocked),
        ] {
            if weight > 0 && entries.is_empty() {
                return Err(GenError::NoEntries(category));
            }
        }
        Ok(g)
    }

    /// How many frames of each kind have been made so far.
    ///
    /// ```
    /// use dns_wire::*;
    /// let list = DomainList::default_list();
    /// let gen = Generator::new(1, &list, Mix::default())?;
    /// assert_eq!(gen.counts().frames, 0);
    /// # Ok::<(), GenError>(())
    /// ```
    pub fn counts(&self) -> &GeneratedCounts {
        &self.counts
    }

    /// Writes the next frame at the start of `buf` and returns its length and what it is.
    /// Only frames actually written are counted.
    ///
    /// # Errors
    /// [`GenError::NoRoom`] when `buf` is too short (never with [`MAX_FRAME_LEN`] bytes).
    ///
    /// ```
    /// use dns_wire::*;
    /// let list = DomainList::default_list();
    /// let mut gen = Generator::new(1, &list, Mix { miss: 1, ..Mix::NONE })?;
    /// let mut buf = vec![0u8; MAX_FRAME_LEN];
    /// let (len, e) = gen.next_frame(&mut buf)?;
    /// assert_eq!(e.category, Category::Miss);
    /// assert!(matches!(parse(&buf[..len]), Parsed::Query(q) if list.get(&q.key).is_none()));
    /// # Ok::<(), GenError>(())
    /// ```
    pub fn next_frame(&mut self, buf: &mut [u8]) -> Result<(usize, Expected), GenError> {
        let m = self.mix;
        let total = u64::from(m.hit + m.counted + m.blocked + m.miss + m.malformed);
        let mut pick = self.rng.below(total);
        let mut category = Category::Malformed;
        for (w, c) in [
            (m.hit, Category::Hit),
            (m.counted, Category::Counted),
            (m.blocked, Category::Blocked),
            (m.miss, Category::Miss),
        ] {
            if pick < u64::from(w) {
                category = c;
                break;
            }
            pick -= u64::from(w);
        }
        let ip = if self.rng.percent(m.ipv6_percent) { IpVersion::V6 } else { IpVersion::V4 };
        let vlan = self.rng.percent(m.vlan_percent);
        let edns = self.rng.percent(m.edns_percent);
        let id = self.rng.next_u64() as u16;
        let qtype = match self.rng.below(20) {
            0..=8 => rtype::A,
            9..=17 => rtype::AAAA,
            18 => 15, // MX
            _ => 16,  // TXT
        };
        let malformed = (category == Category::Malformed).then(|| {
            let i = self.rng.below(MalformedKind::ALL.len() as u64) as usize;
            MalformedKind::ALL.get(i).copied().unwrap_or(MalformedKind::NameTooLong)
        });
        // IPv6 has no header length field: such frames go over IPv4.
        let ip =
            if malformed == Some(MalformedKind::BadIpHeaderLength) { IpVersion::V4 } else { ip };

        let entry = match category {
            Category::Hit => Some(self.pick(Action::Answer)),
            Category::Counted => Some(self.pick(Action::Count)),
            Category::Blocked => Some(self.pick(Action::Block)),
            _ => None,
        };
        let mut msg = Msg::new();
        self.write_message(&mut msg, entry, malformed, id, qtype, edns);
        let len = self.write_frame(buf, &msg, ip, vlan, malformed)?;
        let expected = Expected { category, entry, malformed, ip, id, qtype, edns };
        self.counts.add(&expected);
        Ok((len, expected))
    }

    fn pick(&mut self, action: Action) -> usize {
        let pool = match action {
            Action::Answer => &self.answers,
            Action::Count => &self.counts_idx,
            Action::Block => &self.blocks,
        };
        let i = self.rng.below(pool.len() as u64) as usize;
        pool.get(i).copied().unwrap_or(0)
    }

    /// Writes a name's labels, flipping the case of letters at random (DNS names are
    /// case-insensitive; resolvers using "0x20" randomisation send such names).
    fn push_name(&mut self, msg: &mut Msg, dotted: &[u8]) {
        for label in dotted.split(|&b| b == b'.').filter(|l| !l.is_empty()) {
            msg.push(&[label.len() as u8]);
            for &b in label {
                let b = if self.rng.below(4) == 0 { b.to_ascii_uppercase() } else { b };
                msg.push(&[b]);
            }
        }
        msg.push(&[0]);
    }

    /// A name that is not in the list: random letters under a few TLDs, or (one in ten) a
    /// name too long for a key.
    fn miss_name(&mut self, out: &mut [u8; 255]) -> usize {
        loop {
            let mut len = 0;
            let label = |rng: &mut SplitMix64, n: usize, out: &mut [u8; 255], len: &mut usize| {
                for _ in 0..n {
                    if let Some(b) = out.get_mut(*len) {
                        *b = b'a' + rng.below(26) as u8;
                    }
                    *len += 1;
                }
            };
            let long = self.rng.below(10) == 0;
            let labels = if long { 3 } else { 2 };
            for i in 0..labels {
                if i > 0 {
                    if let Some(b) = out.get_mut(len) {
                        *b = b'.';
                    }
                    len += 1;
                }
                let n = if long { 30 } else { 3 + self.rng.below(10) as usize };
                label(&mut self.rng, n, out, &mut len);
            }
            let tld: &[u8] = match self.rng.below(3) {
                0 => b".invalid",
                1 => b".test",
                _ => b".example",
            };
            if put(out, len, tld).is_some() {
                len += tld.len();
            }
            let name = out.get(..len).unwrap_or(&[]);
            let known = core::str::from_utf8(name)
                .ok()
                .and_then(|s| DomainKey::from_name(s).ok())
                .is_some_and(|k| self.list.get(&k).is_some());
            if !known {
                return len;
            }
        }
    }

    fn write_message(
        &mut self,
        msg: &mut Msg,
        entry: Option<usize>,
        malformed: Option<MalformedKind>,
        id: u16,
        qtype: u16,
        edns: bool,
    ) {
        let (qd, an) = match malformed {
            Some(MalformedKind::WrongQuestionCount) => {
                (if self.rng.below(2) == 0 { 0 } else { 2 }, 0)
            }
            Some(MalformedKind::RecordsInQuery) => (1, 1),
            _ => (1, 0),
        };
        msg.push(&id.to_be_bytes());
        msg.push(&0x0100u16.to_be_bytes()); // RD
        msg.push(&[0, qd, 0, an, 0, 0, 0, u8::from(edns)]);
        if malformed == Some(MalformedKind::TruncatedDnsHeader) {
            msg.len = 4 + self.rng.below(8) as usize;
            return;
        }
        match malformed {
            Some(MalformedKind::LabelPastEnd) => {
                // A 40-byte label with 5 bytes left in the message.
                msg.push(b"\x28abcde");
                return;
            }
            Some(MalformedKind::CompressionLoop) => {
                // "www" then a pointer back to the name's own start.
                msg.push(b"\x03www\xc0\x0c");
            }
            Some(MalformedKind::ForwardPointer) => {
                // A pointer to the label just after it.
                msg.push(b"\xc0\x0e\x03www\x00");
            }
            Some(MalformedKind::BadLabelType) => {
                msg.push(&[0x40 + self.rng.below(0x80) as u8]);
                msg.push(b"www\x00");
            }
            Some(MalformedKind::NameTooLong) => {
                // Five 60-byte labels: 306 bytes on the wire.
                for _ in 0..5 {
                    msg.push(&[60]);
                    msg.push(&[b'x'; 60]);
                }
                msg.push(&[0]);
            }
            _ => {
                let mut scratch = [0u8; 255];
                let dotted: &[u8] = match entry.and_then(|i| self.list.entries().get(i)) {
                    Some(e) => {
                        let name = e.key.dotted();
                        let n = name.as_bytes().len();
                        if put(&mut scratch, 0, name.as_bytes()).is_none() {
                            return;
                        }
                        scratch.get(..n).unwrap_or(&[])
                    }
                    None => {
                        let n = self.miss_name(&mut scratch);
                        scratch.get(..n).unwrap_or(&[])
                    }
                };
                let mut copy = [0u8; 255];
                let n = dotted.len();
                let _ = put(&mut copy, 0, dotted);
                self.push_name(msg, copy.get(..n).unwrap_or(&[]));
            }
        }
        if malformed == Some(MalformedKind::TruncatedQuestion) {
            msg.push(&[0]); // one byte of QTYPE
            return;
        }
        msg.push(&qtype.to_be_bytes());
        msg.push(&CLASS_IN.to_be_bytes());
        if edns {
            // OPT: root owner, payload 1232, version 0, DO set half the time, no options.
            let do_bit = if self.rng.below(2) == 0 { 0x80 } else { 0 };
            msg.push(&[0, 0, 41, 0x04, 0xd0, 0, 0, do_bit, 0, 0, 0]);
        }
    }

    fn write_frame(
        &mut self,
        buf: &mut [u8],
        msg: &Msg,
        ip: IpVersion,
        vlan: bool,
        malformed: Option<MalformedKind>,
    ) -> Result<usize, GenError> {
        let l3 = if vlan { 18 } else { 14 };
        let ip_len = match ip {
            IpVersion::V4 => 20,
            IpVersion::V6 => 40,
        };
        let l4 = l3 + ip_len;
        let dns = l4 + 8;
        let len = dns + msg.len;
        let room = buf.len();
        let frame = buf.get_mut(..len).ok_or(GenError::NoRoom { needed: len, room })?;
        frame.fill(0);
        let _ = put(frame, 0, &SERVER_MAC);
        let _ = put(frame, 6, &CLIENT_MAC);
        if vlan {
            let _ = put16(frame, 12, 0x8100);
            let _ = put16(frame, 14, 1 + self.rng.below(4094) as u16);
        }
        let udp_len = (8 + msg.len) as u16;
        let sport = 1024 + self.rng.below(64512) as u16;
        let _ = put16(frame, l4, sport);
        let _ = put16(frame, l4 + 2, DNS_PORT);
        let _ = put16(frame, l4 + 4, udp_len);
        let _ = put(frame, dns, msg.as_slice());
        let host = self.rng.next_u64();
        let pseudo = match ip {
            IpVersion::V4 => {
                let _ = put16(frame, l3 - 2, 0x0800);
                let client = Ipv4Addr::new(198, 18, (host >> 8) as u8, host as u8);
                let _ = put(frame, l3, &[0x45, 0]);
                let _ = put16(frame, l3 + 2, (20 + 8 + msg.len) as u16);
                let _ = put16(frame, l3 + 4, (host >> 16) as u16);
                let _ = put(frame, l3 + 8, &[64, 17]);
                let _ = put(frame, l3 + 12, &client.octets());
                let _ = put(frame, l3 + 16, &SERVER_V4.octets());
                let sum = checksum::finish(checksum::add(0, frame.get(l3..l4).unwrap_or(&[])));
                let _ = put16(frame, l3 + 10, sum);
                checksum::add(0, frame.get(l3 + 12..l3 + 20).unwrap_or(&[]))
            }
            IpVersion::V6 => {
                let _ = put16(frame, l3 - 2, 0x86dd);
                let client =
                    Ipv6Addr::new(0x2001, 0xdb8, 0xc1, 0, 0, 0, (host >> 16) as u16, host as u16);
                let _ = put(frame, l3, &[0x60, 0, 0, 0]);
                let _ = put16(frame, l3 + 4, udp_len);
                let _ = put(frame, l3 + 6, &[17, 64]);
                let _ = put(frame, l3 + 8, &client.octets());
                let _ = put(frame, l3 + 24, &SERVER_V6.octets());
                checksum::add(0, frame.get(l3 + 8..l3 + 40).unwrap_or(&[]))
            }
        };
        let acc = checksum::add(pseudo + 17 + u64::from(udp_len), frame.get(l4..).unwrap_or(&[]));
        let sum = match checksum::finish(acc) {
            0 => 0xffff,
            c => c,
        };
        let _ = put16(frame, l4 + 6, sum);

        // Breakage below the DNS message.
        let ip_len_at = match ip {
            IpVersion::V4 => l3 + 2,
            IpVersion::V6 => l3 + 4,
        };
        Ok(match malformed {
            Some(MalformedKind::TruncatedEthernet) => 6 + self.rng.below(8) as usize,
            Some(MalformedKind::TruncatedIpHeader) => {
                l3 + 1 + self.rng.below(ip_len as u64 - 1) as usize
            }
            Some(MalformedKind::BadIpHeaderLength) => {
                let _ = put(frame, l3, &[0x40 | self.rng.below(5) as u8]);
                len
            }
            Some(MalformedKind::IpLengthPastEnd) => {
                let claimed = (len - l3 + 1 + self.rng.below(100) as usize) as u16;
                let _ = put16(frame, ip_len_at, claimed);
                len
            }
            Some(MalformedKind::BadUdpLength) => {
                let bad =
                    if self.rng.below(2) == 0 { self.rng.below(8) as u16 } else { udp_len + 1 };
                let _ = put16(frame, l4 + 4, bad);
                len
            }
            _ => len,
        })
    }
}

/// The longest label the generator writes for misses stays within the limit.
const _: () = assert!(30 <= MAX_LABEL_LEN);
