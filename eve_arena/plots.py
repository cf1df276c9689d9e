"""Plots of a run, drawn from RUN_DIR's files alone: progress over generations, the champion's fit."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

PLOT_DIR = "plots"


def plot_run(run_dir: Path, rows: list[dict], config, champion: torch.Tensor, task=None, anchors: dict[str, float] | None = None) -> list[Path]:
    """Writes ``plots/progress.png`` and, for a one-input regression ``task``, ``plots/champion.png``.

    ``rows`` are the run's metrics, ``anchors`` the ladder's anchor ratings (drawn as rungs).
    """
    out = run_dir / PLOT_DIR
    out.mkdir(exist_ok=True)
    written = []
    if rows:
        written.append(plot_progress(rows, out / "progress.png", anchors))
    if task is not None:
        path = plot_champion_fit(config, champion, task, out / "champion.png")
        if path:
            written.append(path)
    return written


def _series(rows: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    pts = [(r["generation"], r[key]) for r in rows if key in r and np.isfinite(r[key])]
    return (np.array([p[0] for p in pts]), np.array([p[1] for p in pts])) if pts else (np.array([]), np.array([]))


def plot_progress(rows: list[dict], path: Path, anchors: dict[str, float] | None = None) -> Path:
    """The champion's score (held-out loss, or evaluation returns where the world has no held-out
    split) and its ladder rating over generations; for a self-building genome, a third panel of
    replication fidelity rho beside the weight norm (a rho that falls only because the weights
    shrink is not replication)."""
    self_building = any("champion/rho" in r for r in rows)
    fig, axes = plt.subplots(1, 3 if self_building else 2, figsize=(16.5 if self_building else 11, 4))
    ax_score, ax_ladder = axes[:2]
    for key, label, style in (
        ("champion/heldout_loss", "champion", "-"),
        ("population/heldout_loss_best", "population best", ":"),
        ("population/heldout_loss_median", "population median", "--"),
    ):
        gens, values = _series(rows, key)
        if len(gens):
            ax_score.plot(gens, values, style, label=label)
    if ax_score.lines:
        ax_score.set_yscale("log")
        ax_score.set_ylabel("held-out loss (log)")
        ax_score.set_title("champion loss over generations")
    else:  # no held-out split: the champion's evaluation returns against the fixed field
        for key in sorted({k for r in rows for k in r if k.startswith("eval/return_vs_")}):
            gens, values = _series(rows, key)
            if len(gens):
                ax_score.plot(gens, values, "o-", ms=3, label=f"against {key[len('eval/return_vs_'):]}")
        ax_score.set_ylabel("mean return in evaluation episodes")
        ax_score.set_title("champion's evaluation return over generations")
    ax_score.set_xlabel("generation")
    ax_score.grid(alpha=0.3)
    if ax_score.lines:
        ax_score.legend(fontsize=8)
    gens, values = _series(rows, "ladder/rating")
    if len(gens):
        ax_ladder.plot(gens, values, "o-", ms=3, color="tab:red", label="champion")
    for n, (name, rating) in enumerate((anchors or {}).items()):
        ax_ladder.axhline(rating, color="0.6", lw=0.8, ls=":", label="frozen anchors" if n == 0 else None)
        ax_ladder.annotate(name, (1.0, rating), xycoords=("axes fraction", "data"), fontsize=7, color="0.4", ha="right", va="bottom")
    ax_ladder.set_xlabel("generation")
    ax_ladder.set_ylabel("ladder rating (mu)")
    ax_ladder.set_title("ladder: the champion against frozen anchors")
    ax_ladder.grid(alpha=0.3)
    if ax_ladder.lines:
        ax_ladder.legend(fontsize=8, loc="upper left")
    if self_building:
        plot_replication(rows, axes[2])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_coevolution(rows: list[dict], roles: list[str], path: Path) -> Path:
    """A co-evolution's progress: every role's ladder rating in one panel (each against its own
    role's frozen champions), each role's median return in the generation's matches in a second
    (the arms race: one role's gain is often the other's loss), and, where the world scores a
    role's champion on held-out data, those losses in a third."""
    scored = sorted({k for r in rows for k in r if k.startswith("champion/") and k.endswith("_loss")})
    fig, axes = plt.subplots(1, 3 if scored else 2, figsize=(16.5 if scored else 11, 4))
    colors = dict(zip(roles, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for role in roles:
        gens, values = _series(rows, f"{role}/ladder_rating")
        if len(gens):
            axes[0].plot(gens, values, "o-", ms=3, color=colors[role], label=role)
        gens, values = _series(rows, f"{role}/return_median")
        if len(gens):
            axes[1].plot(gens, values, color=colors[role], label=role)
    for ax, ylabel, title in ((axes[0], "ladder rating (mu)", "each role's champion against its own frozen champions"), (axes[1], "median return a match", "the generation's matches")):
        ax.set_xlabel("generation")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    if scored:
        for key in scored:
            gens, values = _series(rows, key)
            if len(gens):
                axes[2].plot(gens, values, label=key[len("champion/") :].replace("_loss", ""))
        axes[2].set_yscale("log")
        axes[2].set_xlabel("generation")
        axes[2].set_ylabel("champion's held-out loss (log)")
        axes[2].set_title("the scored role's champion on held-out data", fontsize=10)
        axes[2].grid(alpha=0.3)
        axes[2].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_replication(rows: list[dict], ax) -> None:
    for key, label, style in (("champion/rho", "champion rho", "-"), ("population/rho_median", "population median rho", "--")):
        gens, values = _series(rows, key)
        if len(gens):
            ax.plot(gens, values, style, color="tab:purple", label=label)
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel("replication fidelity rho (log; 1 = writing zeros)")
    ax.set_title("self-replication")
    ax.grid(alpha=0.3)
    norms = ax.twinx()
    for key, label, style in (("champion/weight_norm", "champion ||theta||", "-"), ("population/weight_norm_median", "population median ||theta||", "--")):
        gens, values = _series(rows, key)
        if len(gens):
            norms.plot(gens, values, style, color="tab:green", label=label)
    norms.set_yscale("log")
    norms.set_ylabel("weight norm ||theta|| (log)", color="tab:green")
    lines = ax.get_legend_handles_labels()
    more = norms.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)


def plot_adaptivity(rows: list[dict], key: str, population_key: str | None, changes: list, levels: list[float], path: Path, higher: bool) -> Path:
    """The champion's and the population's score over generations, each change marked, and the
    level a recovery has to reach (``levels``, one per change) drawn across its phase."""
    fig, ax = plt.subplots(figsize=(9, 4))
    gens, values = _series(rows, key)
    ax.plot(gens, values, color="tab:blue", label=f"champion {key.split('/', 1)[1]}")
    if population_key:
        gens, values = _series(rows, population_key)
        ax.plot(gens, values, "--", color="tab:orange", label="population median")
    for n, (change, target) in enumerate(zip(changes, levels)):
        ax.axvline(change.generation, color="0.4", lw=0.8, ls=":", label="world changes" if n == 0 else None)
        end = changes[n + 1].generation if n + 1 < len(changes) else rows[-1]["generation"]
        ax.hlines(target, change.generation, end, color="tab:green", lw=1, label="back to 90% of the level before the change" if n == 0 else None)
    if not higher:
        ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel(key)
    ax.set_title("adaptivity: score through the world's changes")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_champion_fit(config, champion: torch.Tensor, task, path: Path) -> Path | None:
    """Held-out outcomes as points, the champion's predictions as a line (the seed's figure)."""
    if config.genome.target[0] != 1 or config.genome.target[-1] != 1:
        return None
    from eve_arena.develop import predict

    x, y, *weights = task.heldout()
    weights = weights[0] if weights else np.full(len(x), 1.0 / len(x))
    order = np.argsort(x)
    with torch.no_grad():
        pred = predict(config.genome, champion[None].float(), torch.from_numpy(x[order]).reshape(-1, 1))[0, :, 0].numpy()
    mse = float(np.sum(weights[order] * (pred.astype(np.float64) - y[order]) ** 2))
    shown = weights[order] >= 1e-3 * weights.max()  # a quadrature's grid reaches far into the tails
    x, y, pred = x[order][shown], y[order][shown], pred[shown]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(x, y, s=6, color="0.4", alpha=0.5, label="outcomes (held-out)")
    ax.plot(x, pred, color="tab:red", lw=2, label="champion's predictions")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"champion on {config.env}: held-out MSE {mse:.3g}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
