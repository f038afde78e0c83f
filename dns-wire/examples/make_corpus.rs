//! Writes the checked-in packet corpus under `dns-wire/tests/corpus/`:
//!
//! ```text
//! cargo run -p dns-wire --example make_corpus
//! ```
//!
//! - `malformed/REASON-N.bin`: frames `parse` must call `Malformed(REASON)`;
//! - `notdns/REASON-N.bin`: frames it must call `NotDns(REASON)`;
//! - `valid/NAME.bin` with `valid/expected.txt`: queries and what they ask.
//!
//! Frames come from the generator (every malformed kind, over IPv4 and IPv6) and from
//! hand-made DNS messages wrapped in Ethernet/IPv4/UDP below. `fuzz-*.bin` files under
//! `regressions/` are inputs the fuzzer found and are not written here.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use dns_wire::*;

/// Ethernet + IPv4 (with `options` words of IP options) + UDP to port 53 around `dns`.
fn wrap_v4_opts(dns: &[u8], options: usize) -> Vec<u8> {
    let ihl = 5 + options;
    let mut f = Vec::new();
    f.extend_from_slice(&SERVER_MAC);
    f.extend_from_slice(&CLIENT_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (ihl * 4 + 8 + dns.len()) as u16;
    f.extend_from_slice(&[0x40 | ihl as u8, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 19, 0, 53]);
    f.extend(std::iter::repeat(1u8).take(options * 4)); // NOP options
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&53u16.to_be_bytes());
    f.extend_from_slice(&((8 + dns.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(dns);
    f
}

fn wrap_v4(dns: &[u8]) -> Vec<u8> {
    wrap_v4_opts(dns, 0)
}

/// A DNS header: id 0x1234, RD, with the given flags word and counts.
fn header(flags: u16, qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    let mut h = vec![0x12, 0x34];
    for v in [flags, qd, an, ns, ar] {
        h.extend_from_slice(&v.to_be_bytes());
    }
    h
}

/// A query for www.example.com A with `ar` additional records following.
fn query(ar: u16, rest: &[u8]) -> Vec<u8> {
    let mut m = header(0x0100, 1, 0, 0, ar);
    m.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    m.extend_from_slice(rest);
    m
}

const OPT: &[u8] = &[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut n: HashMap<String, usize> = HashMap::new();
    let mut write = |dir: &str, reason: String, bytes: &[u8]| -> std::io::Result<()> {
        let d = root.join(dir);
        fs::create_dir_all(&d)?;
        let k = n.entry(format!("{dir}/{reason}")).or_default();
        *k += 1;
        fs::write(d.join(format!("{reason}-{k}.bin")), bytes)
    };

    // Every malformed kind the generator makes, over IPv4 and IPv6 (with and without VLAN).
    let list = DomainList::default_list();
    let mut done = std::collections::HashSet::new();
    for (ipv6, vlan) in [(0, 0), (100, 0), (0, 100), (100, 100)] {
        let mix = Mix {
            malformed: 1,
            ipv6_percent: ipv6,
            vlan_percent: vlan,
            edns_percent: 50,
            ..Mix::NONE
        };
        let mut gen = Generator::new(7, &list, mix).expect("mix");
        let mut buf = [0u8; MAX_FRAME_LEN];
        for _ in 0..2000 {
            let (len, e) = gen.next_frame(&mut buf).expect("room");
            let kind = e.malformed.expect("malformed");
            if done.insert((kind, e.ip, vlan)) {
                write("malformed", format!("{:?}", kind.reason()), &buf[..len])?;
            }
        }
    }

    // Hand-made malformed messages.
    let m = |reason: Malformed| format!("{reason:?}");
    let mut into_header = header(0x0100, 1, 0, 0, 0);
    into_header.extend_from_slice(b"\xc0\x02\x00\x01\x00\x01");
    write("malformed", m(Malformed::PointerIntoHeader), &wrap_v4(&into_header))?;
    let mut past = header(0x0100, 1, 0, 0, 0);
    past.extend_from_slice(b"\x03www\xc3\xff\x00\x01\x00\x01");
    write("malformed", m(Malformed::PointerPastEnd), &wrap_v4(&past))?;
    let mut half = header(0x0100, 1, 0, 0, 0);
    half.extend_from_slice(b"\x03www\xc0");
    write("malformed", m(Malformed::PointerPastEnd), &wrap_v4(&half))?;
    write("malformed", m(Malformed::BadOpt), &wrap_v4(&query(2, &[OPT, OPT].concat())))?;
    write(
        "malformed",
        m(Malformed::BadOpt),
        &wrap_v4(&query(1, b"\x01a\x00\x00\x29\x04\xd0\0\0\0\0\0\0")),
    )?;
    write("malformed", m(Malformed::TruncatedRecord), &wrap_v4(&query(1, &OPT[..7])))?;
    write(
        "malformed",
        m(Malformed::TruncatedRecord),
        &wrap_v4(&query(1, b"\xc0\x0c\x00\x01\x00\x01\0\0\0\x3c\x00\x04\x01")),
    )?;
    // A loop in the additional section: the owner points at itself.
    let own = query(0, b"").len() as u8;
    write("malformed", m(Malformed::PointerLoop), &wrap_v4(&query(1, &[0xc0, own, 0, 1, 0, 1])))?;
    // Labels plus a pointer back to a 250-byte question name: 261 bytes decompressed.
    let mut long = header(0x0100, 1, 0, 0, 1);
    for _ in 0..3 {
        long.push(62);
        long.extend_from_slice(&[b'q'; 62]);
    }
    long.extend_from_slice(&[60]);
    long.extend_from_slice(&[b'r'; 60]);
    long.extend_from_slice(
        b"\x00\x00\x01\x00\x01\x0aabcdefghij\xc0\x0c\x00\x01\x00\x01\0\0\0\0\0\0",
    );
    write("malformed", m(Malformed::NameTooLong), &wrap_v4(&long))?;
    write(
        "malformed",
        m(Malformed::Opcode),
        &wrap_v4(&{
            let mut q = query(0, b"");
            q[2] = 0x10; // opcode 2, STATUS
            q
        }),
    )?;
    write(
        "malformed",
        m(Malformed::RecordCount),
        &wrap_v4(&{
            let mut q = query(0, b"");
            q[9] = 1; // NSCOUNT
            q
        }),
    )?;
    write("malformed", m(Malformed::RecordCount), &wrap_v4(&query(5, b"")))?;
    write("malformed", m(Malformed::IpVersion), &{
        let mut f = wrap_v4(&query(0, b""));
        f[14] = 0x65;
        f
    })?;
    write("malformed", m(Malformed::IpHeaderLength), &{
        let mut f = wrap_v4(&query(0, b""));
        f[14] = 0x4f;
        f[16..18].copy_from_slice(&40u16.to_be_bytes());
        f
    })?;
    write("malformed", m(Malformed::TruncatedEthernet), &[0u8; 13])?;
    write("malformed", m(Malformed::TruncatedEthernet), &{
        let mut f = vec![0u8; 16];
        f[12] = 0x81;
        f
    })?;

    // Not DNS.
    let base = wrap_v4(&query(0, b""));
    let nd = |r: NotDns| format!("{r:?}");
    write("notdns", nd(NotDns::EtherType), &{
        let mut f = base.clone();
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        f
    })?;
    write("notdns", nd(NotDns::Protocol), &{
        let mut f = base.clone();
        f[23] = 6;
        f
    })?;
    write("notdns", nd(NotDns::Fragment), &{
        let mut f = base.clone();
        f[20] = 0x20; // more fragments
        f
    })?;
    write("notdns", nd(NotDns::Port), &{
        let mut f = base.clone();
        f[37] = 54;
        f
    })?;
    write("notdns", nd(NotDns::Response), &{
        let mut f = base.clone();
        f[44] |= 0x80;
        f
    })?;

    // Valid queries and what they ask.
    let mut expected = String::from("# file key qtype ip edns (key '-' = certain miss)\n");
    let valid_dir = root.join("valid");
    fs::create_dir_all(&valid_dir)?;
    let valid = |name: &str, frame: &[u8], expected: &mut String| -> std::io::Result<()> {
        let Parsed::Query(q) = parse(frame) else { panic!("{name} is not a query") };
        let key = q.lookup_key().map_or("-".to_owned(), |k| k.to_string());
        let edns = q.edns.is_some();
        writeln!(expected, "{name}.bin {key} {} {:?} {edns}", q.qtype, q.ip).expect("string");
        fs::write(valid_dir.join(format!("{name}.bin")), frame)
    };
    for (name, mix) in [
        ("hit-v4", Mix { hit: 1, ..Mix::NONE }),
        ("hit-v6", Mix { hit: 1, ipv6_percent: 100, ..Mix::NONE }),
        ("hit-vlan-edns", Mix { hit: 1, vlan_percent: 100, edns_percent: 100, ..Mix::NONE }),
        ("blocked-v6-edns", Mix { blocked: 1, ipv6_percent: 100, edns_percent: 100, ..Mix::NONE }),
        ("miss", Mix { miss: 1, ..Mix::NONE }),
    ] {
        let mut gen = Generator::new(11, &list, mix).expect("mix");
        let mut buf = [0u8; MAX_FRAME_LEN];
        let (len, _) = gen.next_frame(&mut buf).expect("room");
        valid(name, &buf[..len], &mut expected)?;
    }
    valid(
        "uppercase",
        &wrap_v4(&{
            let mut m = header(0x0100, 1, 0, 0, 0);
            m.extend_from_slice(b"\x03WWW\x07EXAMPLE\x03COM\x00\x00\x1c\x00\x01");
            m
        }),
        &mut expected,
    )?;
    valid(
        "root-name",
        &wrap_v4(&{
            let mut m = header(0x0100, 1, 0, 0, 0);
            m.extend_from_slice(b"\x00\x00\x02\x00\x01");
            m
        }),
        &mut expected,
    )?;
    valid("ip-options", &wrap_v4_opts(&query(0, b""), 2), &mut expected)?;
    valid(
        "ethernet-padding",
        &{
            let mut f = wrap_v4(&query(0, b""));
            f.extend_from_slice(&[0; 30]);
            f
        },
        &mut expected,
    )?;
    valid(
        "compressed-additional",
        &wrap_v4(&query(
            2,
            &[&b"\xc0\x0c\x00\x01\x00\x01\0\0\0\x3c\x00\x04\xc0\x00\x02\x01"[..], OPT].concat(),
        )),
        &mut expected,
    )?;
    valid(
        "too-long-for-key",
        &wrap_v4(&{
            let mut m = header(0x0100, 1, 0, 0, 0);
            for _ in 0..3 {
                m.push(30);
                m.extend_from_slice(&[b'z'; 30]);
            }
            m.extend_from_slice(b"\x00\x00\x01\x00\x01");
            m
        }),
        &mut expected,
    )?;
    valid(
        "dot-in-label",
        &wrap_v4(&{
            let mut m = header(0x0100, 1, 0, 0, 0);
            m.extend_from_slice(b"\x07www.exa\x03com\x00\x00\x01\x00\x01");
            m
        }),
        &mut expected,
    )?;
    fs::write(valid_dir.join("expected.txt"), expected)?;
    Ok(())
}
