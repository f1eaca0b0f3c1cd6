"""Rows of the access matrix (tests/test_access_matrix.py), one module per area of the quality assurance views.

Each module defines MORE_URLS (name -> function of the world that makes what the URL needs and returns it) and
MATRIX (name, method, {persona: expected status}) for the personas learner, assessor, iv, ev, admin, outsider.
"""

PERSONAS = ["learner", "assessor", "iv", "ev", "admin", "outsider"]
