//! Answers ARP requests for the dataplane's own IPv4 address (RFC 826), so that real
//! clients on a tap interface can reach it without a static neighbour entry.

use std::net::Ipv4Addr;

/// The address the dataplane answers for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpIdentity {
    /// Our IPv4 address.
    pub ip: Ipv4Addr,
    /// Our MAC address.
    pub mac: [u8; 6],
}

/// Rewrites `frame` in place into the reply when it is an ARP request (Ethernet, IPv4,
/// optionally one VLAN tag) for `me`; returns whether it did. Anything else is left as is.
///
/// ```
/// use dns_dataplane::arp::{answer_arp, ArpIdentity};
/// let me = ArpIdentity { ip: "198.19.0.53".parse().unwrap(), mac: [2, 0, 0, 0, 0, 0x35] };
/// let mut f = [0u8; 42];
/// f[..6].fill(0xff);
/// f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
/// f[12..14].copy_from_slice(&[0x08, 0x06]);
/// f[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
/// f[22..28].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
/// f[28..32].copy_from_slice(&[198, 19, 0, 1]);
/// f[38..42].copy_from_slice(&[198, 19, 0, 53]);
/// assert!(!answer_arp(&mut f[..41], &me), "a runt frame is not answered");
/// assert!(answer_arp(&mut f, &me));
/// assert_eq!(&f[..6], &[2, 0, 0, 0, 0, 1]);      // back to the asker
/// assert_eq!(&f[20..22], &[0, 2]);                // a reply
/// assert_eq!(&f[22..28], &me.mac);                // our MAC for our IP
/// ```
pub fn answer_arp(frame: &mut [u8], me: &ArpIdentity) -> bool {
    let Some(l3) = frame.get(12..14).map(|t| 14 + 4 * usize::from(t == [0x81, 0x00])) else {
        return false;
    };
    if frame.get(l3 - 2..l3) != Some(&[0x08, 0x06]) {
        return false;
    }
    let Some(arp) = frame.get_mut(l3..l3 + 28) else {
        return false;
    };
    // Ethernet hardware, IPv4 protocol, 6- and 4-byte addresses, a request for our IP.
    if arp[..8] != [0, 1, 8, 0, 6, 4, 0, 1] || arp[24..28] != me.ip.octets() {
        return false;
    }
    let (sender_mac, sender_ip): ([u8; 6], [u8; 4]) =
        (arp[8..14].try_into().unwrap(), arp[14..18].try_into().unwrap());
    arp[7] = 2;
    arp[8..14].copy_from_slice(&me.mac);
    arp[14..18].copy_from_slice(&me.ip.octets());
    arp[18..24].copy_from_slice(&sender_mac);
    arp[24..28].copy_from_slice(&sender_ip);
    frame[..6].copy_from_slice(&sender_mac);
    frame[6..12].copy_from_slice(&me.mac);
    true
}
