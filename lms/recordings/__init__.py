"""Recordings of live sessions: a link or a stored file, with an expiry date."""
