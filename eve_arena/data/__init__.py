"""Datasets read from local files: MNIST from its IDX files (``mnist``), put there by ``download`` (`eve-arena data mnist`)."""

from eve_arena.data.mnist import MNIST, Split, load_mnist, read_idx, resolve_data_dir

__all__ = ["MNIST", "Split", "load_mnist", "read_idx", "resolve_data_dir"]
