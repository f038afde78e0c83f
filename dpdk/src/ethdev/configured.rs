//! A configured port: its queues, started and stopped.

use super::*;

/// A port with its queues set up, receiving into a pool that lives for `'p`. Derefs to
/// [`Port`] for its read-only calls. When dropped, it frees the packets waiting in its RX
/// queues, then stops and closes the device.
pub struct ConfiguredPort<'p> {
    pub(super) port: Port,
    pub(super) pool: &'p PktMbufPool,
    /// `'p` is invariant: a covariant port could be viewed with a shorter pool lifetime,
    /// and `tx_burst`'s "packets from pools that outlive the port's" would then admit
    /// packets of a pool dropped while the device still holds them.
    pub(super) _invariant: PhantomData<fn(&'p PktMbufPool) -> &'p PktMbufPool>,
    pub(super) rx: Box<[AtomicBool]>,
    pub(super) tx: Box<[AtomicBool]>,
    pub(super) started: bool,
    /// Packets the driver returned with data beyond their buffer, dropped on receive.
    pub(super) rx_outside: AtomicU64,
}

impl<'p> ConfiguredPort<'p> {
    /// How many received packets were dropped because the driver claimed data beyond
    /// their buffer (none from a sound driver; see [`RxQueue::rx_burst`]).
    pub fn rx_outside_buffer(&self) -> u64 {
        self.rx_outside.load(Ordering::Relaxed)
    }

    /// Starts the device (`rte_eth_dev_start`).
    ///
    /// # Errors
    /// [`Error::AlreadyStarted`]; what DPDK reports.
    #[doc(alias = "rte_eth_dev_start")]
    pub fn start(&mut self) -> Result<()> {
        let call = || Call::new("rte_eth_dev_start", format!("port_id={}", self.port.id));
        if self.started {
            return Err(Error::AlreadyStarted { call: call(), port: self.port.id });
        }
        // SAFETY: a configured port we own, with no queue handle out (`&mut self`).
        check_rc(unsafe { ffi::rte_eth_dev_start(self.port.id) }, call)?;
        self.started = true;
        Ok(())
    }

    /// Stops the device (`rte_eth_dev_stop`); its queues keep their packets until it is
    /// started again or closed.
    ///
    /// # Errors
    /// What DPDK reports.
    #[doc(alias = "rte_eth_dev_stop")]
    pub fn stop(&mut self) -> Result<()> {
        if !self.started {
            return Ok(());
        }
        // SAFETY: no queue handle is out (`&mut self`), so no burst runs.
        let rc = unsafe { ffi::rte_eth_dev_stop(self.port.id) };
        check_rc(rc, || Call::new("rte_eth_dev_stop", format!("port_id={}", self.port.id)))?;
        self.started = false;
        Ok(())
    }

    /// Whether the device is started.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Turns promiscuous mode on or off (`rte_eth_promiscuous_enable/disable`).
    ///
    /// # Errors
    /// What DPDK reports ([`Error::Unsupported`] for devices without it).
    #[doc(alias = "rte_eth_promiscuous_enable")]
    #[doc(alias = "rte_eth_promiscuous_disable")]
    pub fn set_promiscuous(&mut self, on: bool) -> Result<()> {
        let id = self.port.id;
        // SAFETY: a valid port we own.
        let (rc, function) = unsafe {
            if on {
                (ffi::rte_eth_promiscuous_enable(id), "rte_eth_promiscuous_enable")
            } else {
                (ffi::rte_eth_promiscuous_disable(id), "rte_eth_promiscuous_disable")
            }
        };
        check_rc(rc, || Call::new(function, format!("port_id={id}"))).map(drop)
    }

    /// Zeroes the counters (`rte_eth_stats_reset`).
    ///
    /// # Errors
    /// What DPDK reports.
    #[doc(alias = "rte_eth_stats_reset")]
    pub fn reset_stats(&mut self) -> Result<()> {
        let id = self.port.id;
        // SAFETY: no queue handle is out (`&mut self`), so no burst updates counters.
        let rc = unsafe { ffi::rte_eth_stats_reset(id) };
        check_rc(rc, || Call::new("rte_eth_stats_reset", format!("port_id={id}"))).map(drop)
    }

    /// The pool the RX queues receive into.
    pub fn pool(&self) -> &'p PktMbufPool {
        self.pool
    }

    /// How many RX queues are configured.
    pub fn rx_queues(&self) -> u16 {
        self.rx.len() as u16
    }

    /// How many TX queues are configured.
    pub fn tx_queues(&self) -> u16 {
        self.tx.len() as u16
    }

    fn claim_queue(&self, claims: &[AtomicBool], queue: u16, function: &'static str) -> Result<()> {
        let call = || Call::new(function, format!("port_id={}, queue={queue}", self.port.id));
        if !self.started {
            return Err(Error::NotStarted { call: call(), port: self.port.id });
        }
        let flag = claims.get(queue as usize).ok_or_else(|| Error::QueueOutOfRange {
            call: call(),
            queue,
            configured: claims.len() as u16,
        })?;
        if flag.swap(true, Ordering::AcqRel) {
            return Err(Error::Busy {
                call: call(),
                message: format!("queue {queue} already has a handle"),
            });
        }
        Ok(())
    }

    /// The handle of RX queue `queue`, for one lcore at a time.
    ///
    /// # Errors
    /// [`Error::QueueOutOfRange`]; [`Error::NotStarted`]; [`Error::Busy`] when the queue
    /// already has a handle.
    pub fn rx_queue(&self, queue: u16) -> Result<RxQueue<'_, 'p>> {
        self.claim_queue(&self.rx, queue, "ConfiguredPort::rx_queue")?;
        Ok(RxQueue { port: self, queue, _not_sync: PhantomData })
    }

    /// The handle of TX queue `queue`, for one lcore at a time.
    ///
    /// # Errors
    /// As [`rx_queue`](Self::rx_queue).
    pub fn tx_queue(&self, queue: u16) -> Result<TxQueue<'_, 'p>> {
        self.claim_queue(&self.tx, queue, "ConfiguredPort::tx_queue")?;
        Ok(TxQueue { port: self, queue, _not_sync: PhantomData })
    }
}

impl Deref for ConfiguredPort<'_> {
    type Target = Port;
    fn deref(&self) -> &Port {
        &self.port
    }
}

impl ConfiguredPort<'_> {
    /// Frees what the started RX queues hold (a bounded number of bursts per queue), in
    /// case a driver leaks the packets still queued when it closes. (net_ring does, and
    /// also for stopped ports and queues no RX queue reads: `Port`'s drop empties all of
    /// its rings.)
    fn drain_rx(&mut self) {
        if !self.started {
            return;
        }
        for queue in 0..self.rx_queues() {
            // `&mut self`: no handle is out, so this temporary one is the queue's only one.
            let mut rx = RxQueue { port: self, queue, _not_sync: PhantomData };
            let mut burst = Burst::<32>::new();
            for _ in 0..1024 {
                if rx.rx_burst(&mut burst).is_empty() {
                    break;
                }
                burst.clear();
            }
            std::mem::forget(rx); // its claim flag was never set
        }
    }
}

impl Drop for ConfiguredPort<'_> {
    fn drop(&mut self) {
        self.drain_rx();
        if let Err(e) = self.stop() {
            log::warn!("{e}");
        }
        // The Port field closes the device next, while the pool is still borrowed.
    }
}

impl fmt::Debug for ConfiguredPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfiguredPort")
            .field("port", &self.port)
            .field("rx_queues", &self.rx.len())
            .field("tx_queues", &self.tx.len())
            .field("started", &self.started)
            .finish()
    }
}
