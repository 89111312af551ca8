"""Write the demo's PAR frameworks (SYNTHETIC criteria under the known areas of QĐ 876 and 892)
to src/sipas/frameworks/data/, from the specifications in sipas.synthetic.par.

    PYTHONPATH=src python scripts/frameworks/build_demo_par.py
"""

from __future__ import annotations

from pathlib import Path

from sipas.frameworks import dump_framework_yaml, load_builtin, require_par
from sipas.synthetic.par import DEMO_PAR_FRAMEWORKS, demo_par_framework

ROOT = Path(__file__).resolve().parents[2]
HEADER = """\
# SYNTHETIC framework for the demo: written by scripts/frameworks/build_demo_par.py from
# sipas.synthetic.par.DEMO_PAR_FRAMEWORKS; do not edit by hand. The areas are those of {base};
# everything the notes call made up is made up. Not official; reproduces no published figure.
"""


def main() -> None:
    for framework_id, spec in DEMO_PAR_FRAMEWORKS.items():
        base = require_par(load_builtin(spec["base"]))
        framework = demo_par_framework(framework_id, base)
        out = ROOT / "src" / "sipas" / "frameworks" / "data" / f"{framework_id}.yaml"
        out.write_text(
            HEADER.format(base=spec["base"]) + dump_framework_yaml(framework), encoding="utf-8"
        )
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
