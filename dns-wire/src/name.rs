//! Domain names: reading them off the wire (labels and compression pointers, RFC 1035
//! section 4.1.4) and turning them into the fixed-size [`DomainKey`] the lookup table uses.

use core::fmt;

use crate::Malformed;

/// Bytes in a [`DomainKey`]: the longest name the table can hold, in its wire form without
/// the final zero byte (a name of up to 63 characters when written with dots).
pub const KEY_LEN: usize = 64;
/// The longest label (RFC 1035 section 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// The longest name on the wire, length bytes and the final zero included (RFC 1035 2.3.4).
pub const MAX_NAME_WIRE_LEN: usize = 255;
/// The DNS header's length: compression pointers below it point into the header.
const HEADER_LEN: usize = 12;

/// A domain name as the lookup table stores it: the name as DNS carries it on the wire
/// (each label after a byte holding its length), without the final zero byte, in
/// lowercase ASCII, zero padded to [`KEY_LEN`] bytes. The root name is all zeros.
///
/// Two names that DNS considers equal (RFC 4343: ASCII case does not matter) give equal keys,
/// and two different names different keys: the length bytes say where each label ends,
/// whatever bytes the labels hold (a `.` or a zero byte included). The bytes are the whole
/// key (no padding), so the array can go straight into a fixed-key hash table such as
/// `dpdk::hash::Hash<[u8; 64], V>` as `key.0`. A query's name needs no rewriting to become
/// its key, only lowercasing: the dataplane builds keys at line rate.
///
/// ```
/// use dns_wire::DomainKey;
/// let key = DomainKey::from_name("WWW.Example.COM.")?;
/// assert_eq!(key.wire(), b"\x03www\x07example\x03com");
/// assert_eq!(key.to_string(), "www.example.com");
/// assert_eq!(key.0[16..], [0u8; 48]);
/// # Ok::<(), dns_wire::KeyError>(())
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainKey(pub [u8; KEY_LEN]);

/// Why a name written as text cannot become a [`DomainKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Longer than [`KEY_LEN`] bytes on the wire (more than 63 characters written with
    /// dots, without the trailing dot).
    #[error("name is {len} characters long, the table holds names of at most {} characters", KEY_LEN - 1)]
    TooLong {
        /// The name's length without a trailing dot.
        len: usize,
    },
    /// An empty label: two dots in a row, or a leading dot.
    #[error("empty label (two dots in a row or a leading dot)")]
    EmptyLabel,
    /// A label longer than [`MAX_LABEL_LEN`] bytes.
    #[error("label of {len} bytes, at most {MAX_LABEL_LEN} allowed")]
    LabelTooLong {
        /// The label's length.
        len: usize,
    },
    /// A byte other than an ASCII letter, digit, `-` or `_`.
    #[error("byte {byte:#04x} is not allowed in a name (letters, digits, '-' and '_' are)")]
    BadByte {
        /// The offending byte.
        byte: u8,
    },
}

impl DomainKey {
    /// The root name `.`: all zeros.
    pub const ROOT: DomainKey = DomainKey([0; KEY_LEN]);

    /// Builds the key for a name written as text (`www.example.com`, with or without the
    /// trailing dot, any ASCII case). Only letters, digits, `-` and `_` are accepted in
    /// labels: the bytes a domain list holds.
    ///
    /// # Errors
    /// [`KeyError`] when the name does not fit [`KEY_LEN`] bytes on the wire, has an empty
    /// or too long label, or holds another byte.
    ///
    /// ```
    /// use dns_wire::{DomainKey, KeyError};
    /// assert_eq!(DomainKey::from_name("a.b")?.wire(), b"\x01a\x01b");
    /// assert_eq!(DomainKey::from_name(".")?, DomainKey::ROOT);
    /// assert!(matches!(DomainKey::from_name("a..b"), Err(KeyError::EmptyLabel)));
    /// assert!(matches!(DomainKey::from_name(&"a".repeat(70)), Err(KeyError::LabelTooLong { len: 70 })));
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn from_name(name: &str) -> Result<Self, KeyError> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let bytes = name.as_bytes();
        let mut key = DomainKey::ROOT;
        if bytes.is_empty() {
            return Ok(key);
        }
        for label in bytes.split(|&b| b == b'.') {
            if label.is_empty() {
                return Err(KeyError::EmptyLabel);
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(KeyError::LabelTooLong { len: label.len() });
            }
            if let Some(&byte) =
                label.iter().find(|b| !(b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_'))
            {
                return Err(KeyError::BadByte { byte });
            }
        }
        // On the wire: one more byte than written with dots (the first length byte).
        if bytes.len() + 1 > KEY_LEN {
            return Err(KeyError::TooLong { len: bytes.len() });
        }
        let mut at = 0;
        for label in bytes.split(|&b| b == b'.') {
            if let Some(out) = key.0.get_mut(at..at + 1 + label.len()) {
                if let Some((len, rest)) = out.split_first_mut() {
                    *len = label.len() as u8;
                    for (o, b) in rest.iter_mut().zip(label) {
                        *o = b.to_ascii_lowercase();
                    }
                }
            }
            at += 1 + label.len();
        }
        Ok(key)
    }

    /// The key's bytes up to its zero padding: the name in wire form without the final
    /// zero byte (empty for the root).
    ///
    /// ```
    /// assert_eq!(dns_wire::DomainKey::from_name("Example.org")?.wire(), b"\x07example\x03org");
    /// # Ok::<(), dns_wire::KeyError>(())
    /// ```
    pub fn wire(&self) -> &[u8] {
        self.0.get(..self.len()).unwrap_or(&self.0)
    }

    /// The name's length in the key: in wire form, without the final zero byte (0 for the
    /// root). The labels' length bytes say where it ends.
    ///
    /// ```
    /// assert_eq!(dns_wire::DomainKey::from_name("a.bc")?.len(), 5);
    /// # Ok::<(), dns_wire::KeyError>(())
    /// ```
    pub fn len(&self) -> usize {
        let mut at = 0;
        while let Some(&len) = self.0.get(at) {
            if len == 0 {
                break;
            }
            at += 1 + usize::from(len);
        }
        at.min(KEY_LEN)
    }

    /// Whether this is the root name (an empty key).
    ///
    /// ```
    /// assert!(dns_wire::DomainKey::ROOT.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.first() == Some(&0)
    }

    /// The name written with dots (lowercase, no trailing dot; empty for the root), as
    /// block-list patterns match it.
    ///
    /// ```
    /// let key = dns_wire::DomainKey::from_name("WWW.Example.com")?;
    /// assert_eq!(key.dotted().as_bytes(), b"www.example.com");
    /// # Ok::<(), dns_wire::KeyError>(())
    /// ```
    pub fn dotted(&self) -> DottedName {
        let mut out = DottedName { bytes: [0; KEY_LEN], len: 0 };
        let wire = self.wire();
        let mut at = 0;
        while let Some(&len) = wire.get(at) {
            let label = wire.get(at + 1..at + 1 + usize::from(len)).unwrap_or_default();
            let start = usize::from(out.len) + usize::from(at != 0);
            if at != 0 {
                if let Some(dot) = out.bytes.get_mut(start - 1) {
                    *dot = b'.';
                }
            }
            if let Some(o) = out.bytes.get_mut(start..start + label.len()) {
                o.copy_from_slice(label);
            }
            // The dotted name is one byte shorter than the wire form: it fits.
            out.len = (start + label.len()).min(KEY_LEN) as u8;
            at += 1 + usize::from(len);
        }
        out
    }

    /// A 64-bit digest of the key, for hash tables: each 8-byte word, mixed with a constant
    /// of its position, goes through a 128-bit multiply folded to 64 bits, and the words'
    /// results are added. [`parse`](crate::parse) computes it while it builds a query's key
    /// ([`Query::key_digest`](crate::Query::key_digest)); [`DomainKey::hash`] finishes it.
    ///
    /// ```
    /// use dns_wire::DomainKey;
    /// let a = DomainKey::from_name("a.example")?;
    /// assert_eq!(a.digest(), DomainKey::from_name("A.EXAMPLE.")?.digest());
    /// assert_ne!(a.digest(), DomainKey::from_name("b.example")?.digest());
    /// # Ok::<(), dns_wire::KeyError>(())
    /// ```
    pub fn digest(&self) -> u64 {
        let mut d = 0u64;
        for (i, w) in self.0.chunks_exact(8).enumerate() {
            let w = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
            d = d.wrapping_add(word_digest(w, i));
        }
        d
    }

    /// The 32-bit hash of the key under `seed`: its [`digest`](Self::digest), finished.
    /// A table hashed with this function can be searched with [`Query::key_digest`]
    /// (through [`finish_hash`]) without reading the key again.
    ///
    /// ```
    /// let k = dns_wire::DomainKey::from_name("www.example.com")?;
    /// assert_eq!(k.hash(7), dns_wire::finish_hash(k.digest(), 7));
    /// # Ok::<(), dns_wire::KeyError>(())
    /// ```
    ///
    /// [`Query::key_digest`]: crate::Query::key_digest
    pub fn hash(&self, seed: u32) -> u32 {
        finish_hash(self.digest(), seed)
    }
}

/// Multiplier of the digest (2^64 / the golden ratio, odd).
const DIGEST_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
/// Per-word constants of the digest (so that equal words at different places differ), and
/// the seed's.
const DIGEST_KEYS: [u64; 9] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
    0x4528_21e6_38d0_1377,
    0xbe54_66cf_34e9_0c6c,
    0xc0ac_29b7_c97c_50dd,
    0x3f84_d5b5_b547_0917,
    0x9216_d5d9_8979_fb1b,
];

/// A 128-bit product folded to 64 bits.
#[inline(always)]
const fn fold_mul(x: u64, y: u64) -> u64 {
    let p = (x as u128) * (y as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Word `i`'s part of [`DomainKey::digest`].
#[inline(always)]
fn word_digest(w: u64, i: usize) -> u64 {
    fold_mul(w ^ DIGEST_KEYS.get(i).copied().unwrap_or(0), DIGEST_MUL)
}

/// The sum of the digest parts of four zero words at places 4 to 7: the second half of
/// the key of any name of 32 bytes or less.
const ZERO_HALF_DIGEST: u64 = fold_mul(DIGEST_KEYS[4], DIGEST_MUL)
    .wrapping_add(fold_mul(DIGEST_KEYS[5], DIGEST_MUL))
    .wrapping_add(fold_mul(DIGEST_KEYS[6], DIGEST_MUL))
    .wrapping_add(fold_mul(DIGEST_KEYS[7], DIGEST_MUL));

/// Finishes a [`DomainKey::digest`] into the key's 32-bit hash under `seed` (see
/// [`DomainKey::hash`]): every bit of the digest and of the seed moves every bit of the
/// result, as hash tables that take a bucket from the low bits and a tag from the high
/// ones need.
///
/// ```
/// assert_ne!(dns_wire::finish_hash(1, 0), dns_wire::finish_hash(1, 1));
/// ```
#[inline]
pub fn finish_hash(digest: u64, seed: u32) -> u32 {
    let seed = u64::from(seed) * 0x0000_0001_0000_0001;
    let m = fold_mul(digest ^ seed ^ DIGEST_KEYS[8], DIGEST_MUL);
    let m = fold_mul(m, DIGEST_MUL ^ DIGEST_KEYS[8]);
    (m ^ (m >> 32)) as u32
}

impl fmt::Debug for DomainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainKey({self})")
    }
}

/// The name in master-file text (RFC 1035 section 5.1): labels joined by dots, a `.` or a
/// `\` inside a label escaped with a backslash, other bytes that are not printable ASCII
/// as `\DDD`; the root as `.`.
impl fmt::Display for DomainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str(".");
        }
        let wire = self.wire();
        let mut at = 0;
        while let Some(&len) = wire.get(at) {
            if at != 0 {
                f.write_str(".")?;
            }
            for &b in wire.get(at + 1..at + 1 + usize::from(len)).unwrap_or_default() {
                match b {
                    b'.' | b'\\' => write!(f, "\\{}", char::from(b))?,
                    0x21..=0x7e => write!(f, "{}", char::from(b))?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
            at += 1 + usize::from(len);
        }
        Ok(())
    }
}

/// A name written with dots, from [`DomainKey::dotted`]: lowercase, no trailing dot, at
/// most 63 bytes, on the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DottedName {
    bytes: [u8; KEY_LEN],
    len: u8,
}

impl DottedName {
    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl fmt::Debug for DottedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// Whether a query's name could be turned into a [`DomainKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    /// The key holds the name: look it up.
    Exact,
    /// The name is longer than [`KEY_LEN`] bytes on the wire: no table entry can match
    /// it, so it is a certain miss. The key holds no useful bytes.
    TooLong,
}

impl KeyStatus {
    /// Whether the key is worth looking up.
    ///
    /// ```
    /// assert!(dns_wire::KeyStatus::Exact.is_lookup());
    /// assert!(!dns_wire::KeyStatus::TooLong.is_lookup());
    /// ```
    pub fn is_lookup(self) -> bool {
        self == KeyStatus::Exact
    }
}

/// A name read off the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireName {
    /// Where the bytes after the name start (after its first pointer if compressed).
    pub end: usize,
    /// The name's length on the wire once decompressed (final zero included).
    #[cfg_attr(not(test), allow(dead_code))]
    pub wire_len: usize,
    /// Its number of labels (0 for the root).
    pub labels: usize,
}

/// Reads the name at `start` of the DNS message `msg` (offsets are from the message's first
/// byte). Its labels are copied into `key` in wire form as they go by, decompressed (raw
/// case); labels past [`KEY_LEN`] are not copied and `too_long` is set.
///
/// Compression pointers must point strictly before the previous target (or the name's
/// start), which bounds the walk and rejects loops and forward pointers; the decompressed
/// length is capped at 255 bytes as well.
#[inline]
pub(crate) fn read_name(
    msg: &[u8],
    start: usize,
    key: &mut [u8; KEY_LEN],
    too_long: &mut bool,
) -> Result<WireName, Malformed> {
    let mut pos = start;
    let mut end = None;
    let mut limit = start;
    let mut wire_len = 0usize;
    let mut labels = 0usize;
    let mut out = 0usize;
    loop {
        let len = usize::from(*msg.get(pos).ok_or(Malformed::NamePastEnd)?);
        match len & 0xc0 {
            0x00 if len == 0 => {
                wire_len += 1;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(Malformed::NameTooLong);
                }
                return Ok(WireName { end: end.unwrap_or(pos + 1), wire_len, labels });
            }
            0x00 => {
                let label = msg.get(pos + 1..pos + 1 + len).ok_or(Malformed::LabelPastEnd)?;
                wire_len += 1 + len;
                // Room must be left for the final zero byte.
                if wire_len >= MAX_NAME_WIRE_LEN {
                    return Err(Malformed::NameTooLong);
                }
                labels += 1;
                let next = out + 1 + len;
                match key.get_mut(out..next) {
                    Some(dst) if !*too_long => {
                        if let Some((len_byte, rest)) = dst.split_first_mut() {
                            *len_byte = len as u8;
                            rest.copy_from_slice(label);
                        }
                        out = next;
                    }
                    _ => *too_long = true,
                }
                pos += 1 + len;
            }
            0xc0 => {
                let low = usize::from(*msg.get(pos + 1).ok_or(Malformed::PointerPastEnd)?);
                let target = ((len & 0x3f) << 8) | low;
                if target >= msg.len() {
                    return Err(Malformed::PointerPastEnd);
                }
                if target >= limit {
                    return Err(Malformed::PointerLoop);
                }
                if target < HEADER_LEN {
                    return Err(Malformed::PointerIntoHeader);
                }
                end.get_or_insert(pos + 2);
                limit = target;
                pos = target;
            }
            // 0x40 and 0x80: extended and reserved label types (RFC 6891 section 5 retired
            // the only one defined). A length byte of 64..=191 lands here too.
            _ => return Err(Malformed::BadLabelType),
        }
    }
}

/// Where the question's name starts: right after the 12-byte header.
const QUESTION: usize = HEADER_LEN;

/// Reads the question's name and builds its key: the per-packet path.
///
/// Nothing but the header precedes the question, so a compression pointer there always
/// points into the header or forward: always malformed. So the name's bytes are
/// contiguous, and in wire form they are already the key but for case: [`walk_question`]
/// checks the length bytes, and [`question_key`] lowercases the bytes into the key 32 at a
/// time. Any malformed name is handed to the general [`read_name`], which says what is
/// wrong with it.
#[inline(always)]
pub(crate) fn read_question(msg: &[u8]) -> Result<(usize, DomainKey, KeyStatus, u64), Malformed> {
    let Some(pos) = walk_question(msg) else {
        return Err(question_error(msg));
    };
    // The key's length: the wire form without the final zero byte.
    let len = pos - QUESTION;
    if len > KEY_LEN {
        return Ok((pos + 1, DomainKey::ROOT, KeyStatus::TooLong, DomainKey::ROOT.digest()));
    }
    let (key, digest) = question_key(msg.get(QUESTION..).unwrap_or_default(), len);
    Ok((pos + 1, key, KeyStatus::Exact, digest))
}

/// Walks the question's labels: where its final zero byte is; `None` when the name is
/// malformed in any way.
///
/// The first four steps do not branch on the name's shape (a step at the final zero byte
/// stays there): a domain list's names have three or four labels, and a loop that ends
/// after a varying number of labels would be mispredicted at every name.
#[inline(always)]
fn walk_question(msg: &[u8]) -> Option<usize> {
    let mut pos = QUESTION;
    let mut ok = true;
    for _ in 0..4 {
        ok &= label_step(msg, &mut pos).1;
    }
    // Longer names (the usual name has ended: no step to take); the bound on the wire
    // length ends the loop on any input.
    while ok && msg.get(pos) != Some(&0) && pos - QUESTION < MAX_NAME_WIRE_LEN {
        let (more, fine) = label_step(msg, &mut pos);
        ok &= fine;
        if !more {
            break;
        }
    }
    // The labels and the final zero are inside the message, and the name is at most 255
    // bytes on the wire, final zero included.
    (ok && msg.get(pos) == Some(&0) && pos - QUESTION < MAX_NAME_WIRE_LEN).then_some(pos)
}

/// One step of [`walk_question`] from the length byte at `pos`: moves `pos` past the label
/// (not past the final zero); returns whether there was a label, and whether its length
/// byte was a plain label's.
#[inline(always)]
fn label_step(msg: &[u8], pos: &mut usize) -> (bool, bool) {
    // The walk is a chain (each length byte says where the next is), so each step is kept
    // short: a load and two adds, no select for the compiler to turn into a branch on the
    // name's shape. Past the end (a malformed name, so a predictable branch) reads as a
    // bad length, which sends the name to the general walk.
    let (len, fine) = match msg.get(*pos) {
        Some(&b) => (usize::from(b), b <= MAX_LABEL_LEN as u8),
        None => (0, false),
    };
    let more = len != 0;
    *pos += len + usize::from(more);
    (more, fine)
}

/// What is wrong with a question name [`walk_question`] refused, as the general
/// [`read_name`] finds it (a well-formed name would not have come here: if the general
/// walk takes it, its end reads as past the end).
#[cold]
fn question_error(msg: &[u8]) -> Malformed {
    read_name(msg, QUESTION, &mut [0u8; KEY_LEN], &mut false)
        .err()
        .unwrap_or(Malformed::NamePastEnd)
}

/// The key of the name whose first `len` wire bytes (the final zero excluded) start
/// `name`, and its digest: the bytes lowercased and zero padded, 32 at a time.
#[inline(always)]
fn question_key(name: &[u8], len: usize) -> (DomainKey, u64) {
    let src = WordSource::new(name);
    let mut key = [0u8; KEY_LEN];
    let (head, tail) = key.split_at_mut(32);
    // The first 32 bytes without a branch on the length (past the name they are zeros),
    // the rest only for longer names.
    let mut digest = key_half(&src, 0, len, head);
    if len > 32 {
        digest = digest.wrapping_add(key_half(&src, 32, len, tail));
    } else {
        digest = digest.wrapping_add(ZERO_HALF_DIGEST);
    }
    (DomainKey(key), digest)
}

/// Bytes `base..base + 32` of [`question_key`]'s key, written to `out` (32 bytes), and
/// their part of the key's digest. Plain per-byte code over fixed-size arrays, which the
/// compiler turns into 16-byte vector operations. (A length byte is at most 63: never an
/// uppercase letter.)
#[inline(always)]
fn key_half(src: &WordSource<'_>, base: usize, len: usize, out: &mut [u8]) -> u64 {
    // Written out: a loop over the four words is not unrolled.
    let (w0, w1, w2, w3) =
        (src.word(base), src.word(base + 8), src.word(base + 16), src.word(base + 24));
    let mut raw = [0u8; 32];
    for (i, w) in [w0, w1, w2, w3].into_iter().enumerate() {
        if let Some(r) = raw.get_mut(8 * i..8 * i + 8) {
            r.copy_from_slice(&w.to_le_bytes());
        }
    }
    // Lanes inside the name: below `end` (at most 64, so it fits a byte).
    let end = len.saturating_sub(base).min(32) as u8;
    const LANE: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26, 27, 28, 29, 30, 31,
    ];
    let mut key = [0u8; 32];
    for ((k, &r), &lane) in key.iter_mut().zip(&raw).zip(&LANE) {
        let r = if lane < end { r } else { 0 };
        *k = if r.wrapping_sub(b'A') < 26 { r | 0x20 } else { r };
    }
    if let Some(out) = out.first_chunk_mut::<32>() {
        *out = key;
    }
    let mut digest = 0u64;
    for (i, w) in key.chunks_exact(8).enumerate() {
        let w = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
        digest = digest.wrapping_add(word_digest(w, base / 8 + i));
    }
    digest
}

/// Little-endian words of a byte slice, zeros past its end.
struct WordSource<'a> {
    bytes: &'a [u8],
    /// Where the slice's last full word starts (`None`: shorter than a word).
    last: Option<usize>,
}

impl<'a> WordSource<'a> {
    #[inline(always)]
    fn new(bytes: &'a [u8]) -> Self {
        WordSource { bytes, last: bytes.len().checked_sub(8) }
    }

    /// The eight bytes from `at` (at most 56), zeros past the end. When fewer than eight
    /// are left, the last eight are read and shifted down: one load, no branch on where
    /// the slice ends.
    #[inline(always)]
    fn word(&self, at: usize) -> u64 {
        let Some(last) = self.last else {
            // Shorter than a word in all (a name of a byte or two): byte by byte.
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(self.bytes.get(at..).unwrap_or_default()) {
                *d = *s;
            }
            return u64::from_le_bytes(w);
        };
        let start = last.min(at);
        let w = self
            .bytes
            .get(start..)
            .and_then(|b| b.first_chunk::<8>())
            .map_or(0, |b| u64::from_le_bytes(*b));
        w.checked_shr(8 * (at - start) as u32).unwrap_or(0)
    }
}

/// Reads the name at `start` and builds its key with the general (compression-aware) walk.
#[cfg(test)]
pub(crate) fn read_key(
    msg: &[u8],
    start: usize,
) -> Result<(WireName, DomainKey, KeyStatus), Malformed> {
    let mut key = [0u8; KEY_LEN];
    let mut too_long = false;
    let name = read_name(msg, start, &mut key, &mut too_long)?;
    if too_long {
        return Ok((name, DomainKey::ROOT, KeyStatus::TooLong));
    }
    key.make_ascii_lowercase();
    Ok((name, DomainKey(key), KeyStatus::Exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg_with(name: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8; HEADER_LEN];
        m.extend_from_slice(name);
        m
    }

    #[test]
    fn plain_name_lowercased() {
        let m = msg_with(b"\x03WwW\x07ExAmPlE\x03CoM\x00rest");
        let (n, key, status) = read_key(&m, 12).unwrap();
        assert_eq!(status, KeyStatus::Exact);
        assert_eq!(key.wire(), b"\x03www\x07example\x03com");
        assert_eq!(key.to_string(), "www.example.com");
        assert_eq!(n.end, 12 + 17);
        assert_eq!(n.labels, 3);
        assert_eq!(key, DomainKey::from_name("www.example.com").unwrap());
    }

    #[test]
    fn all_byte_values_lowercase_like_ascii() {
        for b in 0..=255u8 {
            let m = msg_with(&[1, b, 0]);
            let (_, key, status) = read_key(&m, 12).unwrap();
            assert_eq!(status, KeyStatus::Exact, "{b}");
            assert_eq!(key.0[..2], [1, b.to_ascii_lowercase()], "{b}");
        }
    }

    #[test]
    fn root_name() {
        let m = msg_with(b"\x00");
        let (n, key, status) = read_key(&m, 12).unwrap();
        assert_eq!((status, key, n.wire_len, n.labels), (KeyStatus::Exact, DomainKey::ROOT, 1, 0));
    }

    /// A label holding a `.` or a zero byte is its own name: its key differs from that of
    /// the names it would spell written with dots.
    #[test]
    fn dot_or_zero_inside_label_is_its_own_key() {
        let key = |name: &[u8]| read_key(&msg_with(name), 12).unwrap();
        let (_, one, status) = key(b"\x03a.b\x00");
        assert_eq!(status, KeyStatus::Exact);
        assert_ne!(one, key(b"\x01a\x01b\x00").1);
        let (_, zero, _) = key(b"\x02a\x00\x00");
        assert_ne!(zero, key(b"\x01a\x00").1);
        assert_eq!(zero.wire(), b"\x02a\x00");
        assert_eq!(zero.len(), 3);
        assert_eq!((one.to_string(), zero.to_string()), ("a\\.b".to_owned(), "a\\000".to_owned()));
    }

    #[test]
    fn key_length_boundary() {
        // 64 bytes on the wire (63 written with dots): fits exactly; 65: too long (a
        // certain miss, not an error).
        let mut name = vec![31];
        name.extend_from_slice(&[b'a'; 31]);
        name.push(31);
        name.extend_from_slice(&[b'b'; 31]);
        name.push(0);
        let (_, key, status) = read_key(&msg_with(&name), 12).unwrap();
        assert_eq!(status, KeyStatus::Exact);
        assert_eq!((key.len(), key.dotted().as_bytes().len()), (64, 63));
        name[32] = 32;
        name.insert(33, b'b');
        let (_, _, status) = read_key(&msg_with(&name), 12).unwrap();
        assert_eq!(status, KeyStatus::TooLong);
    }

    #[test]
    fn name_length_limit() {
        // Four 62-byte labels and one of 0: 4 * 63 + 1 = 253 bytes, allowed; one more
        // label of 1 byte makes 255, allowed; of 2 bytes, 256: too long.
        let mut name = Vec::new();
        for _ in 0..4 {
            name.push(62);
            name.extend_from_slice(&[b'x'; 62]);
        }
        let mut ok = name.clone();
        ok.extend_from_slice(b"\x01y\x00");
        assert_eq!(read_key(&msg_with(&ok), 12).unwrap().0.wire_len, 255);
        let mut bad = name.clone();
        bad.extend_from_slice(b"\x02yy\x00");
        assert_eq!(read_key(&msg_with(&bad), 12).unwrap_err(), Malformed::NameTooLong);
    }

    #[test]
    fn bad_names() {
        let cases: &[(&[u8], Malformed)] = &[
            (b"", Malformed::NamePastEnd),
            (b"\x03ab", Malformed::LabelPastEnd),
            (b"\x03abc", Malformed::NamePastEnd),
            (b"\x40", Malformed::BadLabelType),
            (b"\x80", Malformed::BadLabelType),
            (b"\xc0", Malformed::PointerPastEnd),
            (b"\xc0\x0c", Malformed::PointerLoop),
            (b"\x01a\xc0\x0c", Malformed::PointerLoop),
            (b"\xc0\x0d\x00", Malformed::PointerLoop),
            (b"\xc0\x02", Malformed::PointerIntoHeader),
            (b"\xc1\x00", Malformed::PointerPastEnd),
        ];
        for (name, want) in cases {
            assert_eq!(read_key(&msg_with(name), 12).unwrap_err(), *want, "{name:?}");
        }
    }

    /// The question's fast path agrees with the general walk, on every name in the tests
    /// above and on every prefix of them.
    #[test]
    fn question_path_matches_general_walk() {
        let names: &[&[u8]] = &[
            b"\x03WwW\x07ExAmPlE\x03CoM\x00rest",
            b"\x00",
            b"\x03a.b\x00",
            b"\x03a\x00b\x00",
            b"\x01.\x00",
            b"\x40",
            b"\x80www",
            b"\xc0\x0c",
            b"\x01a\xc0\x0c",
            b"\xc0\x02",
            b"\xc1\x00",
            b"\x3fabc",
        ];
        let mut long = Vec::new();
        for n in [31u8, 32, 33, 62, 63, 63, 63, 5] {
            long.push(n);
            long.extend(std::iter::repeat(b'Q').take(usize::from(n)));
            let mut terminated = long.clone();
            terminated.push(0);
            for cut in 0..=terminated.len() {
                let m = msg_with(&terminated[..cut]);
                let fast = read_question(&m);
                let slow = read_key(&m, 12).map(|(n, k, s)| (n.end, k, s, k.digest()));
                assert_eq!(fast, slow, "{cut} of {terminated:?}");
            }
        }
        for name in names {
            for cut in 0..=name.len() {
                let m = msg_with(&name[..cut]);
                let fast = read_question(&m);
                let slow = read_key(&m, 12).map(|(n, k, s)| (n.end, k, s, k.digest()));
                assert_eq!(fast, slow, "{:?}", &name[..cut]);
            }
        }
        for b in 0..=255u8 {
            for name in [[1, b, 0], [2, b, b'A'], [2, b'z', b]] {
                let m = msg_with(&name);
                let fast = read_question(&m);
                let slow = read_key(&m, 12).map(|(n, k, s)| (n.end, k, s, k.digest()));
                assert_eq!(fast, slow, "{name:?}");
            }
        }
    }

    #[test]
    fn backward_pointer_followed() {
        // "example.com" at 12, then "www" + pointer to 12 at 25.
        let mut m = msg_with(b"\x07example\x03com\x00");
        m.extend_from_slice(b"\x03WWW\xc0\x0c");
        let (n, key, status) = read_key(&m, 25).unwrap();
        assert_eq!((status, key.to_string()), (KeyStatus::Exact, "www.example.com".to_owned()));
        assert_eq!(n.end, 31);
        assert_eq!(n.wire_len, 17);
    }
}
