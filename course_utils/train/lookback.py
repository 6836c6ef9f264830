"""Recipe ``lookback_2l``: the 2-layer attention-only architecture of ``induction_2l``, on the look-back task.

The model sees distinct random tokens whose last token repeats an earlier one
and must name the token that came just before that earlier copy
(``course_utils.data.lookback_tasks``). Only the last position is trained.
Lesson 11 uses it as a second circuit with a known answer: a previous-token
head in layer 0 feeding the *values* of a look-up head in layer 1.
"""
import time

import numpy as np

from . import recipe

MODEL_CONFIG = dict(n_layers=2, n_heads=4, d_model=64, d_head=16, n_ctx=24, d_vocab=64)
DATA = dict(seq_len=24, batch=64)
SEED = 0
STEPS = 2000
LR = 3e-3


def held_out_accuracy(model, batch=1000, seed=99):
    """Fraction of fresh look-back sequences whose answer is the model's top prediction."""
    import torch

    from ..data.lookback_tasks import lookback_batch

    tokens, answers, _ = lookback_batch(batch, DATA["seq_len"], MODEL_CONFIG["d_vocab"], np.random.default_rng(seed))
    with torch.no_grad():
        return float((model(tokens)[:, -1].argmax(-1) == answers).float().mean())


def train(steps=STEPS, seed=SEED, progress=True):
    """Train the plain-PyTorch twin and return ``(model, history)``."""
    import torch

    from ..data.lookback_tasks import lookback_batch
    from .adamw_loop import train_attn_only

    def batch_loss(model, rng):
        tokens, answers, _ = lookback_batch(DATA["batch"], DATA["seq_len"], MODEL_CONFIG["d_vocab"], rng)
        return torch.nn.functional.cross_entropy(model(tokens)[:, -1], answers)

    return train_attn_only(MODEL_CONFIG, batch_loss, steps=steps, seed=seed, lr=LR, desc="lookback_2l",
                           progress=progress)


@recipe("lookback_2l", description="2-layer attention-only transformer that looks back by V-composition (lesson 11)",
        metric="accuracy", tolerance=0.02)
def build(directory):
    from ..checkpoints import save_checkpoint

    start = time.time()
    model, history = train()
    info = dict(seed=SEED, steps=STEPS, lr=LR, model_config=MODEL_CONFIG, data=DATA,
                data_recipe="course_utils.data.lookback_tasks.lookback_batch",
                note="trained with the plain-PyTorch twin in course_utils.models.attn_only, one torch thread",
                final_train_loss=round(float(np.mean(history[-50:])), 4),
                accuracy=round(held_out_accuracy(model), 4), train_seconds=round(time.time() - start, 1))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return save_checkpoint("lookback_2l", state, info, directory=directory)
