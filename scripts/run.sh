#!/usr/bin/env bash
# The main job: set up the kernel (once), then run the lecture's four notebooks with the lecture's
# settings. Executed copies, outputs embedded, go to output/notebooks/, figures to output/figures/.
#   scripts/run.sh            all four notebooks
#   scripts/run.sh 24b        only 24b (prefixes: 24a 24b 24c 24d)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"
source "$REPO/scripts/env.sh"
python "$REPO/scripts/notebooks.py" "$@"
echo "== executed notebooks in output/notebooks/, figures in output/figures/"
