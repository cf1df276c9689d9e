"""Render a match: a run's champion against its hall of fame (same job as `eve-arena render`).

    python scripts/render_match.py runs/demo                 # a pygame window
    python scripts/render_match.py runs/demo --gif match.gif # headless, an animated GIF
    python scripts/render_match.py runs/demo --frames frames # headless, PNG frames
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eve_arena.render import render_run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a run directory made by run_tournament.py or `eve-arena tournament`")
    parser.add_argument("--gif", type=Path, help="write an animated GIF instead of opening a window")
    parser.add_argument("--frames", type=Path, help="write PNG frames instead of opening a window")
    parser.add_argument("--episodes", type=int, default=1, help="matches to play")
    parser.add_argument("--seed", type=int, default=0, help="seed of the matches' data")
    args = parser.parse_args()
    written = render_run(args.run_dir, frames_dir=args.frames, gif=args.gif, episodes=args.episodes, seed=args.seed)
    print(f"wrote {len(written)} file(s)" + (f", last {written[-1]}" if written else ""))
