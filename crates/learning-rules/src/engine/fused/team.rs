//! The engine's own threads, which stay awake between the batches of a run.
//!
//! Each minibatch asks the cores to work together twice (forward and backward, then the
//! update). Handing that work to rayon's pool woke its sleeping threads every time, and on a
//! virtual machine a wake-up costs tens of microseconds: on a 2-core Xeon, 0.06 s of a 0.5 s
//! minibatch epoch went between the update's start and its two halves' start, measured. A
//! [`Team`]'s helpers spin for a moment after each job instead, so the next batch's job starts
//! at once; after [`SPIN`] without work they sleep, so an idle notebook costs no CPU. A team of
//! one (`RAYON_NUM_THREADS=1`, as the class set-up gives each kernel) has no helpers at all.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a helper waits for the next job before it sleeps: far longer than the gap between
/// two batches, far shorter than anything a person notices.
const SPIN: Duration = Duration::from_millis(2);

/// A job as the helpers see it: its lifetime is erased, which [`Team::run`] makes sound by not
/// returning while any helper may still use it.
type Job = &'static (dyn Fn(usize) + Sync);

/// The calling thread and `size - 1` helpers, each running its own index's share of a job.
pub(super) struct Team {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    /// Counts the jobs handed out; a helper starts work when it changes.
    generation: AtomicU64,
    /// The current job; also the lock that sleeping helpers wait on.
    job: Mutex<Option<Job>>,
    wake: Condvar,
    /// Helpers still running the current job.
    busy: AtomicUsize,
    /// A helper's share of a job panicked.
    panicked: AtomicBool,
    /// The team is being dropped.
    stop: AtomicBool,
}

impl Shared {
    fn job(&self) -> MutexGuard<'_, Option<Job>> {
        self.job.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Nothing new since `seen`, and the team goes on.
    fn idle(&self, seen: u64) -> bool {
        self.generation.load(Ordering::Acquire) == seen && !self.stop.load(Ordering::Acquire)
    }
}

impl Team {
    /// A team of `size` threads (at least one: the caller).
    pub(super) fn new(size: usize) -> Team {
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
        self.run(&|i| {
            if let Some(slot) = items.get(i) {
                let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
                let result = work(i, slot.0);
                slot.1 = Some(result);
            }
        });
        items
            .into_iter()
            .map(|slot| {
                let (_, result) = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
                result.expect("every item was worked")
            })
            .collect()
    }

    /// `job(i)` on every thread `i` of the team, the caller being thread 0; returns when all
    /// are done, and panics if any share did.
    fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        if self.helpers.is_empty() {
            return job(0);
        }
        let shared = &*self.shared;
        {
            // SAFETY: only the lifetime changes. The helpers use the job between the change of
            // `generation` below and their decrement of `busy`; this function does not return,
            // even when its own share panics, before `busy` is back to 0, and clears the job
            // first.
            let job: Job = unsafe { std::mem::transmute(job) };
            let mut current = shared.job();
            *current = Some(job);
            shared.busy.store(self.helpers.len(), Ordering::Release);
            shared.generation.fetch_add(1, Ordering::AcqRel);
        }
        shared.wake.notify_all();
        let own = panic::catch_unwind(AssertUnwindSafe(|| job(0)));
        let mut spins = 0u32;
        while shared.busy.load(Ordering::Acquire) != 0 {
            spins = spins.saturating_add(1);
            if spins > 10_000 {
                thread::yield_now(); // a helper lost its core: let it have this one
            } else {
                std::hint::spin_loop();
            }
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
        {
            let _job = self.shared.job();
            self.shared.stop.store(true, Ordering::Release);
        }
        self.shared.wake.notify_all();
        for helper in self.helpers.drain(..) {
            let _ = helper.join();
        }
    }
}

/// A helper's life: wait for a job (spinning, then asleep), run its share, repeat.
fn helper(shared: &Shared, index: usize) {
    let mut seen = 0;
    loop {
        let since = Instant::now();
        let mut spins = 0u32;
        while shared.idle(seen) {
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && since.elapsed() > SPIN {
                let mut job = shared.job();
                while shared.idle(seen) {
                    job = shared
                        .wake
                        .wait(job)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            std::hint::spin_loop();
        }
        if shared.stop.load(Ordering::Acquire) {
            return;
        }
        seen = shared.generation.load(Ordering::Acquire);
        let job = shared.job().expect("a job for every generation");
        if panic::catch_unwind(AssertUnwindSafe(|| job(index))).is_err() {
            shared.panicked.store(true, Ordering::Release);
        }
        shared.busy.fetch_sub(1, Ordering::AcqRel);
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

    #[test]
    fn fewer_items_than_threads_leaves_the_others_idle() {
        let team = Team::new(4);
        let mut items = vec![0u32; 2];
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
        std::thread::sleep(super::SPIN * 5);
        team.map(&mut items, |i, item| *item = i as u32 + 7);
        assert_eq!(items, vec![7, 8]);
    }
}
