//! The dataplane binary on replayed traffic through `net_pcap`: the embedded default in
//! both modes (its counters checked against the generator by the binary itself), and a
//! capture written here, whose answers are read back.

use std::process::Command;

use dns_dataplane::app::response_rcode;
use dns_dataplane::pcap::{for_each_frame, PcapWriter};
use dns_wire::{rcode, DomainList, Generator, Mix};

fn dataplane(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dns-dataplane"))
        .args(args)
        .output()
        .expect("run the dataplane");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn generated_traffic_is_answered_as_generated_in_both_modes() {
    for mode in ["pipeline", "rtc"] {
        let (ok, text) = dataplane(&["--queries", "50000", "--seed", "7", "--mode", mode]);
        println!("{text}");
        assert!(ok, "{mode}: the dataplane failed");
        assert!(text.contains("check: every count matches what the generator sent"), "{mode}");
        assert!(text.contains("answers reached the output capture"), "{mode}");
        assert!(text.contains("placement report"), "{mode}");
        assert!(!text.contains("WARNING: not where asked"), "{mode}");
    }
}

#[test]
fn a_capture_is_replayed_and_its_answers_written() {
    let dir = std::env::temp_dir().join(format!("dns-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, output) = (dir.join("in.pcap"), dir.join("out.pcap"));
    let list = DomainList::default_list();
    let mix = Mix { hit: 6, blocked: 2, miss: 2, malformed: 1, ..Mix::NONE };
    let mut gen = Generator::new(99, &list, mix).unwrap();
    let mut w = PcapWriter::create(&input).unwrap();
    let mut frame = [0u8; dns_wire::MAX_FRAME_LEN];
    for _ in 0..1000 {
        let (len, _) = gen.next_frame(&mut frame).unwrap();
        w.write(&frame[..len]).unwrap();
    }
    // Traffic that is not ours: an ARP request for someone else and a UDP datagram to 54.
    let mut arp = [0u8; 42];
    arp[..6].fill(0xff);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    arp[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    arp[38..42].copy_from_slice(&[10, 9, 8, 7]);
    w.write(&arp).unwrap();
    w.finish().unwrap();
    let g = *gen.counts();

    let (ok, text) =
        dataplane(&["--pcap-in", input.to_str().unwrap(), "--pcap-out", output.to_str().unwrap()]);
    println!("{text}");
    assert!(ok, "the dataplane failed");
    let mut by_rcode = [0u64; 3];
    let answers = for_each_frame(&output, |f| match response_rcode(f) {
        Some(rcode::NOERROR) => by_rcode[0] += 1,
        Some(rcode::NXDOMAIN) => by_rcode[1] += 1,
        Some(rcode::REFUSED) => by_rcode[2] += 1,
        other => panic!("not an answer we send: {other:?}"),
    })
    .unwrap();
    assert_eq!(answers, g.frames - g.malformed, "one answer per well-formed query");
    assert_eq!(by_rcode, [g.hits, g.misses, g.blocked]);
    assert!(text.contains("not-dns 1"), "the ARP request for someone else is not DNS");
    std::fs::remove_dir_all(&dir).unwrap();
}
