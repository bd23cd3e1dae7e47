#!/usr/bin/env bash
# Sets up everything the notebooks need, once per machine (re-running it is quick):
#   .venv/            Python environment with JupyterLab, nbclient, pytest and Playwright
#   evcxr_jupyter     the Rust Jupyter kernel 0.22.0 from the crate registry's source, with
#                     scripts/patches/evcxr_jupyter-0.22.0-interrupt.patch applied (Stop sends
#                     SIGINT instead of killing the kernel's worker), installed into
#                     $EVCXR_HOME (default ~/.cache/learning-rules/evcxr-0.22.0-interrupt):
#                     about 5 minutes the first time, shared by every clone on the machine, and
#                     an `evcxr_jupyter` of your own is left alone
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
if ! "$REPO/.venv/bin/python" -c 'import jupyterlab, nbclient, nbformat, pytest, playwright' 2>/dev/null; then
    step "installing JupyterLab, nbclient, pytest and Playwright into .venv"
    "$REPO/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$REPO/scripts/requirements.txt"
fi

EVCXR_HOME="${EVCXR_HOME:-$HOME/.cache/learning-rules/evcxr-$EVCXR_VERSION-interrupt}"
EVCXR_BIN="$EVCXR_HOME/bin/evcxr_jupyter"
PATCH="$REPO/scripts/patches/evcxr_jupyter-$EVCXR_VERSION-interrupt.patch"
# The patch's checksum is recorded with the install, so that a changed patch is reinstalled.
PATCH_SUM="$(sha256sum "$PATCH" | cut -d' ' -f1)"
if [ ! -x "$EVCXR_BIN" ] || [ "$(cat "$EVCXR_HOME/patch.sha256" 2>/dev/null)" != "$PATCH_SUM" ]; then
    step "installing evcxr_jupyter $EVCXR_VERSION, patched, into $EVCXR_HOME (a few minutes, once)"
    SRC="$(mktemp -d)"
    # The published source, fetched through cargo from the crate registry.
    mkdir -p "$SRC/fetch/src"
    printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nevcxr_jupyter = "=%s"\n' \
        "$EVCXR_VERSION" > "$SRC/fetch/Cargo.toml"
    touch "$SRC/fetch/src/lib.rs"
    cargo fetch --quiet --manifest-path "$SRC/fetch/Cargo.toml"
    REGISTRY_SRC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/evcxr_jupyter-"$EVCXR_VERSION" | head -n1)"
    cp -r "$REGISTRY_SRC" "$SRC/evcxr_jupyter"
    (cd "$SRC/evcxr_jupyter" && git apply -p1 "$PATCH")
    cargo install --quiet --locked --force --path "$SRC/evcxr_jupyter" --root "$EVCXR_HOME"
    echo "$PATCH_SUM" > "$EVCXR_HOME/patch.sha256"
    rm -rf "$SRC"
fi

# The kernel builds offline (notebooks/evcxr.toml): every crate the support crate locks, fetched.
cargo fetch --quiet --locked --manifest-path "$REPO/Cargo.toml"

# evcxr_jupyter installs its kernel into $JUPYTER_PATH/kernels/rust (logos, version.txt …);
# then kernel.json is rewritten to add the build folder. At start-up the kernel checks that
# folder's version.txt and reinstalls if it differs, so it must be its own installer's.
JUPYTER_DATA="$REPO/.venv/share/jupyter"
KERNEL_DIR="$JUPYTER_DATA/kernels/rust"
mkdir -p "$REPO/.evcxr"
JUPYTER_PATH="$JUPYTER_DATA" "$EVCXR_BIN" --install >/dev/null
# The kernel builds the support crate as the CLI's release build does: .cargo/config.toml sets
# the dependencies' profile, and CARGO_PROFILE_DEV_INCREMENTAL turns off incremental compilation
# (on by default for path dependencies, and slower code). Interrupts go to the kernel as messages;
# the patched kernel turns them into SIGINT.
cat > "$KERNEL_DIR/kernel.json" <<JSON
{
  "argv": ["$EVCXR_BIN", "--control_file", "{connection_file}"],
  "display_name": "Rust (learning-rules)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "EVCXR_TMPDIR": "$REPO/.evcxr",
    "CARGO_PROFILE_DEV_INCREMENTAL": "false"
  }
}
JSON
# Jupyter searches JUPYTER_PATH before the user's folder: our `rust` kernel wins inside the
# project without touching a `rust` kernel the user may have installed elsewhere.
# evcxr_jupyter reads JUPYTER_PATH as one folder, so it is set to exactly this one.
export JUPYTER_PATH="$JUPYTER_DATA"
export PATH="$REPO/.venv/bin:$PATH"
step "ready: kernel \`rust\` -> $EVCXR_BIN, build folder .evcxr/"
