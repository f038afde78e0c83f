//! A short tour of the EAL, lcores and sockets: what `cargo xtask demo` shows after the
//! NUMA topology.
//!
//! Memory mode from `DPDK_RS_MEMORY` (`hugepages` | `no-huge`); `RUST_LOG=info` shows
//! DPDK's own start-up lines through the `log` crate.

use std::process::ExitCode;

use dpdk::{EalBuilder, LcoreId, Memory, SocketId};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    match tour() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tour: {e}");
            ExitCode::FAILURE
        }
    }
}

fn tour() -> dpdk::Result<()> {
    let builder = EalBuilder::new().program("tour").lcores([0, 1]).in_memory(true).no_pci(true);
    let builder = builder.env_overrides()?;
    let builder = match builder.memory_mode() {
        Memory::NoHuge => builder.memory_mb(128),
        Memory::Hugepages => builder,
    };
    println!("rte_eal_init {:?}", builder.args());
    let started = std::time::Instant::now();
    let eal = builder.build()?;
    println!(
        "EAL up in {:.0?}: DPDK {}, hugepages: {}, IOVA mode {:?}, TSC {:.3} GHz",
        started.elapsed(),
        dpdk::ffi::DPDK_VERSION,
        eal.has_hugepages(),
        eal.iova_mode(),
        eal.tsc_hz() as f64 / 1e9
    );

    println!("sockets DPDK found: {:?}", eal.sockets());
    println!("lcores:");
    for lcore in eal.lcores() {
        let role = if lcore == eal.main_lcore() { "main" } else { "worker" };
        println!("  {lcore:<8} {role:<6} cpu {:<3} {}", lcore.cpus()[0], lcore.socket());
    }
    println!(
        "this thread: {:?} on {} (the main lcore is the thread that ran rte_eal_init)",
        LcoreId::current(),
        SocketId::current()
    );

    // Every worker reports where it runs: socket placement starts from here.
    for worker in eal.workers() {
        let seen = eal.launch(worker, || (LcoreId::current(), SocketId::current()))?;
        let (lcore, socket) = seen.join().expect("no panic");
        println!("launched on {worker}: it sees {lcore:?} on {socket}");
    }

    // Scoped launch: a worker sums one half of a slice borrowed from this stack.
    let data: Vec<u64> = (1..=1_000_000).collect();
    let (left, right) = data.split_at(data.len() / 2);
    let total = eal.scope(|s| -> dpdk::Result<u64> {
        let job = s.launch(eal.workers()[0], || left.iter().sum::<u64>())?;
        let mine: u64 = right.iter().sum();
        Ok(job.join().expect("no panic") + mine)
    })?;
    println!("scoped sum of 1..=1e6 over two lcores: {total}");

    // A panic on a worker is caught there and handed to the joiner.
    let job = eal.launch(eal.workers()[0], || -> () { panic!("a worker panicked on purpose") })?;
    match job.join() {
        Ok(()) => println!("unexpected: the panicking job returned"),
        Err(payload) => {
            println!("worker panic reported to joiner: {:?}", dpdk::lcore::panic_message(&*payload))
        }
    }

    // A plain thread registers to get an lcore id (and mempool caches) for a while.
    let eal2 = eal.clone();
    std::thread::spawn(move || -> dpdk::Result<()> {
        let reg = eal2.register_thread()?;
        println!("a registered non-EAL thread got {} ({})", reg.lcore(), SocketId::current());
        Ok(())
    })
    .join()
    .expect("no panic")?;

    println!(
        "asking for socket 7: {}",
        SocketId::new(7).map_or_else(|e| e.to_string(), |s| s.to_string())
    );
    eal.close()?;
    println!("EAL cleaned up");
    Ok(())
}
