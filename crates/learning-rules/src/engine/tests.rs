//! The two engines against each other and against the definition of the per-epoch gradient.

use super::GradientEngine;
use super::burn::BurnEngine;
use super::fused::FusedEngine;
use crate::data::{Dataset, Pixels, Split};
use crate::device::DeviceKind;
use crate::model::Weights;

fn small_set(n: usize) -> Split {
    Dataset::load()
        .expect("data/mnist")
        .train
        .first(n)
        .expect("n samples")
}

fn burn_engine(train: &Split) -> BurnEngine {
    let device = DeviceKind::Cpu.burn_device().expect("cpu");
    BurnEngine::new(&Weights::init(7), train, device, DeviceKind::Cpu).expect("engine")
}

/// The gradient of the mean loss over all of `train`, from one backward pass.
fn full_gradient(train: &Split) -> Weights {
    let all: Vec<u32> = (0..train.len() as u32).collect();
    let mut engine = burn_engine(train);
    engine.accumulate(&all, 1.0).expect("backward");
    engine.take_pending()
}

/// Per-epoch rule: chunk gradients scaled by chunk/n and summed, as `train` does.
fn chunked_gradient(engine: &mut impl GradientEngine, n: usize, chunk: usize) -> f64 {
    let order: Vec<u32> = (0..n as u32).collect();
    let mut loss = 0.0;
    for batch in order.chunks(chunk) {
        let l = engine
            .accumulate(batch, batch.len() as f32 / n as f32)
            .expect("backward");
        loss += f64::from(l) * batch.len() as f64 / n as f64;
    }
    loss
}

#[test]
fn burn_accumulated_gradient_equals_full_set_gradient() {
    let train = small_set(1000);
    let mut engine = burn_engine(&train);
    chunked_gradient(&mut engine, train.len(), 100);
    let error = engine.take_pending().gap(&full_gradient(&train));
    assert!(error <= 1e-4, "relative error {error}");
}

#[test]
fn fused_accumulated_gradient_equals_full_set_gradient() {
    // 1050 samples: ten chunks of 100 and one of 50, so the chunk weights matter.
    let train = small_set(1050);
    let mut engine = FusedEngine::new(Weights::init(7), &train);
    chunked_gradient(&mut engine, train.len(), 100);
    let fused = engine
        .take_pending()
        .expect("a pending gradient")
        .to_weights();
    let error = fused.gap(&full_gradient(&train));
    assert!(error <= 1e-4, "relative error {error}");
}

/// The per-epoch rule over several epochs: each epoch's passes read the weights its update
/// left (the fused path keeps `W2` transposed between the passes of an epoch, not across an
/// update).
#[test]
fn fused_per_epoch_updates_equal_burn_updates() {
    let train = small_set(500);
    let mut burn = burn_engine(&train);
    let mut fused = FusedEngine::new(Weights::init(7), &train);
    for epoch in 1..=3 {
        chunked_gradient(&mut burn, train.len(), 100);
        chunked_gradient(&mut fused, train.len(), 100);
        burn.update(0.5).unwrap();
        fused.update(0.5).unwrap();
        let diff = fused.weights().unwrap().gap(&burn.weights().unwrap());
        assert!(diff <= 1e-4, "epoch {epoch}: weights differ by {diff}");
    }
}

#[test]
fn engines_report_the_same_mean_loss() {
    let train = small_set(1000);
    let mut burn = burn_engine(&train);
    let mut fused = FusedEngine::new(Weights::init(7), &train);
    let (a, b) = (
        chunked_gradient(&mut burn, 1000, 100),
        chunked_gradient(&mut fused, 1000, 100),
    );
    // An untrained network on 10 classes has a loss near ln 10.
    assert!((a - 10f64.ln()).abs() < 0.2, "loss {a}");
    assert!((a - b).abs() / a < 1e-5, "burn {a} vs fused {b}");
}

#[test]
fn fused_per_sample_step_equals_burn_step() {
    let train = small_set(200);
    let mut burn = burn_engine(&train);
    let mut fused = FusedEngine::new(Weights::init(7), &train);
    for i in 0..200u32 {
        let (a, b) = (
            burn.step(&[i], 0.01).unwrap(),
            fused.step(&[i], 0.01).unwrap(),
        );
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "update {i}: loss {a} vs {b}"
        );
    }
    let diff = fused.weights().unwrap().gap(&burn.weights().unwrap());
    assert!(
        diff <= 1e-4,
        "weights differ by {diff} after 200 per-sample updates"
    );
}

/// A minibatch update is split between however many threads the engine has (by units for the
/// first layer, by samples for the others): the weights are burn's whatever the count.
#[test]
fn fused_minibatch_steps_equal_burn_steps_on_any_thread_count() {
    let train = small_set(1000);
    let order: Vec<u32> = (0..1000).collect();
    let mut burn = burn_engine(&train);
    for batch in order.chunks(100) {
        burn.step(batch, 0.1).unwrap();
    }
    let expected = burn.weights().unwrap();
    for threads in 1..=4 {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut fused = pool.install(|| FusedEngine::new(Weights::init(7), &train));
        let s = if threads == 1 { "" } else { "s" };
        let detail = fused.used().detail;
        assert!(
            detail.ends_with(&format!(", {threads} thread{s})")),
            "{detail}"
        );
        for batch in order.chunks(100) {
            fused.step(batch, 0.1).unwrap();
        }
        let diff = fused.weights().unwrap().gap(&expected);
        assert!(diff <= 1e-4, "{threads} threads: weights differ by {diff}");
    }
}

/// Batches go through `W1` in one panel per core, the per-sample step through one: a learner
/// that switches between them, even with a gradient pending, ends with the weights of an engine
/// that never changed its layout (one thread). To the bit, and the accuracy too: every sum runs
/// in the same order whatever the thread count, so a run's figures do not depend on it.
#[test]
fn fused_switching_between_batches_and_samples_keeps_the_weights() {
    let train = small_set(400);
    let order: Vec<u32> = (0..400).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut fused = pool.install(|| FusedEngine::new(Weights::init(7), &train));
        fused.step(&order[..100], 0.1).unwrap();
        for &i in &order[100..110] {
            fused.step(&[i], 0.01).unwrap();
        }
        // `W1` in one panel, as the per-sample rule leaves it for its accuracy.
        let after_samples = fused.accuracy(&train).unwrap();
        fused.accumulate(&order[110..210], 0.5).unwrap();
        fused.step(&[order[210]], 0.01).unwrap();
        fused.update(0.1).unwrap();
        fused.accumulate(&order[211..300], 0.5).unwrap();
        fused.update(0.1).unwrap();
        fused.step(&order[300..400], 0.1).unwrap();
        let accuracies = [after_samples, fused.accuracy(&train).unwrap()];
        (fused.weights().unwrap(), accuracies)
    };
    let (one, accuracies) = run(1);
    for threads in [2, 3, 4] {
        let (weights, acc) = run(threads);
        let diff = weights.gap(&one);
        assert!(weights == one, "{threads} threads: weights {diff} away");
        assert_eq!(acc, accuracies, "{threads} threads");
    }
}

/// Images given as floats (a student's own, say) train as the same images kept as bytes, to the
/// bit, on both engines: minibatch steps, a per-sample step and the test accuracy.
#[test]
fn images_as_floats_train_as_the_same_bytes_do() {
    let bytes = small_set(300);
    let floats = Split {
        images: Pixels::Floats(bytes.images.to_floats()),
        labels: bytes.labels.clone(),
    };
    let test = small_set(200);
    let order: Vec<u32> = (0..300).rev().collect();
    let run = |engine: &mut dyn GradientEngine| {
        let mut losses: Vec<f32> = order
            .chunks(100)
            .map(|batch| engine.step(batch, 0.1).expect("a step"))
            .collect();
        losses.push(engine.step(&[7], 0.01).expect("a per-sample step"));
        let accuracy = engine.accuracy(&test).expect("accuracy");
        (losses, accuracy, engine.weights().expect("weights"))
    };
    let fused = [&bytes, &floats].map(|train| run(&mut FusedEngine::new(Weights::init(7), train)));
    let burn = [&bytes, &floats].map(|train| run(&mut burn_engine(train)));
    for [from_bytes, from_floats] in [fused, burn] {
        assert!(from_bytes == from_floats);
        assert!(from_bytes.1 > 0.0);
    }
}
