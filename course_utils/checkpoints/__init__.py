"""Shipped model weights: ``NAME.pt`` beside ``NAME.json`` (seed, data recipe, metrics, sha256).

Lessons load them with :func:`load_checkpoint`; ``course train NAME`` rebuilds them.
"""
import hashlib
import json
from pathlib import Path

CHECKPOINT_DIR = Path(__file__).resolve().parent
MAX_BYTES = 5 * 1024 * 1024


class CheckpointError(RuntimeError):
    """A checkpoint is missing, damaged or does not match its recorded hash."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def available():
    """Names of every shipped checkpoint."""
    return sorted(path.stem for path in CHECKPOINT_DIR.glob("*.json"))


def metadata(name, directory=CHECKPOINT_DIR):
    path = Path(directory) / f"{name}.json"
    if not path.exists():
        raise CheckpointError(f"there is no checkpoint {name!r} (known: {', '.join(available()) or 'none'}); "
                              f"`course train {name}` creates it.")
    return json.loads(path.read_text())


def verify(name, directory=CHECKPOINT_DIR):
    """Raise CheckpointError unless the weights file exists and matches its recorded hash."""
    info = metadata(name, directory)
    weights = Path(directory) / f"{name}.pt"
    if not weights.exists():
        raise CheckpointError(f"{weights.name} is missing; `course train {name}` recreates it.")
    if sha256_of(weights) != info["sha256"]:
        raise CheckpointError(f"{weights.name} does not match its recorded sha256 (it was changed or damaged); "
                              f"restore it with git or recreate it with `course train {name}`.")
    return info


def load_checkpoint(name, directory=CHECKPOINT_DIR):
    """The checkpoint's state dict and metadata, after verifying its hash."""
    import torch

    info = verify(name, directory)
    state = torch.load(Path(directory) / f"{name}.pt", map_location="cpu", weights_only=True)
    return state, info


def save_checkpoint(name, state, info, directory=CHECKPOINT_DIR):
    """Write ``NAME.pt`` and ``NAME.json``; ``info`` should hold the seed, data recipe and metrics."""
    import torch

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / f"{name}.pt"
    torch.save(state, weights)
    size = weights.stat().st_size
    if size > MAX_BYTES:
        raise CheckpointError(f"{weights.name} is {size / 1e6:.1f} MB; shipped checkpoints must stay under 5 MB.")
    record = dict(info, name=name, sha256=sha256_of(weights), bytes=size)
    (directory / f"{name}.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record
