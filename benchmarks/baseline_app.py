"""The load benchmarks' baseline: a bare Flask endpoint returning a short text.

Served by the same gunicorn set-up as the platform (``benchmarks.baseline_app:app``), it
measures what the server, the loopback network and the load generator cost by themselves,
so that the pages' figures can be read as ratios that hold on any machine.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Xin chào, EIP!"
