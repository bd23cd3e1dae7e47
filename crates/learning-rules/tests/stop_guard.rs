//! While a training loop runs, SIGINT asks it to stop; before and after, SIGINT is handled by
//! whatever handled it before, however the loop ended: finished, or left early by `?`. One test
//! in its own binary, since a signal handler belongs to the whole process.

use learning_rules::{Dataset, Learner, Recorder, Result, TrainingConfig, train};

extern "C" fn earlier_handler(_: libc::c_int) {}

/// The address of the function that handles SIGINT now.
fn sigint_handler() -> libc::sighandler_t {
    // SAFETY: querying (not changing) the action; a zeroed sigaction is valid plain data.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current);
        current.sa_sigaction
    }
}

/// A loop that gets as far as its first batch, which is refused (an empty batch): the `?`
/// returns with the recorder still alive.
fn loop_with_an_error(
    data: &Dataset,
    config: &TrainingConfig,
    earlier: libc::sighandler_t,
) -> Result<()> {
    let mut learner = Learner::new(data, config)?;
    let _log = Recorder::new(config, &learner);
    assert_ne!(sigint_handler(), earlier, "the loop's handler is installed");
    learner.step(&[], config.learning_rate)?;
    Ok(())
}

#[test]
fn the_earlier_sigint_handler_comes_back_after_a_run_and_after_an_error() {
    let earlier = earlier_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: installing a handler that does nothing.
    unsafe { libc::signal(libc::SIGINT, earlier) };
    let data = Dataset::load().unwrap();
    let config = TrainingConfig {
        epochs: 1,
        train_samples: Some(500),
        ..TrainingConfig::per_minibatch()
    };

    let learner = Learner::new(&data, &config).unwrap();
    let log = Recorder::new(&config, &learner);
    assert_ne!(sigint_handler(), earlier, "the loop's handler is installed");
    log.finish(&learner).unwrap();
    assert_eq!(sigint_handler(), earlier, "after finish");

    train(&data, &config).unwrap();
    assert_eq!(sigint_handler(), earlier, "after train()");

    let error = loop_with_an_error(&data, &config, earlier).unwrap_err();
    assert!(error.to_string().contains("empty batch"), "{error}");
    assert_eq!(sigint_handler(), earlier, "after an early return by `?`");
}
