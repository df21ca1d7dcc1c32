"""The learner's rights over their personal data (Law 91/2025/QH15, Decree 356/2025/ND-CP):
downloading it, asking for its deletion, its de-identification through every domain's
declaration (lms.personal_data), retention, and the ledger that survives backups."""
