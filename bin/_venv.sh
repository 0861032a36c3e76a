# Sourced by bin/run and bin/test: makes .venv and installs the project from pyproject.toml.
# Re-installs only when pyproject.toml changes, so repeated runs start fast.
# Usage: ensure_venv "" | ensure_venv test
ensure_venv() {
    local extra="$1" python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "iSmartPay needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
        exit 1
    fi
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    local stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extra:-base}"
    if [ ! -f "$stamp" ]; then
        echo "Installing iSmartPay${extra:+ with [$extra]} into .venv …"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra:+[$extra]}"
        touch "$stamp"
    fi
    export PATH="$PWD/.venv/bin:$PATH"
}
