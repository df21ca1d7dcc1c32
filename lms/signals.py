"""Signals between features that must not import each other.

``progress_changed`` is sent (sender: the course id, ``user_ids``: the learners) by the
services that can change what a learner has completed — attendance marks and imports,
quiz grading, completion exceptions — after their changes are flushed. Certificates
listen to issue one the moment a learner completes.

``signup_checked`` is sent (``form``: the submitted form data) when the sign-up form is
submitted; a receiver returns a message saying what is missing, or None, so the form
shows it beside the sign-up's own errors. ``account_created`` is sent (sender: the new
user, ``form``: the form data) inside the sign-up's transaction, after the account is
flushed. Consent checks and records what the person agreed to; a receiver that raises
a ServiceError refuses the sign-up.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

progress_changed = _signals.signal("progress-changed")
signup_checked = _signals.signal("signup-checked")
account_created = _signals.signal("account-created")
