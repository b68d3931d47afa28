"""The hand-written side of the benchmark: a session and a unique token per scenario."""

import secrets

import requests


def before_scenario(context, scenario):
    context.session = requests.Session()
    context.unique = secrets.token_hex(4)
    context.saved = {}


def after_scenario(context, scenario):
    context.session.close()
