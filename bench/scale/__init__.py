"""bench/scale: how interlock's parallel run scales against plain behave, behavex and
a bare ``requests`` script, on a generated suite against a local latency server.

Run ``.venv/bin/python -m bench.scale --help``; bench/README.md describes it.
"""
