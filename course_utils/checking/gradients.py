"""Gradients of a learner's result: a loss that is trained on must be right in value *and* in gradient.

A loss computed with ``.item()``, ``.detach()`` or a numpy round trip has the
right value and no gradient (or the wrong one), so the model it trains never
learns. Checkers of such exercises compare gradients, not only values.
"""
from .failures import CheckFailure


def gradients(value, inputs, *, case=None, what="your result"):
    """The gradients of the scalar ``value`` with respect to each tensor in ``inputs`` (zeros where none flows).

    ``inputs`` must require grad and be the tensors the learner's function was given (or parameters of a
    module it was given): the wrapper copies arguments, so take them from ``learner.call_with_inputs(...)``.
    A value that is not connected to them gets a sentence, not a torch error.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise CheckFailure(f"{what} should be a torch tensor that gradients flow through, but it is a "
                           f"{type(value).__name__}: did you call `.item()`, `float(...)` or go through numpy?",
                           case=case, show_values=False)
    if value.numel() != 1:
        raise CheckFailure(f"{what} should be a single number (a scalar tensor), but it has shape "
                           f"{tuple(value.shape)}.", case=case, show_values=False)
    if not value.requires_grad:
        raise CheckFailure(f"no gradient flows through {what}: did you call `.detach()`, `.item()` or "
                           f"`torch.no_grad()` inside it? An optimiser could not learn from it.",
                           case=case, show_values=False)
    grads = torch.autograd.grad(value.reshape(()), list(inputs), allow_unused=True)
    return [torch.zeros_like(x) if g is None else g.detach() for x, g in zip(inputs, grads)]
