"""The training loop shared by the small-transformer recipes (``induction_2l``, ``induction_2l_phases``,
``lookback_2l``, ``greater_than``)."""
import numpy as np

from ..threads import one_thread


def train_with_adamw(build_model, batch_loss, *, steps, seed, lr, desc, progress=True):
    """Train ``build_model()`` and return ``(model, history)``.

    ``batch_loss(model, rng)`` draws a fresh batch with the numpy Generator ``rng`` and returns the loss
    tensor. AdamW with a one-cycle schedule, on one torch thread (tiny matrices: one thread is faster and
    leaves the other core free, and keeps the result bit-for-bit reproducible). The model is built after
    torch is seeded, so its initial weights are the seed's too.
    """
    import torch
    from tqdm.auto import tqdm

    with one_thread():
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        model = build_model()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.05)
        history = []
        for _ in tqdm(range(steps), desc=desc, disable=not progress):
            loss = batch_loss(model, rng)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            history.append(loss.item())
    return model, history


def train_attn_only(model_config, batch_loss, **options):
    """``train_with_adamw`` on the plain-PyTorch twin of an attention-only model."""
    from ..models.attn_only import plain_attn_only

    return train_with_adamw(lambda: plain_attn_only(model_config), batch_loss, **options)
