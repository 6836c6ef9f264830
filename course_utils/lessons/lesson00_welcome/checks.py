"""Checkers for lesson 00: welcome and setup (three warm-up exercises that show how checks work)."""
import numpy as np

from ...checking import as_array, expect_close
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("00", "welcome", "Welcome and setup", 20,
                    "how lessons, exercises, checks, hints and progress work; `course doctor`")


@exercise("00.average", points=1, reference=ref.average, title="the mean of a list", mistakes=mistakes.AVERAGE)
def check_average(average):
    for values in ([1, 2, 3, 4], [7], [2, 3], [-1.5, 0.5, 4.0], [10, 20, 30, 41]):
        expect_close(average(list(values)), ref.average(values), case={"values": values}, what="the average",
                     mistakes=mistakes.AVERAGE.answers(list(values)))


@exercise("00.dot", points=1, reference=ref.dot, title="the dot product", mistakes=mistakes.DOT)
def check_dot(dot):
    cases = [([1, 2, 3], [4, 5, 6]), ([1, 0], [0, 1]), ([2.5], [-2]), ([1, -1, 2, 0.5], [3, 3, -1, 4])]
    for u, v in cases:
        expect_close(dot(list(u), list(v)), ref.dot(u, v), case={"u": u, "v": v}, what="the dot product",
                     mistakes=mistakes.DOT.answers(list(u), list(v)),
                     hint="u·v = u[0]·v[0] + u[1]·v[1] + ...")


@exercise("00.normalize", points=1, reference=ref.normalize, title="a vector scaled to length 1",
          mistakes=mistakes.NORMALIZE)
def check_normalize(normalize):
    for v in ([3, 4], [1, 1, 1, 1], [0, -2, 0], [0.5, -1.5, 2.0]):
        got = normalize(list(v))
        expect_close(got, ref.normalize(v), case={"v": v}, what="the normalized vector",
                     mistakes=mistakes.NORMALIZE.answers(list(v)))
        length = float(np.linalg.norm(as_array(got, what="the normalized vector")))
        expect_close(length, 1.0, case={"v": v}, what="the length of your result")
