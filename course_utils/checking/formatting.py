"""Short, deterministic text for values shown in verdicts (nbval compares it)."""
import numpy as np

MAX_CHARS = 160


def to_numpy(value):
    """A numpy view of tensors and arrays; anything else is returned unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


def show(value):
    """Render a value compactly: 4 significant digits, no memory addresses."""
    value = to_numpy(value)
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, suppress_small=True, threshold=12, edgeitems=3,
                               max_line_width=MAX_CHARS, separator=", ")
        text = " ".join(text.split())
        if value.ndim > 1 or value.size > 12:
            text = f"{text} (shape {tuple(value.shape)})"
    elif isinstance(value, (bool, np.bool_)):
        text = str(bool(value))
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.4g}"
    elif isinstance(value, (int, np.integer)):
        text = str(int(value))
    elif isinstance(value, tuple):
        text = "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "None"
    else:
        text = f"an object of type {type(value).__name__}"
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 3] + "..."
    return text


def describe_type(value):
    """A phrase naming what a value is: 'a float', 'a tensor of shape (2, 3)'."""
    if hasattr(value, "detach") and hasattr(value, "shape"):
        return f"a torch tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if value is None:
        return "None (did you forget to `return` the result?)"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    article = "an" if type(value).__name__[0] in "aeiou" else "a"
    return f"{article} {type(value).__name__}"
