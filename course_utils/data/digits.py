"""scikit-learn's bundled 8×8 handwritten digits (1,797 images; no download), split and scaled."""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DigitsSplit:
    X_train: np.ndarray  # (n, 64) floats in [0, 1]
    y_train: np.ndarray  # (n,) ints 0..9
    X_test: np.ndarray
    y_test: np.ndarray


def load_digits_split(test_fraction=0.25, seed=0):
    """Pixels scaled to [0, 1] and a stratified train/test split that is the same on every machine."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, digits.target, test_size=test_fraction,
                                                        random_state=seed, stratify=digits.target)
    return DigitsSplit(X_train, y_train.astype(np.int64), X_test, y_test.astype(np.int64))
