"""Synthetic token sequences for induction: repeated segments and repeated random tokens.

Tokens are integers in ``[0, vocab)``; nothing here is a real language. A
sequence is random except for one segment that appears twice, with a length
and offsets drawn afresh for every sequence, so a model can only predict the
second copy by looking back for the previous occurrence of the current token
(induction), never by memorising a fixed distance.
"""
import numpy as np
import torch


def repeated_segment_batch(batch, seq_len, vocab, rng, min_len=3, max_len=None):
    """``(tokens, mask)``: random sequences, each holding one segment that is repeated.

    ``tokens`` is a LongTensor ``[batch, seq_len]``; ``mask`` is a BoolTensor of
    the same shape, True at positions whose next token is predictable by
    induction (inside the second copy, from its first token to its last but one).
    ``rng`` is a ``numpy.random.Generator``.
    """
    max_len = max_len or seq_len // 2
    tokens = rng.integers(0, vocab, size=(batch, seq_len))
    mask = np.zeros((batch, seq_len), dtype=bool)
    for row in range(batch):
        length = int(rng.integers(min_len, max_len + 1))
        first = int(rng.integers(0, seq_len - 2 * length + 1))
        second = int(rng.integers(first + length, seq_len - length + 1))
        tokens[row, second:second + length] = tokens[row, first:first + length]
        mask[row, second:second + length - 1] = True
    return torch.as_tensor(tokens, dtype=torch.long), torch.as_tensor(mask)


def repeated_random_tokens(batch, half_len, vocab, seed=0):
    """A LongTensor ``[batch, 2 * half_len]``: random tokens, then the same tokens again.

    The first half is unpredictable; a model with induction heads predicts
    the second half almost perfectly.
    """
    rng = np.random.default_rng(seed)
    half = rng.integers(0, vocab, size=(batch, half_len))
    return torch.as_tensor(np.concatenate([half, half], axis=1), dtype=torch.long)


def induction_patching_pair(batch, half_len, corrupt_pos, vocab, seed=0):
    """Clean and corrupted inputs for patching the induction circuit.

    ``clean`` is repeated random tokens (no token twice within a half). In
    ``corrupted`` the token at ``corrupt_pos`` of the first half is swapped for
    one that appears nowhere else, so at ``query_pos = half_len + corrupt_pos``
    the current token has no earlier copy and induction cannot predict
    ``answers`` (the token that followed the first copy in the clean run).
    Returns ``(clean, corrupted, query_pos, answers)``.
    """
    if not 0 <= corrupt_pos < half_len - 1:
        raise ValueError(f"corrupt_pos must lie in [0, {half_len - 2}] so the answer is in the first half")
    rng = np.random.default_rng(seed)
    halves = np.stack([rng.permutation(vocab)[:half_len + 1] for _ in range(batch)])
    spare = halves[:, -1]                      # a token that appears nowhere in the row
    half = halves[:, :-1]
    clean = np.concatenate([half, half], axis=1)
    corrupted = clean.copy()
    corrupted[:, corrupt_pos] = spare
    query_pos = half_len + corrupt_pos
    answers = clean[:, corrupt_pos + 1]
    as_long = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return as_long(clean), as_long(corrupted), query_pos, as_long(answers)
