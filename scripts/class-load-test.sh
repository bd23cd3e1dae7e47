#!/usr/bin/env bash
# Load test of the class hub: N simulated students on 127.0.0.1 (scripts/class_load_test.py says
# what each does and what is measured). Installs the class first (scripts/class.sh install), starts
# its hub with a password of its own, and stops it at the end. Run as root.
#   scripts/class-load-test.sh --students 1 5 10 20     # the README's table
#   scripts/class-load-test.sh --students 2 --arrival-seconds 5 --think 0.5 1   # a quick check
# Writes output/class/summary.json and output/class/hub.log.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASS_ROOT="${LEARNING_RULES_CLASS_ROOT:-/srv/learning-rules}"
"$REPO/scripts/class.sh" install
exec "$CLASS_ROOT/project/.venv/bin/python" "$REPO/scripts/class_load_test.py" "$@"
