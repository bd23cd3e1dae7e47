//! The `learning-rules` binary as a student runs it.

use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_learning-rules"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn train_prints_the_lecture_log_and_writes_the_history() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let o = cli(&[
        "train",
        "--rule",
        "minibatch",
        "--epochs",
        "2",
        "--limit",
        "2000",
        "--out",
        dir,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "Lecture 24b (minibatch): 2 epochs, lr 0.1, batch size 100, 2000 training samples"
        ),
        "{text}"
    );
    assert!(text.contains("At Epoch 1: Loss = "), "{text}");
    assert!(text.contains("At Epoch 2: Loss = "), "{text}");
    assert_eq!(text.matches("Epoch completed in ").count(), 2, "{text}");
    for name in ["minibatch.csv", "minibatch-updates.csv", "minibatch.json"] {
        assert!(out.path().join(name).is_file(), "{name} missing");
    }
    let csv = std::fs::read_to_string(out.path().join("minibatch.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3);
}

/// A kernel in a class gets its share of the cores through `RAYON_NUM_THREADS` (the class
/// set-up sets it; a cgroup CPU quota lowers the default the same way), and says so.
#[test]
fn training_takes_the_threads_it_is_given() {
    let out = tempfile::tempdir().unwrap();
    for (threads, says) in [("1", "1 thread)"), ("3", "3 threads)")] {
        let o = Command::new(env!("CARGO_BIN_EXE_learning-rules"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "train",
                "--rule",
                "minibatch",
                "--epochs",
                "1",
                "--limit",
                "500",
            ])
            .args(["--engine", "fused", "--out", out.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let engine = stdout(&o)
            .lines()
            .find(|l| l.starts_with("engine: "))
            .map(str::to_owned);
        assert!(
            engine.as_deref().is_some_and(|l| l.ends_with(says)),
            "{engine:?}"
        );
    }
}

/// The per-epoch rule through burn, which keeps one minibatch graph alive at a time: memory
/// stays flat instead of holding 600 graphs as the lecture's code does.
#[test]
fn per_epoch_rule_memory_stays_flat() {
    let out = tempfile::tempdir().unwrap();
    let o = cli(&[
        "train",
        "--rule",
        "per-epoch",
        "--epochs",
        "1",
        "--engine",
        "burn",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mb: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("peak resident memory: "))
        .and_then(|l| l.trim_end_matches(" MB").parse().ok())
        .unwrap_or_else(|| panic!("no memory line in {text}"));
    assert!(mb < 600.0, "peak resident memory {mb} MB");
}

#[test]
fn bad_arguments_fail_with_a_message_not_a_panic() {
    let o = cli(&["train", "--rule", "minibatch", "--batch-size", "0"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("error: invalid setting: batch size 0"), "{e}");
    assert!(!e.contains("panicked"), "{e}");

    let o = cli(&["train", "--rule", "sideways"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown learning rule `sideways`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_data_names_the_file_and_the_fix() {
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_learning-rules"))
        .args(["train", "--rule", "minibatch"])
        .env("MNIST_DIR", empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("data file not found"), "{e}");
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");
    assert!(e.contains("MNIST_DIR"), "{e}");
}

#[cfg(not(feature = "cuda"))]
#[test]
fn gpu_without_the_cuda_feature_is_a_clear_error() {
    let o = cli(&[
        "train",
        "--rule",
        "minibatch",
        "--device",
        "cuda",
        "--limit",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains(
            "device cuda is not available: no usable NVIDIA GPU (this build has no GPU support)"
        ),
        "{e}"
    );
    assert!(e.contains("--features cuda"), "{e}");
}

#[test]
fn compare_writes_charts_and_tables() {
    let out = tempfile::tempdir().unwrap();
    let o = cli(&[
        "compare",
        "--epochs",
        "1",
        "--limit",
        "1000",
        "--sweep-epochs",
        "1",
        "--sweep-seconds",
        "0.2",
        "--long-per-epoch-seconds",
        "0.3",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("| rule | to 90% | to 95% | to 96% |"),
        "{text}"
    );
    // Both engines by default.
    assert!(text.contains("| 24c (per-sample), fused |"), "{text}");
    assert!(text.contains("| 24c (per-sample), burn |"), "{text}");
    assert!(out.path().join("per-epoch-long-vs-updates.png").is_file());
    assert!(text.contains("| batch size | rule | lr |"), "{text}");
    for name in [
        "accuracy-vs-seconds.png",
        "accuracy-vs-updates.svg",
        "accuracy-vs-epochs.png",
        "rules.csv",
        "rules.md",
        "batch-size-sweep.png",
        "batch-size-sweep.csv",
    ] {
        assert!(out.path().join(name).is_file(), "{name} missing");
    }
}

#[test]
fn bench_writes_the_json_keys_the_issue_asks_for() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("bench.json");
    let o = cli(&[
        "bench",
        "--runs",
        "1",
        "--rules",
        "minibatch,per-sample",
        "--sample-subset",
        "500",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<std::collections::BTreeMap<String, serde_json::Value>> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "peak_rss_mb",
                "rule",
                "seconds_per_60k",
                "updates_per_second"
            ]
        );
        assert!(row["seconds_per_60k"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(rows[1]["rule"], "per-sample");
    // 60,000 updates per 60,000 samples.
    let (s, u) = (
        rows[1]["seconds_per_60k"].as_f64().unwrap(),
        rows[1]["updates_per_second"].as_f64().unwrap(),
    );
    assert!((s * u - 60_000.0).abs() < 1.0, "{s} s × {u}/s");
}

#[test]
fn bad_numbers_say_what_is_allowed() {
    let o = cli(&["train", "--rule", "minibatch", "--lr", "-1"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("learning rate -1 must be a positive number (the lecture uses 0.1)"),
        "{e}"
    );
    let o = cli(&["train", "--rule", "minibatch", "--learning-rate", "fast"]);
    assert!(
        stderr(&o).contains("`fast` is not a number: use a positive number"),
        "{}",
        stderr(&o)
    );
    let o = cli(&["train", "--rule", "minibatch", "--batch-size", "-5"]);
    assert!(
        stderr(&o).contains("`-5` is not allowed: use a whole number of at least 1"),
        "{}",
        stderr(&o)
    );
    let o = cli(&["train", "--rule", "minibatch", "--epochs", "0"]);
    assert!(
        stderr(&o).contains("epochs is 0: train for at least 1 epoch"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unwritable_output_folder_fails_before_training() {
    let o = cli(&["train", "--rule", "per-sample", "--out", "/proc/nope"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("cannot write /proc/nope"), "{e}");
    assert!(e.contains("choose another folder"), "{e}");
    // The check comes before the data loads: the run's heading, printed once it has, is absent.
    assert!(!stdout(&o).contains("Lecture 24c"), "{}", stdout(&o));
}

/// Starts a long training run writing into `out`, waits for its first epoch's history file.
fn start_long_run(out: &std::path::Path) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_learning-rules"))
        .args([
            "train",
            "--rule",
            "per-sample",
            "--epochs",
            "1000",
            "--train-samples",
            "3000",
        ])
        .args(["--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let history = out.join("per-sample.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !history.is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "no history after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child
}

fn saved_history(out: &std::path::Path) -> learning_rules::History {
    let json = std::fs::read_to_string(out.join("per-sample.json")).unwrap();
    learning_rules::History::from_json(&json).unwrap()
}

#[test]
fn a_killed_run_leaves_the_epochs_it_finished() {
    let out = tempfile::tempdir().unwrap();
    let mut child = start_long_run(out.path());
    child.kill().unwrap(); // SIGKILL: no chance to save anything more
    child.wait().unwrap();
    let h = saved_history(out.path());
    assert!(!h.epochs.is_empty());
    let last = h.epochs.last().unwrap();
    assert_eq!(last.updates, last.epoch * 3000, "{last:?}");
    assert!(last.test_accuracy > 50.0, "{last:?}");
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.len() <= 1, "temporary files left: {leftovers:?}");
}

#[test]
fn ctrl_c_stops_at_the_next_batch_and_saves_the_run_so_far() {
    let out = tempfile::tempdir().unwrap();
    let child = start_long_run(out.path());
    let pressed = std::time::Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert!(pressed.elapsed().as_secs() < 10, "{:?}", pressed.elapsed());
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Interrupted at epoch "),
        "{}",
        stderr(&o)
    );
    let h = saved_history(out.path());
    let stopped = h
        .stopped
        .expect("the saved history says it was interrupted");
    assert_eq!(stopped.reason, learning_rules::StopReason::Interrupted);
    // The epoch Stop cut short is recorded too, unless Stop came between two epochs.
    let recorded = if stopped.samples == 0 {
        stopped.epoch - 1
    } else {
        stopped.epoch
    };
    assert_eq!(h.epochs.len(), recorded, "{stopped:?}");
    assert!(out.path().join("per-sample-accuracy.png").is_file());
}

#[test]
fn a_diverging_run_saves_what_it_had_and_keeps_its_advice() {
    let out = tempfile::tempdir().unwrap();
    let o = cli(&[
        "train",
        "--rule",
        "minibatch",
        "--lr",
        "1e9",
        "--train-samples",
        "2000",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("error: Training diverged at epoch 1, update"),
        "{e}"
    );
    assert!(e.contains("try 100000000 or smaller"), "{e}");
    let json = std::fs::read_to_string(out.path().join("minibatch.json")).unwrap();
    let h = learning_rules::History::from_json(&json).unwrap();
    assert!(matches!(
        h.stopped.map(|s| s.reason),
        Some(learning_rules::StopReason::Diverged { .. })
    ));
    assert!(h.update_losses.iter().all(|l| l.is_finite()));
}
