"""Datasets read from local files (no downloads): MNIST from its IDX files, see ``mnist``."""

from eve_arena.data.mnist import MNIST, Split, load_mnist, read_idx, resolve_data_dir

__all__ = ["MNIST", "Split", "load_mnist", "read_idx", "resolve_data_dir"]
