"""Background jobs: the queue (Huey), its workers and its scheduler.

Foundation layer: it knows nothing of courses or learners. Domain packages declare
their jobs with :func:`lms.jobs.queue.job` and :func:`lms.jobs.queue.periodic`, and
``create_app`` imports the modules that declare them, so every process that runs jobs
(web workers enqueue, job workers execute) knows the same set.
"""
