"""Checkers for lesson 00: welcome and setup (three warm-up exercises that show how checks work)."""
import math

import numpy as np

from ...checking import as_array, expect_close
from ...exercises import exercise
from .. import LessonInfo
from . import reference as ref

LESSON = LessonInfo("00", "welcome", "Welcome and setup", 20,
                    "how lessons, exercises, checks, hints and progress work; `course doctor`")


@exercise("00.average", points=1, reference=ref.average, title="the mean of a list")
def check_average(average):
    for values in ([1, 2, 3, 4], [7], [2, 3], [-1.5, 0.5, 4.0], [10, 20, 30, 41]):
        n, total = len(values), sum(values)
        expect_close(average(list(values)), ref.average(values), case={"values": values}, what="the average",
                     mistakes={"the mean divides the sum by how many values there are": total,
                               "divide by len(values), not len(values) - 1": total / (n - 1) if n > 1 else math.inf,
                               "use / rather than // so the result keeps its fraction": total // n})


@exercise("00.dot", points=1, reference=ref.dot, title="the dot product")
def check_dot(dot):
    cases = [([1, 2, 3], [4, 5, 6]), ([1, 0], [0, 1]), ([2.5], [-2]), ([1, -1, 2, 0.5], [3, 3, -1, 4])]
    for u, v in cases:
        expect_close(dot(list(u), list(v)), ref.dot(u, v), case={"u": u, "v": v}, what="the dot product",
                     mistakes={"multiply matching entries, then add the products up": np.multiply(u, v),
                               "multiply pairs u[i]·v[i]; adding all entries gives something else": sum(u) + sum(v)},
                     hint="u·v = u[0]·v[0] + u[1]·v[1] + ...")


@exercise("00.normalize", points=1, reference=ref.normalize, title="a vector scaled to length 1")
def check_normalize(normalize):
    for v in ([3, 4], [1, 1, 1, 1], [0, -2, 0], [0.5, -1.5, 2.0]):
        got = normalize(list(v))
        expect_close(got, ref.normalize(v), case={"v": v}, what="the normalized vector",
                     mistakes={"divide by the length sqrt(v·v), not by the sum of the entries":
                               np.divide(v, np.sum(v)) if np.sum(v) else np.full(len(v), np.inf),
                               "the length is the square root of v·v": np.divide(v, np.dot(v, v))})
        length = float(np.linalg.norm(as_array(got, what="the normalized vector")))
        expect_close(length, 1.0, case={"v": v}, what="the length of your result")
