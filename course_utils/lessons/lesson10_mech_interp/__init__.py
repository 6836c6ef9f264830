"""Lesson 10: Mechanistic interpretability. Its reference answers, checks and hidden cases, in one place."""
