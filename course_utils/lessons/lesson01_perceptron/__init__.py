"""Lesson 01: The perceptron. Its reference answers, checks and hidden cases, in one place."""
