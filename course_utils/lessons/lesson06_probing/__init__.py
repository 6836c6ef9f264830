"""Lesson 06: Probing. Its reference answers, checks and hidden cases, in one place."""
