//! The room's tick loop, on its own OS thread.
//!
//! Ticks start on absolute deadlines (`start + n * period`), not "sleep after work", so the rate does
//! not drift with the work done. A late loop runs the ticks it missed back to back, but at most
//! [`MAX_CATCH_UP`] of them; beyond that it skips ahead and counts the skipped ticks, so overload
//! never builds a backlog. The thread is separate from the async runtime, so socket I/O and
//! fan-out work on the runtime cannot delay a tick's start.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Control, InputEnvelope, Room, RoomError, RoomGauges, RoomSettings, TickOutcome};
use crate::stats::{DropReason, STAGES, Stats, TickSample};

/// Ticks run back to back at most when the loop is late.
pub const MAX_CATCH_UP: u32 = 3;

/// Capacity of a room's input channel (inputs from every connection).
pub const INPUT_QUEUE: usize = 8192;

/// How the network layer reaches a room: two channels, plus what `/stats` shows of it.
#[derive(Clone)]
pub struct RoomHandle {
    name: Arc<str>,
    control: Sender<Control>,
    inputs: SyncSender<InputEnvelope>,
    settings: Arc<RoomSettings>,
    gauges: Arc<RoomGauges>,
    alive: Arc<AtomicBool>,
    stats: Arc<Stats>,
    thread: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl RoomHandle {
    /// The room's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Resolved settings.
    pub fn settings(&self) -> &RoomSettings {
        &self.settings
    }
    /// Live gauges.
    pub fn gauges(&self) -> &RoomGauges {
        &self.gauges
    }
    /// False once the tick loop has ended.
    pub fn is_alive(&self) -> bool {
        self.alive.load(SeqCst)
    }

    /// Sends a control message; `false` when the room has stopped.
    pub fn control(&self, c: Control) -> bool {
        self.control.send(c).is_ok()
    }

    /// Queues an input without waiting. A full queue or a stopped room drops it (and counts it).
    pub fn input(&self, env: InputEnvelope) {
        match self.inputs.try_send(env) {
            Ok(()) => {}
            Err(TrySendError::Full(env)) => self.stats.dropped_for(&env.client, DropReason::QueueFull, 1),
            Err(TrySendError::Disconnected(env)) => self.stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1),
        }
    }

    /// Asks the room to shut down and waits (on a blocking thread) until its loop has ended.
    pub async fn shutdown(&self) {
        let _ = self.control.send(Control::Shutdown);
        let thread = self.thread.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let handle = thread.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(h) = handle {
                let _ = h.join();
            }
        })
        .await;
    }
}

/// Starts `room`'s tick loop on a new thread named `room-<name>`.
///
/// # Errors
/// [`RoomError::Thread`] when the OS cannot start the thread.
pub fn spawn_room(room: Room, stats: Arc<Stats>) -> Result<RoomHandle, RoomError> {
    let (control_tx, control_rx) = mpsc::channel();
    let (input_tx, input_rx) = mpsc::sync_channel(INPUT_QUEUE);
    let alive = Arc::new(AtomicBool::new(true));
    let handle_alive = alive.clone();
    let name: Arc<str> = room.name().into();
    let settings = Arc::new(room.settings().clone());
    let gauges = room.gauges();
    let thread_stats = stats.clone();
    // Closing a socket makes socketioxide spawn its disconnect handler, which needs a Tokio
    // context: the room thread enters the caller's runtime (it never blocks on it).
    let runtime = tokio::runtime::Handle::try_current().ok();
    let thread = std::thread::Builder::new()
        .name(format!("room-{name}"))
        .spawn(move || {
            let _guard = runtime.as_ref().map(|h| h.enter());
            let room_name = room.name().to_owned();
            let loop_stats = thread_stats.clone();
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_loop(room, &control_rx, &input_rx, &loop_stats)
            }))
            .is_err()
            {
                // Hooks are guarded inside the room; this is an engine bug. Contain it to this room.
                tracing::error!(room = %room_name, "room tick loop panicked; the room is stopped");
            }
            alive.store(false, SeqCst);
            // Account for inputs that were still queued when the loop ended.
            for env in input_rx.try_iter() {
                thread_stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1);
            }
        })
        .map_err(|e| RoomError::Thread(e.to_string()))?;
    Ok(RoomHandle {
        name,
        control: control_tx,
        inputs: input_tx,
        settings,
        gauges,
        alive: handle_alive,
        stats,
        thread: Arc::new(std::sync::Mutex::new(Some(thread))),
    })
}

fn run_loop(mut room: Room, control: &Receiver<Control>, inputs: &Receiver<InputEnvelope>, stats: &Stats) {
    let period = Duration::from_secs_f64(1.0 / f64::from(room.settings().tick_rate));
    let gauges = room.gauges();
    let mut deadline = Instant::now();
    tracing::info!(
        room = room.name(),
        tick_rate = room.settings().tick_rate,
        snapshot_rate = room.settings().snapshot_rate,
        "room started"
    );
    loop {
        let now = Instant::now();
        if now < deadline {
            std::thread::sleep(deadline - now);
            continue;
        }
        let lateness = now - deadline;
        let mut stages = [0u32; STAGES];
        let mut last = now;
        let outcome = room.tick(control, inputs, &mut |stage| {
            let t = Instant::now();
            stages[stage as usize] = micros(t - last);
            last = t;
        });
        let took = now.elapsed();
        let sample = TickSample {
            duration_us: micros(took),
            lateness_us: micros(lateness),
            stages_us: stages,
        };
        gauges.times.record(sample);
        stats
            .tick_histograms
            .observe(sample.duration_us, sample.lateness_us, &sample.stages_us);
        if took > period {
            gauges.overruns.fetch_add(1, Relaxed);
        }
        if outcome == TickOutcome::Stopped {
            break;
        }
        deadline += period;
        let behind = Instant::now().saturating_duration_since(deadline);
        if behind > period * MAX_CATCH_UP {
            // Too far behind: drop the backlog instead of running it.
            let skipped = (behind.as_nanos() / period.as_nanos().max(1)) as u64;
            gauges.skipped_ticks.fetch_add(skipped, Relaxed);
            deadline = Instant::now();
            tracing::warn!(room = room.name(), skipped, "tick loop fell behind; skipped ticks");
        }
    }
    tracing::info!(room = room.name(), ticks = room.tick_number(), "room stopped");
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}
