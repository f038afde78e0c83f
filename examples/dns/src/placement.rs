//! The start-up placement report: each object, the socket asked for, the socket its memory
//! actually landed on (from DPDK's memsegs), and who uses it.
//!
//! An object is flagged when it landed elsewhere than asked, or away from its users: the
//! lcores that touch it on every query, or the port whose NIC writes packets into it. These
//! are the common NUMA mistakes of DPDK code (plain `rte_malloc` for a worker's state, an
//! mbuf pool on another socket than its port's, a pattern database on socket 0 with the
//! workers on socket 1): each costs remote memory on every access while nothing fails.
//!
//! ```
//! use dns_dataplane::placement::{Placement, Problem, Users};
//! use dpdk::{SocketBox, SocketId};
//!
//! let eal = dpdk::doc_eal();
//! let socket = SocketId::current();
//! let here = Users::lcores([eal.main_lcore()]);
//! let state = SocketBox::new([0u64; 8], socket);
//! let heap = Box::new([0u64; 8]); // not DPDK memory: no socket is known for it
//!
//! let mut report = Placement::default();
//! report.record("worker state", socket, state.as_ptr().cast(), here.clone());
//! report.record("forgotten state", socket, heap.as_ptr().cast(), here);
//! assert_eq!(report.mismatches(), 1);
//! assert_eq!(report.objects[1].problem(), Some(Problem::Unknown));
//! assert!(report.to_string().contains("lcore 0"));
//! # drop(state);
//! # drop(eal);
//! ```

use std::fmt;

use dpdk::ethdev::Port;
use dpdk::{LcoreId, SocketId};

/// Who uses an object, and so which socket it belongs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Users {
    /// Not said: only asked against landed is checked.
    Unknown,
    /// These lcores (id, socket) use it. It belongs on a socket one of them runs on; an
    /// object between lcores of two sockets (a ring from the I/O lcore to a worker) is
    /// local to one side whichever it is on.
    Lcores(Vec<(u32, SocketId)>),
    /// A port's device writes packets into it: it belongs on the port's socket (a port on
    /// any socket, as virtual devices are, accepts every socket).
    Port {
        /// The port's device name.
        name: String,
        /// The port's socket.
        socket: SocketId,
    },
}

impl Users {
    /// The lcores that use an object (their sockets are read now, so the report can be
    /// printed after the EAL is gone).
    pub fn lcores(lcores: impl IntoIterator<Item = LcoreId>) -> Users {
        Users::Lcores(lcores.into_iter().map(|l| (l.id(), l.socket())).collect())
    }

    /// The port whose device fills an object (an mbuf pool), on the port's socket.
    pub fn port(port: &Port) -> Users {
        Users::Port { name: port.name(), socket: port.socket() }
    }

    /// The socket an object used by these users belongs on, when it landed on `landed`:
    /// `None` when `landed` is right for them.
    fn remote_from(&self, landed: SocketId) -> Option<SocketId> {
        match self {
            Users::Unknown => None,
            Users::Lcores(lcores) => {
                let local = lcores.iter().any(|(_, s)| s.is_any() || *s == landed);
                lcores.first().filter(|_| !local).map(|(_, s)| *s)
            }
            Users::Port { socket, .. } => {
                (!socket.is_any() && *socket != landed).then_some(*socket)
            }
        }
    }
}

impl fmt::Display for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Users::Unknown => f.write_str("-"),
            Users::Lcores(lcores) => {
                let ids: Vec<String> = lcores.iter().map(|(id, _)| id.to_string()).collect();
                let noun = if ids.len() == 1 { "lcore" } else { "lcores" };
                write!(f, "{noun} {}", ids.join(","))
            }
            Users::Port { name, socket } => write!(f, "port {name} ({socket})"),
        }
    }
}

/// Why an object is flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// DPDK's memsegs do not know its address (it is not DPDK memory at all).
    Unknown,
    /// It landed on another socket than its constructor was given.
    NotWhereAsked,
    /// It landed where asked (or `ANY` was asked) but its users are on this other socket.
    AwayFromUsers(SocketId),
}

/// One object of the report.
#[derive(Clone, Debug)]
pub struct Placed {
    /// What it is (`domain table`, `mbuf pool`, ...).
    pub object: String,
    /// The socket its constructor was given.
    pub asked: SocketId,
    /// Where its memory is, when DPDK's memsegs know the address.
    pub landed: Option<SocketId>,
    /// Who uses it.
    pub users: Users,
}

impl Placed {
    /// What is wrong with its placement, if anything.
    pub fn problem(&self) -> Option<Problem> {
        let Some(landed) = self.landed else { return Some(Problem::Unknown) };
        if !self.asked.is_any() && landed != self.asked {
            return Some(Problem::NotWhereAsked);
        }
        self.users.remote_from(landed).map(Problem::AwayFromUsers)
    }

    /// Whether it is flagged (see [`Placed::problem`]).
    pub fn is_mismatch(&self) -> bool {
        self.problem().is_some()
    }
}

/// Every object placed at start-up.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    /// The objects, in creation order.
    pub objects: Vec<Placed>,
}

impl Placement {
    /// Records an object whose memory starts at `addr`, used by `users`.
    pub fn record(
        &mut self,
        object: impl Into<String>,
        asked: SocketId,
        addr: *const u8,
        users: Users,
    ) {
        let landed = dpdk::malloc::socket_of(addr);
        self.objects.push(Placed { object: object.into(), asked, landed, users });
    }

    /// Records an object whose landing socket its owner reported.
    pub fn record_landed(
        &mut self,
        object: impl Into<String>,
        asked: SocketId,
        landed: Option<SocketId>,
        users: Users,
    ) {
        self.objects.push(Placed { object: object.into(), asked, landed, users });
    }

    /// How many objects are flagged.
    pub fn mismatches(&self) -> usize {
        self.objects.iter().filter(|p| p.is_mismatch()).count()
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "placement report ({} objects):", self.objects.len())?;
        let users: Vec<String> = self.objects.iter().map(|p| p.users.to_string()).collect();
        let width = self.objects.iter().map(|p| p.object.len()).max().unwrap_or(0).max(6);
        let uwidth = users.iter().map(String::len).max().unwrap_or(0).max(7);
        writeln!(f, "  {:<width$} {:>10} {:>10}  used by", "object", "asked", "landed")?;
        for (p, users) in self.objects.iter().zip(&users) {
            let landed = p.landed.map_or_else(|| "unknown".to_owned(), |s| s.to_string());
            let flag = match p.problem() {
                None => String::new(),
                Some(Problem::Unknown) => "  WARNING: not DPDK memory".to_owned(),
                Some(Problem::NotWhereAsked) => "  WARNING: not where asked".to_owned(),
                Some(Problem::AwayFromUsers(s)) => format!("  WARNING: its users are on {s}"),
            };
            let line = format!(
                "  {:<width$} {:>10} {:>10}  {users:<uwidth$}{flag}",
                p.object,
                p.asked.to_string(),
                landed
            );
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}
