#!/usr/bin/env bash
# Every test of the project: the Rust crates (loader, network, the three rules, the lecture's full
# runs, the CLI) and the four notebooks executed headlessly in quick mode. Sets up what it needs.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

# The second dataset, from Debian's package (the loader's Fashion-MNIST test reads it).
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ ! -d data/fashion-mnist ]; then
    echo "== installing Debian's dataset-fashion-mnist"
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

echo "== Rust tests (release build: the lecture's full runs are among them)"
cargo test --release --workspace --locked

source scripts/setup.sh
echo "== notebooks, quick mode"
python -m pytest tests -v
