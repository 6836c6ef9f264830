"""The mistakes learners make in lesson 06, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import numpy as np

from ...checking import Mistakes
from . import reference as ref


def _cached(model, tokens, name, position_major=False):
    """The activations at hook ``name``, one row per (sequence, position)."""
    _, cache = model.run_with_cache(tokens, names=[name])
    acts = cache[name].transpose(0, 1) if position_major else cache[name]
    return acts.reshape(-1, acts.shape[-1]).numpy()


def acts_position_major(model, tokens, layer):
    return _cached(model, tokens, ref.hook_name(layer), position_major=True)


def acts_token_embedding_only(model, tokens, layer):
    return _cached(model, tokens, "hook_embed" if layer == 0 else ref.hook_name(layer))


def acts_one_block_late(model, tokens, layer):
    """Reads the output of block ``layer``, which is layer + 1."""
    return _cached(model, tokens, f"blocks.{layer}.hook_resid_post")


def acts_middle_of_the_block(model, tokens, layer):
    return _cached(model, tokens, "blocks.0.hook_resid_pre" if layer == 0 else f"blocks.{layer - 1}.hook_resid_mid")


RESIDUAL_ACTIVATIONS = Mistakes({
    "flatten batch-major: row b * seq + p is position p of sequence b (reshape, no transpose)": acts_position_major,
    "layer 0 is what the first block reads: token embedding *plus* position embedding (blocks.0.hook_resid_pre)":
        acts_token_embedding_only,
    "off by one layer: layer l is the output of block l - 1 (layer 0 is the embedding)": acts_one_block_late,
    "read the block's output (hook_resid_post), not its middle (hook_resid_mid)": acts_middle_of_the_block,
})


def probe_accuracy_with(fit, X, y, is_test, n_classes, *, fit_rows=np.logical_not, score_rows=np.asarray,
                        summary=lambda hits: float(np.mean(hits))):
    """probe_accuracy with one thing changed: the probe fitted on the rows ``fit_rows(is_test)`` or scored on the
    rows ``score_rows(is_test)`` (boolean masks), or the hits summed up by another ``summary``."""
    X, y, is_test = np.asarray(X), np.asarray(y), np.asarray(is_test, dtype=bool)
    fitted, scored = fit_rows(is_test), score_rows(is_test)
    predict = fit(X[fitted], y[fitted], n_classes)
    return summary(np.argmax(predict(X[scored]), axis=1) == y[scored])


def accuracy_fitted_on_every_row(fit, X, y, is_test, n_classes):
    return probe_accuracy_with(fit, X, y, is_test, n_classes, fit_rows=np.ones_like)


def accuracy_on_the_training_rows(fit, X, y, is_test, n_classes):
    return probe_accuracy_with(fit, X, y, is_test, n_classes, score_rows=np.logical_not)


def accuracy_fitted_on_the_test_rows(fit, X, y, is_test, n_classes):
    return probe_accuracy_with(fit, X, y, is_test, n_classes, fit_rows=np.asarray)


PROBE_ACCURACY = Mistakes({
    "fit the probe on the training rows only: fitting on every row lets it memorise the test rows":
        accuracy_fitted_on_every_row,
    "fit on the rows with is_test False and score on the rows with is_test True: accuracy on the rows the probe "
    "was fitted on measures memory, not information": accuracy_on_the_training_rows,
    "`is_test` marks the rows to *score*; fit on the others (~is_test): accuracy on the rows the probe was fitted "
    "on measures memory, not information": accuracy_fitted_on_the_test_rows,
})

SELECTIVITY = Mistakes({
    "selectivity = task accuracy − control accuracy (you subtracted the other way)":
        lambda task_accuracy, control_accuracy: np.asarray(control_accuracy) - np.asarray(task_accuracy),
    "selectivity is a difference of accuracies, not a ratio":
        lambda task_accuracy, control_accuracy: np.asarray(task_accuracy) / np.asarray(control_accuracy),
    "keep the sign: a negative selectivity says the probe memorises more than it reads":
        lambda task_accuracy, control_accuracy: np.abs(np.asarray(task_accuracy) - np.asarray(control_accuracy)),
})


def _component(acts, direction):
    """The component of each row of ``acts`` along ``direction``."""
    unit = direction / direction.norm()
    return (acts @ unit)[..., None] * unit


ABLATE_DIRECTION = Mistakes({
    "project on the *unit* vector u = direction / |direction|: x − (x·u) u (you used the direction as if its "
    "length were 1)": lambda acts, direction: acts - (acts @ direction)[..., None] * direction,
    "the projection of x on d is (x·d / |d|²) d: divide by the squared norm (or use the unit vector twice)":
        lambda acts, direction: acts - (acts @ direction)[..., None] * direction / direction.norm(),
    "subtract the component along the direction from x; you returned the component itself": _component,
})
