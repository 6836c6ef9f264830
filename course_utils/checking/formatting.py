"""Short, deterministic text for values shown in verdicts (nbval compares it)."""
import numpy as np

MAX_CHARS = 160


def to_numpy(value):
    """A numpy view of tensors and arrays; anything else is returned unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # numpy has no bfloat16; the tolerance reads the tensor's dtype
            value = value.float()
        return value.numpy()
    return value


def show(value, digits=4):
    """Render a value compactly: ``digits`` significant digits, no memory addresses."""
    value = to_numpy(value)
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=digits, suppress_small=True, threshold=12, edgeitems=3,
                               max_line_width=MAX_CHARS, separator=", ")
        text = " ".join(text.split())
        if value.ndim > 1 or value.size > 12:
            text = f"{text} (shape {tuple(value.shape)})"
    elif isinstance(value, (bool, np.bool_)):
        text = str(bool(value))
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.{digits}g}"
    elif isinstance(value, (int, np.integer)):
        text = str(int(value))
    elif isinstance(value, tuple):
        text = "(" + ", ".join(show(v, digits) for v in value) + ("," if len(value) == 1 else "") + ")"
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v, digits) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k!r}: {show(v, digits)}" for k, v in value.items()) + "}"
    elif isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "None"
    else:
        text = f"an object of type {type(value).__name__}"
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 3] + "..."
    return text


def show_pair(expected, got):
    """``(expected, got)`` rendered with just enough digits to see that they differ.

    Four significant digits read best; a near miss ("expected 0.95, got 0.95")
    would tell the learner nothing, so the digits grow until the texts differ.
    """
    for digits in (4, 6, 8, 10, 13, 17):
        shown = show(expected, digits), show(got, digits)
        if shown[0] != shown[1]:
            return shown
    return shown


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
