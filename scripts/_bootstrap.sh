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

# System packages from Debian that Python wheels cannot carry: installed when missing and we are
# root with apt-get; otherwise the command to run is printed (the tests that need them say so).
sipas_system_packages() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} from Debian" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; }
  else
    echo "NOTE: missing system packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  fi
}
