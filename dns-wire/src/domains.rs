//! The domain list: which names the dataplane answers, blocks or counts.
//!
//! # Format
//!
//! UTF-8 text, one entry per line; `#` starts a comment (to the end of the line), blank
//! lines are skipped, fields are separated by spaces or tabs:
//!
//! ```text
//! # name                 action  [option=value ...]     [address ...]
//! www.example.com        answer  192.0.2.10 2001:db8::10
//! api.example.com.       answer  ttl=60 group=apis 192.0.2.11 192.0.2.12
//! ads.example.net        block   group=ads
//! metrics.example.org    count
//! beacon.example.org     count   198.51.100.1
//! ```
//!
//! - **name**: a domain name, with or without the trailing dot, any ASCII case (stored
//!   lowercase); labels of letters, digits, `-` and `_`, 63 bytes at most; the whole name at
//!   most 64 bytes without the trailing dot (the lookup table's key size: [`KEY_LEN`](crate::KEY_LEN)).
//!   Each name appears once.
//! - **action**:
//!   - `answer`: NOERROR with the entry's addresses (A queries get the IPv4 ones, AAAA
//!     queries the IPv6 ones, other types no records); needs at least one address.
//!   - `block`: REFUSED; takes no addresses.
//!   - `count`: counted separately, then answered NXDOMAIN, or like `answer` when addresses
//!     are given.
//! - **options**: `ttl=SECONDS` (the answers' TTL, default [`DEFAULT_TTL`]) and
//!   `group=NAME` (default `default`): groups are numbered in order of first appearance,
//!   `default` being 0, so per-group counters can be arrays.
//! - **addresses**: IPv4 or IPv6 literals, at most [`MAX_V4`] of each.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::answer::{Answer, PreparedAnswer};
use crate::name::{DomainKey, KeyError};

/// IPv4 addresses per entry at most.
pub const MAX_V4: usize = 4;
/// IPv6 addresses per entry at most.
pub const MAX_V6: usize = 4;
/// TTL of answers when an entry names none, in seconds.
pub const DEFAULT_TTL: u32 = 300;
/// Groups per list at most (group numbers are `u16`).
pub const MAX_GROUPS: usize = 1 << 16;

/// What to do with a query for a listed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Answer NOERROR with the entry's addresses.
    Answer,
    /// Answer REFUSED.
    Block,
    /// Count it; answer NXDOMAIN, or with the entry's addresses if it has any.
    Count,
}

/// One entry of the list: fixed size, `Copy` and heap-free, so it can be stored as is as
/// the value of a DPDK hash table on the workers' socket.
///
/// ```
/// use dns_wire::{Action, Answer, DomainList};
/// let list = DomainList::parse("www.example.com answer ttl=60 192.0.2.1\n")?;
/// let e = &list.entries()[0];
/// assert_eq!(e.action, Action::Answer);
/// assert_eq!(e.v4(), ["192.0.2.1".parse::<std::net::Ipv4Addr>()?]);
/// assert!(matches!(e.answer(), Answer::Addresses { ttl: 60, .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainEntry {
    /// The name's lookup key.
    pub key: DomainKey,
    /// What to do.
    pub action: Action,
    /// The group number (see [`DomainList::groups`]).
    pub group: u16,
    /// TTL of the answers, in seconds.
    pub ttl: u32,
    v4: [Ipv4Addr; MAX_V4],
    v6: [Ipv6Addr; MAX_V6],
    n_v4: u8,
    n_v6: u8,
}

impl DomainEntry {
    /// An entry with no addresses.
    ///
    /// ```
    /// use dns_wire::{Action, DomainEntry, DomainKey};
    /// let e = DomainEntry::new(DomainKey::from_name("a.example")?, Action::Block);
    /// assert!(e.v4().is_empty() && e.v6().is_empty());
    /// # Ok::<(), dns_wire::KeyError>(())
    /// ```
    pub fn new(key: DomainKey, action: Action) -> Self {
        DomainEntry {
            key,
            action,
            group: 0,
            ttl: DEFAULT_TTL,
            v4: [Ipv4Addr::UNSPECIFIED; MAX_V4],
            v6: [Ipv6Addr::UNSPECIFIED; MAX_V6],
            n_v4: 0,
            n_v6: 0,
        }
    }

    /// Adds an address; returns it back when [`MAX_V4`] / [`MAX_V6`] of its family are
    /// already there.
    ///
    /// # Errors
    /// The address itself, when its family is full.
    ///
    /// ```
    /// use dns_wire::{Action, DomainEntry, DomainKey};
    /// let mut e = DomainEntry::new(DomainKey::from_name("a.example")?, Action::Answer);
    /// e.push_address("2001:db8::1".parse()?).unwrap();
    /// assert_eq!(e.v6().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_address(&mut self, addr: IpAddr) -> Result<(), IpAddr> {
        match addr {
            IpAddr::V4(a) => {
                *self.v4.get_mut(usize::from(self.n_v4)).ok_or(addr)? = a;
                self.n_v4 += 1;
            }
            IpAddr::V6(a) => {
                *self.v6.get_mut(usize::from(self.n_v6)).ok_or(addr)? = a;
                self.n_v6 += 1;
            }
        }
        Ok(())
    }

    /// The IPv4 addresses (A records).
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("a.example answer 192.0.2.1 192.0.2.2")?;
    /// assert_eq!(list.entries()[0].v4().len(), 2);
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn v4(&self) -> &[Ipv4Addr] {
        self.v4.get(..usize::from(self.n_v4)).unwrap_or(&[])
    }

    /// The IPv6 addresses (AAAA records).
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("a.example answer 2001:db8::1")?;
    /// assert_eq!(list.entries()[0].v6().len(), 1);
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn v6(&self) -> &[Ipv6Addr] {
        self.v6.get(..usize::from(self.n_v6)).unwrap_or(&[])
    }

    /// The response for a query of this name, per [`Action`].
    ///
    /// ```
    /// use dns_wire::{Answer, DomainList};
    /// let list = DomainList::parse("a.example block\nb.example count\n")?;
    /// assert_eq!(list.entries()[0].answer(), Answer::Refused);
    /// assert_eq!(list.entries()[1].answer(), Answer::NxDomain);
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn answer(&self) -> Answer<'_> {
        let addresses = Answer::Addresses { ttl: self.ttl, v4: self.v4(), v6: self.v6() };
        match self.action {
            Action::Answer => addresses,
            Action::Block => Answer::Refused,
            Action::Count if self.n_v4 == 0 && self.n_v6 == 0 => Answer::NxDomain,
            Action::Count => addresses,
        }
    }

    /// [`answer`](Self::answer), prepared for [`crate::build_prepared_response`].
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("a.example answer 192.0.2.1 2001:db8::1")?;
    /// let e = &list.entries()[0];
    /// assert_eq!(Some(e.prepared()), dns_wire::PreparedAnswer::new(&e.answer()));
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn prepared(&self) -> PreparedAnswer {
        // An entry holds at most MAX_V4 and MAX_V6 addresses, which a prepared answer
        // always has room for (checked when compiling, in `answer`).
        PreparedAnswer::new(&self.answer()).unwrap_or(PreparedAnswer::SERVFAIL)
    }
}

/// A line of a domain list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("domain list line {line}: {kind}")]
pub struct ListError {
    /// The line's number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub kind: ListErrorKind,
}

/// What is wrong with a line of a domain list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListErrorKind {
    /// The name cannot be a table key (too long for [`KEY_LEN`](crate::KEY_LEN), bad label...).
    #[error("bad name {name:?}: {source}")]
    BadName {
        /// The name as written.
        name: String,
        /// Why.
        source: KeyError,
    },
    /// A name with no action after it.
    #[error("missing action (answer, block or count)")]
    MissingAction,
    /// An action other than `answer`, `block` or `count`.
    #[error("unknown action {0:?} (answer, block or count)")]
    UnknownAction(String),
    /// A field that is neither `ttl=`/`group=` nor an IP address.
    #[error("{0:?} is neither an option (ttl=, group=) nor an IP address")]
    BadField(String),
    /// An option with a bad value or an unknown option.
    #[error("bad option {0:?}")]
    BadOption(String),
    /// An `answer` line without addresses.
    #[error("answer needs at least one address")]
    NoAddresses,
    /// A `block` line with addresses.
    #[error("block takes no addresses")]
    AddressesOnBlock,
    /// An address listed twice for one name (RFC 2181 section 5: no duplicate records).
    #[error("address {0} listed twice")]
    DuplicateAddress(IpAddr),
    /// More than [`MAX_V4`] IPv4 or [`MAX_V6`] IPv6 addresses.
    #[error("too many addresses (at most {MAX_V4} IPv4 and {MAX_V6} IPv6)")]
    TooManyAddresses,
    /// The name was listed before.
    #[error("duplicate name, first listed on line {first_line}")]
    Duplicate {
        /// The line that listed it first.
        first_line: usize,
    },
    /// More than [`MAX_GROUPS`] groups.
    #[error("too many groups (at most {MAX_GROUPS})")]
    TooManyGroups,
}

/// A parsed domain list.
///
/// ```
/// use dns_wire::{DomainKey, DomainList};
/// let list = DomainList::parse("# test\nWWW.example.com. answer 192.0.2.1 # web\n")?;
/// let key = DomainKey::from_name("www.example.com").unwrap();
/// assert_eq!(list.get(&key).unwrap().v4().len(), 1);
/// # Ok::<(), dns_wire::ListError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DomainList {
    entries: Vec<DomainEntry>,
    lines: Vec<usize>,
    groups: Vec<String>,
    index: HashMap<DomainKey, usize>,
}

/// The shipped list (`dns-wire/data/domains.txt`).
pub const DEFAULT_LIST: &str = include_str!("../data/domains.txt");

impl DomainList {
    /// Parses a list in the format above.
    ///
    /// # Errors
    /// The first bad line, with its number.
    ///
    /// ```
    /// use dns_wire::{DomainList, ListErrorKind};
    /// let err = DomainList::parse("a.example answer\n").unwrap_err();
    /// assert_eq!((err.line, err.kind), (1, ListErrorKind::NoAddresses));
    /// ```
    pub fn parse(text: &str) -> Result<Self, ListError> {
        let mut list = DomainList {
            entries: Vec::new(),
            lines: Vec::new(),
            groups: vec!["default".to_owned()],
            index: HashMap::new(),
        };
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("");
            let mut fields = content.split_whitespace();
            let Some(name) = fields.next() else { continue };
            list.parse_entry(name, fields).map_err(|kind| ListError { line, kind })?;
            list.lines.push(line);
        }
        Ok(list)
    }

    fn parse_entry<'a>(
        &mut self,
        name: &str,
        fields: impl Iterator<Item = &'a str>,
    ) -> Result<(), ListErrorKind> {
        let key = DomainKey::from_name(name)
            .map_err(|source| ListErrorKind::BadName { name: name.to_owned(), source })?;
        if let Some(&i) = self.index.get(&key) {
            let first_line = self.lines.get(i).copied().unwrap_or(0);
            return Err(ListErrorKind::Duplicate { first_line });
        }
        let mut fields = fields.peekable();
        let action = match fields.next() {
            None => return Err(ListErrorKind::MissingAction),
            Some("answer") => Action::Answer,
            Some("block") => Action::Block,
            Some("count") => Action::Count,
            Some(other) => return Err(ListErrorKind::UnknownAction(other.to_owned())),
        };
        let mut entry = DomainEntry::new(key, action);
        for field in fields {
            if let Some((option, value)) = field.split_once('=') {
                match option {
                    "ttl" => {
                        entry.ttl = value
                            .parse()
                            .map_err(|_| ListErrorKind::BadOption(field.to_owned()))?;
                    }
                    "group" if !value.is_empty() => entry.group = self.group(value)?,
                    _ => return Err(ListErrorKind::BadOption(field.to_owned())),
                }
                continue;
            }
            let addr: IpAddr =
                field.parse().map_err(|_| ListErrorKind::BadField(field.to_owned()))?;
            if action == Action::Block {
                return Err(ListErrorKind::AddressesOnBlock);
            }
            if entry.v4().iter().any(|a| IpAddr::V4(*a) == addr)
                || entry.v6().iter().any(|a| IpAddr::V6(*a) == addr)
            {
                return Err(ListErrorKind::DuplicateAddress(addr));
            }
            entry.push_address(addr).map_err(|_| ListErrorKind::TooManyAddresses)?;
        }
        if action == Action::Answer && entry.v4().is_empty() && entry.v6().is_empty() {
            return Err(ListErrorKind::NoAddresses);
        }
        self.index.insert(key, self.entries.len());
        self.entries.push(entry);
        Ok(())
    }

    fn group(&mut self, name: &str) -> Result<u16, ListErrorKind> {
        let i = match self.groups.iter().position(|g| g == name) {
            Some(i) => i,
            None => {
                self.groups.push(name.to_owned());
                self.groups.len() - 1
            }
        };
        u16::try_from(i).map_err(|_| ListErrorKind::TooManyGroups)
    }

    /// The shipped list, [`DEFAULT_LIST`] (checked by this crate's tests).
    ///
    /// ```
    /// assert!(dns_wire::DomainList::default_list().len() >= 1000);
    /// ```
    pub fn default_list() -> Self {
        #[allow(clippy::expect_used)]
        Self::parse(DEFAULT_LIST).expect("the shipped domain list parses (tested)")
    }

    /// The entries, in the file's order.
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("a.example block\nb.example block")?;
    /// assert_eq!(list.entries()[1].key.to_string(), "b.example");
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn entries(&self) -> &[DomainEntry] {
        &self.entries
    }

    /// The line each entry came from (parallel to [`DomainList::entries`]).
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("# x\n\na.example block")?;
    /// assert_eq!(list.lines(), [3]);
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn lines(&self) -> &[usize] {
        &self.lines
    }

    /// The group names; an entry's `group` indexes this (0 is `default`).
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("a.example block group=ads")?;
    /// assert_eq!(list.groups(), ["default", "ads"]);
    /// assert_eq!(list.entries()[0].group, 1);
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The entry for a key (a `HashMap` lookup: for set-up and tests, not the dataplane).
    ///
    /// ```
    /// let list = dns_wire::DomainList::parse("a.example block")?;
    /// assert!(list.get(&dns_wire::DomainKey::from_name("A.EXAMPLE").unwrap()).is_some());
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn get(&self, key: &DomainKey) -> Option<&DomainEntry> {
        self.index.get(key).and_then(|&i| self.entries.get(i))
    }

    /// Number of entries.
    ///
    /// ```
    /// assert_eq!(dns_wire::DomainList::parse("")?.len(), 0);
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no entries.
    ///
    /// ```
    /// assert!(dns_wire::DomainList::parse("# nothing")?.is_empty());
    /// # Ok::<(), dns_wire::ListError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ListError {
        DomainList::parse(text).unwrap_err()
    }

    #[test]
    fn full_example() {
        let text = "\
# name action options addresses
www.example.com        answer  192.0.2.10 2001:db8::10
api.example.com.       answer  ttl=60 group=apis 192.0.2.11 192.0.2.12
ads.example.net        block   group=ads
metrics.example.org    count   group=apis
beacon.example.org     count   198.51.100.1   # trailing comment
";
        let list = DomainList::parse(text).unwrap();
        assert_eq!(list.len(), 5);
        assert_eq!(list.groups(), ["default", "apis", "ads"]);
        let e = list.entries();
        assert_eq!((e[1].ttl, e[1].group, e[1].v4().len()), (60, 1, 2));
        assert_eq!((e[2].action, e[2].group), (Action::Block, 2));
        assert_eq!(e[3].answer(), Answer::NxDomain);
        assert!(matches!(e[4].answer(), Answer::Addresses { .. }));
        assert_eq!(list.lines(), [2, 3, 4, 5, 6]);
    }

    #[test]
    fn errors_carry_line_numbers() {
        assert_eq!(err("a.example answer 1.2.3.4\n\na.EXAMPLE. block").line, 3);
        assert_eq!(
            err("a.example answer 1.2.3.4\na.example block").kind,
            ListErrorKind::Duplicate { first_line: 1 }
        );
        assert_eq!(err("x.example").kind, ListErrorKind::MissingAction);
        assert_eq!(err("x.example drop").kind, ListErrorKind::UnknownAction("drop".into()));
        assert_eq!(err("x.example block 1.2.3.4").kind, ListErrorKind::AddressesOnBlock);
        assert_eq!(err("x.example answer 1.2.3").kind, ListErrorKind::BadField("1.2.3".into()));
        assert_eq!(
            err("x.example answer ttl=x 1.1.1.1").kind,
            ListErrorKind::BadOption("ttl=x".into())
        );
        assert_eq!(
            err("x.example answer foo=1 1.1.1.1").kind,
            ListErrorKind::BadOption("foo=1".into())
        );
        assert_eq!(
            err("x.example answer 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5").kind,
            ListErrorKind::TooManyAddresses
        );
        let long = format!("{}.example answer 1.1.1.1", "a".repeat(60));
        assert!(matches!(
            err(&long).kind,
            ListErrorKind::BadName { source: KeyError::TooLong { len: 68 }, .. }
        ));
        assert!(err(&long).to_string().contains("line 1"));
        assert_eq!(
            err("x.example answer 1.1.1.1 ::1 1.1.1.1").kind,
            ListErrorKind::DuplicateAddress("1.1.1.1".parse().unwrap())
        );
        assert!(matches!(err("a..b block").kind, ListErrorKind::BadName { .. }));
        assert!(matches!(err("a*b block").kind, ListErrorKind::BadName { .. }));
    }

    #[test]
    fn default_list_parses() {
        let list = DomainList::parse(DEFAULT_LIST).unwrap();
        assert!(list.len() >= 1000);
        for action in [Action::Answer, Action::Block, Action::Count] {
            assert!(list.entries().iter().any(|e| e.action == action));
        }
        assert!(list.entries().iter().all(|e| e.key.len() <= crate::KEY_LEN));
    }
}
