"""Watching a run: the champion plays the hall of fame, in any world, never a traceback.

Our worlds draw the match with their own pygame renderers (scoreboard included). A world that
renders ``rgb_array`` frames is shown with the arena's scoreboard beside its frame
(``generic_render.compose``); a world without a renderer, or whose renderer fails, gets the
generic view (``generic_render.MatchView``): each agent's reward and first numeric info per
step, phase changes marked, names and ladder ratings. In a window, or headless as PNG frames
or one animated GIF. The ladder ratings are measured here, each player against the run's
anchors (``Arena.evaluate``), so champion and hall members stand on one scale.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.envs import world
from eve_arena.envs.challenge import ChallengeWorld
from eve_arena.envs.supervised import SupervisedArenaEnv
from eve_arena.errors import UserError, warn
from eve_arena.evaluator import RandomAgent
from eve_arena.match import EpisodeLog, play_match
from eve_arena.runs import load_run, read_metrics


class _Recorder:
    """Wraps a match's env: after the reset and every step, ``draw(log)`` makes the frame kept."""

    def __init__(self, env, draw):
        self.env, self.draw = env, draw
        self.frames: list[np.ndarray] = []

    def __getattr__(self, name):
        return getattr(self.env, name)

    def reset(self, *args, **kwargs):
        out = self.env.reset(*args, **kwargs)
        self.capture(EpisodeLog([], {}, []))
        return out

    def step(self, actions):
        return self.env.step(actions)

    def capture(self, log: EpisodeLog) -> None:
        frame = self.draw(log)
        if frame is not None:
            self.frames.append(frame)


class _Drawer:
    """Turns a match's numbers into frames: the world's own renderer when it works, else ours."""

    def __init__(self, env, labels: dict, ratings: dict, mode: str, own: bool):
        self.env, self.labels, self.ratings, self.mode = env, labels, ratings, mode
        self.own = own  # our worlds draw their own scoreboard
        self.fallen_back = own is None
        self.view = None

    def __call__(self, log: EpisodeLog):
        if not self.fallen_back:
            try:
                frame = self.env.render()
                if self.own or self.mode == "human":
                    return frame
                if frame is not None:
                    return self._composed(frame, log)
            except Exception as exc:  # a plug-in's renderer: whatever it raises, the match goes on
                warn(f"{self.env.metadata.get('name', 'the world')}'s render() failed ({type(exc).__name__}: {exc}); drawing the generic view instead")
            self.fallen_back = True
        if self.view is None:
            from eve_arena.envs.generic_render import MatchView

            self.view = MatchView(list(self.env.possible_agents), self.mode)
        return self.view.draw(self.record(log))

    def _composed(self, frame, log):
        from eve_arena.envs.generic_render import compose

        return compose(frame, self.record(log))

    def record(self, log: EpisodeLog) -> dict:
        agents = list(self.env.possible_agents)
        rewards = np.array(log.rewards).reshape(-1, len(agents))
        return {
            "title": str(self.env.metadata.get("name", "")), "step": len(log.rewards), "agents": agents, "labels": self.labels, "ratings": self.ratings,
            "rewards": {a: rewards[:, i].tolist() for i, a in enumerate(agents)},
            "infos": {a: {k: [float(v[i]) for v in values] for k, values in log.infos.items()} for i, a in enumerate(agents)},
            "phases": list(log.phases),
        }

    def close(self) -> None:
        if self.view is not None:
            self.view.close()


def render_run(run_dir: Path, frames_dir: Path | None = None, gif: Path | None = None, episodes: int = 1, seed: int = 0, opponents: int | None = None) -> list[Path]:
    """Plays ``episodes`` matches of the champion against the hall of fame.

    With neither ``frames_dir`` nor ``gif`` it opens a pygame window; otherwise it renders
    headless and writes the frames. Returns the files written.
    """
    from eve_arena.arena import Arena

    if episodes < 1:
        raise UserError(f"episodes must be a positive integer, got {episodes}")
    for path, kind in ((frames_dir, "--frames"), (gif, "--gif")):
        if path is not None and path.exists() and path.is_dir() != (kind == "--frames"):
            raise UserError(f"{kind} {path}: {'a directory for PNG frames' if kind == '--frames' else 'a file to write'} is wanted, and {path} is {'a file' if path.is_file() else 'a directory'}")
    config, state = load_run(run_dir)
    if state is None:
        raise UserError(f"{run_dir} has no checkpoint yet: run or resume it for at least {config.checkpoint_every} generations first")
    headless = frames_dir is not None or gif is not None
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    arena = Arena(config, state)
    # The champion often is the newest hall member already: it should not play itself.
    distinct = [i for i in range(len(state.hall_genomes)) if not torch.equal(state.hall_genomes[i], state.champion)]
    if opponents is not None:
        distinct = distinct[len(distinct) - opponents :] if opponents else []
    if arena.fixed_seats is not None:
        distinct = distinct[max(0, len(distinct) - (arena.fixed_seats - 1)) :]
    genomes = torch.cat([state.champion[None], state.hall_genomes[distinct]])
    names = [f"champion g{state.generation - 1}", *(f"hall g{int(state.hall_generations[i])}" for i in distinct)]
    fillers = (arena.fixed_seats or len(genomes)) - len(genomes)  # seats a fixed world has beyond them
    ladder = [_ladder_rating(arena, g, state) for g in genomes]

    mode = "rgb_array" if headless else "human"
    size = len(genomes) + fillers
    env = _world_to_draw(lambda **extra: world.build(config.env, config.env_kwargs, size, arena.fixed_seats, **extra), config.env, mode)
    seats = list(env.possible_agents)
    labels = dict(zip(seats, names + ["random"] * fillers))
    ratings = dict(zip(seats, ladder + [None] * fillers))
    own = _own_scoreboard(env, mode)
    drawer = _Drawer(env, labels, ratings, mode, own)
    recorder = _Recorder(env, drawer)
    roster = [GenomeTeam(config.genome, genomes, name="champion and hall of fame", device=config.device)] + ([RandomAgent(fillers, seed)] if fillers else [])
    for episode in range(episodes):
        play_match(recorder, roster, seed=seed + episode, options={"labels": labels, "ratings": ratings, "generation": state.generation - 1}, on_step=recorder.capture)
    env.close()
    drawer.close()
    if not headless:
        return []
    return _write_frames(recorder.frames, frames_dir, gif, env.metadata.get("render_fps", 4))


def render_coevolution(run_dir: Path, frames_dir: Path | None = None, gif: Path | None = None, episodes: int = 1, seed: int = 0) -> list[Path]:
    """A co-evolution's champions at play: every role's seats held by its champion and then its
    hall of fame in turn (the newest first), labelled with each role's ladder rating. Drawn as
    ``render_run`` draws a tournament: the world's own frames, else the generic view."""
    from eve_arena.coevolution import Coevolution
    from eve_arena.coevolve_run import load_config

    config = load_config(run_dir)
    checkpoints = run_dir / "checkpoints"
    if not any(checkpoints.glob("gen_*.safetensors")):
        raise UserError(f"{run_dir} has no checkpoint yet: run or resume it for at least {config.checkpoint_every} generations first")
    run = Coevolution.resume(config, checkpoints)
    headless = frames_dir is not None or gif is not None
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    mode = "rgb_array" if headless else "human"
    env = _world_to_draw(config.make_env, config.world, mode)
    latest: dict = {}
    for row in read_metrics(run_dir):  # each role's champion's newest ladder rating
        latest.update({k: v for k, v in row.items() if k.endswith("/ladder_rating")})
    lineup, labels, ratings = {}, {}, {}
    for role, members in run.roles.items():
        hall = [g for g in reversed(list(run.halls[role])) if not torch.equal(g, run.champions[role])]
        pool = [("champion", run.champions[role])] + [(f"hall {i + 1}", g) for i, g in enumerate(hall)]
        dealt = [pool[i % len(pool)] for i in range(len(members))]
        lineup[role] = torch.stack([g for _, g in dealt])
        rating = latest.get(f"{role}/ladder_rating")
        for agent, (name, _) in zip(members, dealt):
            labels[agent], ratings[agent] = f"{role} {name}", (float(rating) if name == "champion" and rating is not None else None)
    own = _own_scoreboard(env, mode)
    drawer = _Drawer(env, labels, ratings, mode, own)
    recorder = _Recorder(env, drawer)
    for episode in range(episodes):
        play_match(recorder, run.roster(lineup), seed=seed + episode, options={"labels": labels, "ratings": ratings, "generation": run.generation - 1}, on_step=recorder.capture)
    env.close()
    drawer.close()
    if not headless:
        return []
    return _write_frames(recorder.frames, frames_dir, gif, env.metadata.get("render_fps", 4))


def _ladder_rating(arena, genome: torch.Tensor, state) -> float:
    _, record = arena.evaluate(genome, state.generation - 1, state.ladder)
    return record["metrics"]["ladder/rating"]


def _world_to_draw(build, name: str, mode: str):
    """The world ``build(**extra)`` makes, built to render ``mode`` if it says it can, else without a renderer."""
    env = build()
    if mode in env.metadata.get("render_modes", ()):
        try:
            return build(render_mode=mode)
        except Exception as exc:
            warn(f"{name} with render_mode={mode!r} failed to build ({type(exc).__name__}: {exc}); drawing the generic view instead")
    return env


def _own_scoreboard(env, mode: str) -> bool | None:
    """Whether the world draws its own scoreboard (ours do); None when it is not drawing ``mode``
    at all (the generic view); False when its frame is shown beside ours."""
    if getattr(env, "render_mode", None) != mode:
        return None
    return isinstance(getattr(env, "unwrapped", env), (SupervisedArenaEnv, ChallengeWorld))


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
