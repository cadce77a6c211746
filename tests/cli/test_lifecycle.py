"""`linkhub serve`'s server loop (lifecycle.py) in a child process, since it installs signal
handlers: a request in flight when SIGTERM arrives still gets its whole answer, the listening
socket is closed afterwards, and proxy headers reach the app untouched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, os, signal, threading, time, urllib.request
    from linkhub import lifecycle

    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            release.set()
            time.sleep(0.5)  # still running when the signal lands
        body = b"x" * 8_000_000  # more than the socket buffers hold: needs the drain
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    server = lifecycle.make_server(app, "127.0.0.1", 0, 2)
    url = lifecycle.listen_urls(server)[0]
    seen = {}

    def fetch(path, key):
        try:
            with urllib.request.urlopen(url + path, timeout=30) as response:
                seen[key] = len(response.read())
        except Exception as exc:
            seen[key] = type(exc).__name__

    def traffic():
        fetch("/plain", "before")
        slow = threading.Thread(target=fetch, args=("/slow", "slow"))
        slow.start()
        release.wait(30)
        os.kill(os.getpid(), signal.SIGTERM)
        slow.join(30)

    worker = threading.Thread(target=traffic)
    worker.start()
    seen["stopped_by"] = lifecycle.run_until_signalled(server)
    worker.join(30)
    fetch("/plain", "after")
    print(json.dumps(seen))
""")


def test_sigterm_lets_the_request_in_flight_finish_then_refuses_connections():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["stopped_by"] == "SIGTERM"
    assert seen["before"] == 8_000_000
    assert seen["slow"] == 8_000_000  # the whole answer, not a reset connection
    assert seen["after"] == "URLError"  # nobody listens any more


def test_waitress_passes_proxy_headers_through():
    """linkhub decides which X-Forwarded-For hops to trust; waitress must not strip them."""
    script = textwrap.dedent("""
        import json, os, signal, threading, urllib.request
        from linkhub import lifecycle

        def app(environ, start_response):
            body = json.dumps(environ.get("HTTP_X_FORWARDED_FOR")).encode()
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]

        server = lifecycle.make_server(app, "127.0.0.1", 0, 1)
        url = lifecycle.listen_urls(server)[0]
        out = {}

        def go():
            req = urllib.request.Request(url, headers={"X-Forwarded-For": "203.0.113.9"})
            with urllib.request.urlopen(req, timeout=30) as response:
                out["xff"] = json.loads(response.read())
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=go).start()
        lifecycle.run_until_signalled(server)
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"xff": "203.0.113.9"}
