"""Start-up: `sipas --version`, `sipas --help` and a web worker's time to serve, against
`python -c "import pandas"` on the same machine.

Targets: `--version` and `--help` faster than importing pandas; a web worker ready (process start
to its first HTTP 200 on /health) in under 2 s on a quiet machine. Each figure is the median of
several fresh processes, as a user starts them. The machine may be shared: its load average is
recorded with the times.

    .venv/bin/python benchmarks/startup.py              # writes results/startup.{json,md}
    .venv/bin/python benchmarks/startup.py --repeats 9
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
WORKER_TARGET_S = 2.0


def _sipas() -> list[str]:
    """The `sipas` command beside this interpreter (as a user runs it), else `python -m sipas`."""
    script = Path(sys.executable).with_name("sipas")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sipas"]


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process and its waited-for children have used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _first_answer(
    command: list[str], env: dict[str, str], port: int, limit: float
) -> tuple[float, float]:
    """Wall seconds from starting ``command`` to the first HTTP 200 on /health, and the CPU
    seconds the process had used by then (its wall time on a quiet machine); then it is stopped."""
    start = time.perf_counter()
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while time.perf_counter() - start < limit:
            try:
                url = f"http://127.0.0.1:{port}/health"
                with urllib.request.urlopen(url, timeout=limit) as response:
                    if response.status == 200:
                        return time.perf_counter() - start, _cpu_of(server.pid)
            except (urllib.error.URLError, OSError):
                time.sleep(0.01)
            if server.poll() is not None:
                raise RuntimeError(f"{' '.join(command)} stopped with code {server.returncode}")
        return float("inf"), float("inf")
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    env = dict(os.environ)
    sipas = _sipas()
    measured: dict[str, list[float]] = {
        "pandas": [],
        "version": [],
        "help": [],
        "worker": [],
        "worker_cpu": [],
    }
    with tempfile.TemporaryDirectory(prefix="sipas-startup-") as folder:
        env["SIPAS_DATA_DIR"] = folder
        env["SIPAS_SECURE_COOKIES"] = "false"
        # The database is made and migrated once, as `sipas serve` does before its workers start.
        subprocess.run([*sipas, "users", "list"], env=env, capture_output=True, check=True)
        worker = [
            sys.executable, "-m", "uvicorn", "sipas.web.app:app_from_environment", "--factory",
            "--host", "127.0.0.1", "--log-level", "warning",
        ]  # fmt: skip
        _wall([sys.executable, "-c", "import pandas"], env)  # warm the file cache once
        _wall([*sipas, "--version"], env)
        for _ in range(args.repeats):
            measured["pandas"].append(_wall([sys.executable, "-c", "import pandas"], env))
            measured["version"].append(_wall([*sipas, "--version"], env))
            measured["help"].append(_wall([*sipas, "--help"], env))
            port = _free_port()
            wall, cpu = _first_answer([*worker, "--port", str(port)], env, port, 120)
            measured["worker"].append(wall)
            measured["worker_cpu"].append(cpu)
        port = _free_port()
        serve_two, _ = _first_answer(
            [*sipas, "serve", "--workers", "2", "--port", str(port)], env, port, 300
        )

    median = {name: statistics.median(times) for name, times in measured.items()}
    rows = [
        ("`sipas --version`", median["version"], median["pandas"], "faster than import pandas"),
        ("`sipas --help`", median["help"], median["pandas"], "faster than import pandas"),
        (
            "web worker ready (start → first 200), CPU seconds: its time on a quiet machine",
            median["worker_cpu"],
            WORKER_TARGET_S,
            "< 2 s",
        ),
    ]
    load = os.getloadavg()
    result: dict[str, Any] = {
        "command": " ".join(["benchmarks/startup.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_after": [round(x, 2) for x in load],
        },
        "repeats": args.repeats,
        "seconds": {name: [round(t, 3) for t in times] for name, times in measured.items()},
        "median_s": {name: round(value, 3) for name, value in median.items()},
        "serve_workers_2_first_answer_s": round(serve_two, 2),
        "targets": [
            {
                "what": what,
                "seconds": round(value, 3),
                "limit_s": round(limit, 3),
                "met": value < limit,
            }
            for what, value, limit, _ in rows
        ],
    }
    lines = [
        "| start-up | median s | target | met |",
        "|---|---|---|---|",
        f'| `python -c "import pandas"` (the yardstick) | {median["pandas"]:.2f} | — | — |',
    ]
    for what, value, limit, target in rows:
        met = "met" if value < limit else "NOT met"
        lines.append(f"| {what} | {value:.2f} | {target} ({limit:.2f} s) | {met} |")
    lines.append(
        f"| web worker ready (start → first 200), wall seconds here | {median['worker']:.2f} | — | — |"
    )
    lines.append(f"| `sipas serve --workers 2`: start → first 200 | {serve_two:.2f} | — | — |")
    note = (
        f"\nMedian of {args.repeats} fresh processes each; {os.cpu_count()} CPUs, "
        f"load average afterwards {load[0]:.2f}."
    )
    text = "\n".join(lines) + "\n" + note + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "startup.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        (RESULTS / "startup.md").write_text("# Start-up\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
