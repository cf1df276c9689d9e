"""The adaptivity report of a run of a changing world, as a script (same as `eve-arena adaptivity`).

    python scripts/adaptivity.py runs/switch [--score champion/heldout_loss]

Writes RUN_DIR/adaptivity.json, adaptivity.md and plots/adaptivity.png: for each change of the
world, the drop in champion and population score, the generations until the score is back to
90% of its level before the change, and the area under the score curve over the phase.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eve_arena.adaptivity import report
from eve_arena.errors import UserError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--score", help="metric to report on (default: champion/heldout_accuracy, else champion/heldout_loss)")
    args = parser.parse_args()
    try:
        result = report(args.run_dir, args.score)
    except UserError as exc:
        raise SystemExit(f"adaptivity.py: error: {exc}") from None
    print((args.run_dir / "adaptivity.md").read_text(), end="")
    print(f"summary: {result['summary']}")


if __name__ == "__main__":
    main()
