"""Recipe ``induction_2l``: a 2-layer attention-only transformer that learns induction.

It trains on random token sequences in which one segment, of random length at
random offsets, appears twice (``course_utils.data.induction_tasks``). The
only way to predict the second copy is to find the previous occurrence of the
current token and copy what followed it: a previous-token head in layer 0
composing with an induction head in layer 1.
"""
import time

import numpy as np

from . import recipe

MODEL_CONFIG = dict(n_layers=2, n_heads=4, d_model=64, d_head=16, n_ctx=48, d_vocab=64)
DATA = dict(seq_len=48, min_len=10, max_len=23, batch=32)
SEED = 0
STEPS = 2000
LR = 5e-3


def repeated_token_losses(model, batch=64, half_len=20, seed=123):
    """Mean next-token loss over the first and second halves of repeated random tokens."""
    import torch

    from ..data.induction_tasks import repeated_random_tokens

    tokens = repeated_random_tokens(batch, half_len, MODEL_CONFIG["d_vocab"], seed=seed)
    with torch.no_grad():
        logits = model(tokens)
    losses = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), tokens[:, 1:], reduction="none")
    return float(losses[:, :half_len - 1].mean()), float(losses[:, half_len:].mean())


def batch_loss(model, rng):
    """Next-token loss on a fresh batch of sequences with a repeated segment."""
    import torch

    from ..data.induction_tasks import repeated_segment_batch

    tokens, _ = repeated_segment_batch(DATA["batch"], DATA["seq_len"], MODEL_CONFIG["d_vocab"], rng,
                                       DATA["min_len"], DATA["max_len"])
    logits = model(tokens)
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                             tokens[:, 1:].reshape(-1))


def train(steps=STEPS, seed=SEED, progress=True):
    """Train the plain-PyTorch twin and return ``(model, history)``."""
    from .adamw_loop import train_attn_only

    return train_attn_only(MODEL_CONFIG, batch_loss, steps=steps, seed=seed, lr=LR, desc="induction_2l",
                           progress=progress)


@recipe("induction_2l", description="2-layer attention-only transformer with induction heads (lessons 10, 11)",
        metric="second_half_loss", tolerance=0.3)
def build(directory):
    start = time.time()
    model, history = train()
    return save(model, history, directory, time.time() - start)


def save(model, history, directory, seconds):
    """Measure the trained model and write ``induction_2l.pt`` / ``.json`` to ``directory``."""
    from ..checkpoints import save_checkpoint

    first, second = repeated_token_losses(model)
    info = dict(seed=SEED, steps=STEPS, lr=LR, model_config=MODEL_CONFIG, data=DATA,
                data_recipe="course_utils.data.induction_tasks.repeated_segment_batch",
                note="trained with the plain-PyTorch twin in course_utils.models.attn_only, one torch thread",
                final_train_loss=round(float(np.mean(history[-50:])), 4),
                first_half_loss=round(first, 4), second_half_loss=round(second, 4),
                train_seconds=round(seconds, 1))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return save_checkpoint("induction_2l", state, info, directory=directory)
