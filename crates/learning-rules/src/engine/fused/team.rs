//! The engine's own threads, which stay awake between the batches of a run.
//!
//! Each minibatch asks the cores to work together four times. Handing that work to rayon's
//! pool woke its sleeping threads every time, and on a virtual machine a wake-up costs tens of
//! microseconds: on a 2-core Xeon, 0.06 s of a 0.5 s minibatch epoch went between the update's
//! start and its two halves' start, measured. A [`Team`]'s helpers wait for the next job
//! awake instead ([`wait`]), so the next batch's job starts at once; once [`PARK`] has passed
//! without work they park, so an idle notebook costs no CPU. A team of one
//! (`RAYON_NUM_THREADS=1`, as the class set-up gives each kernel) has no helpers at all.
//!
//! A job involves only the threads it has work for. A batch of 100 splits between at most 6
//! cores by units and 4 by samples (see `params` and `Destination`), so on a 16-core machine
//! the other helpers are not woken nor waited for, and park once [`PARK`] has passed since
//! their last share. Before, every job went to every thread, and waited for each to see it,
//! even to do nothing, while the helpers that never had a share spun through the whole run.
//! The caller, too, waits awake only until [`PARK`] for the helpers, then parks until the last
//! one to finish wakes it: two kernels training at once on the same cores then take turns
//! instead of spinning through each other's time.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long a thread spins, waiting for its next share or for the helpers to finish a job,
/// before it starts giving its core up ([`wait`]): short enough that a kernel training beside
/// another on the same cores gives a core up instead of spinning through the other's time. Two
/// `bench --rules minibatch` at once on 2 cores, seconds per epoch each, when a thread parked
/// after spinning: 1.6–4.4 with 2 ms (and before, when the caller never parked), 0.93–0.96 with
/// 50 µs, 0.72–0.79 with 20 µs; alone 0.32–0.35 whichever.
const SPIN: Duration = Duration::from_micros(20);

/// How long a thread waits awake, spinning and then yielding its core, before it parks.
///
/// Parking at [`SPIN`], as threads did until 2026-12-07, cost a lone run wake-ups: the two
/// cores' shares of a meeting often end more than 20 µs apart (on the 2-core Zen 4 EPYC the core
/// with 208 units finished the first layer 13–30 µs after the one with 192, on average, epoch by
/// epoch), so the caller parked and waited to be woken, and a helper parked in the gap between
/// one batch and the next. Timed meeting by meeting there (from the last share's end to the
/// caller seeing it, and from a job's start to its helper's), 12 minibatch epochs of each build
/// taking turns in a busy spell of the host: 0.004–0.058 s an epoch (median 0.025) parking at
/// 20 µs, 0.001–0.024 s (median 0.007) yielding until 100 µs. Whole epochs, the two builds taking
/// turns (24–30 each; the host's spells are larger than the difference): minibatch lower
/// quartiles 0.370 → 0.364 s and 0.368 → 0.349 s in two runs (medians 0.403 → 0.389 s and
/// 0.396 → 0.398 s), per-epoch lower quartile 0.345 → 0.351 s, median 0.395 → 0.355 s. Yielding,
/// unlike spinning, hands the core to a runnable thread of another kernel, and 100 µs is short
/// enough for two kernels training at once on 2 cores: 0.77–0.87 s an epoch each (median 0.81)
/// against 0.76–0.86 s (0.81) parking at 20 µs, in ten rounds taking turns; yielding until
/// 300 µs gave 0.81–0.86 s and until 1 ms 0.83–0.87 s, where parking at 20 µs gave 0.75–0.81 s
/// in the same rounds.
const PARK: Duration = Duration::from_micros(100);

/// A job as the helpers see it: its lifetime is erased, which [`Team::run`] makes sound by not
/// returning while any helper may still use it.
type Job = &'static (dyn Fn(usize) + Sync);

/// The current job and the thread that waits for it, which the last helper to finish wakes.
type Slot = Option<(Job, Thread)>;

/// The calling thread and `size - 1` helpers, each running its own index's share of a job.
pub(super) struct Team {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    /// The current job's number times [`THREADS`], plus how many threads take part in it (the
    /// caller and helpers `1..`): one word, so that a helper never pairs one job's number with
    /// another's count. A helper starts work when the number changes and its index is counted.
    current: AtomicU64,
    /// The current job.
    job: Mutex<Slot>,
    /// Helpers still running the current job.
    busy: AtomicUsize,
    /// A helper's share of a job panicked.
    panicked: AtomicBool,
    /// The team is being dropped.
    stop: AtomicBool,
}

/// More threads than a team can have; the factor between a job's number and its count.
const THREADS: u64 = 1 << 16;

impl Shared {
    fn job(&self) -> MutexGuard<'_, Slot> {
        self.job.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current job's number and how many threads take part in it.
    fn current(&self) -> (u64, usize) {
        let current = self.current.load(Ordering::Acquire);
        (current / THREADS, (current % THREADS) as usize)
    }
}

impl Team {
    /// A team of `size` threads (at least one: the caller).
    pub(super) fn new(size: usize) -> Team {
        assert!((size as u64) < THREADS, "a team of {size} threads");
        let shared = Arc::new(Shared::default());
        let helpers = (1..size.max(1))
            .map(|index| {
                let shared = Arc::clone(&shared);
                thread::Builder::new()
                    .name(format!("learning-rules-{index}"))
                    .spawn(move || helper(&shared, index))
                    .expect("the operating system refused a thread")
            })
            .collect();
        Team { shared, helpers }
    }

    pub(super) fn size(&self) -> usize {
        self.helpers.len() + 1
    }

    /// `work(i, &mut items[i])` for every item, item `i` on thread `i` of the team (there are no
    /// more items than threads); returns the results in the items' order when all are done.
    pub(super) fn map<T: Send, R: Send>(
        &self,
        items: &mut [T],
        work: impl Fn(usize, &mut T) -> R + Sync,
    ) -> Vec<R> {
        assert!(items.len() <= self.size(), "more items than threads");
        // Each thread locks only its own item and result: the locks are never contended.
        let items: Vec<Mutex<(&mut T, Option<R>)>> = items
            .iter_mut()
            .map(|item| Mutex::new((item, None)))
            .collect();
        self.run(items.len(), &|i| {
            let mut slot = items[i].lock().unwrap_or_else(PoisonError::into_inner);
            let result = work(i, slot.0);
            slot.1 = Some(result);
        });
        items
            .into_iter()
            .map(|slot| {
                let (_, result) = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
                result.expect("every item was worked")
            })
            .collect()
    }

    /// `job(i)` on threads `i` in `0..threads` of the team, the caller being thread 0; returns
    /// when all are done, and panics if any share did.
    fn run(&self, threads: usize, job: &(dyn Fn(usize) + Sync)) {
        let threads = threads.min(self.size());
        match threads {
            0 => return,
            1 => return job(0),
            _ => {}
        }
        let shared = &*self.shared;
        {
            // SAFETY: only the lifetime changes. The helpers use the job between the change of
            // `current` below and their decrement of `busy`; this function does not return,
            // even when its own share panics, before `busy` is back to 0, and clears the job
            // first.
            let job: Job = unsafe { std::mem::transmute(job) };
            let mut slot = shared.job();
            *slot = Some((job, thread::current()));
            shared.busy.store(threads - 1, Ordering::Release);
            let (number, _) = shared.current();
            shared
                .current
                .store((number + 1) * THREADS + threads as u64, Ordering::Release);
        }
        // Cheap for a helper that is spinning: it only sets its token.
        for helper in &self.helpers[..threads - 1] {
            helper.thread().unpark();
        }
        let own = panic::catch_unwind(AssertUnwindSafe(|| job(0)));
        // If a helper lost its core, this one is given up until the last helper is done.
        let (since, mut spins) = (Instant::now(), 0);
        while shared.busy.load(Ordering::Acquire) != 0 {
            wait(&mut spins, since);
        }
        *shared.job() = None;
        if let Err(payload) = own {
            panic::resume_unwind(payload);
        }
        if shared.panicked.swap(false, Ordering::AcqRel) {
            panic!("a thread of the fused engine panicked");
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for helper in self.helpers.drain(..) {
            helper.thread().unpark();
            let _ = helper.join();
        }
    }
}

/// A helper's life: wait for a job that counts it (spinning, then parked), run its share,
/// repeat. Jobs that do not count it do not restart its spinning time.
fn helper(shared: &Shared, index: usize) {
    let (mut seen, mut worked) = (0, Instant::now());
    let mut spins = 0u32;
    while !shared.stop.load(Ordering::Acquire) {
        let (number, threads) = shared.current();
        if number != seen {
            seen = number;
            if index < threads {
                // The caller waits for this share, so the job is still the one numbered `seen`.
                let (job, caller) = shared.job().clone().expect("a job for every number");
                if panic::catch_unwind(AssertUnwindSafe(|| job(index))).is_err() {
                    shared.panicked.store(true, Ordering::Release);
                }
                if shared.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
                    caller.unpark(); // cheap if it is still spinning
                }
                worked = Instant::now();
            }
            continue;
        }
        wait(&mut spins, worked);
    }
}

/// One step of waiting, `spins` steps after the last: spin; once [`SPIN`] has passed `since`,
/// yield the core at every 64th step (the thread runs on at once if no other thread is waiting
/// for the core); once [`PARK`] has passed, park. A park returns at once if the thread was
/// unparked since it last parked, so the caller re-checks what it waits for after every step.
fn wait(spins: &mut u32, since: Instant) {
    *spins = spins.wrapping_add(1);
    if !spins.is_multiple_of(64) {
        return std::hint::spin_loop();
    }
    let waited = since.elapsed();
    if waited > PARK {
        thread::park();
    } else if waited > SPIN {
        thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::Team;

    #[test]
    fn every_item_is_worked_once_by_its_own_thread() {
        let team = Team::new(3);
        let mut items = vec![(0usize, 0usize); 3];
        for round in 1..=1000 {
            team.map(&mut items, |i, item| {
                item.0 += 1;
                item.1 = i * round;
            });
        }
        assert_eq!(items, vec![(1000, 0), (1000, 1000), (1000, 2000)]);
    }

    /// The threads beyond the items take no part: a share run on them would index past the
    /// items and panic. Jobs of other sizes in between count them again.
    #[test]
    fn fewer_items_than_threads_leaves_the_others_idle() {
        let team = Team::new(4);
        for round in 0..200u32 {
            let mut items = vec![0u32; 1 + round as usize % 4];
            team.map(&mut items, |i, item| *item = i as u32 + round);
            assert!(
                items
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| v == i as u32 + round)
            );
        }
        let mut items = vec![0u32; 2];
        std::thread::sleep(super::PARK * 5);
        team.map(&mut items, |i, item| *item = i as u32 + 10);
        assert_eq!(items, vec![10, 11]);
    }

    #[test]
    fn a_helpers_panic_reaches_the_caller_and_the_team_goes_on() {
        let team = Team::new(2);
        let mut items = vec![0u32; 2];
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            team.map(&mut items, |i, _| assert!(i == 0, "share {i} failed"));
        }));
        assert!(result.is_err());
        team.map(&mut items, |i, item| *item = i as u32 + 1);
        assert_eq!(items, vec![1, 2]);
    }

    #[test]
    fn a_team_of_one_runs_on_the_caller() {
        let team = Team::new(1);
        let caller = std::thread::current().id();
        let mut items = vec![None];
        team.map(&mut items, |_, item| {
            *item = Some(std::thread::current().id())
        });
        assert_eq!(items, vec![Some(caller)]);
    }

    #[test]
    fn helpers_that_fell_asleep_wake_for_the_next_job() {
        let team = Team::new(2);
        let mut items = vec![0u32; 2];
        std::thread::sleep(super::PARK * 5);
        team.map(&mut items, |i, item| *item = i as u32 + 7);
        assert_eq!(items, vec![7, 8]);
    }

    /// A caller whose helpers take longer than [`super::PARK`] parks; the last helper to finish
    /// wakes it. (Were it not woken, the channel would time out instead of hanging the test.)
    #[test]
    fn a_caller_that_parked_is_woken_by_the_last_helper() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let team = Team::new(3);
            let mut items = vec![0u32; 3];
            for round in 1..=20 {
                team.map(&mut items, |i, item| {
                    if i > 0 {
                        std::thread::sleep(super::PARK * (2 * i as u32));
                    }
                    *item = round;
                });
            }
            done.send(items).unwrap();
        });
        let items = finished
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the caller was never woken");
        assert_eq!(items, vec![20, 20, 20]);
    }
}
