//! The Internet checksum (RFC 1071), summed 32 bits at a time: the ones' complement sum of
//! 32-bit big-endian words folds to the same 16-bit sum as one of 16-bit words, because
//! 2^16 = 1 modulo 2^16 - 1.

/// Adds `bytes` to the running sum `acc` (`bytes` is taken as if padded with a zero byte to
/// an even length; only the last piece summed may have an odd length).
#[inline]
pub(crate) fn add(mut acc: u64, bytes: &[u8]) -> u64 {
    // Eight bytes at a time, as two 32-bit words: the sum of at most 2^31 of them cannot
    // overflow 64 bits.
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        if let Ok(w) = <[u8; 8]>::try_from(c) {
            let w = u64::from_be_bytes(w);
            acc += (w >> 32) + (w & 0xffff_ffff);
        }
    }
    let rest = chunks.remainder();
    let mut chunks = rest.chunks_exact(4);
    for c in &mut chunks {
        if let Ok(w) = <[u8; 4]>::try_from(c) {
            acc += u64::from(u32::from_be_bytes(w));
        }
    }
    let mut tail = [0u8; 4];
    for (t, b) in tail.iter_mut().zip(chunks.remainder()) {
        *t = *b;
    }
    acc + u64::from(u32::from_be_bytes(tail))
}

/// Folds a running sum to 16 bits and complements it: the value to store in a header.
#[inline]
pub(crate) fn finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
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

    /// Against a plain 16-bit sum, for every length up to 40 and every split point.
    #[test]
    fn matches_sixteen_bit_sum() {
        let data: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8 ^ 0xa5).collect();
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

    #[test]
    fn odd_length_is_zero_padded() {
        assert_eq!(finish(add(0, &[0x12, 0x34, 0x56])), finish(add(0, &[0x12, 0x34, 0x56, 0])));
    }
}
