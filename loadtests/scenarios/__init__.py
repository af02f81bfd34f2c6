"""Locust scenarios: consumers scanning QR codes, producers capturing events, inspectors auditing.

This package's own import must stay free of Locust: importing ``locust`` monkey-patches the
standard library with gevent, so only the scenario modules (imported by
``loadtests/locustfile.py``) import it, and ``common`` (seed, popularity, weights) does not.
"""
