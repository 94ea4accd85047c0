"""What the binding's tests share: a ferryd of the build tree in a temporary directory, and the
project's HTTP test servers (tests/servers/) on loopback. CTest passes where things are:
FERRY_LIBRARY (libferry.so.0), FERRY_BIN_DIR (ferryd) and FERRY_SOURCE_DIR."""

import os
import socket
import subprocess
import sys
import time

import pytest

SOURCE_DIR = os.environ.get("FERRY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.environ.get("FERRY_BIN_DIR", os.path.join(SOURCE_DIR, "build", "bin"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout=30.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_port(port, process, log):
    def accepting():
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {open(log).read()}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    wait_until(accepting, 10, f"port {port}")


class Server:
    def __init__(self, argv, port, log):
        self.port = port
        self.log = log
        self.process = subprocess.Popen(argv, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
        wait_for_port(port, self.process, log)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def ferryd(tmp_path):
    """ferryd on a socket and state directory of its own; FERRY_SOCKET names it for this test."""
    sock = tmp_path / "run" / "ferryd.sock"
    state = tmp_path / "state"
    sock.parent.mkdir()
    log = tmp_path / "ferryd.log"
    process = subprocess.Popen([os.path.join(BIN_DIR, "ferryd"), "--socket", str(sock), "--state-dir", str(state)],
                               stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    wait_until(lambda: sock.exists() or process.poll() is not None, 10, "ferryd's socket")
    assert process.poll() is None, log.read_text()
    old = os.environ.get("FERRY_SOCKET")
    os.environ["FERRY_SOCKET"] = str(sock)
    yield type("Ferryd", (), {"socket": str(sock), "state": str(state), "log": log})
    if old is None:
        del os.environ["FERRY_SOCKET"]
    else:
        os.environ["FERRY_SOCKET"] = old
    process.terminate()
    process.wait(10)


def _serve(tmp_path, script, args, name):
    port = free_port()
    server = Server([sys.executable, os.path.join(SOURCE_DIR, "tests", "servers", script), "--port", str(port), *args],
                    port, tmp_path / f"{name}.log")
    return server


@pytest.fixture
def file_server(tmp_path):
    """fixture_server.py serving 3 MiB of random bytes at 1 MiB/s (server.payload holds them)."""
    payload = os.urandom(3 * 1024 * 1024)
    (tmp_path / "payload.bin").write_bytes(payload)
    server = _serve(tmp_path, "fixture_server.py", ["--file", str(tmp_path / "payload.bin"), "--rate", str(1024 * 1024)],
                    "file-server")
    server.payload = payload
    yield server
    server.stop()


@pytest.fixture
def upload_server(tmp_path):
    """upload_server.py storing bodies in tmp_path/store."""
    store = tmp_path / "store"
    store.mkdir()
    server = _serve(tmp_path, "upload_server.py", ["--store", str(store)], "upload-server")
    server.store = store
    yield server
    server.stop()
