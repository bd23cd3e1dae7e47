#!/usr/bin/env bash
# Sets up everything the notebooks need, once per machine (re-running it is quick):
#   .venv/            Python environment with JupyterLab, nbclient and pytest
#   evcxr_jupyter     the Rust Jupyter kernel, installed with cargo (about 5 minutes the first time)
#   .venv/share/jupyter/kernels/rust/
#                     a kernel spec named `rust` inside the project's environment: the user's
#                     own kernels (~/.local/share/jupyter) are left as they are
#   .evcxr/           evcxr's persistent build folder, so burn compiles once, not at every
#                     kernel start
# Source it from the other scripts; it exports JUPYTER_PATH so that this kernel is the one used.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EVCXR_VERSION=0.22.0
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '== %s\n' "$*"; }

if [ ! -x "$REPO/.venv/bin/python" ]; then
    step "creating the Python environment .venv"
    python3 -m venv "$REPO/.venv"
fi
if ! "$REPO/.venv/bin/python" -c 'import jupyterlab, nbclient, nbformat, pytest' 2>/dev/null; then
    step "installing JupyterLab, nbclient and pytest into .venv"
    "$REPO/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$REPO/scripts/requirements.txt"
fi

if ! cargo install --list | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"; then
    step "installing evcxr_jupyter $EVCXR_VERSION with cargo (a few minutes, once)"
    cargo install --locked evcxr_jupyter --version "$EVCXR_VERSION"
fi

# evcxr_jupyter installs its kernel into $JUPYTER_PATH/kernels/rust (logos, version.txt …);
# then kernel.json is rewritten to add the build folder. At start-up the kernel checks that
# folder's version.txt and reinstalls if it differs, so it must be its own installer's.
JUPYTER_DATA="$REPO/.venv/share/jupyter"
KERNEL_DIR="$JUPYTER_DATA/kernels/rust"
mkdir -p "$REPO/.evcxr"
JUPYTER_PATH="$JUPYTER_DATA" evcxr_jupyter --install >/dev/null
cat > "$KERNEL_DIR/kernel.json" <<JSON
{
  "argv": ["$(command -v evcxr_jupyter)", "--control_file", "{connection_file}"],
  "display_name": "Rust (learning-rules)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {"EVCXR_TMPDIR": "$REPO/.evcxr"}
}
JSON
# Jupyter searches JUPYTER_PATH before the user's folder: our `rust` kernel wins inside the
# project without touching a `rust` kernel the user may have installed elsewhere.
# evcxr_jupyter reads JUPYTER_PATH as one folder, so it is set to exactly this one.
export JUPYTER_PATH="$JUPYTER_DATA"
export PATH="$REPO/.venv/bin:$PATH"
step "ready: kernel \`rust\` -> $(command -v evcxr_jupyter), build folder .evcxr/"
