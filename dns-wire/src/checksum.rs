//! The Internet checksum (RFC 1071), summed 64 bits at a time with end-around carry: the
//! ones' complement sum of 64-bit big-endian words folds to the same 16-bit sum as one of
//! 16-bit words, because 2^16 = 1 modulo 2^16 - 1.
//!
//! Sums are plain integers congruent to the checksum sum modulo 2^16 - 1, so pieces can be
//! added, and a piece that starts at an odd offset of the summed data is added multiplied
//! by 256 (each of its big-endian words lands byte-swapped, and 256 x = swap(x) modulo
//! 2^16 - 1).

/// Adds `bytes` to the running sum `acc` (`bytes` is taken as if padded with zero bytes to
/// a multiple of eight; only the last piece summed may have a length that is not even).
/// The result is below 2^33, so callers may add small numbers to it or multiply it by 256.
#[inline]
pub(crate) fn add(acc: u64, bytes: &[u8]) -> u64 {
    // A 128-bit accumulator: one add with carry per word, no overflow before 2^64 words.
    let mut wide = u128::from(acc);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        if let Ok(w) = <[u8; 8]>::try_from(c) {
            wide += u128::from(u64::from_be_bytes(w));
        }
    }
    wide += u128::from(tail(bytes, chunks.remainder().len()));
    fold64(wide)
}

/// Adds the `N` bytes of `bytes` (`N` a multiple of four) to `acc`: big-endian 32-bit
/// words, summed without a loop. The result exceeds `acc` by less than `N` * 2^30.
#[inline(always)]
pub(crate) fn add_words<const N: usize>(acc: u64, bytes: &[u8; N]) -> u64 {
    bytes.chunks_exact(4).fold(acc, |acc, w| {
        acc + <[u8; 4]>::try_from(w).map_or(0, |w| u64::from(u32::from_be_bytes(w)))
    })
}

/// Adds `len` bytes of `room` from `start` to `acc`, as [`add`] would. When `room` holds 32
/// bytes from `start` and `len` is at most 32 (a question of a name up to 26 bytes), the
/// sum is of four words masked to `len` bytes, with no branch on `len`. The result
/// exceeds `acc` by less than 2^36; `None` when `room` does not hold the bytes.
#[inline(always)]
pub(crate) fn add_window(acc: u64, room: &[u8], start: usize, len: usize) -> Option<u64> {
    let window = room.get(start..).and_then(|w| w.first_chunk::<32>());
    let Some(window) = window.filter(|_| len <= 32) else {
        return Some(add(acc, room.get(start..start.checked_add(len)?)?));
    };
    let keep = WINDOW_MASKS.get(len).copied().unwrap_or_default();
    let mut sum = acc;
    for (w, keep) in window.chunks_exact(8).zip(keep) {
        let w = <[u8; 8]>::try_from(w).map_or(0, u64::from_be_bytes) & keep;
        sum += (w >> 32) + (w & 0xffff_ffff);
    }
    Some(sum)
}

/// For each length up to 32, the masks of [`add_window`]'s four big-endian words that
/// keep that many bytes: a table lookup rather than a computation per word. (Indexing in
/// a constant is checked when compiling: it cannot panic at run time.)
#[allow(clippy::indexing_slicing)]
const WINDOW_MASKS: [[u64; 4]; 33] = {
    let mut t = [[0u64; 4]; 33];
    let mut len: usize = 0;
    while len <= 32 {
        let mut i = 0;
        while i < 4 {
            let k = len.saturating_sub(8 * i);
            t[len][i] = if k >= 8 {
                u64::MAX
            } else if k == 0 {
                0
            } else {
                u64::MAX << (8 * (8 - k))
            };
            i += 1;
        }
        len += 1;
    }
    t
};

/// Folds a 128-bit sum of words to a sum below 2^33 that is congruent modulo 2^16 - 1.
#[inline(always)]
pub(crate) fn fold64(wide: u128) -> u64 {
    let (sum, carry) = (wide as u64).overflowing_add((wide >> 64) as u64);
    // No overflow: with a carry out, `sum` is at most 2^64 - 2.
    let sum = sum + u64::from(carry);
    (sum & 0xffff_ffff) + (sum >> 32)
}

/// The last `rest` (0..=7) bytes of `bytes` as the first bytes of a big-endian word, zero
/// padded. From slices of eight bytes or more, they are read as the last eight bytes with
/// the ones already summed shifted out: one load and no branch on `rest`.
#[inline(always)]
fn tail(bytes: &[u8], rest: usize) -> u64 {
    if let Some(last) = bytes.last_chunk::<8>() {
        return u64::from_be_bytes(*last).checked_shl(8 * (8 - rest) as u32).unwrap_or(0);
    }
    let mut w = [0u8; 8];
    for (d, s) in w.iter_mut().zip(bytes) {
        *d = *s;
    }
    u64::from_be_bytes(w)
}

/// Folds a running sum to 16 bits (1..=0xffff for a nonzero sum, the ones' complement
/// representation without -0) and complements it: the value to store in a header.
#[inline]
pub(crate) fn finish(acc: u64) -> u16 {
    // Four folds take any u64 to at most 0xffff, without a loop to mispredict.
    let acc = (acc & 0xffff_ffff) + (acc >> 32);
    let acc = (acc & 0xffff) + (acc >> 16);
    let acc = (acc & 0xffff) + (acc >> 16);
    let acc = (acc & 0xffff) + (acc >> 16);
    !(acc as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(add(0, &data)), !0xddf2);
        // Split at a 4-byte boundary gives the same sum.
        assert_eq!(finish(add(add(0, &data[..4]), &data[4..])), !0xddf2);
    }

    /// Against a plain 16-bit sum, for every length up to 40 and every even split point.
    #[test]
    fn matches_sixteen_bit_sum() {
        for seed in [0x11u32, 0xa5, 0xff] {
            let data: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8 ^ seed as u8).collect();
            for len in 0..=data.len() {
                let d = &data[..len];
                let mut s = 0u64;
                for p in d.chunks(2) {
                    s += u64::from(p[0]) << 8 | u64::from(p.get(1).copied().unwrap_or(0));
                }
                for split in (0..=len).step_by(2) {
                    assert_eq!(
                        finish(add(add(0, &d[..split]), &d[split..])),
                        finish(s),
                        "{len} {split}"
                    );
                }
            }
        }
    }

    /// All ones everywhere: the carries wrap around many times.
    #[test]
    fn carries_wrap_around() {
        let data = [0xffu8; 64];
        assert_eq!(finish(add(u64::MAX, &data)), finish(add(0xffff, &data[..2])));
        assert_eq!(finish(add(0, &data)), 0);
    }

    #[test]
    fn odd_length_is_zero_padded() {
        assert_eq!(finish(add(0, &[0x12, 0x34, 0x56])), finish(add(0, &[0x12, 0x34, 0x56, 0])));
        for n in 0..8 {
            let d = [0x9au8, 0x71, 0x03, 0xee, 0x5c, 0x10, 0x87];
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(&d[..n]);
            assert_eq!(add(0, &d[..n]), add(0, &padded), "{n}");
        }
    }
}
