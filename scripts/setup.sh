#!/usr/bin/env bash
# Installs what the notebooks need, once per machine; running it again takes seconds. Run it (the
# other scripts do), then `source scripts/env.sh` to use the kernel from a shell.
#   .venv/            JupyterLab, nbclient, pytest and Playwright (scripts/requirements.txt), and
#                     JupyterHub (deploy/class/requirements.txt) where LEARNING_RULES_WITH_HUB=1;
#                     less rfc3987-syntax, which slows every Jupyter server's start (below)
#   evcxr_jupyter     the Rust Jupyter kernel 0.22.0, built from the crate registry's source with
#                     the patches in scripts/patches/evcxr/ and its zeromq with those in
#                     scripts/patches/zeromq/ (their READMEs say what each does),
#                     into $KERNEL_ROOT/evcxr-0.22.0-<checksum of the patches>/: about 5 minutes
#                     the first time. An evcxr_jupyter of your own is left alone.
#   $KERNEL_ROOT/kernel-<key>/
#                     config/evcxr.toml  the kernel's settings (EVCXR_CONFIG_DIR): offline, cells
#                                        at opt-level 0, the dependencies as release builds, and
#                                        `learning-rules` found in this checkout's crates/
#                     build/             the shared build: burn, the support crate and every crate
#                                        under them, compiled once (about 5 minutes on 2 cores)
#                                        and only read by the kernels (EVCXR_SHARED_BUILD)
#                     <key> is a checksum of the settings, Cargo.lock, rustc's version and the
#                     patches: one build per machine for each of them.
#   .venv/share/jupyter/kernels/rust/
#                     a kernel spec named `rust` inside the project's environment: your own
#                     kernels (~/.local/share/jupyter) are left as they are
# $KERNEL_ROOT is ~/.cache/learning-rules unless LEARNING_RULES_KERNEL_ROOT says otherwise (the
# class set-up puts it where every student can read it); LEARNING_RULES_PYTHON is the Python that
# makes .venv (python3). Each kernel builds its cells in a folder of its own under
# ~/.cache/learning-rules/kernels/, removed when the kernel ends.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/env.sh"
EVCXR_VERSION=0.22.0
PATCHES=("$REPO"/scripts/patches/evcxr/*.patch)
ZEROMQ_PATCHES=("$REPO"/scripts/patches/zeromq/*.patch)
KERNEL_ROOT="${LEARNING_RULES_KERNEL_ROOT:-$HOME/.cache/learning-rules}"
PYTHON="$REPO/.venv/bin/python"

step() { printf '== %s\n' "$*"; }

if [ ! -x "$PYTHON" ]; then
    step "creating the Python environment .venv"
    "${LEARNING_RULES_PYTHON:-python3}" -m venv "$REPO/.venv"
fi
# A class (scripts/class.sh, deploy/kubernetes/Dockerfile) adds its hub: env LEARNING_RULES_WITH_HUB=1.
REQUIREMENTS=(-r "$REPO/scripts/requirements.txt")
NEEDED='import jupyterlab, nbclient, nbformat, pytest, playwright, aiohttp'
if [ -n "${LEARNING_RULES_WITH_HUB:-}" ]; then
    REQUIREMENTS+=(-r "$REPO/deploy/class/requirements.txt")
    NEEDED+=', jupyterhub, jupyterhub_idle_culler'
fi
if ! "$PYTHON" -c "$NEEDED" 2>/dev/null; then
    step "installing JupyterLab, nbclient, pytest, Playwright and aiohttp${LEARNING_RULES_WITH_HUB:+, JupyterHub} into .venv"
    "$REPO/.venv/bin/pip" install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
fi
# Every Jupyter server imports jsonschema's format checkers as it starts, and one of them,
# rfc3987-syntax (from jupyter-events' jsonschema[format-nongpl]), compiles 35 Lark parsers on
# import: 2.2 s of a core on the 2-core AMD EPYC, half of a server's start, paid at every
# student's login, for the "iri" format, which no Jupyter schema uses
# (jupyter-server/jupyter_server#1559). Without it, jsonschema leaves that one format unchecked.
if "$PYTHON" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("rfc3987_syntax") is None)'; then
    step "removing rfc3987-syntax from .venv: 2 s off every Jupyter server's start"
    "$REPO/.venv/bin/pip" uninstall --quiet --yes rfc3987-syntax
fi

# The kernel's folder is named after the patches it was built with: a clone with other patches
# builds its own rather than replacing this one's.
SERIES_SUM="$("$PYTHON" "$REPO/scripts/kernel_files.py" series)"
EVCXR_HOME="$KERNEL_ROOT/evcxr-$EVCXR_VERSION-$SERIES_SUM"
EVCXR_BIN="$EVCXR_HOME/bin/evcxr_jupyter"
# Built with the same patches in the default folder already (a class set-up after the lecturer's
# own): copied, not built again.
BUILT="$HOME/.cache/learning-rules/evcxr-$EVCXR_VERSION-$SERIES_SUM"
if [ ! -x "$EVCXR_BIN" ] && [ "$BUILT" != "$EVCXR_HOME" ] && [ "$(cat "$BUILT/patches.sha256" 2>/dev/null)" = "$SERIES_SUM" ]; then
    step "copying evcxr_jupyter from $BUILT"
    mkdir -p "$KERNEL_ROOT" && cp -a "$BUILT" "$EVCXR_HOME"
fi
if [ ! -x "$EVCXR_BIN" ] || [ "$(cat "$EVCXR_HOME/patches.sha256" 2>/dev/null)" != "$SERIES_SUM" ]; then
    step "installing evcxr_jupyter $EVCXR_VERSION with ${#PATCHES[@]} patches (and ${#ZEROMQ_PATCHES[@]} to its zeromq) into $EVCXR_HOME (a few minutes, once)"
    (
        SRC="$(mktemp -d)"
        trap 'rm -rf "$SRC"' EXIT
        # The published sources of evcxr and evcxr_jupyter, fetched through cargo, found where
        # cargo says they are.
        mkdir -p "$SRC/fetch/src"
        printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nevcxr_jupyter = "=%s"\n' \
            "$EVCXR_VERSION" > "$SRC/fetch/Cargo.toml"
        touch "$SRC/fetch/src/lib.rs"
        cargo fetch --quiet --manifest-path "$SRC/fetch/Cargo.toml"
        cargo metadata --quiet --format-version 1 --manifest-path "$SRC/fetch/Cargo.toml" \
            | "$PYTHON" "$REPO/scripts/kernel_files.py" package-dirs evcxr evcxr_jupyter \
            | while read -r name dir; do cp -r "$dir" "$SRC/$name"; done
        # The patches are written against evcxr's repository, where the two crates are folders.
        for patch in "${PATCHES[@]}"; do
            (cd "$SRC" && git apply -p1 "$patch")
        done
        # zeromq, the version evcxr_jupyter's lock names, with the patches against its published
        # source (scripts/patches/zeromq/README.md).
        cargo metadata --quiet --locked --format-version 1 --manifest-path "$SRC/evcxr_jupyter/Cargo.toml" \
            | "$PYTHON" "$REPO/scripts/kernel_files.py" package-dirs zeromq \
            | while read -r name dir; do cp -r "$dir" "$SRC/$name"; done
        for patch in "${ZEROMQ_PATCHES[@]}"; do
            (cd "$SRC/zeromq" && git apply -p1 "$patch")
        done
        # In that repository evcxr_jupyter builds the evcxr beside it; from the registry it would
        # build the unpatched one. Point it at the patched folders, in its manifest and its lock.
        printf '\n[patch.crates-io]\nevcxr = { path = "../evcxr" }\nzeromq = { path = "../zeromq" }\n' \
            >> "$SRC/evcxr_jupyter/Cargo.toml"
        sed -i '/^name = "\(evcxr\|zeromq\)"$/,/^dependencies/{/^source = /d;/^checksum = /d}' \
            "$SRC/evcxr_jupyter/Cargo.lock"
        cargo install --quiet --locked --force --path "$SRC/evcxr_jupyter" --root "$EVCXR_HOME"
    )
    echo "$SERIES_SUM" > "$EVCXR_HOME/patches.sha256"
fi

# The kernel builds offline: every crate the support crate locks, fetched.
cargo fetch --quiet --locked --manifest-path "$REPO/Cargo.toml"

# The kernel's settings, its shared build, and its spec. evcxr_jupyter installs its kernel into
# $JUPYTER_PATH/kernels/rust (logos, version.txt …); then kernel.json is rewritten. At start-up the
# kernel checks that folder's version.txt and reinstalls if it differs, so it must be its own
# installer's.
"$EVCXR_BIN" --install >/dev/null
"$PYTHON" "$REPO/scripts/kernel_files.py" install \
    --evcxr "$EVCXR_BIN" --kernel-root "$KERNEL_ROOT" \
    --spec "$JUPYTER_PATH/kernels/rust" --display-name "Rust (learning-rules)"

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
step "ready: kernel \`rust\` -> $EVCXR_BIN, shared build in $KERNEL_ROOT"
