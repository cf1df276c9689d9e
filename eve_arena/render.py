"""Watching a run: the champion plays the hall of fame, drawn by the environment's pygame renderer.

In a window (``render_mode="human"``) or headless: frames as PNG files, or one animated GIF.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from eve_arena import ratings
from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.envs import make_env
from eve_arena.errors import UserError
from eve_arena.match import play_match
from eve_arena.run import load_run


class _Recorder:
    """Wraps a controller-driven match so every step's frame is kept (rgb_array mode)."""

    def __init__(self, env):
        self.env = env
        self.frames: list[np.ndarray] = []

    def __getattr__(self, name):
        return getattr(self.env, name)

    def reset(self, *args, **kwargs):
        out = self.env.reset(*args, **kwargs)
        self.frames.append(self.env.render())
        return out

    def step(self, actions):
        out = self.env.step(actions)
        self.frames.append(self.env.render())
        return out


def render_run(run_dir: Path, frames_dir: Path | None = None, gif: Path | None = None, episodes: int = 1, seed: int = 0, opponents: int | None = None) -> list[Path]:
    """Plays ``episodes`` matches of the champion against the hall of fame.

    With neither ``frames_dir`` nor ``gif`` it opens a pygame window; otherwise it renders
    headless and writes the frames. Returns the files written.
    """
    if episodes < 1:
        raise UserError(f"episodes must be a positive integer, got {episodes}")
    config, state = load_run(run_dir)
    if state is None:
        raise UserError(f"{run_dir} has no checkpoint yet: run or resume it for at least {config.checkpoint_every} generations first")
    # The champion often is the newest hall member already: it should not play itself.
    distinct = [i for i in range(len(state.hall_genomes)) if not torch.equal(state.hall_genomes[i], state.champion)]
    if opponents is not None:
        distinct = distinct[len(distinct) - opponents :] if opponents else []
    hall = state.hall_genomes[distinct]
    hall_mu, hall_sigma = state.hall_mu[distinct], state.hall_sigma[distinct]
    hall_gens = state.hall_generations[distinct].tolist()

    genomes = torch.cat([state.champion[None], hall])
    headless = frames_dir is not None or gif is not None
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    env = make_env(config.env, num_agents=len(genomes), render_mode="rgb_array" if headless else "human", **config.env_kwargs)
    seats = env.possible_agents
    labels = {seats[0]: f"champion g{state.generation - 1}", **{s: f"hall g{g}" for s, g in zip(seats[1:], hall_gens)}}
    rating_values = np.concatenate([ratings.ordinal(state.champion_rating[:1], state.champion_rating[1:]), ratings.ordinal(hall_mu, hall_sigma)])
    options = {"labels": labels, "ratings": dict(zip(seats, rating_values.tolist()))}
    team = GenomeTeam(config.genome, genomes, name="champion and hall of fame", device=config.device)
    recorder = _Recorder(env) if headless else env
    for episode in range(episodes):
        play_match(recorder, [team], seed=seed + episode, options=options)
    env.close()
    if not headless:
        return []
    return _write_frames(recorder.frames, frames_dir, gif, env.metadata.get("render_fps", 4))


def _write_frames(frames: list[np.ndarray], frames_dir: Path | None, gif: Path | None, fps: int) -> list[Path]:
    from PIL import Image

    images = [Image.fromarray(f) for f in frames if f is not None]
    written = []
    if frames_dir is not None:
        frames_dir.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            path = frames_dir / f"frame_{i:04d}.png"
            image.save(path)
            written.append(path)
    if gif is not None:
        gif.parent.mkdir(parents=True, exist_ok=True)
        images[0].save(gif, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
        written.append(gif)
    return written
