#!/usr/bin/env bash
# Installs what the notebooks need, once per machine; running it again takes seconds. Run it (the
# other scripts do), then `source scripts/env.sh` to use the kernel from a shell.
#   .venv/            JupyterLab, nbclient, pytest and Playwright (scripts/requirements.txt)
#   evcxr_jupyter     the Rust Jupyter kernel 0.22.0, built from the crate registry's source with
#                     the patches in scripts/patches/evcxr/ (their README says what each does),
#                     into $EVCXR_HOME: ~/.cache/learning-rules/evcxr-0.22.0-<checksum of the
#                     patches>, shared by every clone on the machine that carries the same
#                     patches; about 5 minutes the first time. An evcxr_jupyter of your own is
#                     left alone.
#   .venv/share/jupyter/kernels/rust/
#                     a kernel spec named `rust` inside the project's environment: your own
#                     kernels (~/.local/share/jupyter) are left as they are
#   .evcxr/           evcxr's persistent build folder, so burn compiles once, not at every
#                     kernel start
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/env.sh"
EVCXR_VERSION=0.22.0
PATCHES=("$REPO"/scripts/patches/evcxr/*.patch)

step() { printf '== %s\n' "$*"; }

if [ ! -x "$REPO/.venv/bin/python" ]; then
    step "creating the Python environment .venv"
    python3 -m venv "$REPO/.venv"
fi
if ! "$REPO/.venv/bin/python" -c 'import jupyterlab, nbclient, nbformat, pytest, playwright' 2>/dev/null; then
    step "installing JupyterLab, nbclient, pytest and Playwright into .venv"
    "$REPO/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$REPO/scripts/requirements.txt"
fi

# The kernel's folder is named after the patches it was built with: a clone with other patches
# builds its own rather than replacing this one's.
SERIES_SUM="$(cat "${PATCHES[@]}" | sha256sum | cut -c1-12)"
EVCXR_HOME="${EVCXR_HOME:-$HOME/.cache/learning-rules/evcxr-$EVCXR_VERSION-$SERIES_SUM}"
EVCXR_BIN="$EVCXR_HOME/bin/evcxr_jupyter"
if [ ! -x "$EVCXR_BIN" ] || [ "$(cat "$EVCXR_HOME/patches.sha256" 2>/dev/null)" != "$SERIES_SUM" ]; then
    step "installing evcxr_jupyter $EVCXR_VERSION with ${#PATCHES[@]} patches into $EVCXR_HOME (a few minutes, once)"
    (
        SRC="$(mktemp -d)"
        trap 'rm -rf "$SRC"' EXIT
        # The published sources of evcxr and evcxr_jupyter, fetched through cargo.
        mkdir -p "$SRC/fetch/src"
        printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nevcxr_jupyter = "=%s"\n' \
            "$EVCXR_VERSION" > "$SRC/fetch/Cargo.toml"
        touch "$SRC/fetch/src/lib.rs"
        cargo fetch --quiet --manifest-path "$SRC/fetch/Cargo.toml"
        REGISTRY="$(dirname "$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/evcxr_jupyter-"$EVCXR_VERSION" | head -n1)")"
        cp -r "$REGISTRY/evcxr-$EVCXR_VERSION" "$SRC/evcxr"
        cp -r "$REGISTRY/evcxr_jupyter-$EVCXR_VERSION" "$SRC/evcxr_jupyter"
        # The patches are written against evcxr's repository, where the two crates are folders.
        for patch in "${PATCHES[@]}"; do
            (cd "$SRC" && git apply -p1 "$patch")
        done
        # In that repository evcxr_jupyter builds the evcxr beside it; from the registry it would
        # build the unpatched one. Point it at the patched folder, in its manifest and its lock.
        printf '\n[patch.crates-io]\nevcxr = { path = "../evcxr" }\n' >> "$SRC/evcxr_jupyter/Cargo.toml"
        sed -i '/^name = "evcxr"$/,/^dependencies/{/^source = /d;/^checksum = /d}' "$SRC/evcxr_jupyter/Cargo.lock"
        cargo install --quiet --locked --force --path "$SRC/evcxr_jupyter" --root "$EVCXR_HOME"
    )
    echo "$SERIES_SUM" > "$EVCXR_HOME/patches.sha256"
fi

# The kernel builds offline (notebooks/evcxr.toml): every crate the support crate locks, fetched.
cargo fetch --quiet --locked --manifest-path "$REPO/Cargo.toml"

# evcxr_jupyter installs its kernel into $JUPYTER_PATH/kernels/rust (logos, version.txt …);
# then kernel.json is rewritten to add the build folder. At start-up the kernel checks that
# folder's version.txt and reinstalls if it differs, so it must be its own installer's.
KERNEL_DIR="$JUPYTER_PATH/kernels/rust"
mkdir -p "$REPO/.evcxr"
"$EVCXR_BIN" --install >/dev/null
# Interrupts go to the kernel as messages; the patched kernel turns them into SIGINT. How the
# kernel builds the support crate (as the CLI's release build does) is in .cargo/config.toml.
cat > "$KERNEL_DIR/kernel.json" <<JSON
{
  "argv": ["$EVCXR_BIN", "--control_file", "{connection_file}"],
  "display_name": "Rust (learning-rules)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "EVCXR_TMPDIR": "$REPO/.evcxr"
  }
}
JSON

# JupyterLab as a lecture room wants it: no "get notified about official Jupyter news?" prompt.
SETTINGS="$REPO/.venv/share/jupyter/lab/settings"
mkdir -p "$SETTINGS"
cat > "$SETTINGS/overrides.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {
    "checkForUpdates": false,
    "fetchNews": "false"
  }
}
JSON
step "ready: kernel \`rust\` -> $EVCXR_BIN, build folder .evcxr/"
