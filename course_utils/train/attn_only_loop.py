"""The training loop shared by the attention-only recipes (``induction_2l``, ``lookback_2l``)."""
import numpy as np


def train_attn_only(model_config, batch_loss, *, steps, seed, lr, desc, progress=True):
    """Train the plain-PyTorch twin of an attention-only model; return ``(model, history)``.

    ``batch_loss(model, rng)`` draws a fresh batch with the numpy Generator
    ``rng`` and returns the loss tensor. AdamW with a one-cycle schedule, on one
    torch thread (tiny matrices: one thread is faster and leaves the other core
    free, and keeps the result bit-for-bit reproducible).
    """
    import torch
    from tqdm.auto import tqdm

    from ..models.attn_only import plain_attn_only

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = plain_attn_only(model_config)
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
    torch.set_num_threads(threads)
    return model, history
