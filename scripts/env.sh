# Source this file (`source scripts/env.sh`), after scripts/setup.sh has run once: it puts the
# project's Jupyter kernel and Python tools first for this shell. It sets variables and nothing
# else: no shell options, no traps, nothing installed or started.

# Jupyter searches JUPYTER_PATH before the user's own folder, so inside the project the `rust`
# kernel is the project's, while a `rust` kernel installed in ~/.local/share/jupyter is left as
# it is. evcxr_jupyter reads JUPYTER_PATH as one folder, so it holds exactly this one.
JUPYTER_PATH="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)/.venv/share/jupyter"
export JUPYTER_PATH
# rustup's folder is added only where no cargo is found: a toolchain already first on PATH (the
# class's, scripts/class.sh) stays the one the kernel compiles with.
command -v cargo >/dev/null 2>&1 || PATH="$HOME/.cargo/bin:$PATH"
PATH="${JUPYTER_PATH%/share/jupyter}/bin:$PATH"
export PATH
