#!/usr/bin/env bash
# Serves Lecture 24 to a class from this machine: JupyterHub (PyPI) behind configurable-http-proxy
# (npm), one system user per student, each with their own copy of the notebooks, every kernel
# over one shared build. Every setting is in deploy/class/jupyterhub_config.py. Run as root.
#
#   LEARNING_RULES_CLASS_PASSWORD=... scripts/class.sh   install (minutes, once), then serve on
#                                                         http://127.0.0.1:8000 until Ctrl-C
#   scripts/class.sh install                              install or update only
#   scripts/class.sh fresh-copy NAME                      move NAME's notebooks aside, copy anew
#
# The class lives in LEARNING_RULES_CLASS_ROOT (default /srv/learning-rules), root-owned and
# readable by every student, writable by none: a copy of this project (tracked files) with its
# .venv, the kernel and its shared build, the Rust toolchain and crate sources (hard links to
# this machine's where the file system allows, so no second copy on disk), and the proxy. A
# change to the project reaches the class at the next `install`.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASS_ROOT="${LEARNING_RULES_CLASS_ROOT:-/srv/learning-rules}"
PROJECT="$CLASS_ROOT/project"
step() { printf '== %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "scripts/class.sh makes system users and starts servers as them: run it as root" >&2; exit 1; }
umask 022

# Copies a folder as hard links where it can (same file system), else as files.
link_copy() { cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2"; cp -a "$1" "$2"; }; }

install_class() {
    mkdir -p "$CLASS_ROOT" && chmod 755 "$CLASS_ROOT"
    # Debian's Python, which every user can run (a Python under root's home is not).
    local python=/usr/bin/python3
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null || ! command -v npm >/dev/null; then
        step "installing Debian's python3-venv and npm"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv npm >/dev/null
    fi
    # The toolchain and crate sources the kernels compile with, where students can read them.
    local sysroot
    sysroot="$(rustc --print sysroot)"
    if [ "$("$CLASS_ROOT/rust/bin/rustc" -vV 2>/dev/null)" != "$(rustc -vV)" ]; then
        step "Rust toolchain -> $CLASS_ROOT/rust"
        rm -rf "$CLASS_ROOT/rust" && link_copy "$sysroot" "$CLASS_ROOT/rust"
    fi
    if [ ! -d "$CLASS_ROOT/cargo/registry" ]; then
        step "crate sources -> $CLASS_ROOT/cargo"
        mkdir -p "$CLASS_ROOT/cargo"
        link_copy "${CARGO_HOME:-$HOME/.cargo}/registry" "$CLASS_ROOT/cargo/registry"
    fi
    # The project: the files git tracks or would (not those it ignores); only those whose
    # content changed are written, so the shared build is remade when, and only when, it must.
    step "project -> $PROJECT"
    mkdir -p "$PROJECT"
    if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$REPO" ls-files -z --cached --others --exclude-standard
    else
        (cd "$REPO" && find Cargo.toml Cargo.lock crates data deploy notebooks scripts -type f -print0)
    fi | /usr/bin/python3 "$REPO/scripts/kernel_files.py" sync "$REPO" "$PROJECT"
    # The notebooks' set-up, run for the class: its kernel root, toolchain and crate sources, and
    # JupyterHub with the idle culler in the project's .venv.
    PATH="$CLASS_ROOT/rust/bin:$PATH" CARGO_HOME="$CLASS_ROOT/cargo" \
        LEARNING_RULES_KERNEL_ROOT="$CLASS_ROOT/kernel" LEARNING_RULES_PYTHON="$python" \
        LEARNING_RULES_WITH_HUB=1 "$PROJECT/scripts/setup.sh"
    if [ ! -x "$CLASS_ROOT/node/node_modules/.bin/configurable-http-proxy" ] \
        || ! cmp -s "$PROJECT/deploy/class/package-lock.json" "$CLASS_ROOT/node/package-lock.json"; then
        step "installing configurable-http-proxy into $CLASS_ROOT/node"
        mkdir -p "$CLASS_ROOT/node"
        cp "$PROJECT/deploy/class/package.json" "$PROJECT/deploy/class/package-lock.json" "$CLASS_ROOT/node/"
        (cd "$CLASS_ROOT/node" && npm ci --silent --no-audit --no-fund)
    fi
    mkdir -p "$CLASS_ROOT/hub" && chmod 700 "$CLASS_ROOT/hub"
}

case "${1:-serve}" in
    install)
        install_class
        step "installed in $CLASS_ROOT" ;;
    serve)
        if [ -z "${LEARNING_RULES_CLASS_PASSWORD:-}" ] && [ -z "${LEARNING_RULES_CLASS_PASSWORD_FILE:-}" ]; then
            echo "set LEARNING_RULES_CLASS_PASSWORD (8 characters or more), or LEARNING_RULES_CLASS_PASSWORD_FILE" >&2
            exit 1
        fi
        install_class
        step "serving on http://${LEARNING_RULES_CLASS_IP:-127.0.0.1}:${LEARNING_RULES_CLASS_PORT:-8000} (Ctrl-C stops)"
        cd "$CLASS_ROOT/hub"
        exec "$PROJECT/.venv/bin/jupyterhub" -f "$PROJECT/deploy/class/jupyterhub_config.py" ;;
    fresh-copy)
        [ -n "${2:-}" ] || { echo "usage: scripts/class.sh fresh-copy NAME" >&2; exit 1; }
        "$PROJECT/.venv/bin/python" - "$2" "$PROJECT" <<'PY'
import pathlib, sys
sys.path.insert(0, str(pathlib.Path(sys.argv[2]) / "deploy" / "class"))
import students
copy = students.copy_notebooks(students.ensure_student(sys.argv[1]),
                               pathlib.Path(sys.argv[2]) / "notebooks", "lecture-24", fresh=True)
print(f"fresh copy in {copy}; the old one is beside it")
PY
        ;;
    *)
        echo "usage: scripts/class.sh [serve|install|fresh-copy NAME]" >&2
        exit 1 ;;
esac
