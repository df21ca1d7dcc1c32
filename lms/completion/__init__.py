"""Completion: which modules a learner has done, for one learner or a whole edition.

A domain above attendance and quizzes (it reads both) and below certificates (which
are issued on completion). The rule itself lives in ``rules``; ``progress`` applies it
to one learner (the progress pages) and ``edition`` to every learner of an edition at
once (reports, the dashboard and the certificate issuer).
"""
