"""Locust entry point: the user classes only; see loadtests/README.md.

TRACE_LOADTEST_SEED=seed.json locust -f loadtests/locustfile.py --host http://127.0.0.1:8000
"""

from loadtests.scenarios.consumer_scan import ConsumerScan
from loadtests.scenarios.inspector_audit import InspectorAudit
from loadtests.scenarios.producer_capture import ProducerCapture

__all__ = ["ConsumerScan", "InspectorAudit", "ProducerCapture"]
