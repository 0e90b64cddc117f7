//! Rooms on a fixed pool of tick threads.
//!
//! A server steps its rooms on a few OS threads (by default one per core, `--tick-workers`)
//! instead of one thread per room, so a thousand small rooms cost a thousand small ticks and not a
//! thousand threads waking up. Each room keeps its own absolute deadlines (`start + n * period`,
//! with the catch-up and skip rules of [`MAX_CATCH_UP`]); the pool keeps the rooms that wait for
//! their next tick in a deadline heap, and a free worker takes whichever room is due first, runs
//! one tick and puts it back under its next deadline.
//!
//! - **Bounded threads**: `workers` tick threads, one watchdog, and at most `workers` spares.
//! - **A slow room delays no other room for long**: no room is tied to a worker, so while one
//!   worker runs a long tick the others take every room that comes due. A tick longer than its
//!   period is counted (`overruns`).
//! - **A hung room does not starve the rest**: a worker stuck in one tick for [`STUCK_AFTER`] is
//!   counted and replaced by a spare thread; the spare retires once the stuck worker comes back.
//! - **A panic stops one room**: a tick that panics (an engine bug: rule hooks are guarded inside
//!   the room) ends that room alone; its worker goes on with the others.
//! - **Few wake-ups**: a worker that wakes for one deadline also runs the rooms due within
//!   [`COALESCE`] after it, so many rooms share a wake-up. A tick never starts later than its
//!   deadline because of this, at most [`COALESCE`] earlier; the next deadline stays
//!   `deadline + period`, so the rate does not drift.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::runner::{RoomHandle, RoomInbox, RoomRunner, channels};
use super::{Control, Room, RoomError, RoomGauges, Stage, TickOutcome};
use crate::stats::{STAGES, Stats, TickSample};

/// Ticks run back to back at most when a room is late.
pub const MAX_CATCH_UP: u32 = 3;

/// A worker that wakes for a deadline also runs the rooms due this soon after it.
pub const COALESCE: Duration = Duration::from_micros(500);

/// A worker in one tick for this long is replaced by a spare.
pub const STUCK_AFTER: Duration = Duration::from_millis(250);

/// A thread with no room to wait for looks again after this long at the latest.
const IDLE_RECHECK: Duration = Duration::from_millis(100);

/// How often the watchdog looks for stuck workers.
const WATCH_EVERY: Duration = Duration::from_millis(50);

/// What the pool publishes on `/stats` and `/metrics`.
#[derive(Debug, Default)]
pub struct PoolGauges {
    /// Tick threads asked for.
    pub workers: AtomicU64,
    /// Tick threads running now (the workers plus any spares).
    pub threads: AtomicU64,
    /// Rooms on the pool.
    pub rooms: AtomicU64,
    /// Times a worker was found stuck in one tick and a spare was started.
    pub stuck: AtomicU64,
    /// Rooms whose tick panicked.
    pub panics: AtomicU64,
}

/// The tick threads of a server and the rooms they step.
pub struct TickPool {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for TickPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TickPool")
            .field("workers", &self.shared.workers)
            .finish_non_exhaustive()
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    workers: usize,
    stats: Arc<Stats>,
    gauges: Arc<PoolGauges>,
}

#[derive(Default)]
struct State {
    /// Rooms waiting for their next tick: (deadline, room id).
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    /// The rooms in `due`, by id (a room being ticked is with its worker, not here).
    waiting: HashMap<u64, Task>,
    /// Since when each busy thread has been in its current tick, by thread id.
    busy: HashMap<u64, Instant>,
    /// Threads running (workers and spares).
    threads: usize,
    /// Busy threads the watchdog last found stuck.
    stuck: usize,
    started: bool,
    closing: bool,
    next_room: u64,
    next_thread: u64,
    runtime: Option<tokio::runtime::Handle>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TickPool {
    /// A pool of `workers` tick threads (0: one per core), counting into `stats`. The threads
    /// start with the first room.
    pub fn new(workers: usize, stats: Arc<Stats>) -> Self {
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            workers
        };
        let gauges = Arc::new(PoolGauges::default());
        gauges.workers.store(workers as u64, Relaxed);
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                workers,
                stats,
                gauges,
            }),
        }
    }

    /// Tick threads asked for.
    pub fn workers(&self) -> usize {
        self.shared.workers
    }

    /// The pool's gauges.
    pub fn gauges(&self) -> Arc<PoolGauges> {
        self.shared.gauges.clone()
    }

    /// Puts `room` on the pool; its first tick is due now.
    ///
    /// # Errors
    /// [`RoomError::Thread`] when the pool's threads cannot be started, [`RoomError::Closed`]
    /// when the pool is shutting down.
    pub fn spawn(&self, room: Room) -> Result<RoomHandle, RoomError> {
        let stats = self.shared.stats.clone();
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let (handle, inbox, alive) = channels(&room, stats.clone(), stopped_rx);
        let settings = room.settings().clone();
        let gauges = room.gauges();
        let name: Arc<str> = room.name().into();
        tracing::info!(room = %name, tick_rate = settings.tick_rate, snapshot_rate = settings.snapshot_rate, "room started");
        let task = Task {
            runner: RoomRunner::new(room, stats.clone()),
            inbox,
            period: Duration::from_secs_f64(1.0 / f64::from(settings.tick_rate)),
            deadline: Instant::now(),
            gauges,
            name,
            alive,
            stopped: stopped_tx,
            stats,
            pool: self.shared.gauges.clone(),
        };
        let mut st = lock(&self.shared.state);
        if st.closing {
            return Err(RoomError::Closed);
        }
        if !st.started {
            st.runtime = tokio::runtime::Handle::try_current().ok();
            for _ in 0..self.shared.workers {
                start_thread(&self.shared, &mut st).map_err(|e| RoomError::Thread(e.to_string()))?;
            }
            let shared = Arc::downgrade(&self.shared);
            std::thread::Builder::new()
                .name("tick-watchdog".into())
                .spawn(move || watchdog(&shared))
                .map_err(|e| RoomError::Thread(e.to_string()))?;
            st.started = true;
        }
        let id = st.next_room;
        st.next_room += 1;
        st.due.push(Reverse((task.deadline, id)));
        st.waiting.insert(id, task);
        self.shared.gauges.rooms.fetch_add(1, Relaxed);
        drop(st);
        self.shared.wake.notify_one();
        Ok(handle)
    }
}

impl Drop for TickPool {
    /// Stops the threads (each after the tick it is in) and drops the rooms still waiting.
    fn drop(&mut self) {
        let waiting = {
            let mut st = lock(&self.shared.state);
            st.closing = true;
            std::mem::take(&mut st.waiting)
        };
        self.shared.wake.notify_all();
        drop(waiting);
    }
}

fn start_thread(shared: &Arc<Shared>, st: &mut State) -> std::io::Result<()> {
    let id = st.next_thread;
    st.next_thread += 1;
    let shared2 = shared.clone();
    let runtime = st.runtime.clone();
    std::thread::Builder::new().name(format!("tick-{id}")).spawn(move || {
        // Closing a socket makes socketioxide spawn its disconnect handler, which needs a
        // Tokio context: the tick threads enter the server's runtime (they never block on it).
        let _guard = runtime.as_ref().map(|h| h.enter());
        work(&shared2, id);
    })?;
    st.threads += 1;
    shared.gauges.threads.store(st.threads as u64, Relaxed);
    Ok(())
}

/// A tick thread: takes the room due first, ticks it, puts it back.
fn work(shared: &Shared, me: u64) {
    let mut st = lock(&shared.state);
    loop {
        if st.closing {
            break;
        }
        if st.threads > shared.workers + st.stuck {
            // A spare whose stuck worker came back (or that worker itself): retire, and hand the
            // rooms it may just have put back to a thread that stays (it may be waiting without a
            // deadline, having seen an empty heap).
            shared.wake.notify_one();
            break;
        }
        let now = Instant::now();
        let next = st.due.peek().map(|Reverse((t, _))| *t);
        match next {
            None => {
                // Woken by a new room or a retiring thread; the timeout is only a safety net.
                st = shared
                    .wake
                    .wait_timeout(st, IDLE_RECHECK)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            Some(t) if t > now + COALESCE => {
                st = shared
                    .wake
                    .wait_timeout(st, t - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            Some(_) => {}
        }
        let Some(Reverse((_, id))) = st.due.pop() else { continue };
        let Some(mut task) = st.waiting.remove(&id) else {
            continue;
        };
        st.busy.insert(me, now);
        drop(st);
        let go_on = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.step())) {
            Ok(go_on) => go_on,
            Err(_) => {
                // Hooks are guarded inside the room; this is an engine bug. Contain it to this room.
                tracing::error!(room = %task.name, "room tick panicked; the room is stopped");
                shared.gauges.panics.fetch_add(1, Relaxed);
                false
            }
        };
        if !go_on {
            // Dropping a room closes its links: outside the lock.
            drop(task);
            st = lock(&shared.state);
            st.busy.remove(&me);
            continue;
        }
        st = lock(&shared.state);
        st.busy.remove(&me);
        if st.closing {
            drop(st);
            drop(task);
            st = lock(&shared.state);
            continue;
        }
        st.due.push(Reverse((task.deadline, id)));
        st.waiting.insert(id, task);
    }
    st.threads -= 1;
    st.busy.remove(&me);
    shared.gauges.threads.store(st.threads as u64, Relaxed);
}

/// Starts a spare for every worker stuck in one tick (at most `workers` spares).
fn watchdog(shared: &std::sync::Weak<Shared>) {
    loop {
        std::thread::sleep(WATCH_EVERY);
        let Some(shared) = shared.upgrade() else { return };
        let mut st = lock(&shared.state);
        if st.closing {
            return;
        }
        let now = Instant::now();
        let stuck = st.busy.values().filter(|&&t| now - t >= STUCK_AFTER).count();
        let was = st.stuck;
        st.stuck = stuck.min(shared.workers);
        if st.stuck > was {
            shared.gauges.stuck.fetch_add((st.stuck - was) as u64, Relaxed);
            tracing::warn!(
                stuck = st.stuck,
                "a tick thread is stuck in one room's tick; starting a spare"
            );
        }
        while st.threads < shared.workers + st.stuck {
            if let Err(e) = start_thread(&shared, &mut st) {
                tracing::error!(error = %e, "cannot start a spare tick thread");
                break;
            }
        }
    }
}

/// A room on the pool: its runner, its inbox and its clock.
struct Task {
    runner: RoomRunner,
    inbox: RoomInbox,
    period: Duration,
    /// When the next tick is due.
    deadline: Instant,
    gauges: Arc<RoomGauges>,
    name: Arc<str>,
    alive: Arc<AtomicBool>,
    stopped: watch::Sender<bool>,
    stats: Arc<Stats>,
    pool: Arc<PoolGauges>,
}

impl Task {
    /// Runs the tick due at `deadline` (stages 1-5) and sets the next deadline. False when the room
    /// has stopped.
    fn step(&mut self) -> bool {
        let now = Instant::now();
        let lateness = now.saturating_duration_since(self.deadline);
        let mut stages = [0u32; STAGES];
        let mut last = now;
        let mut mark = |stage: Stage| {
            let t = Instant::now();
            stages[stage as usize] = micros(t - last);
            last = t;
        };
        let reachable = self.inbox.drain_into(&mut self.runner);
        mark(Stage::Receive);
        if !reachable {
            // Every handle is gone: nobody can reach this room any more.
            self.runner.control(Control::Shutdown);
        }
        let outcome = self.runner.tick(&mut mark);
        let took = now.elapsed();
        let sample = TickSample {
            duration_us: micros(took),
            lateness_us: micros(lateness),
            stages_us: stages,
        };
        self.gauges.times.record(sample);
        self.stats
            .tick_histograms
            .observe(sample.duration_us, sample.lateness_us, &sample.stages_us);
        if took > self.period {
            self.gauges.overruns.fetch_add(1, Relaxed);
        }
        if outcome == TickOutcome::Stopped {
            return false;
        }
        self.deadline += self.period;
        let behind = Instant::now().saturating_duration_since(self.deadline);
        if behind > self.period * MAX_CATCH_UP {
            // Too far behind: drop the backlog instead of running it.
            let skipped = (behind.as_nanos() / self.period.as_nanos().max(1)) as u64;
            self.gauges.skipped_ticks.fetch_add(skipped, Relaxed);
            self.deadline = Instant::now();
            tracing::warn!(room = %self.name, skipped, "room fell behind; skipped ticks");
        }
        true
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.alive.store(false, SeqCst);
        self.inbox.drop_rest(&self.stats);
        self.pool.rooms.fetch_sub(1, Relaxed);
        tracing::info!(room = %self.name, ticks = self.runner.room().tick_number(), "room stopped");
        let _ = self.stopped.send(true);
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}
