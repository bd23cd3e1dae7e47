//! 24b's cell "One update in burn's own words", verbatim between the marks (tests/test_notebooks.py
//! checks that it is the notebook's text): burn's forward, cross-entropy, backward and plain SGD
//! make the update `learner.step` makes, on the fused CPU path, to 1e-5.

use learning_rules::prelude::*;

// The notebook's text as it is there: not reformatted, and borrowing `data` and `config` as the
// notebook's owned variables must be.
#[rustfmt::skip]
#[allow(clippy::needless_borrow)]
fn one_update_both_ways(
    data: &Dataset,
    config: &TrainingConfig,
    learner: &Learner,
) -> learning_rules::Result<((f32, Weights), (f32, Weights))> {
    // notebook 24b burn: begin
    let batch: Vec<u32> = (0..100).collect(); // the first minibatch: images 0 to 99
    let by_hand: (f32, Weights) = {
        let device = Device::flex().autodiff(); // burn's CPU backend, recording what backward needs
        let network = learner.network_on(&device)?; // the learner's weights, as a burn module
        let (images, labels) = data.train.tensors(&batch, &device)?; // 100 × 784 pixels, 100 labels
        let logits = network.forward(images); // forward: 100 × 10 logits
        let loss = CrossEntropyLossConfig::new().init(&device).forward(logits, labels);
        let grads = GradientsParams::from_grads(loss.backward(), &network); // loss.backward()
        for layer in [&network.features.hidden1, &network.features.hidden2, &network.classifier] {
            println!("gradient of a weight: {:?}", grads.get::<2>(layer.weight.id).map(|g| g.dims()));
        }
        let network = SgdConfig::new().init().step(config.learning_rate, network, grads); // w ← w − lr·g
        (loss.into_scalar::<f32>(), network.weights()?)
    };
    let by_step: (f32, Weights) = {
        let mut twin = Learner::new(&data, &config)?; // the same initial weights as `learner`
        (twin.step(&batch, config.learning_rate)?, twin.weights()?)
    };
    println!("loss {:.6} by hand, {:.6} by learner.step; weights {:.1e} apart",
             by_hand.0, by_step.0, by_hand.1.gap(&by_step.1));
    // notebook 24b burn: end
    Ok((by_hand, by_step))
}

#[test]
fn burns_own_update_is_the_learners_step() {
    let data = Dataset::load().unwrap();
    let config = TrainingConfig::per_minibatch();
    let learner = Learner::new(&data, &config).unwrap();
    let before = learner.weights().unwrap();
    let ((loss_a, weights_a), (loss_b, weights_b)) =
        one_update_both_ways(&data, &config, &learner).unwrap();
    assert!(
        (loss_a - loss_b).abs() <= 1e-5 * loss_b.abs(),
        "{loss_a} vs {loss_b}"
    );
    assert!(
        weights_a.gap(&weights_b) <= 1e-5,
        "{}",
        weights_a.gap(&weights_b)
    );
    // It is an update, and the learner the notebook trains next is untouched.
    assert!(weights_a.gap(&before) > 1e-4);
    assert_eq!(learner.weights().unwrap(), before);
}
