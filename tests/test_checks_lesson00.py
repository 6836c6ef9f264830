"""Checker contract for lesson 00: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np

from checker_contract import contract_tests

MUTANTS = {
    "00.average": [
        (lambda values: sum(values) // len(values), "//"),
        (lambda values: sum(values) / (len(values) - 1), "len(values) - 1"),
        (lambda values: sum(values), "divides the sum"),
    ],
    "00.dot": [
        (lambda u, v: [a * b for a, b in zip(u, v)], "add the products"),
        (lambda u, v: sum(u) + sum(v), "adding all entries"),
        lambda u, v: sum(a * b for a, b in zip(u[:-1], v[:-1])),
    ],
    "00.normalize": [
        (lambda v: [a / sum(v) for a in v], "not by the sum"),
        (lambda v: [a / sum(x * x for x in v) for a in v], "square root"),
        lambda v: list(np.abs(v) / np.linalg.norm(v)),
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
