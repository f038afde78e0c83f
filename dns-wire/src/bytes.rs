//! Bounds-checked big-endian reads and writes: every access goes through `get`, so a short
//! buffer gives `None` instead of a panic.

#[cfg(any(test, feature = "reference"))]
#[inline(always)]
pub(crate) fn be16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

#[inline(always)]
pub(crate) fn put(buf: &mut [u8], at: usize, bytes: &[u8]) -> Option<()> {
    buf.get_mut(at..at.checked_add(bytes.len())?)?.copy_from_slice(bytes);
    Some(())
}

#[inline(always)]
pub(crate) fn put16(buf: &mut [u8], at: usize, v: u16) -> Option<()> {
    put(buf, at, &v.to_be_bytes())
}

#[cfg(any(test, feature = "reference"))]
#[inline(always)]
pub(crate) fn put32(buf: &mut [u8], at: usize, v: u32) -> Option<()> {
    put(buf, at, &v.to_be_bytes())
}

/// Swaps the `len`-byte fields at `a` and `b` (which must not overlap, `a < b`).
#[cfg(any(test, feature = "reference"))]
#[inline(always)]
pub(crate) fn swap<const N: usize>(buf: &mut [u8], a: usize, b: usize) -> Option<()> {
    let x: [u8; N] = buf.get(a..a.checked_add(N)?)?.try_into().ok()?;
    let y: [u8; N] = buf.get(b..b.checked_add(N)?)?.try_into().ok()?;
    put(buf, a, &y)?;
    put(buf, b, &x)
}
