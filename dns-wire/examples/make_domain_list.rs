//! Writes the shipped domain list, `dns-wire/data/domains.txt`, to standard output:
//!
//! ```text
//! cargo run -p dns-wire --example make_domain_list > dns-wire/data/domains.txt
//! ```
//!
//! The list is made from fixed word lists and the crate's own seeded generator, so the
//! same file comes out every time.

use dns_wire::SplitMix64;

const WORDS: &[&str] = &[
    "alpha", "bravo", "cedar", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "maple", "nimbus", "onyx", "pepper", "quartz", "raven", "sierra", "tundra",
    "umber", "velvet", "willow", "xenon", "yonder", "zephyr", "orbit", "pixel", "cobalt", "summit",
];
const SERVICES: &[&str] =
    &["www", "api", "cdn", "mail", "static", "img", "login", "shop", "news", "docs", "m", "app"];
const TLDS: &[&str] = &["example", "example.com", "example.net", "example.org", "test"];

fn pick<'a>(rng: &mut SplitMix64, from: &[&'a str]) -> &'a str {
    from.get(rng.below(from.len() as u64) as usize).copied().unwrap_or("x")
}

fn main() {
    let mut rng = SplitMix64::new(0x00d0_5eed);
    let mut seen = std::collections::HashSet::new();
    println!("# The dataplane's default domain list (see dns-wire's docs for the format).");
    println!(
        "# Generated: cargo run -p dns-wire --example make_domain_list > dns-wire/data/domains.txt"
    );
    println!("# Addresses are from the documentation ranges (RFC 5737, RFC 3849).");
    println!("#");
    println!("# name action [ttl=N] [group=NAME] [addresses...]");
    println!("www.example.com answer 192.0.2.1 2001:db8::1");
    println!("ads.example.net block group=ads");
    println!("telemetry.example.org count group=telemetry");
    let mut written = 3;
    while written < 2000 {
        let service = pick(&mut rng, SERVICES);
        let word = pick(&mut rng, WORDS);
        let n = rng.below(100);
        let tld = pick(&mut rng, TLDS);
        let name = format!("{service}.{word}{n}.{tld}");
        if !seen.insert(name.clone()) || name == "www.example.com" {
            continue;
        }
        let roll = rng.below(100);
        let line = if roll < 80 {
            let mut fields = vec![name, "answer".to_owned()];
            if rng.below(5) == 0 {
                fields.push(format!("ttl={}", [30, 60, 3600][rng.below(3) as usize]));
            }
            let net = ["192.0.2", "198.51.100", "203.0.113"][rng.below(3) as usize];
            let first = 1 + rng.below(254);
            fields.push(format!("{net}.{first}"));
            if rng.below(2) == 0 {
                // A second address, never the same as the first.
                fields.push(format!("{net}.{}", 1 + (first + rng.below(253)) % 254));
            }
            if rng.below(2) == 0 {
                fields.push(format!(
                    "2001:db8:{:x}::{:x}",
                    rng.below(0xffff),
                    1 + rng.below(0xfffe)
                ));
            }
            fields.join(" ")
        } else if roll < 92 {
            let group = if rng.below(2) == 0 { "ads" } else { "malware" };
            format!("{name} block group={group}")
        } else if rng.below(2) == 0 {
            format!("{name} count group=telemetry")
        } else {
            format!("{name} count group=telemetry 198.51.100.{}", 1 + rng.below(254))
        };
        println!("{line}");
        written += 1;
    }
}
