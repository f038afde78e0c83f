//! The drift guard for our Rust copies of DPDK's inline C (`src/inline/`).
//!
//! For each C function a mirror was written from, the body in the installed headers is
//! normalised (comments dropped, white space collapsed) and hashed (64-bit FNV-1a), and
//! the hash is looked up in `src/inline/fingerprints.txt`, which records, per release,
//! the bodies we read and ported. A group of mirrors (`mempool`, `mbuf`, `ethdev`,
//! `ring`) is used only when every function it was written from is recorded for the
//! installed release with the same body; otherwise the build prints a notice naming the
//! function and the group falls back to DPDK's C through the generated wrappers (correct,
//! slower). This file is also compiled into a test (`tests/inline_guard.rs`), which
//! proves the guard fires.

/// The mirror groups, each with the headers its functions live in.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("mempool", &["rte_mempool.h"]),
    ("mbuf", &["rte_mbuf.h"]),
    ("ethdev", &["rte_ethdev.h"]),
    // The ring's protocol is in both memory-model headers: the C11 one (our port's
    // orderings) and the generic one that x86 builds of DPDK compile, whose C shares the
    // rings with our Rust (the mempool driver, net_ring, `RingRef`).
    ("ring", &["rte_ring_elem_pvt.h", "rte_ring_c11_pvt.h", "rte_ring_generic_pvt.h"]),
];

/// One recorded body: `release header function hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub release: String,
    pub header: String,
    pub function: String,
    pub hash: String,
}

/// Parses `fingerprints.txt` (`#` comments, blank lines, four words a line).
pub fn parse_records(text: &str) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [release, header, function, hash] = words[..] else {
            return Err(format!("fingerprints.txt line {}: want 4 words, got {line:?}", i + 1));
        };
        records.push(Record {
            release: release.to_owned(),
            header: header.to_owned(),
            function: function.to_owned(),
            hash: hash.to_owned(),
        });
    }
    Ok(records)
}

/// The text of C function `name`'s definition in `header` (from its name to its
/// closing brace), if the header defines it.
pub fn function_body(header: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(at) = header[from..].find(name) {
        let start = from + at;
        from = start + name.len();
        let before = header[..start].chars().next_back();
        let after_name = header[from..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let rest = &header[from..];
        if ident(before) || ident(after_name) || !rest.trim_start().starts_with('(') {
            continue;
        }
        // Right after the parameter list, `{` makes it a definition; anything else (`;`
        // of a declaration, the rest of an expression that calls it) does not.
        let mut depth = 0usize;
        let mut end_params = None;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end_params = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let after = &rest[end_params?..];
        if !after.trim_start().starts_with('{') {
            continue;
        }
        let body_start = from + end_params? + (after.len() - after.trim_start().len());
        let mut depth = 0usize;
        for (i, c) in header[body_start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(header[start..body_start + i + 1].to_owned());
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    None
}

/// `text` without C comments, its white space collapsed to single spaces.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
            out.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 64-bit FNV-1a of `text`, as 16 hex digits.
pub fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// What the guard decided for one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub group: &'static str,
    /// Whether the Rust mirror may be used.
    pub mirrored: bool,
    /// Why not (one line per function), empty when mirrored.
    pub notices: Vec<String>,
}

/// Decides every group for `release`, reading headers through `read_header`.
pub fn evaluate(
    release: &str,
    records: &[Record],
    read_header: &dyn Fn(&str) -> Option<String>,
) -> Vec<Verdict> {
    GROUPS
        .iter()
        .map(|(group, headers)| {
            let mine: Vec<&Record> = records
                .iter()
                .filter(|r| r.release == release && headers.contains(&r.header.as_str()))
                .collect();
            let mut notices = Vec::new();
            if mine.is_empty() {
                notices.push(format!(
                    "DPDK {release}: no recorded bodies for the `{group}` mirrors (an untested \
                     release), so they stay in C"
                ));
            }
            for record in mine {
                let found = read_header(&record.header)
                    .and_then(|text| function_body(&text, &record.function))
                    .map(|body| fingerprint(&normalise(&body)));
                match found {
                    Some(hash) if hash == record.hash => {}
                    Some(hash) => notices.push(format!(
                        "DPDK {release}: {} ({}) is not the body the `{group}` mirror was \
                         written from (fingerprint {hash}, recorded {}); it stays in C",
                        record.function, record.header, record.hash
                    )),
                    None => notices.push(format!(
                        "DPDK {release}: {} not found in {}; the `{group}` mirror stays in C",
                        record.function, record.header
                    )),
                }
            }
            Verdict { group, mirrored: notices.is_empty(), notices }
        })
        .collect()
}
