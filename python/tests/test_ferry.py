"""The Python binding against a real ferryd and real HTTP servers on loopback (conftest.py)."""

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

import ferry
from conftest import wait_until


class Recorder(ferry.SessionDelegate):
    """Records every event as a tuple; waits for them."""

    def __init__(self):
        self.events = []
        self.completions = {}
        self.cv = threading.Condition()

    def _add(self, *event):
        with self.cv:
            self.events.append(event)
            self.cv.notify_all()

    def did_write_data(self, session, task, written, total, expected):
        self._add("write", task.identifier, total)

    def did_resume_at_offset(self, session, task, offset, expected):
        self._add("resume", task.identifier, offset)

    def did_finish_downloading_to(self, session, task, location):
        self._add("finish", task.identifier, location, open(location, "rb").read())

    def did_receive_response(self, session, task, status, headers):
        self._add("response", task.identifier, status, dict((k.lower(), v) for k, v in headers))

    def did_receive_data(self, session, task, data):
        self._add("data", task.identifier, data)

    def did_complete(self, session, task, completion):
        with self.cv:
            self.completions[task.identifier] = completion
        self._add("complete", task.identifier, completion.error.code if completion.error else "ok")

    def did_finish_events(self, session):
        self._add("drained")

    def did_become_invalid(self, session, error):
        self._add("invalid", error)

    def of(self, kind):
        with self.cv:
            return [e for e in self.events if e[0] == kind]

    def wait(self, predicate, timeout=60):
        with self.cv:
            assert self.cv.wait_for(lambda: predicate(self), timeout), f"events so far: {[e[:3] for e in self.events]}"

    def wait_completed(self, task, timeout=60):
        self.wait(lambda r: task.identifier in r.completions, timeout)
        return self.completions[task.identifier]


HAND_OVER = """
import ferry, sys
s = ferry.Session.background("com.example.python", start_daemon=False)
t = s.download(sys.argv[1], destination=sys.argv[2], description="from python")
t.resume()
print(t.identifier)
"""


def test_a_background_download_outlives_its_process_and_the_next_attach_gets_the_events(ferryd, file_server, tmp_path):
    destination = tmp_path / "got.bin"
    handed = subprocess.run([sys.executable, "-c", HAND_OVER, file_server.url("/payload.bin"), str(destination)],
                            capture_output=True, text=True, timeout=60, env=os.environ)
    assert handed.returncode == 0, handed.stderr
    task_id = int(handed.stdout.strip())
    # The process has gone; ferryd carries on (the server takes ~3 s).
    status = ferry.daemon_status(ferryd.socket)
    assert any(s["id"] == "com.example.python" and not s["attached"] for s in status["sessions"]), status
    recorder = Recorder()
    with ferry.Session.background("com.example.python", delegate=recorder, start_daemon=False) as s:
        tasks = s.get_all_tasks()
        assert [(t.id, t.kind, t.description) for t in tasks] == [(task_id, "download", "from python")]
        recorder.wait(lambda r: r.of("complete"))
        assert recorder.completions[task_id].ok
        assert recorder.completions[task_id].status_code == 200
        finish = recorder.of("finish")
        assert [(e[1], e[2]) for e in finish] == [(task_id, str(destination))]
        assert finish[0][3] == file_server.payload
    assert destination.read_bytes() == file_server.payload


def test_an_upload_from_bytes_gets_the_servers_answer(ferryd, upload_server):
    recorder = Recorder()
    body = os.urandom(256 * 1024)
    with ferry.Session.background("com.example.python.upload", delegate=recorder, start_daemon=False) as s:
        request = ferry.Request(upload_server.url("/upload/from-python.bin"), headers=[("X-Test", "python")])
        task = s.upload(request, data=body, resumable="none")
        task.resume()
        completion = recorder.wait_completed(task)
        assert completion.ok and completion.status_code == 201
        responses = recorder.of("response")
        assert responses[0][2] == 201
        answer = json.loads(b"".join(e[2] for e in recorder.of("data")))
        assert answer["sha256"] == hashlib.sha256(body).hexdigest()
        assert answer["method"] == "PUT"
    assert (upload_server.store / "from-python.bin").read_bytes() == body


def test_a_cancelled_download_continues_from_its_resume_data(ferryd, file_server, tmp_path):
    recorder = Recorder()
    with ferry.Session.background("com.example.python.resume", delegate=recorder, start_daemon=False) as s:
        first = s.download(file_server.url("/payload.bin"))
        first.resume()
        recorder.wait(lambda r: any(e[2] >= 256 * 1024 for e in r.of("write")))
        blob = first.cancel_by_producing_resume_data()
        assert isinstance(blob, bytes) and blob
        cancelled = recorder.wait_completed(first)
        assert cancelled.error.code == "cancelled" and cancelled.resume_data == blob
        second = s.download_with_resume_data(blob, destination=tmp_path / "resumed.bin", start=True)
        assert recorder.wait_completed(second).ok
        resumed = [e for e in recorder.of("resume") if e[1] == second.identifier]
        assert resumed and resumed[0][2] > 0
        # Used once: a second try names the reason.
        with pytest.raises(ferry.FerryError) as used:
            s.download_with_resume_data(blob)
        assert used.value.code == "resume-data-stale"
        with pytest.raises(ferry.FerryError) as garbage:
            s.download_with_resume_data(b"\x00not resume data")
        assert garbage.value.code == "resume-data-invalid"
    assert (tmp_path / "resumed.bin").read_bytes() == file_server.payload


def test_asyncio_data_from_the_default_session(file_server, upload_server):
    async def fetch():
        session = ferry.default_session()
        ok, missing = await asyncio.gather(session.data(upload_server.url("/hello")),
                                           session.data(upload_server.url("/also")))
        return ok, missing

    ok, also = asyncio.run(fetch())
    assert ok.status_code == 200 and ok.body == b"GET /hello\n"
    assert also.body == b"GET /also\n"
    assert ferry.default_session() is ferry.default_session()

    # Nothing listens there: a transient failure, retried until the session's resource timeout;
    # then the await raises.
    async def refused(session):
        return await session.data("http://127.0.0.1:1/nothing-listens")

    with ferry.Session.default(resource_timeout=1) as impatient:
        with pytest.raises(ferry.FerryError) as failure:
            asyncio.run(refused(impatient))
    assert failure.value.code == "resource-timeout", failure.value


def test_an_exception_in_a_callback_is_logged_and_the_session_goes_on(upload_server, caplog):
    class Raising(Recorder):
        def did_receive_response(self, session, task, status, headers):
            raise ValueError("the application's bug")

    recorder = Raising()
    with caplog.at_level(logging.ERROR, logger="ferry"):
        with ferry.Session.default(delegate=recorder) as s:
            first = s.data_task(upload_server.url("/one"))
            first.resume()
            assert recorder.wait_completed(first).ok
            second = s.data_task(upload_server.url("/two"))
            second.resume()
            assert recorder.wait_completed(second).ok
    assert [e[2] for e in recorder.of("data")] == [b"GET /one\n", b"GET /two\n"]
    reports = [r for r in caplog.records if "did_receive_response raised" in r.getMessage()]
    assert len(reports) == 2 and "the application's bug" in reports[0].exc_text


def test_many_downloads_in_one_call_each_with_its_own_outcome(ferryd, file_server, tmp_path):
    recorder = Recorder()
    with ferry.Session.background("com.example.python.many", delegate=recorder, start_daemon=False) as s:
        results = s.download_many([
            (file_server.url("/payload.bin"), {"destination": tmp_path / "a.bin", "start": True}),
            ("http://[::1/x", {"destination": tmp_path / "x.bin"}),
            (file_server.url("/payload.bin"), {"destination": tmp_path / "missing" / "b.bin", "start": True}),
        ])
        assert isinstance(results[0], ferry.Task)
        assert isinstance(results[1], ferry.FerryError) and results[1].code == "bad-url"
        assert "not valid" in results[1].message
        assert isinstance(results[2], ferry.FerryError) and results[2].code == "not-found"
        assert recorder.wait_completed(results[0]).ok
        assert s.download_many([]) == []
    assert (tmp_path / "a.bin").read_bytes() == file_server.payload


def test_a_download_group_puts_every_file_in_place(ferryd, file_server, tmp_path):
    recorder = Recorder()
    with ferry.Session.background("com.example.python.group", delegate=recorder, start_daemon=False) as s:
        with pytest.raises(ferry.FerryError) as twice:
            s.download_group("pair", [(file_server.url("/payload.bin"), tmp_path / "a.bin"),
                                      (file_server.url("/payload.bin"), tmp_path / "a.bin")], start=True)
        assert twice.value.code == "invalid-argument" and "tasks[1]" in twice.value.message
        group = s.download_group("pair", [(file_server.url("/payload.bin"), tmp_path / "a.bin"),
                                          (file_server.url("/payload.bin"), tmp_path / "b.bin")], start=True)
        assert group > 0
        wait_until(lambda: len(recorder.completions) == 2, what="both members' did_complete")
        assert all(c.ok for c in recorder.completions.values())
    assert (tmp_path / "a.bin").read_bytes() == file_server.payload
    assert (tmp_path / "b.bin").read_bytes() == file_server.payload
    with ferry.Session.default() as local:
        with pytest.raises(ferry.FerryError) as refused:
            local.download_group("pair", [(file_server.url("/payload.bin"), tmp_path / "c.bin")])
        assert refused.value.code == "invalid-state" and "background session" in refused.value.message


def test_bad_input_gives_clear_errors(ferryd, tmp_path):
    with pytest.raises(ferry.FerryError) as unavailable:
        ferry.Session.background("x", socket_path=tmp_path / "none.sock", start_daemon=False)
    assert unavailable.value.code == "daemon-unavailable" and "none.sock" in unavailable.value.message
    with pytest.raises(TypeError, match="unknown session option 'colour'"):
        ferry.Session.default(colour="blue")
    with pytest.raises(ferry.FerryError) as empty:
        ferry.Session.background("")
    assert empty.value.code == "invalid-argument"
    with ferry.Session.background("com.example.python.bad", start_daemon=False) as s:
        with pytest.raises(ferry.FerryError) as bad_url:
            s.download("not a url")
        assert bad_url.value.code in ("bad-url", "invalid-argument")
        with pytest.raises(TypeError):
            s.upload("http://127.0.0.1:1/", file="a", data=b"b")
        with pytest.raises(ferry.FerryError) as data_task:
            s.data_task("http://127.0.0.1:1/")
        assert data_task.value.code == "invalid-argument"
        with pytest.raises(ferry.FerryError) as priority:
            s.download("http://127.0.0.1:1/x", priority=2.0)
        assert priority.value.code == "invalid-argument"
        # What a task asks of the machine: ferryd takes it; an in-process session refuses it.
        held = s.download("http://127.0.0.1:1/x", allows_expensive_network_access=False, requires_external_power=True)
        held.cancel()
        with ferry.Session.default() as local:
            with pytest.raises(ferry.FerryError) as machine:
                local.download("http://127.0.0.1:1/x", requires_external_power=True)
            assert machine.value.code == "invalid-argument" and "background session" in machine.value.message
        with pytest.raises(ferry.FerryError) as unknown:
            ferry.Task(s, 424242).resume()
        assert unknown.value.code == "not-found"
        s.finish_tasks_and_invalidate()
    with pytest.raises(ferry.FerryError) as closed:
        s.get_all_tasks()
    assert closed.value.code == "invalid-state"


def test_move_file_durably_moves_and_says_why_it_cannot(tmp_path):
    source = tmp_path / "finished"
    source.write_bytes(b"x" * 100_000)
    ferry.move_file_durably(source, tmp_path / "kept")
    assert (tmp_path / "kept").read_bytes() == b"x" * 100_000 and not source.exists()
    with pytest.raises(ferry.FerryError) as missing:
        ferry.move_file_durably(source, tmp_path / "again")
    assert missing.value.code == "not-found" and str(source) in missing.value.message


def test_an_expected_digest_is_checked(ferryd, file_server, tmp_path):
    recorder = Recorder()
    right = "sha-256=" + hashlib.sha256(file_server.payload).hexdigest()
    with ferry.Session.background("com.example.python.digest", delegate=recorder, start_daemon=False) as s:
        with pytest.raises(ferry.FerryError) as malformed:
            s.download(file_server.url("/payload.bin"), expected_digest="sha-256=1234")
        assert malformed.value.code == "invalid-argument" and "sha-256=HEX" in malformed.value.message
        good = s.download(file_server.url("/payload.bin"), destination=tmp_path / "good.bin", expected_digest=right,
                          start=True)
        bad = s.download(file_server.url("/payload.bin"), destination=tmp_path / "bad.bin",
                         expected_digest="sha-512=" + "0" * 128, start=True)
        assert recorder.wait_completed(good).ok
        failed = recorder.wait_completed(bad)
        assert failed.error.code == "integrity" and "sha-512=" + "0" * 128 in failed.error.message
    assert (tmp_path / "good.bin").read_bytes() == file_server.payload
    assert not (tmp_path / "bad.bin").exists()


def _stored_request(ferryd, task):
    """The request ferryd keeps for a task (its database's request_json): what it will run."""
    with contextlib.closing(sqlite3.connect(f"file:{ferryd.state}/ferry.db?mode=ro", uri=True)) as db:
        row = db.execute("SELECT request_json FROM tasks WHERE id = ?", (task.identifier,)).fetchone()
    return json.loads(row[0])


def test_connections_reach_ferryd_and_bad_counts_are_refused(ferryd, file_server):
    with ferry.Session.background("com.example.python.connections", start_daemon=False) as s:
        for bad in (0, 17, -1, 2**40):
            with pytest.raises(ferry.FerryError) as refused:
                s.download(file_server.url("/payload.bin"), connections=bad)
            assert refused.value.code == "invalid-argument" and "from 1 to 16" in refused.value.message
        for bad in ("4", 4.0, True):
            with pytest.raises(TypeError):
                s.download(file_server.url("/payload.bin"), connections=bad)
        four = s.download(file_server.url("/payload.bin"), connections=4)  # suspended: it stays as created
        one = s.download(file_server.url("/payload.bin"))
        many = s.download_many([(file_server.url("/payload.bin"), {"connections": 16}), file_server.url("/payload.bin")])
        with pytest.raises(ferry.FerryError) as refused:  # the options' setter refuses it, as a bad digest
            s.download_many([(file_server.url("/payload.bin"), {"connections": 0})])
        assert refused.value.code == "invalid-argument"
    assert _stored_request(ferryd, four)["connections"] == 4
    assert "connections" not in _stored_request(ferryd, one)  # the default is not written
    assert _stored_request(ferryd, many[0])["connections"] == 16
    assert "connections" not in _stored_request(ferryd, many[1])


def test_mirrors_reach_ferryd_and_bad_lists_are_refused(ferryd, file_server):
    url = file_server.url("/payload.bin")
    with ferry.Session.background("com.example.python.mirrors", start_daemon=False) as s:
        for bad in ([url] * 9, [url, ""]):
            with pytest.raises(ferry.FerryError) as refused:
                s.download(url, mirrors=bad)
            assert refused.value.code == "invalid-argument"
        with pytest.raises(ferry.FerryError) as refused:
            s.download(url, mirrors=["ftp://127.0.0.1/m.bin"])
        assert refused.value.code == "bad-url"
        for bad in (url, [url.encode()], [1], ["http://a\0b"], {url: 1}):
            with pytest.raises(TypeError):
                s.download(url, mirrors=bad)
        two = s.download(url, mirrors=[url + "?m=1", url + "?m=2"])  # suspended: it stays as created
        none = s.download(url)
        many = s.download_many([(url, {"mirrors": (url + "?m=3",)}), url])
        with pytest.raises(ferry.FerryError) as refused:
            s.download_many([(url, {"mirrors": [url] * 9})])
        assert refused.value.code == "invalid-argument" and "at most 8 mirrors" in refused.value.message
        assert len(s.get_all_tasks()) == 4  # the refused ones made no task
    assert _stored_request(ferryd, two)["mirrors"] == [url + "?m=1", url + "?m=2"]
    assert "mirrors" not in _stored_request(ferryd, none)
    assert _stored_request(ferryd, many[0])["mirrors"] == [url + "?m=3"]
    assert "mirrors" not in _stored_request(ferryd, many[1])
