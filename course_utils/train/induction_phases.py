"""Recipe ``induction_2l_phases``: snapshots of ``induction_2l`` during training (the induction phase change).

It runs the ``induction_2l`` recipe unchanged (same seed, data, optimiser and
schedule, one torch thread) and keeps a copy of the weights after a handful of
steps, so a lesson can watch induction heads form ("In-context Learning and
Induction Heads", Olsson et al., 2022). The copies are taken inside the batch
function, which the shared loop calls once per step before the update: the
loop and its random stream are untouched, so the last snapshot is the model
``induction_2l`` ships when both are trained with the same torch build.

The snapshots are stored in float16 (one state dict per step, keys
``step_NNNN/<parameter name>``) to keep the file small; ``load_snapshots``
returns them as float32 state dicts.
"""
import time

import numpy as np

from . import recipe
from . import induction

NAME = "induction_2l_phases"
SNAPSHOT_STEPS = (tuple(range(0, 701, 100)) + tuple(range(725, 901, 25)) + (950, 1000, 1250, 1500, 1750))  # and step 2000
LOSS_BIN = 10           # the training loss is stored as means over bins of this many steps


def train(progress=True):
    """``(snapshots, history)``: ``{step: state_dict}`` at SNAPSHOT_STEPS and the per-step training loss."""
    from .adamw_loop import train_attn_only

    snapshots, calls = {}, [0]

    def batch_loss(model, rng):
        step = calls[0]                                   # the loop has made `step` updates so far
        if step in SNAPSHOT_STEPS:
            snapshots[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        calls[0] += 1
        return induction.batch_loss(model, rng)

    model, history = train_attn_only(induction.MODEL_CONFIG, batch_loss, steps=induction.STEPS, seed=induction.SEED,
                                     lr=induction.LR, desc=NAME, progress=progress)
    snapshots[induction.STEPS] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return snapshots, history


@recipe(NAME, description="snapshots of induction_2l during training: the induction phase change (lesson 10)",
        metric="final_second_half_loss", tolerance=0.3)
def build(directory):
    start = time.time()
    snapshots, history = train()
    return save(snapshots, history, directory, time.time() - start)


def save(snapshots, history, directory, seconds):
    import torch

    from ..checkpoints import save_checkpoint
    from ..models.attn_only import plain_attn_only

    state, losses = {}, {}
    for step, weights in sorted(snapshots.items()):
        model = plain_attn_only(induction.MODEL_CONFIG)
        model.load_state_dict(weights)
        losses[str(step)] = [round(v, 4) for v in induction.repeated_token_losses(model)]
        for key, value in weights.items():
            state[f"step_{step:04d}/{key}"] = value.to(dtype=torch.float16)
    bins = np.asarray(history[:len(history) // LOSS_BIN * LOSS_BIN]).reshape(-1, LOSS_BIN).mean(1)
    info = dict(seed=induction.SEED, steps=induction.STEPS, lr=induction.LR, model_config=induction.MODEL_CONFIG,
                data=induction.DATA, snapshot_steps=sorted(snapshots), dtype="float16",
                recipe="the induction_2l recipe, with a copy of the weights kept at each snapshot step",
                repeated_token_losses=losses,
                final_second_half_loss=losses[str(induction.STEPS)][1],
                train_loss_bin=LOSS_BIN, train_loss=[round(float(v), 4) for v in bins],
                train_seconds=round(seconds, 1))
    return save_checkpoint(NAME, state, info, directory=directory)


def load_snapshots():
    """``({step: float32 state dict}, info)`` from the shipped checkpoint (hash-verified)."""
    import torch

    from ..checkpoints import load_checkpoint

    state, info = load_checkpoint(NAME)
    snapshots = {}
    for key, value in state.items():
        step, name = key.split("/", 1)
        snapshots.setdefault(int(step[len("step_"):]), {})[name] = value.to(torch.float32)
    return dict(sorted(snapshots.items())), info
