//! `dns-dataplane`: the DNS-lookup dataplane. With no arguments it answers a million
//! generated queries replayed through `net_pcap` and checks its counters against the
//! generator's; see `--help` for replays of real captures and live clients on a tap.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dns_dataplane::app::{run, Config, Input, Mode, Report};

const USAGE: &str = "\
dns-dataplane [options]

With no input option: answers generated queries (a mix of hits, misses, blocked,
counted and malformed) replayed through net_pcap, and checks the counts.

Input (one of):
  --queries N          generated frames (default 1000000)
  --seed S             the generator's seed (default 2026)
  --pcap-in FILE       replay a capture through net_pcap ...
  --pcap-out FILE      ... writing the answers here (default answers.pcap)
  --tap IFACE          serve live clients on a net_tap interface named IFACE
  --duration SECS      (tap) stop after SECS seconds (default: on SIGINT/SIGTERM)
  --ip ADDR            (tap) the IPv4 address to answer ARP for (default 198.19.0.53)

Options:
  --mode pipeline|rtc  the main lcore feeds workers through rings (pipeline, default),
                       or each worker polls a queue of its own (rtc)
  --lcores LIST        EAL lcores, main first (default 0,1)
  --domains FILE       the domain list (default: the embedded one)
  --blocklist FILE     block-list patterns, one per line (hyperscan feature)

Environment: DPDK_RS_MEMORY=hugepages|no-huge, DPDK_RS_EAL_ARGS, RUST_LOG.";

fn parse_args(args: &[String]) -> Result<Config, String> {
    let mut config = Config::default();
    let (mut frames, mut seed) = (1_000_000u64, 2026u64);
    let (mut pcap_in, mut pcap_out, mut tap, mut duration) = (None, None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{arg}: not a number: {v}"));
        match arg.as_str() {
            "--queries" => frames = number(value()?)?,
            "--seed" => seed = number(value()?)?,
            "--pcap-in" => pcap_in = Some(PathBuf::from(value()?)),
            "--pcap-out" => pcap_out = Some(PathBuf::from(value()?)),
            "--tap" => tap = Some(value()?),
            "--duration" => duration = Some(Duration::from_secs(number(value()?)?)),
            "--ip" => {
                let v = value()?;
                config.server_ip =
                    v.parse::<Ipv4Addr>().map_err(|_| format!("--ip: not an IPv4 address: {v}"))?;
            }
            "--mode" => {
                config.mode = match value()?.as_str() {
                    "pipeline" => Mode::Pipeline,
                    "rtc" | "run-to-completion" => Mode::RunToCompletion,
                    other => return Err(format!("--mode: pipeline or rtc, not {other}")),
                }
            }
            "--lcores" => {
                let v = value()?;
                config.lcores = v
                    .split(',')
                    .map(|l| l.trim().parse::<u32>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("--lcores: a comma-separated list of ids, not {v}"))?;
            }
            "--domains" => config.domains = Some(PathBuf::from(value()?)),
            "--blocklist" => config.blocklist = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    config.input = match (pcap_in, tap) {
        (Some(_), Some(_)) => return Err("--pcap-in and --tap exclude each other".into()),
        (Some(input), None) => {
            Input::Pcap { input, output: pcap_out.unwrap_or_else(|| PathBuf::from("answers.pcap")) }
        }
        (None, Some(iface)) => Input::Tap { iface, duration },
        (None, None) => Input::Generated { frames, seed },
    };
    Ok(config)
}

fn print_report(r: &Report) {
    println!("memory: {:?}; ran {:.2} s", r.memory, r.elapsed.as_secs_f64());
    for w in &r.workers {
        let c = &w.counters;
        let busy = w.busy.as_secs_f64();
        let engine_ticks = c.ticks_parse + c.ticks_lookup + c.ticks_build;
        let per = |t: u64| t as f64 / c.frames.max(1) as f64;
        println!(
            "worker lcore {}: {} frames, {:.2} M queries/s over its {:.3} s of traffic; the \
             engine alone {:.1} ticks/frame = {:.1} M/s (parse {:.1}, lookup {:.1}, answer {:.1})",
            w.lcore,
            c.frames,
            if busy > 0.0 { c.frames as f64 / busy / 1e6 } else { 0.0 },
            busy,
            per(engine_ticks),
            if engine_ticks > 0 { r.tsc_hz as f64 / per(engine_ticks) / 1e6 } else { 0.0 },
            per(c.ticks_parse),
            per(c.ticks_lookup),
            per(c.ticks_build),
        );
    }
    let t = &r.total;
    println!(
        "counters: frames {} queries {} | hits {} counted {} blocked {} pattern-blocked {} \
         misses {} | malformed {} not-dns {} arp {} | answered {} truncated {} no-room {} \
         tx-dropped {}",
        t.frames,
        t.queries,
        t.hits,
        t.counted,
        t.blocked,
        t.pattern_blocked,
        t.misses,
        t.malformed,
        t.not_dns,
        t.arp_replies,
        t.answered,
        t.truncated,
        t.no_room,
        t.tx_dropped
    );
    let s = &r.port_stats;
    println!(
        "port: rx {} tx {} missed {} rx-errors {} tx-errors {} no-mbuf {} | dropped at I/O {}",
        s.rx_packets,
        s.tx_packets,
        s.rx_missed,
        s.rx_errors,
        s.tx_errors,
        s.rx_no_mbuf,
        r.io_dropped
    );
    if let Some(g) = &r.generated {
        println!(
            "generated: frames {} | hits {} counted {} blocked {} misses {} | malformed {}",
            g.frames, g.hits, g.counted, g.blocked, g.misses, g.malformed
        );
    }
    if let Some([noerror, nxdomain, refused, other]) = r.answers_by_rcode {
        println!(
            "answers on the wire: NOERROR {noerror} NXDOMAIN {nxdomain} REFUSED {refused} \
             other {other}"
        );
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let config = match parse_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dns-dataplane: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = match run(&config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dns-dataplane: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_report(&report);
    let mut ok = report.placement.mismatches() == 0;
    if report.placement.mismatches() > 0 {
        eprintln!(
            "WARNING: the placement report flags {} objects (not where asked, or away from \
             their users)",
            report.placement.mismatches()
        );
    }
    if let Some(matches) = report.matches_generator() {
        if matches {
            println!("check: every count matches what the generator sent");
        } else {
            eprintln!("CHECK FAILED: the counters differ from what the generator sent");
            ok = false;
        }
    }
    if let (Some([noerror, nxdomain, refused, _]), Some(_)) =
        (report.answers_by_rcode, report.generated)
    {
        let t = &report.total;
        let sent = noerror + nxdomain + refused;
        if sent == t.answered {
            println!("check: all {sent} answers reached the output capture");
        } else {
            eprintln!("CHECK FAILED: {} answers sent, {sent} in the capture", t.answered);
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
