"""Lesson 09: Comparing representations. Its reference answers, checks and hidden cases, in one place."""
