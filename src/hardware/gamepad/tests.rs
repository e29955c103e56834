//! The I/O thread's rules, on its state ([`Pads`]) with a recording backend and a clock the
//! tests move: what a write, a refresh, a close and a removal make the pad do, and which pads a
//! scan offers. The thread, the manager and the transport together: tests/gamepad.rs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::pads::{Command, Pads, Values};
use super::*;
use crate::hardware::HardwareEvent;

/// One backend call.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Call {
    Rumble(u32, u16, u16),
    Triggers(u32, u16, u16),
    Release(u32),
}

#[derive(Default)]
struct State {
    pads: Vec<PadInfo>,
    calls: Vec<Call>,
    fail_rumble: bool,
}

/// A backend whose pads the test sets and whose calls it reads.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<State>>);

impl Recorder {
    fn plug(&self, id: u32, rumble: bool, trigger_rumble: bool) {
        self.0.lock().pads.push(PadInfo {
            id,
            name: format!("pad {id}"),
            capabilities: Capabilities {
                rumble,
                trigger_rumble,
            },
        });
    }

    fn unplug(&self, id: u32) {
        self.0.lock().pads.retain(|p| p.id != id);
    }

    /// The calls since the last look.
    fn calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.0.lock().calls)
    }
}

impl GamepadIo for Recorder {
    fn pads(&mut self) -> Result<Vec<PadInfo>, HardwareError> {
        Ok(self.0.lock().pads.clone())
    }

    fn is_connected(&mut self, id: u32) -> bool {
        self.0.lock().pads.iter().any(|p| p.id == id)
    }

    fn rumble(&mut self, id: u32, low: u16, high: u16, d: Duration) -> Result<(), HardwareError> {
        assert_eq!(d, ARM);
        let mut s = self.0.lock();
        s.calls.push(Call::Rumble(id, low, high));
        if s.fail_rumble {
            return Err(HardwareError::Io("pad gone".into()));
        }
        Ok(())
    }

    fn trigger_rumble(
        &mut self,
        id: u32,
        left: u16,
        right: u16,
        d: Duration,
    ) -> Result<(), HardwareError> {
        assert_eq!(d, ARM);
        self.0.lock().calls.push(Call::Triggers(id, left, right));
        Ok(())
    }

    fn power(&mut self, _id: u32) -> Power {
        Power::OnBattery(Some(57))
    }

    fn release(&mut self, id: u32) {
        self.0.lock().calls.push(Call::Release(id));
    }
}

/// The I/O thread's state over a recorder, with its clock at `t0`.
struct Bench {
    pads: Pads,
    io: Recorder,
    t0: Instant,
}

impl Bench {
    fn new() -> Bench {
        let io = Recorder::default();
        Bench {
            pads: Pads::new(Box::new(io.clone())),
            io,
            t0: Instant::now(),
        }
    }

    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// Serves a command at `ms` and returns its reply.
    fn ask<T>(&mut self, ms: u64, make: impl FnOnce(pads::Reply<T>) -> Command) -> T
    where
        T: std::fmt::Debug,
    {
        let (reply, mut answer) = oneshot::channel();
        self.pads.handle(make(reply), self.at(ms));
        answer
            .try_recv()
            .expect("answered at once")
            .expect("succeeds")
    }

    fn try_write(&mut self, ms: u64, id: u32, values: Values) -> Result<(), HardwareError> {
        let (reply, mut answer) = oneshot::channel();
        self.pads
            .handle(Command::Write { id, values, reply }, self.at(ms));
        answer.try_recv().expect("answered at once")
    }

    fn scan(&mut self) -> Vec<u32> {
        let found = self.ask(0, Command::Scan);
        found.into_iter().map(|p| p.id).collect()
    }

    /// Scans, then opens pad `id`; returns its events.
    fn open(&mut self, id: u32) -> mpsc::Receiver<HardwareEvent> {
        assert!(self.scan().contains(&id), "pad {id} offered");
        let (events, rx) = mpsc::channel(4);
        self.ask(0, |reply| Command::Open { id, events, reply });
        rx
    }

    /// Runs what is due at `ms` and returns the calls it made.
    fn tick(&mut self, ms: u64) -> Vec<Call> {
        self.pads.run_due(self.at(ms));
        self.io.calls()
    }
}

#[test]
fn a_write_arms_both_pairs_and_refreshes_alternate_dithered_and_exact() {
    let mut b = Bench::new();
    b.io.plug(7, true, true);
    let _events = b.open(7);
    b.try_write(0, 7, [0x1234, 0x5678, 0x0002, 0x0000])
        .expect("write");
    assert_eq!(
        b.io.calls(),
        vec![Call::Rumble(7, 0x1234, 0x5678), Call::Triggers(7, 2, 0)]
    );
    assert_eq!(b.pads.next_due(), Some(b.at(REFRESH.as_millis() as u64)));
    assert_eq!(b.tick(99), vec![], "nothing before the refresh is due");
    assert_eq!(
        b.tick(100),
        vec![Call::Rumble(7, 0x1235, 0x5678), Call::Triggers(7, 3, 0)],
        "first refresh: dithered (lowest bit of the first non-zero value flipped)"
    );
    assert_eq!(
        b.tick(200),
        vec![Call::Rumble(7, 0x1234, 0x5678), Call::Triggers(7, 2, 0)],
        "second refresh: exact"
    );
    // A new write starts again with a dithered refresh; a zero pair is not refreshed.
    b.try_write(250, 7, [0, 0x0100, 0, 0]).expect("write");
    assert_eq!(
        b.io.calls(),
        vec![Call::Rumble(7, 0, 0x0100), Call::Triggers(7, 0, 0)]
    );
    assert_eq!(b.tick(350), vec![Call::Rumble(7, 0, 0x0101)]);
    assert_eq!(b.tick(450), vec![Call::Rumble(7, 0, 0x0100)]);
    // All zero: nothing to refresh; only the removal check stays due.
    b.try_write(460, 7, [0; 4]).expect("write");
    b.io.calls();
    assert_eq!(b.tick(1000), vec![]);
    assert_eq!(b.pads.next_due(), Some(b.at(1500)));
}

#[test]
fn a_pair_the_pad_cannot_play_is_refused() {
    let mut b = Bench::new();
    b.io.plug(1, true, false);
    b.io.plug(2, false, true);
    let _e1 = b.open(1);
    let (events, _e2) = mpsc::channel(4);
    b.ask(0, |reply| Command::Open {
        id: 2,
        events,
        reply,
    });
    let err = b
        .try_write(0, 1, [0, 0, 1, 0])
        .expect_err("no trigger motors");
    assert_eq!(
        err,
        HardwareError::Unsupported("trigger rumble on this gamepad")
    );
    let err = b.try_write(0, 2, [1, 0, 0, 0]).expect_err("no main motors");
    assert_eq!(
        err,
        HardwareError::Unsupported("main rumble on this gamepad")
    );
    assert_eq!(b.io.calls(), vec![], "a refused write reaches no motor");
    // Zero pairs the pad has no motors for are fine, and not sent.
    b.try_write(0, 1, [5, 6, 0, 0]).expect("main only");
    b.try_write(0, 2, [0, 0, 7, 8]).expect("triggers only");
    assert_eq!(
        b.io.calls(),
        vec![Call::Rumble(1, 5, 6), Call::Triggers(2, 7, 8)]
    );
}

#[test]
fn an_unplugged_pad_is_zeroed_and_reported_at_the_next_check() {
    let mut b = Bench::new();
    b.io.plug(3, true, false);
    let mut events = b.open(3);
    b.try_write(0, 3, [100, 200, 0, 0]).expect("write");
    b.io.calls();
    b.io.unplug(3);
    // Refreshes go on until the removal check (every POLL) sees it gone.
    assert_eq!(b.tick(100), vec![Call::Rumble(3, 101, 200)]);
    assert_eq!(events.try_recv().ok(), None);
    assert_eq!(
        b.tick(POLL.as_millis() as u64),
        vec![Call::Rumble(3, 0, 0), Call::Release(3)]
    );
    assert_eq!(events.try_recv().ok(), Some(HardwareEvent::Disconnected));
    assert_eq!(b.pads.next_due(), None, "nothing left to do");
    assert_eq!(
        b.try_write(600, 3, [1, 1, 0, 0]),
        Err(HardwareError::Disconnected)
    );
}

#[test]
fn a_failing_rumble_loses_the_pad() {
    let mut b = Bench::new();
    b.io.plug(4, true, false);
    let mut events = b.open(4);
    b.io.0.lock().fail_rumble = true;
    assert!(b.try_write(0, 4, [1, 2, 0, 0]).is_err());
    assert_eq!(events.try_recv().ok(), Some(HardwareEvent::Disconnected));
    assert_eq!(
        b.io.calls(),
        vec![
            Call::Rumble(4, 1, 2),
            Call::Rumble(4, 0, 0),
            Call::Release(4)
        ]
    );
}

#[test]
fn scans_offer_each_pad_with_rumble_once_until_it_is_let_go() {
    let mut b = Bench::new();
    b.io.plug(1, true, false);
    b.io.plug(2, false, false);
    b.io.plug(3, false, true);
    assert_eq!(b.scan(), vec![1, 3], "pad 2 has no rumble");
    assert_eq!(
        b.scan(),
        Vec::<u32>::new(),
        "offered pads are not offered twice"
    );
    b.pads.handle(Command::Abandon(3), b.at(0));
    assert_eq!(b.scan(), vec![3], "an abandoned pad is offered again");
    let (events, _rx) = mpsc::channel(4);
    b.ask(0, |reply| Command::Open {
        id: 1,
        events,
        reply,
    });
    b.try_write(0, 1, [9, 9, 0, 0]).expect("write");
    b.io.calls();
    assert_eq!(b.scan(), Vec::<u32>::new(), "an open pad is not offered");
    // Closing zeroes the pad and lets it go; it is offered again.
    b.pads.handle(Command::Close(1), b.at(0));
    assert_eq!(b.io.calls(), vec![Call::Rumble(1, 0, 0), Call::Release(1)]);
    assert_eq!(b.pads.next_due(), None, "a closed pad is not refreshed");
    assert_eq!(b.scan(), vec![1]);
    // A pad no longer listed is forgotten: back with a new instance id, it is a new pad.
    b.io.unplug(3);
    assert_eq!(b.scan(), Vec::<u32>::new());
}

#[test]
fn opening_needs_an_offered_pad_that_is_still_there() {
    let mut b = Bench::new();
    let (events, _rx) = mpsc::channel(4);
    let (reply, mut answer) = oneshot::channel();
    b.pads.handle(
        Command::Open {
            id: 9,
            events: events.clone(),
            reply,
        },
        b.at(0),
    );
    assert_eq!(
        answer.try_recv().ok(),
        Some(Err(HardwareError::Disconnected))
    );
    b.io.plug(9, true, false);
    assert_eq!(b.scan(), vec![9]);
    b.io.unplug(9);
    let (reply, mut answer) = oneshot::channel();
    b.pads.handle(
        Command::Open {
            id: 9,
            events,
            reply,
        },
        b.at(0),
    );
    assert_eq!(
        answer.try_recv().ok(),
        Some(Err(HardwareError::Disconnected))
    );
}

#[test]
fn battery_reads_need_an_open_pad() {
    let mut b = Bench::new();
    b.io.plug(5, true, false);
    let (reply, mut answer) = oneshot::channel();
    b.pads.handle(Command::Battery { id: 5, reply }, b.at(0));
    assert_eq!(
        answer.try_recv().ok(),
        Some(Err(HardwareError::Disconnected))
    );
    let _events = b.open(5);
    assert_eq!(b.ask(0, |reply| Command::Battery { id: 5, reply }), 57);
}

#[test]
fn only_pads_with_trigger_rumble_name_their_definition() {
    let caps = |rumble, trigger_rumble| Capabilities {
        rumble,
        trigger_rumble,
    };
    assert_eq!(layout_identifier(caps(true, false)), None);
    assert_eq!(
        layout_identifier(caps(true, true)),
        Some("__sdl-rumble-and-triggers")
    );
    assert_eq!(
        layout_identifier(caps(false, true)),
        Some("__sdl-triggers-only")
    );
}
