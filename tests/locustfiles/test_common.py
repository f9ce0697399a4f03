"""The shared locustfile module, imported in a child process (Locust monkey-patches the
standard library on import, which this test process must not be)."""

import subprocess
import sys

from tests.paths import ROOT


def test_geventhttpclient_never_resends_a_dropped_request():
    probe = (
        "import geventhttpclient.client as client, locustfiles.common as common\n"
        "assert client._may_retry_after_send_error is common._never_resend\n"
        "assert client._may_retry_after_send_error('GET') is False\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
