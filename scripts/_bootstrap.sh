# Shared by scripts/demo and scripts/test: create .venv and install the pinned set.
# Sourced, not run. Needs only Python 3.11+ with venv (Debian: python3-venv).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SIPAS_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

sipas_bootstrap() {
  local extras="$1" lock="$2"
  local stamp="$VENV/.sipas-installed-$extras"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating virtual environment in $VENV" >&2
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when the pins or the project metadata changed.
  local want
  want="$(cat "$ROOT/pyproject.toml" "$ROOT"/requirements/*.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing pinned dependencies ($lock)" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements/$lock"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
    echo "$want" > "$stamp"
  fi
}
