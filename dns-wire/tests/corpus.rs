//! The checked-in packet corpus (`tests/corpus/`, written by `examples/make_corpus.rs`, plus
//! fuzzer findings under `regressions/`): every file gets the classification its name or
//! `valid/expected.txt` says, and neither parsing any prefix of it nor building any
//! response for it panics.

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use dns_wire::*;

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(dir);
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "bin"));
    v.sort();
    v
}

fn prefix(p: &Path) -> String {
    let stem = p.file_stem().unwrap().to_str().unwrap();
    stem.rsplit_once('-').map_or(stem, |(a, _)| a).to_owned()
}

/// Parses every prefix of `frame`, and builds every kind of response for it (and for its
/// prefixes that are queries) into buffers of several sizes.
fn never_panics(frame: &[u8]) {
    let v4 = [Ipv4Addr::new(192, 0, 2, 1); 4];
    let v6 = [Ipv6Addr::LOCALHOST; 4];
    let answers = [
        Answer::Addresses { ttl: 1, v4: &v4, v6: &v6 },
        Answer::NxDomain,
        Answer::Refused,
        Answer::ServFail,
    ];
    for cut in 0..=frame.len() {
        if let Parsed::Query(q) = parse(&frame[..cut]) {
            for answer in &answers {
                for room in [cut, cut + 20, cut + 300] {
                    let mut buf = frame[..cut].to_vec();
                    buf.resize(room, 0);
                    if let Ok(r) = build_response(&mut buf, &q, answer, &BuildOptions::default()) {
                        assert!(r.len <= room);
                    }
                }
            }
        }
    }
}

#[test]
fn malformed_corpus() {
    let files = files("malformed");
    assert!(files.len() >= 30, "{}", files.len());
    for f in &files {
        let frame = fs::read(f).unwrap();
        match parse(&frame) {
            Parsed::Malformed(reason) => assert_eq!(format!("{reason:?}"), prefix(f), "{f:?}"),
            other => panic!("{f:?}: {other:?}"),
        }
        never_panics(&frame);
    }
}

#[test]
fn notdns_corpus() {
    let files = files("notdns");
    assert!(!files.is_empty());
    for f in &files {
        let frame = fs::read(f).unwrap();
        match parse(&frame) {
            Parsed::NotDns(reason) => assert_eq!(format!("{reason:?}"), prefix(f), "{f:?}"),
            other => panic!("{f:?}: {other:?}"),
        }
        never_panics(&frame);
    }
}

#[test]
fn valid_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/valid");
    let expected = fs::read_to_string(dir.join("expected.txt")).unwrap();
    let mut n = 0;
    for line in expected.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let frame = fs::read(dir.join(f[0])).unwrap();
        let Parsed::Query(q) = parse(&frame) else { panic!("{line}") };
        let key = q.lookup_key().map_or("-".to_owned(), |k| k.to_string());
        assert_eq!(key, f[1], "{line}");
        assert_eq!(q.qtype.to_string(), f[2], "{line}");
        assert_eq!(format!("{:?}", q.ip), f[3], "{line}");
        assert_eq!(q.edns.is_some().to_string(), f[4], "{line}");
        never_panics(&frame);
        n += 1;
    }
    assert_eq!(n, files("valid").len());
}

#[test]
fn fuzz_regressions() {
    for f in files("regressions") {
        never_panics(&fs::read(&f).unwrap());
    }
}
