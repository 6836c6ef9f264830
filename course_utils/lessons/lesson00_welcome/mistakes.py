"""The mistakes learners make in lesson 00, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
from ...checking import Mistakes
from . import reference as ref

AVERAGE = Mistakes({
    "the mean divides the sum by how many values there are": lambda values: sum(values),
    "divide by len(values), not len(values) - 1": lambda values: sum(values) / (len(values) - 1),
    "use / rather than // so the result keeps its fraction": lambda values: sum(values) // len(values),
})

DOT = Mistakes({
    "multiply matching entries, then add the products up": lambda u, v: [a * b for a, b in zip(u, v)],
    "multiply pairs u[i]·v[i]; adding all entries gives something else": lambda u, v: sum(u) + sum(v),
})

NORMALIZE = Mistakes({
    "divide by the length sqrt(v·v), not by the sum of the entries": lambda v: [a / sum(v) for a in v],
    "the length is the square root of v·v": lambda v: [a / ref.dot(v, v) for a in v],
})
