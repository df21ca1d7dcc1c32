"""Evaluations of each module (Kirkpatrick level 1) and the follow-up survey of an
edition (level 3), answered anonymously (see models.py and the README, "Evaluations")."""
