"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn wsgi:app`)."""

import gc

from lms import create_app

app = create_app()
# What importing and building the app allocated (about 200,000 objects: modules, the
# mapper, templates, catalogs) lives as long as the process. Frozen, the collector stops
# scanning it again in every full collection, which cost a request about 110 ms of CPU
# every few hundred requests in a gunicorn worker.
gc.freeze()
