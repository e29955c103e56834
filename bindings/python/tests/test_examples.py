"""Every example in examples/python runs and drives a simulated device: the embedded ones print
what their toy received (simulator op events); the remote one talks to `teleplug serve`, whose
simulated toy (driven over the simulator control endpoint) records what it received."""

from __future__ import annotations

from conftest import SimulatedLovense, run_example


def test_embedded_example():
    out = run_example("embedded.py").splitlines()
    assert "found device 0: Lovense Hush" in out
    assert "  feature 0: vibrate (steps 0-20)" in out and "  feature 1: battery input" in out
    assert "battery: 87%" in out and out[-1] == "done"
    received = [line[len("toy received: "):] for line in out if line.startswith("toy received: ")]
    assert received == ["DeviceType;", "Vibrate:10;", "Battery;", "Vibrate:0;"]


def test_sync_example():
    out = run_example("sync_script.py").splitlines()
    assert "found device 0: Lovense Hush" in out and "battery: 42%" in out and out[-1] == "done"
    received = [line[len("toy received: "):] for line in out if line.startswith("toy received: ")]
    assert received == ["DeviceType;", "Vibrate:5;", "Battery;", "Vibrate:0;"]


def test_remote_example_against_teleplug_serve(serve):
    toy = SimulatedLovense(serve.simulator_url, battery=71)
    try:
        out = run_example("remote.py", serve.url).splitlines()
        assert "connected to 'serve under test' (spec v4)" in out
        assert "found device 0: Lovense Hush" in out and "battery: 71%" in out and out[-1] == "done"
        toy.wait_write("Vibrate:0;")
        assert toy.received == ["DeviceType;", "Vibrate:10;", "Battery;", "Vibrate:0;"]
    finally:
        toy.close()


def test_remote_example_without_a_server_fails_cleanly():
    import subprocess
    import sys

    from conftest import EXAMPLES

    p = subprocess.run(
        [sys.executable, str(EXAMPLES / "remote.py"), "ws://127.0.0.1:1"], capture_output=True, text=True, timeout=60
    )
    assert p.returncode != 0
    assert "ConnectFailedError" in p.stderr and "CONNECT_FAILED" in p.stderr
