"""Synthetic sequences for the look-back task: "which token came just before this one last time?".

Each sequence holds distinct random tokens; its last token repeats an earlier
one (at ``match_pos`` ≥ 1), and the answer is the token just before that
earlier copy (at ``match_pos − 1``). The match position is drawn afresh for
every sequence, so no fixed distance helps.

Causality forces a two-step circuit: the answer's identity sits one position
*before* the only place the current token can be found, and a position cannot
look ahead. A layer-0 previous-token head copies each token's predecessor into
its residual stream; a layer-1 head at the last position finds the earlier
copy by content (query and key: the token itself) and moves what the
previous-token head wrote there (value): V-composition, where induction used
K-composition.
"""
import numpy as np
import torch


def _as_long(array):
    return torch.as_tensor(array, dtype=torch.long)


def lookback_batch(batch, seq_len, vocab, rng):
    """``(tokens, answers, match_pos)`` for ``batch`` sequences drawn with the numpy Generator ``rng``.

    ``tokens``: LongTensor ``[batch, seq_len]``, distinct tokens except that the
    last repeats the one at ``match_pos``; ``answers``: LongTensor ``[batch]``,
    the token at ``match_pos − 1``; ``match_pos``: LongTensor ``[batch]`` in
    ``[1, seq_len − 2]``.
    """
    if vocab < seq_len:
        raise ValueError(f"the vocabulary ({vocab}) must hold seq_len ({seq_len}) distinct tokens")
    tokens = np.stack([rng.permutation(vocab)[:seq_len] for _ in range(batch)])
    match_pos = rng.integers(1, seq_len - 1, size=batch)
    rows = np.arange(batch)
    tokens[:, -1] = tokens[rows, match_pos]
    answers = tokens[rows, match_pos - 1]
    return _as_long(tokens), _as_long(answers), _as_long(match_pos)


def lookback_patching_pair(batch, seq_len, vocab, seed=0):
    """Clean and corrupted batches with the same match positions but different random tokens.

    Returns ``(clean, corrupted, answers, match_pos)``; ``answers`` are the
    clean run's. Every position plays the same role in both runs, so an edge
    matters only if it carries *which* tokens were seen.
    """
    rng = np.random.default_rng(seed)
    clean, answers, match_pos = lookback_batch(batch, seq_len, vocab, rng)
    corrupted = torch.stack([torch.as_tensor(rng.permutation(vocab)[:seq_len]) for _ in range(batch)])
    corrupted[:, -1] = corrupted[torch.arange(batch), match_pos]
    return clean, corrupted, answers, match_pos


def lookback_answer_patching_pair(batch, seq_len, vocab, match_pos, seed=0):
    """Clean and corrupted batches that differ in one token: the answer, at ``match_pos − 1``.

    Every row repeats the token at ``match_pos`` at the end. In ``corrupted``
    the token before the earlier copy is swapped for one that appears nowhere
    else in the row, so the model's answer changes. Returns
    ``(clean, corrupted, query_pos, answers)`` with ``query_pos = seq_len − 1``
    and ``answers`` the clean run's, as
    :func:`~course_utils.data.induction_tasks.induction_patching_pair` does.
    """
    if not 1 <= match_pos <= seq_len - 2:
        raise ValueError(f"match_pos must lie in [1, {seq_len - 2}]")
    rng = np.random.default_rng(seed)
    rows = np.stack([rng.permutation(vocab)[:seq_len] for _ in range(batch)])   # the last column is spare
    clean = rows.copy()
    clean[:, -1] = clean[:, match_pos]
    corrupted = clean.copy()
    corrupted[:, match_pos - 1] = rows[:, -1]
    answers = clean[:, match_pos - 1]
    return _as_long(clean), _as_long(corrupted), seq_len - 1, _as_long(answers)
