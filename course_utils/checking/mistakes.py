"""Known mistakes: the wrong implementations learners really write, each with the hint that names it.

An exercise declares its mistakes once, in its lesson's ``mistakes.py``, and registers them with
``@exercise(..., mistakes=...)``. The checker asks them what they would have answered on a case
(:meth:`Mistakes.answers`) and shows the hint of the one the learner's answer matches; the test suite
runs every one of them as a mutant that must fail its check with exactly that hint and fail a hidden
case. So no hint goes untested and no mistake is written twice.
"""
import copy
import warnings
from collections.abc import Mapping

import numpy as np


class Mistakes(tuple):
    """An exercise's known mistakes: ``(hint, implementation)`` pairs, built from a ``{hint: implementation}`` dict.

    An implementation has the signature of the learner's function and makes exactly the mistake its hint names.
    """

    def __new__(cls, by_hint):
        return super().__new__(cls, tuple(by_hint.items()))

    @property
    def hints(self):
        return [hint for hint, _ in self]

    def answers(self, *args, **kwargs):
        """What each mistake answers when called with these arguments, as a lazy ``{hint: answer}`` mapping."""
        return MistakenAnswers(self, args, kwargs)


class MistakenAnswers(Mapping):
    """``{hint: the answer that mistake gives on one case}``, computed on first use.

    A check that passes never looks at it, so declaring mistakes costs a correct answer nothing. Each
    implementation gets its own copy of the arguments; one that raises on this case is left out.
    """

    def __init__(self, mistakes, args, kwargs, transform=None, hints=None):
        self._mistakes, self._args, self._kwargs = mistakes, args, kwargs
        self._transform, self._hints = transform, hints
        self._computed = None

    def map(self, transform):
        """The same mistakes, each answer passed through ``transform`` (e.g. one part of a returned tuple)."""
        previous = self._transform
        combined = transform if previous is None else (lambda answer: transform(previous(answer)))
        return MistakenAnswers(self._mistakes, self._args, self._kwargs, combined, self._hints)

    def only(self, hints):
        """The same answers, restricted to the mistakes named by ``hints``."""
        return MistakenAnswers(self._mistakes, self._args, self._kwargs, self._transform, frozenset(hints))

    def _answers(self):
        if self._computed is None:
            self._computed = {}
            for hint, implementation in self._mistakes:
                if self._hints is None or hint in self._hints:
                    try:
                        self._computed[hint] = self._answer(implementation)
                    except Exception:  # noqa: BLE001 - a mistake that cannot run on this case names nothing
                        continue
        return self._computed

    def _answer(self, implementation):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            answer = implementation(*_copy(self._args), **_copy(self._kwargs))
            return answer if self._transform is None else self._transform(answer)

    def __getitem__(self, hint):
        return self._answers()[hint]

    def __iter__(self):
        return iter(self._answers())

    def __len__(self):
        return len(self._answers())


def _copy(arguments):
    try:
        return copy.deepcopy(arguments)
    except Exception:  # noqa: BLE001 - an argument that cannot be copied (a C handle) is passed as it is
        return arguments


def declared(mistakes):
    """``mistakes`` checked to come from a declaration: a checker may not write hint → value pairs by hand."""
    if mistakes is None:
        return {}
    if isinstance(mistakes, MistakenAnswers):
        return mistakes
    raise TypeError("mistakes= takes the answers of declared mistakes (Mistakes.answers(...)), not a dict: declare "
                    "each mistake once in the lesson's mistakes.py, so that a test runs it")
