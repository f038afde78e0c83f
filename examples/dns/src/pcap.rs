//! Classic pcap files (the libpcap format `net_pcap` reads and writes): the generated
//! traffic goes out as one, and the answers come back as one.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Microsecond-resolution pcap magic, as written on a little-endian machine.
const MAGIC_US: u32 = 0xa1b2_c3d4;
/// Nanosecond-resolution magic.
const MAGIC_NS: u32 = 0xa1b2_3c4d;
/// Link type Ethernet.
const LINKTYPE_ETHERNET: u32 = 1;
/// The snapshot length written (and the largest frame read).
const SNAPLEN: u32 = 65535;

/// Writes Ethernet frames into a pcap file.
pub struct PcapWriter {
    out: BufWriter<File>,
    frames: u64,
}

impl PcapWriter {
    /// Creates (truncates) `path` and writes the file header.
    ///
    /// # Errors
    /// The file system's.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&MAGIC_US.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&0i32.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&SNAPLEN.to_le_bytes());
        header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter { out, frames: 0 })
    }

    /// Appends one frame, stamped `frames` microseconds after the epoch (deterministic).
    ///
    /// # Errors
    /// The file system's.
    pub fn write(&mut self, frame: &[u8]) -> io::Result<()> {
        let len = frame.len() as u32;
        let (secs, usecs) = ((self.frames / 1_000_000) as u32, (self.frames % 1_000_000) as u32);
        let mut record = [0u8; 16];
        record[..4].copy_from_slice(&secs.to_le_bytes());
        record[4..8].copy_from_slice(&usecs.to_le_bytes());
        record[8..12].copy_from_slice(&len.to_le_bytes());
        record[12..].copy_from_slice(&len.to_le_bytes());
        self.out.write_all(&record)?;
        self.out.write_all(frame)?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes and closes the file.
    ///
    /// # Errors
    /// The file system's.
    pub fn finish(mut self) -> io::Result<u64> {
        self.out.flush()?;
        Ok(self.frames)
    }
}

/// Calls `each` with every frame of the pcap file at `path`; returns how many.
///
/// # Errors
/// The file system's, and [`io::ErrorKind::InvalidData`] for a file that is not a pcap of
/// Ethernet frames or ends inside a record.
pub fn for_each_frame(path: &Path, mut each: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(path)?);
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{path:?}: {what}"));
    let mut header = [0u8; 24];
    input.read_exact(&mut header).map_err(|_| bad("shorter than a pcap header"))?;
    let magic = u32::from_le_bytes(header[..4].try_into().unwrap());
    let swapped = match magic {
        MAGIC_US | MAGIC_NS => false,
        m if m.swap_bytes() == MAGIC_US || m.swap_bytes() == MAGIC_NS => true,
        _ => return Err(bad("not a pcap file (bad magic)")),
    };
    let u32_at = |b: &[u8], at: usize| {
        let v = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        if swapped {
            v.swap_bytes()
        } else {
            v
        }
    };
    if u32_at(&header, 20) & 0x0fff_ffff != LINKTYPE_ETHERNET {
        return Err(bad("not Ethernet frames (link type)"));
    }
    let mut frames = 0;
    let mut record = [0u8; 16];
    let mut frame = vec![0u8; SNAPLEN as usize];
    loop {
        match input.read_exact(&mut record) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(frames),
            Err(e) => return Err(e),
        }
        let len = u32_at(&record, 8) as usize;
        if len > frame.len() {
            return Err(bad("a record longer than the snapshot length"));
        }
        input.read_exact(&mut frame[..len]).map_err(|_| bad("ends inside a record"))?;
        each(&frame[..len]);
        frames += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let path = std::env::temp_dir().join(format!("dns-pcap-{}.pcap", std::process::id()));
        let mut w = PcapWriter::create(&path).unwrap();
        w.write(b"first frame").unwrap();
        w.write(&[7u8; 1500]).unwrap();
        assert_eq!(w.finish().unwrap(), 2);
        let mut seen = Vec::new();
        assert_eq!(for_each_frame(&path, |f| seen.push(f.to_vec())).unwrap(), 2);
        assert_eq!(seen, [b"first frame".to_vec(), vec![7u8; 1500]]);
        std::fs::write(&path, b"not a pcap at all, certainly not").unwrap();
        assert_eq!(for_each_frame(&path, |_| {}).unwrap_err().kind(), io::ErrorKind::InvalidData);
        std::fs::remove_file(&path).unwrap();
    }
}
