"""Organiser reports: exports, the donor dashboard and the audit log."""
