"""What a learner's function did besides returning a value: inputs changed in place, hooks left on a model.

The runner hands the learner deep copies of the checker's arguments and keeps
the originals, so after the call it can tell, argument by argument, whether
the copy still equals the original. Docstrings forbid changing inputs unless
they say otherwise (an exercise lists those arguments in ``may_modify``): in
the learner's own notebook such a change silently corrupts the data later
cells use, so a check names it instead of passing.
"""
import inspect

import numpy as np

from .failures import CheckFailure


def argument_names(function, args, kwargs):
    """``{name: value}`` for the call, with the function's own parameter names where they can be read."""
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
        named = dict(bound.arguments)
        for name, parameter in inspect.signature(function).parameters.items():
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL and name in named:
                named.update({f"{name}[{i}]": v for i, v in enumerate(named.pop(name))})
            elif parameter.kind is inspect.Parameter.VAR_KEYWORD and name in named:
                named.update(named.pop(name))
        return named
    except (TypeError, ValueError):
        return {**{f"argument {i + 1}": v for i, v in enumerate(args)}, **kwargs}


def check_side_effects(function_name, function, originals, passed, may_modify=()):
    """Raise CheckFailure when the call changed an argument it may not change, or left hooks on a model."""
    before = argument_names(function, *originals)
    after = argument_names(function, *passed)
    for name, original in before.items():
        if name not in after:
            continue
        hooks_before, hooks_after = count_hooks(original), count_hooks(after[name])
        if hooks_after > hooks_before:
            extra = hooks_after - hooks_before
            raise CheckFailure(
                f"`{function_name}` left {extra} hook{'s' if extra != 1 else ''} registered on `{name}`. "
                f"Remove every hook you add (keep the handle and call `handle.remove()`, or use "
                f"`model.hooks(...)` / `run_with_hooks`), or later cells run with your hook still attached.",
                show_values=False)
        if name in may_modify:
            continue
        if changed(original, after[name]):
            kind = "the weights of" if _is_module(original) else "its input"
            raise CheckFailure(
                f"`{function_name}` changed {kind} `{name}` in place. Return a new value instead and leave "
                f"the input as it was (copy it first: `{name}.copy()` for arrays, `{name}.clone()` for tensors; "
                f"`x = x + ...` makes a new array, `x += ...` changes the caller's).",
                show_values=False)


def _is_module(value):
    return hasattr(value, "state_dict") and hasattr(value, "modules")


def _as_numpy(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


def changed(original, passed, depth=0):
    """Whether ``passed`` (the learner's copy after the call) differs from ``original``."""
    if depth > 6:
        return False
    if _is_module(original):
        ours, theirs = original.state_dict(), passed.state_dict()
        return ours.keys() != theirs.keys() or any(changed(ours[k], theirs[k], depth + 1) for k in ours)
    if hasattr(original, "detach") or isinstance(original, np.ndarray):
        a, b = _as_numpy(original), _as_numpy(passed)
        if not isinstance(b, np.ndarray) or a.shape != b.shape:
            return True
        try:
            return not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        except (TypeError, ValueError):
            return False
    if isinstance(original, (list, tuple)):
        return (not isinstance(passed, (list, tuple)) or len(original) != len(passed)
                or any(changed(a, b, depth + 1) for a, b in zip(original, passed)))
    if isinstance(original, dict):
        return (not isinstance(passed, dict) or original.keys() != passed.keys()
                or any(changed(original[k], passed[k], depth + 1) for k in original))
    if isinstance(original, (int, float, str, bool, np.number)):
        return False  # immutable: cannot change in place
    return False  # other objects (tokenizers, generators): not compared


def count_hooks(value):
    """How many forward and backward hooks a learner could have left on a module and its children.

    TransformerLens wires hooks of its own (its bridge adds capture hooks on first use, and every
    hook point wraps a user's hook in one of its functions); those are not the learner's. A hook
    added through a hook point is counted from the hook point's own list, without its permanent ones.
    """
    if not _is_module(value):
        return 0
    total = 0
    for module in value.modules():
        for attribute in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            hooks = getattr(module, attribute, None) or {}
            total += sum(not _library_function(hook) for hook in hooks.values())
        for attribute in ("fwd_hooks", "bwd_hooks"):  # a TransformerLens HookPoint's handles
            handles = getattr(module, attribute, None) or []
            total += sum(not getattr(handle, "is_permanent", False) for handle in handles)
    return total


def _library_function(hook):
    return (getattr(hook, "__module__", None) or "").startswith(("transformer_lens.", "torch."))
