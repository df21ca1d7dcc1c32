"""Signals between features that must not import each other.

``progress_changed`` is sent (sender: the course id, ``user_ids``: the learners) by the
services that can change what a learner has completed — attendance marks and imports,
quiz grading, completion exceptions — after their changes are flushed. Certificates
listen to issue one the moment a learner completes.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

progress_changed = _signals.signal("progress-changed")
