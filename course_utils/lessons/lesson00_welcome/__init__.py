"""Lesson 00: Welcome and setup. Its reference answers, checks and hidden cases, in one place."""
