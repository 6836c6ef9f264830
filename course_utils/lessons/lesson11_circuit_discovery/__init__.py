"""Lesson 11: Circuit discovery. Its reference answers, checks and hidden cases, in one place."""
