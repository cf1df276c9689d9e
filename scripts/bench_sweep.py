"""A sweep of seeds of the default toy tournament: one after another against two at a time on Ray.

    python scripts/bench_sweep.py --out results                 # 4 seeds x 1000 generations, about 3 minutes on 2 cores
    python scripts/bench_sweep.py --generations 20 --out /tmp/s # a smoke run

Both sweeps run the same configs (`eve-arena sweep --seeds ...` with the defaults) into fresh
directories; the table gives each one's wall time, the ratio, and whether every run's champion
is the same on both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time

from results_io import provenance, write_atomic  # scripts/results_io.py

from eve_arena.champion import load_champion
from eve_arena.config import ArenaConfig
from eve_arena.sweep import sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--generations", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="directory for bench_sweep.md and .json")
    args = parser.parse_args()
    configs = {f"seed_{s}": ArenaConfig(seed=s, generations=args.generations) for s in args.seeds}
    scratch = tempfile.mkdtemp(prefix="bench_sweep_")
    try:
        timings = {}
        for backend, workers in (("local", 1), ("ray", args.workers)):
            started = time.perf_counter()
            sweep(configs, os.path.join(scratch, backend), backend=backend, workers=workers)
            timings[backend] = time.perf_counter() - started
            print(f"{backend}: {timings[backend]:.1f} s", flush=True)
        same = all(load_champion(os.path.join(scratch, "local", n)).genome.equal(load_champion(os.path.join(scratch, "ray", n)).genome) for n in configs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = {
        "seeds": args.seeds, "generations": args.generations, "workers": args.workers, "local_s": timings["local"], "ray_s": timings["ray"],
        "speedup": timings["local"] / timings["ray"], "same_champions": same, "cpu_count": os.cpu_count(), "loadavg_end": list(os.getloadavg()), "provenance": provenance(),
    }
    table = [
        f"# A sweep of {len(args.seeds)} seeds of the default toy tournament ({args.generations} generations each)",
        "",
        "| one after another (local) | Ray, " + f"{args.workers} workers | speed-up | same champions |",
        "|---|---|---|---|",
        f"| {timings['local']:.1f} s | {timings['ray']:.1f} s (Ray's start-up included) | {report['speedup']:.2f}x | {'yes' if same else 'NO'} |",
        "",
        f"{os.cpu_count()} CPU cores; load average at the end {report['loadavg_end'][0]:.2f}. {provenance()}",
    ]
    print("\n".join(table))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        write_atomic(os.path.join(args.out, "bench_sweep.md"), "\n".join(table) + "\n")
        write_atomic(os.path.join(args.out, "bench_sweep.json"), json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
