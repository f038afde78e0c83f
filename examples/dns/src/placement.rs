//! The start-up placement report: each object, the socket asked for, and the socket its
//! memory actually landed on (from DPDK's memsegs).

use std::fmt;

use dpdk::SocketId;

/// One object of the report.
#[derive(Clone, Debug)]
pub struct Placed {
    /// What it is (`domain table`, `mbuf pool`, ...).
    pub object: String,
    /// The socket its constructor was given.
    pub asked: SocketId,
    /// Where its memory is, when DPDK's memsegs know the address.
    pub landed: Option<SocketId>,
}

impl Placed {
    /// Whether it landed elsewhere than asked (an `ANY` request matches every socket).
    pub fn is_mismatch(&self) -> bool {
        match self.landed {
            Some(landed) => !self.asked.is_any() && landed != self.asked,
            None => true,
        }
    }
}

/// Every object placed at start-up.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    /// The objects, in creation order.
    pub objects: Vec<Placed>,
}

impl Placement {
    /// Records an object whose memory starts at `addr`.
    pub fn record(&mut self, object: impl Into<String>, asked: SocketId, addr: *const u8) {
        let landed = dpdk::malloc::socket_of(addr);
        self.objects.push(Placed { object: object.into(), asked, landed });
    }

    /// How many objects landed elsewhere than asked.
    pub fn mismatches(&self) -> usize {
        self.objects.iter().filter(|p| p.is_mismatch()).count()
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "placement report ({} objects):", self.objects.len())?;
        let width = self.objects.iter().map(|p| p.object.len()).max().unwrap_or(0).max(6);
        writeln!(f, "  {:<width$} {:>10} {:>10}", "object", "asked", "landed")?;
        for p in &self.objects {
            let landed = p.landed.map_or_else(|| "unknown".to_owned(), |s| s.to_string());
            let flag = if p.is_mismatch() { "  WARNING: not where asked" } else { "" };
            writeln!(f, "  {:<width$} {:>10} {:>10}{flag}", p.object, p.asked.to_string(), landed)?;
        }
        Ok(())
    }
}
