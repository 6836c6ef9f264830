"""Extra cases drawn at grading time, beyond the public ones a learner sees in the notebook.

A generator takes a ``numpy.random.Generator`` (seeded with a number chosen
when grading starts) and returns a list of ``(args, kwargs)``; the grader calls
the learner's function and the exercise's reference on each and compares the
results with :data:`COMPARE` (default: element-wise within 1e-6). A learner who
hard-codes the public cases' answers passes the public checker and fails here.

Each lesson registers its generators in its own package
(``course_utils/lessons/lessonNN_slug/hidden_cases.py``) with ``@hidden("NN.name")``,
loaded when one of its exercises is graded; every graded exercise has one
(``tests/test_hidden_cases.py`` asserts it). The grader reports how many
hidden cases ran and how many failed, never their inputs.
"""
import copy
import importlib
import warnings

import numpy as np

from ... import exercises
from ...checking import CheckFailure, as_array, expect_close, expect_equal
from ...threads import one_thread

GENERATORS = {}
COMPARE = {}
OBSERVE = {}
CASES_PER_EXERCISE = 8


def call(function, args, kwargs):
    """The default observation of a case: what the function returns."""
    return function(*args, **kwargs)


def hidden(exercise_id, compare=None, observe=None):
    """Register a generator of hidden cases.

    ``compare(got, want)`` raises for a wrong answer (default :func:`close_results`). ``observe(function,
    args, kwargs)`` is what is compared, for the learner and the reference alike (default: the return
    value); a loss that is trained on observes its gradients too.
    """
    def register(generator):
        GENERATORS[exercise_id] = generator
        if compare is not None:
            COMPARE[exercise_id] = compare
        if observe is not None:
            OBSERVE[exercise_id] = observe
        return generator

    return register


def close_within(rtol, atol, scaled_atol=0.0):
    """A comparison with the public checker's tolerances, through ``expect_close`` and so the same tolerance policy.

    Dicts are compared key by key, and tuples and lists item by item, except that a list of numbers may come
    back as an array or a tensor (and the other way round), as the public checks allow. ``scaled_atol`` adds
    ``scaled_atol * max|expected|`` to each array's absolute tolerance.
    """
    def compare(got, want):
        if isinstance(want, dict):
            if not isinstance(got, dict) or not set(want) <= set(got):
                raise CheckFailure("the result has the wrong keys")
            for key in want:
                compare(got[key], want[key])
            return
        if isinstance(want, (tuple, list)) and not (_numeric(want) and not isinstance(got, (tuple, list))):
            if not isinstance(got, (tuple, list)) or len(got) != len(want):
                raise CheckFailure("the result has the wrong structure")
            for g, w in zip(got, want):
                compare(g, w)
            return
        scale = float(np.max(np.abs(as_array(want)))) if scaled_atol and np.size(want) else 0.0
        expect_close(got, want, rtol=rtol, atol=atol + scaled_atol * scale)

    return compare


def _numeric(value):
    """Whether ``value`` (a list or tuple) is a plain array of numbers."""
    try:
        return np.asarray(value, dtype=float).dtype.kind == "f"
    except (TypeError, ValueError, RuntimeError):  # RuntimeError: a tensor that requires grad
        return False


# The default comparison: numbers and arrays within 1e-6 (relative), containers item by item.
close_results = close_within(1e-6, 1e-9)


def equal_int_lists(got, want):
    expect_equal([int(v) for v in as_array(got)], [int(v) for v in want])


def prepare_hidden(exercise_id, reference, seed, count=CASES_PER_EXERCISE):
    """``[(args, kwargs, expected)]``: the cases drawn with ``seed`` and the reference's answers.

    The grader calls this before any student code runs, so the expected
    answers cannot be influenced by the submission (and the reference's lazy
    imports happen outside the tamper guard). ``[]`` without a generator.
    """
    exercises.hidden_cases_module(exercise_id.split(".")[0])
    generator = GENERATORS.get(exercise_id)
    if generator is None:
        return []
    rng = np.random.default_rng([seed, sum(map(ord, exercise_id))])
    cases = generator(rng)[:count]
    with one_thread():  # after the generator, which may be the first to import torch
        observe = OBSERVE.get(exercise_id, call)
        return [(args, kwargs, observe(reference, *copy.deepcopy((args, kwargs)))) for args, kwargs in cases]


def score_hidden(exercise_id, prepared, learner):
    """``(cases run, cases failed)`` for the learner's (wrapped) function on prepared cases."""
    compare = COMPARE.get(exercise_id, close_results)
    observe = OBSERVE.get(exercise_id, call)
    failed = 0
    # one thread, as in checks; a learner's overflow warnings are not the grader's business
    with one_thread(), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for args, kwargs, expected in prepared:
            try:
                compare(observe(learner, args, kwargs), expected)
            except Exception:  # noqa: BLE001 - a CheckFailure or a bad value in a comparison: a failed case
                failed += 1
    return len(prepared), failed


def run_hidden(exercise_id, learner, reference, seed, count=CASES_PER_EXERCISE):
    """(cases run, cases failed) for the learner's (wrapped) function; (0, 0) without a generator."""
    return score_hidden(exercise_id, prepare_hidden(exercise_id, reference, seed, count), learner)


def load_all_hidden():
    """Register every lesson's hidden cases (a grading batch loads only the lessons it grades)."""
    for package in exercises.lesson_packages():
        importlib.import_module(f"{package}.hidden_cases")
