"""Batch auto-grading: ``course grade SUBMISSIONS... --out gradebook.csv``.

batch.py orchestrates; run_notebook.py executes a submission in a fresh kernel;
sandbox.py enforces the time and memory limits; extract.py turns a notebook
into the definitions the grader may run; grader.py grades them in a clean
process with tamper detection (tamper.py) and hidden cases (hidden_cases.py);
gradebook.py writes the CSV and the feedback files.

Nothing is imported here: the clean grader process imports this package once
per submission and must not pay for nbformat (see run_notebook.py).
"""
