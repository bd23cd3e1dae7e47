"""Times the three rules in learning-rules, PyTorch and JAX on this machine, in one run, and
prints the README's performance table (seconds of training per 60,000 samples, ratios).

    scripts/bench.sh            # sets up .venv-bench (torch, jax[cpu]) and runs this

Ours: `learning-rules bench` (median of 5 runs after a warm-up). Peers: pytorch_ref.py and
jax_ref.py (copies of the course's reference loops), several epochs each, the first left out as
warm-up, median of the rest. Per-sample training is timed on the first 10,000 samples and scaled.
"""
import json
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "output" / "bench"
DATA = REPO / "data" / "mnist"
SUBSET = 10_000
RULES = {"per-epoch": "epoch", "minibatch": "minibatch", "per-sample": "sample"}
PEERS = {
    "PyTorch": ["pytorch_ref.py"],
    "JAX step": ["jax_ref.py", "--mode", "step"],
    "JAX scan": ["jax_ref.py", "--mode", "scan"],
}
SECONDS = re.compile(r"(?:train_)?seconds=([0-9.]+)")


def peer_seconds(script, rule):
    """Median training seconds per 60,000 samples of one peer for one rule."""
    limit = ["--limit", str(SUBSET)] if rule == "sample" else []
    cmd = [sys.executable, str(REPO / "bench" / script[0]), *script[1:], "--rule", rule,
           "--epochs", "4", "--data", str(DATA), *limit]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    seconds = [float(s) for s in SECONDS.findall(out)][1:]  # the first epoch warms up
    scale = 60_000 / SUBSET if rule == "sample" else 1.0
    return statistics.median(seconds) * scale


def cpu_name():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    ours_json = OUT / "learning-rules.json"
    binary = REPO / "target" / "release" / "learning-rules"
    subprocess.run([str(binary), "bench", "--sample-subset", str(SUBSET), "--json", str(ours_json)],
                   check=True)
    ours = {row["rule"]: row for row in json.loads(ours_json.read_text())}
    peers = {}
    for name, script in PEERS.items():
        for rule, peer_rule in RULES.items():
            peers[(name, rule)] = peer_seconds(script, peer_rule)
            print(f"{name:<9} {rule:<11} {peers[(name, rule)]:.3f} s per 60k", flush=True)

    names = list(PEERS)
    lines = [
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; seconds of training per 60,000 samples "
        f"(evaluation excluded), per-sample on the first {SUBSET:,} samples scaled to 60,000.",
        "",
        "| rule | learning-rules | " + " | ".join(names) + " | "
        + " | ".join(f"÷ {n}" for n in names) + " | peak RSS (MB) |",
        "|---|" + "---:|" * (2 * len(names) + 2),
    ]
    rows = []
    for rule in RULES:
        mine = ours[rule]["seconds_per_60k"]
        theirs = [peers[(n, rule)] for n in names]
        lines.append(
            f"| {rule} | {mine:.3f} s | " + " | ".join(f"{t:.3f} s" for t in theirs) + " | "
            + " | ".join(f"{mine / t:.2f}×" for t in theirs) + f" | {ours[rule]['peak_rss_mb']:.0f} |"
        )
        rows.append({**ours[rule], **{f"{n} seconds_per_60k": peers[(n, rule)] for n in names}})
    table = "\n".join(lines)
    print("\n" + table)
    (OUT / "table.md").write_text(table + "\n")
    (OUT / "comparison.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {OUT / 'table.md'} and {OUT / 'comparison.json'}")


if __name__ == "__main__":
    main()
