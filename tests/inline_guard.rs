//! The drift guard over our Rust copies of DPDK's inline C (`dpdk/build/guard.rs`,
//! compiled in here as well): it must fire on a changed body or an unknown release, and
//! on the installed (tested) release every group must be in Rust.

#[allow(dead_code)]
#[path = "../dpdk/build/guard.rs"]
mod guard;

const HEADER: &str = "\
/* a header */
static inline int
dpdk_rs_demo(int a, int b)
{
\t/* add them */
\treturn a + b; // sum
}

static inline int dpdk_rs_caller(int x) { if (dpdk_rs_demo(x, 1) > 0) { return 1; } return 0; }
int dpdk_rs_demo(int a, int b);
";

fn records(hash: &str) -> Vec<guard::Record> {
    let text = format!("25.11 rte_mempool.h dpdk_rs_demo {hash}\n");
    guard::parse_records(&text).unwrap()
}

fn mempool_verdict(release: &str, records: &[guard::Record], header: &str) -> guard::Verdict {
    let header = header.to_owned();
    let read = move |name: &str| (name == "rte_mempool.h").then(|| header.clone());
    guard::evaluate(release, records, &read).into_iter().find(|v| v.group == "mempool").unwrap()
}

#[test]
fn bodies_are_found_and_normalised() {
    let body = guard::function_body(HEADER, "dpdk_rs_demo").unwrap();
    assert!(body.starts_with("dpdk_rs_demo(int a, int b)"), "{body}");
    assert_eq!(guard::normalise(&body), "dpdk_rs_demo(int a, int b) { return a + b; }");
    // A call inside another function, or a declaration, is not the definition.
    assert!(guard::function_body("int f(void) { if (g(1) > 0) { return 1; } }", "g").is_none());
    assert!(guard::function_body("int g(int);", "g").is_none());
}

#[test]
fn the_recorded_body_keeps_the_mirror() {
    let hash = guard::fingerprint(&guard::normalise(
        &guard::function_body(HEADER, "dpdk_rs_demo").unwrap(),
    ));
    let verdict = mempool_verdict("25.11", &records(&hash), HEADER);
    assert!(verdict.mirrored, "{:?}", verdict.notices);
    // Comments and white space are not changes.
    let reflowed = HEADER.replace("\treturn a + b; // sum", "  return a +\n b;");
    assert!(mempool_verdict("25.11", &records(&hash), &reflowed).mirrored);
}

#[test]
fn a_changed_body_falls_back_to_c_naming_the_function() {
    let hash = guard::fingerprint(&guard::normalise(
        &guard::function_body(HEADER, "dpdk_rs_demo").unwrap(),
    ));
    let changed = HEADER.replace("a + b", "a - b");
    let verdict = mempool_verdict("25.11", &records(&hash), &changed);
    assert!(!verdict.mirrored);
    assert!(verdict.notices[0].contains("dpdk_rs_demo (rte_mempool.h)"), "{:?}", verdict.notices);
    let gone = mempool_verdict("25.11", &records(&hash), "/* empty */");
    assert!(!gone.mirrored && gone.notices[0].contains("not found"), "{:?}", gone.notices);
}

#[test]
fn an_unknown_release_falls_back_to_c() {
    let hash = guard::fingerprint(&guard::normalise(
        &guard::function_body(HEADER, "dpdk_rs_demo").unwrap(),
    ));
    let verdict = mempool_verdict("26.03", &records(&hash), HEADER);
    assert!(!verdict.mirrored);
    assert!(verdict.notices[0].contains("DPDK 26.03"), "{:?}", verdict.notices);
}

#[test]
fn the_recorded_file_parses_and_covers_every_tested_release() {
    let text = include_str!("../dpdk/src/inline/fingerprints.txt");
    let records = guard::parse_records(text).unwrap();
    for release in ["22.11", "24.11", "25.11"] {
        for (group, headers) in guard::GROUPS {
            assert!(
                records
                    .iter()
                    .any(|r| r.release == release && headers.contains(&r.header.as_str())),
                "no {group} bodies recorded for {release}"
            );
        }
    }
}

/// On this machine's DPDK (one of the tested releases), the guard must have kept every
/// group in Rust: a missing or stale record would silently cost speed.
#[test]
fn every_mirror_is_in_use_on_the_installed_release() {
    assert_eq!(dpdk::inline::report(), "mempool=rust mbuf=rust ethdev=rust ring=rust");
}
