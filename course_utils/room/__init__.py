"""The room view: a JupyterHub service that shows a workshop host every learner's progress, live.

``store`` holds the verdicts (learner x exercise), ``service`` is the hub-authenticated web service
(``course room``), and ``client`` is what a learner's ``lesson.check`` calls to report a verdict. Outside
a hub the client does nothing, so the course behaves exactly as it does on a laptop.
"""
