"""ferry.Session and ferry.Task over libferry's C API (docs/c-api.md; python/README.md).

A Session owns one ferry_session handle and the ctypes callbacks of its delegate; C values are
turned into Python ones (types.py) inside the callback, since their memory lives only that long.
"""

import asyncio
import atexit
import contextlib
import ctypes
import itertools
import json
import logging
import os
import threading
import weakref
from typing import Dict, List, Optional

from . import _native
from .delegate import SessionDelegate
from .types import (Completion, FerryError, Request, RequestLike, Response, TaskInfo, check, code_name, error_of, headers_of,
                    task_info_of, text)

log = logging.getLogger("ferry")
lib = _native.lib
_open_sessions: "weakref.WeakSet[Session]" = weakref.WeakSet()

# Session configuration keywords -> (C setter, conversion of the value to its C arguments).
_CONFIG_SETTERS = {
    "socket_path": (lib.ferry_configuration_set_socket_path, lambda v: (os.fsencode(v),)),
    "start_daemon": (lib.ferry_configuration_set_start_daemon, lambda v: (int(bool(v)),)),
    "max_concurrent_transfers": (lib.ferry_configuration_set_max_concurrent_transfers, lambda v: (int(v),)),
    "max_connections_per_host": (lib.ferry_configuration_set_max_connections_per_host, lambda v: (int(v),)),
    "resource_timeout": (lib.ferry_configuration_set_resource_timeout, lambda v: (int(v),)),
    "max_bytes_per_second": (lib.ferry_configuration_set_max_bytes_per_second, lambda v: (int(v),)),
    "proxy": (lib.ferry_configuration_set_proxy, lambda v: (v.encode(),)),
    "ca_file": (lib.ferry_configuration_set_ca_file, lambda v: (os.fsencode(v),)),
    "http2": (lib.ferry_configuration_set_http2, lambda v: (int(bool(v)),)),
    "allows_expensive_network_access": (lib.ferry_configuration_set_allows_expensive_network_access,
                                        lambda v: (int(bool(v)),)),
    "allows_constrained_network_access": (lib.ferry_configuration_set_allows_constrained_network_access,
                                          lambda v: (int(bool(v)),)),
    "max_data_task_bytes": (lib.ferry_configuration_set_max_data_task_bytes, lambda v: (int(v),)),
    "resume_directory": (lib.ferry_configuration_set_resume_directory, lambda v: (os.fsencode(v),)),
    "download_redirects": (lib.ferry_configuration_set_download_redirects, lambda v: (v.encode(),)),
}


class _Handle:
    """A C handle freed with `free` when the with-block ends."""

    def __init__(self, free):
        self.value = ctypes.c_void_p()
        self._free = free

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.value:
            self._free(self.value)


def _configuration(make, args, options, launch_command, launch_working_directory) -> _Handle:
    config = _Handle(lib.ferry_configuration_free)
    check(make(*args, ctypes.byref(config.value)))
    try:
        for key, value in options.items():
            if key not in _CONFIG_SETTERS:
                raise TypeError(f"ferry: unknown session option {key!r} (known: {', '.join(sorted(_CONFIG_SETTERS))})")
            setter, convert = _CONFIG_SETTERS[key]
            check(setter(config.value, *convert(value)))
        if launch_command is not None:
            argv = (ctypes.c_char_p * len(launch_command))(*[os.fsencode(a) for a in launch_command])
            wd = os.fsencode(launch_working_directory) if launch_working_directory else None
            check(lib.ferry_configuration_set_launch_command(config.value, argv, len(launch_command), wd))
    except BaseException:
        config.__exit__()
        raise
    return config


def _request(request: RequestLike) -> _Handle:
    if isinstance(request, (str, bytes)):
        request = Request(request if isinstance(request, str) else request.decode())
    handle = _Handle(lib.ferry_request_free)
    check(lib.ferry_request_new(request.url.encode(), ctypes.byref(handle.value)))
    try:
        if request.method != "GET":
            check(lib.ferry_request_set_method(handle.value, request.method.encode()))
        for name, value in request.headers:
            check(lib.ferry_request_add_header(handle.value, name.encode(), value.encode()))
        if request.connect_timeout is not None or request.stall_timeout is not None:
            check(lib.ferry_request_set_timeouts(handle.value, request.connect_timeout or 30, request.stall_timeout or 60))
    except BaseException:
        handle.__exit__()
        raise
    return handle


def _options(destination=None, description=None, start=False, priority=None, discretionary=False,
             earliest_begin=None, resumable=None, redirects=None, allows_expensive_network_access=True,
             allows_constrained_network_access=True, requires_external_power=False, expected_digest=None,
             connections=None, mirrors=None) -> _Handle:
    handle = _Handle(lib.ferry_options_free)
    check(lib.ferry_options_new(ctypes.byref(handle.value)))
    o = handle.value
    try:
        if destination is not None:
            check(lib.ferry_options_set_destination(o, os.fsencode(os.path.abspath(destination))))
        if description is not None:
            check(lib.ferry_options_set_description(o, description.encode()))
        check(lib.ferry_options_set_start(o, int(bool(start))))
        if priority is not None:
            check(lib.ferry_options_set_priority(o, float(priority)))
        check(lib.ferry_options_set_discretionary(o, int(bool(discretionary))))
        if earliest_begin is not None:  # seconds since the epoch (a datetime's .timestamp())
            check(lib.ferry_options_set_earliest_begin(o, int(earliest_begin)))
        # The machine's state (background sessions): set only when not the defaults, which an
        # in-process session refuses.
        if not allows_expensive_network_access:
            check(lib.ferry_options_set_allows_expensive_network_access(o, 0))
        if not allows_constrained_network_access:
            check(lib.ferry_options_set_allows_constrained_network_access(o, 0))
        if requires_external_power:
            check(lib.ferry_options_set_requires_external_power(o, 1))
        if expected_digest is not None:
            check(lib.ferry_options_set_expected_digest(o, expected_digest.encode()))
        if connections is not None:
            if isinstance(connections, bool) or not isinstance(connections, int):
                raise TypeError(f"ferry: connections must be an int from 1 to 16, not {connections!r}")
            # Beyond a C int it would wrap around: 0 is what libferry refuses with its sentence.
            check(lib.ferry_options_set_connections(o, connections if abs(connections) < 2**31 else 0))
        if mirrors is not None:
            # A lone str would be taken letter by letter; a NUL would cut the URL short in C.
            if not isinstance(mirrors, (list, tuple)) or not all(isinstance(m, str) and "\0" not in m for m in mirrors):
                raise TypeError(f"ferry: mirrors must be a list of URL strings, not {mirrors!r}")
            for mirror in mirrors:
                check(lib.ferry_options_add_mirror(o, mirror.encode()))
        if resumable is not None:
            check(lib.ferry_options_set_resumable(o, resumable.encode()))
        if redirects is not None:
            check(lib.ferry_options_set_redirects(o, redirects.encode()))
    except BaseException:
        handle.__exit__()
        raise
    return handle


class Task:
    """A task of a session, named by its identifier (cheap; compare by identifier)."""

    def __init__(self, session: "Session", identifier: int):
        self.session = session
        self.identifier = identifier

    def __repr__(self):
        return f"<ferry.Task {self.identifier}>"

    def __eq__(self, other):
        return isinstance(other, Task) and other.session is self.session and other.identifier == self.identifier

    def __hash__(self):
        return hash((id(self.session), self.identifier))

    def resume(self) -> None:
        """Starts a new task (tasks are created suspended), or undoes one suspend()."""
        check(lib.ferry_task_resume(self.session._live(), self.identifier))

    def suspend(self) -> None:
        check(lib.ferry_task_suspend(self.session._live(), self.identifier))

    def cancel(self) -> None:
        """did_complete follows with error "cancelled"."""
        check(lib.ferry_task_cancel(self.session._live(), self.identifier))

    def cancel_by_producing_resume_data(self) -> Optional[bytes]:
        """Cancels; returns resume data for download_with_resume_data / upload_with_resume_data, or
        None when the task has none (it is cancelled all the same, as in URLSession)."""
        data, size = ctypes.c_void_p(), ctypes.c_size_t()
        rc = lib.ferry_task_cancel_producing_resume_data(self.session._live(), self.identifier, ctypes.byref(data),
                                                         ctypes.byref(size))
        if rc == _INVALID_STATE:
            return None
        check(rc)
        try:
            return ctypes.string_at(data, size.value)
        finally:
            lib.ferry_free(data)


_INVALID_STATE = 22  # FERRY_E_INVALID_STATE


class Session:
    """A ferry session (NSURLSession). Make one with Session.background(...), Session.default(...)
    or Session.ephemeral(...); close() it (or use `with`) when done — a background session's tasks
    go on in ferryd, an in-process session's stop. Sessions still open at exit are closed then."""

    def __init__(self, make, args, delegate: Optional[SessionDelegate], options):
        self.delegate = delegate or SessionDelegate()
        self._handle = ctypes.c_void_p()
        self._lock = threading.Lock()
        self._pending: Dict[int, tuple] = {}  # data() calls waiting for their answer: key -> (loop, future)
        self._keys = itertools.count(1)
        self._callbacks = self._make_callbacks()  # kept alive as long as the C side may call them
        c_delegate = _native.Delegate(ctypes.sizeof(_native.Delegate), None, *self._callbacks[:-1])
        launch = options.pop("launch_command", None)
        launch_wd = options.pop("launch_working_directory", None)
        with _configuration(make, args, options, launch, launch_wd) as config:
            check(lib.ferry_session_create(config.value, ctypes.byref(c_delegate), ctypes.byref(self._handle)))
        _open_sessions.add(self)

    @classmethod
    def background(cls, identifier: str, delegate: Optional[SessionDelegate] = None, **options) -> "Session":
        """Tasks run in ferryd and outlive this process; a later Session.background with the same
        identifier receives their events. Options: socket_path, start_daemon, max_concurrent_transfers,
        max_connections_per_host, resource_timeout, max_bytes_per_second, proxy, ca_file, http2,
        allows_expensive_network_access, allows_constrained_network_access (False: tasks wait while
        the network is metered), launch_command (argv list), launch_working_directory."""
        return cls(lib.ferry_configuration_background, (identifier.encode(),), delegate, options)

    @classmethod
    def default(cls, delegate: Optional[SessionDelegate] = None, **options) -> "Session":
        """Tasks run in this process (data tasks too). Options as background(), plus
        max_data_task_bytes, resume_directory, download_redirects ("follow" | "refuse")."""
        return cls(lib.ferry_configuration_default, (), delegate, options)

    @classmethod
    def ephemeral(cls, delegate: Optional[SessionDelegate] = None, **options) -> "Session":
        """As default(), keeping no cookies."""
        return cls(lib.ferry_configuration_ephemeral, (), delegate, options)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # on the session's own thread (refused) or at shutdown: nothing to do
            pass

    def close(self) -> None:
        """Background: detaches (tasks go on in ferryd). In-process: its tasks stop. Waits for a
        running callback; raises FerryError("invalid-state") inside one of this session's own."""
        with self._lock:
            handle = self._handle
            if not handle:
                return
        check(lib.ferry_session_free(handle))
        with self._lock:
            self._handle = ctypes.c_void_p()
            pending, self._pending = self._pending, {}
        _open_sessions.discard(self)
        for loop, future in pending.values():
            _settle(loop, future, FerryError("cancelled", "the session was closed before the answer came"))

    def _live(self):
        handle = self._handle
        if not handle:
            raise FerryError("invalid-state", "the session is closed; make a new one")
        return handle

    # ---- Tasks ----

    def download(self, request: RequestLike, **options) -> Task:
        """A download task (suspended unless start=True). Options: destination, description, start,
        priority, discretionary, earliest_begin (seconds since the epoch), allows_expensive_network_access,
        allows_constrained_network_access, requires_external_power (background sessions),
        expected_digest ("sha-256=HEX", "sha-512=HEX" or "sha-256=:BASE64:": a file that does not
        match ends with the error code "integrity"), connections (1 to 16, default 1: at most that many
        connections fetch byte ranges at once when the server serves ranges with a validator), mirrors
        (a list of at most 8 other URLs of the same file: ranges are fetched from them too, at least one
        connection per URL; one that fails or serves another file is dropped)."""
        with _request(request) as r, _options(**options) as o:
            return self._created(lambda out: lib.ferry_session_download(self._live(), r.value, o.value, out))

    def download_many(self, downloads) -> list:
        """Many downloads in few round trips (ferry_session_download_many): each item is a request
        (or URL), or a (request, options) pair with download()'s options as a dict. One result per
        item, in order: its Task, or the FerryError saying why that item was refused (the others
        are created all the same; only the first refusal carries libferry's whole sentence)."""
        items = [d if isinstance(d, tuple) else (d, {}) for d in downloads]
        if not items:
            return []
        with contextlib.ExitStack() as stack:
            requests = [stack.enter_context(_request(r)) for r, _ in items]
            options = [stack.enter_context(_options(**o)) for _, o in items]
            n = len(items)
            request_array = (ctypes.c_void_p * n)(*[h.value.value for h in requests])
            option_array = (ctypes.c_void_p * n)(*[h.value.value for h in options])
            ids = (ctypes.c_uint64 * n)()
            codes = (ctypes.c_int * n)()
            rc = lib.ferry_session_download_many(self._live(), request_array, option_array, n, ids, codes)
            first_message = lib.ferry_last_error_message().decode(errors="replace") if rc != 0 else ""
            if rc != 0 and not any(codes):
                check(rc)  # refused as a whole (the session is closed, a bad argument)
        results = []
        for i in range(n):
            if codes[i] == 0:
                results.append(Task(self, ids[i]))
                continue
            message = first_message if first_message and codes[i] == rc and not any(
                isinstance(r, FerryError) for r in results) else "this download was refused"
            results.append(FerryError(code_name(codes[i]), message))
        return results

    def download_group(self, name: str, files, **options) -> int:
        """A download group (ferry_session_download_group; background sessions only): each item of
        `files` is a (request or URL, destination) pair, fetched as one job named `name`, all or
        nothing (no file is put at its destination until every one is downloaded). Options:
        description, start, priority, discretionary, earliest_begin, connections. Returns the
        group's id (for suspend_group, resume_group, cancel_group); one bad file refuses the whole
        group with a FerryError naming "tasks[i]"."""
        items = list(files)
        with contextlib.ExitStack() as stack:
            requests = [stack.enter_context(_request(r)) for r, _ in items]
            n = len(items)
            request_array = (ctypes.c_void_p * n)(*[h.value.value for h in requests])
            destinations = (ctypes.c_char_p * n)(*[os.fsencode(os.path.abspath(d)) for _, d in items])
            o = stack.enter_context(_options(**options))
            group_id = ctypes.c_uint64()
            check(lib.ferry_session_download_group(self._live(), name.encode(), request_array, destinations, n, o.value,
                                                   ctypes.byref(group_id)))
            return group_id.value

    def suspend_group(self, group: int) -> None:
        check(lib.ferry_group_suspend(self._live(), group))

    def resume_group(self, group: int) -> None:
        check(lib.ferry_group_resume(self._live(), group))

    def cancel_group(self, group: int) -> None:
        check(lib.ferry_group_cancel(self._live(), group))

    def download_with_resume_data(self, resume_data: bytes, **options) -> Task:
        with _options(**options) as o:
            return self._created(lambda out: lib.ferry_session_download_with_resume_data(
                self._live(), resume_data, len(resume_data), o.value, out))

    def upload(self, request: RequestLike, *, file=None, data: Optional[bytes] = None, **options) -> Task:
        """An upload of `file` (a path ferryd reads) or `data` (bytes, copied now). The method is PUT
        unless the request names another. Options: resumable ("ietf" | "tus" | "none"), redirects
        ("follow" | "refuse"), description, start, priority, discretionary, earliest_begin."""
        if (file is None) == (data is None):
            raise TypeError("ferry: upload needs exactly one of file= or data=")
        with _request(request) as r, _options(**options) as o:
            if file is not None:
                path = os.fsencode(os.path.abspath(file))
                return self._created(lambda out: lib.ferry_session_upload_file(self._live(), r.value, path, o.value, out))
            body = bytes(data)
            return self._created(lambda out: lib.ferry_session_upload_data(self._live(), r.value, body, len(body),
                                                                           o.value, out))

    def upload_with_resume_data(self, resume_data: bytes, **options) -> Task:
        with _options(**options) as o:
            return self._created(lambda out: lib.ferry_session_upload_with_resume_data(
                self._live(), resume_data, len(resume_data), o.value, out))

    def data_task(self, request: RequestLike) -> Task:
        """In-process sessions: the answer comes to the delegate (response, data, complete)."""
        with _request(request) as r:
            return self._created(lambda out: lib.ferry_session_data_task(self._live(), r.value, out))

    async def data(self, request: RequestLike) -> Response:
        """In-process sessions: the whole answer, awaited (any HTTP status is an answer; a transport
        failure raises FerryError). Cancelling the await cancels the task."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        key = next(self._keys)
        with self._lock:
            self._pending[key] = (loop, future)
        try:
            with _request(request) as r:
                task = self._created(lambda out: lib.ferry_session_data(self._live(), r.value, self._callbacks[-1],
                                                                         key, out))
        except BaseException:
            with self._lock:
                self._pending.pop(key, None)
            raise
        try:
            return await future
        except asyncio.CancelledError:
            try:
                task.cancel()
            except FerryError:
                pass
            raise

    def _created(self, create) -> Task:
        task_id = ctypes.c_uint64()
        check(create(ctypes.byref(task_id)))
        return Task(self, task_id.value)

    # ---- The session ----

    def get_all_tasks(self) -> List[TaskInfo]:
        handle = _Handle(lib.ferry_task_list_free)
        check(lib.ferry_session_get_all_tasks(self._live(), ctypes.byref(handle.value)))
        with handle:
            return [task_info_of(lib.ferry_task_list_at(handle.value, i).contents)
                    for i in range(lib.ferry_task_list_size(handle.value))]

    def wait_for_events_drained(self, timeout: float = 10.0) -> bool:
        """Blocks until every event queued at attach time was delivered (True), or `timeout` s."""
        return lib.ferry_session_wait_for_events_drained(self._live(), int(timeout * 1000)) == 1

    def finish_tasks_and_invalidate(self) -> None:
        check(lib.ferry_session_finish_tasks_and_invalidate(self._live()))

    def invalidate_and_cancel(self) -> None:
        check(lib.ferry_session_invalidate_and_cancel(self._live()))

    # ---- Events: the C callbacks, each calling the delegate under a guard ----

    def _make_callbacks(self):
        me = weakref.ref(self)  # the callbacks must not keep the session alive

        def deliver(name, make_args):
            def callback(_user_data, _session, *c_args):
                session = me()
                if session is None:
                    return
                try:
                    getattr(session.delegate, name)(session, *make_args(session, *c_args))
                except BaseException:
                    log.exception("ferry: the delegate's %s raised; the session goes on", name)
            return callback

        def task(session, task_id):
            return Task(session, task_id)

        def completion(c):
            resume = ctypes.string_at(c.resume_data, c.resume_data_size) if c.resume_data else None
            return Completion(error_of(c.error, c.error_message), c.status_code, resume)

        def answered(user_data, response, code, message):
            session = me()
            if session is None:
                return
            with session._lock:
                loop, future = session._pending.pop(user_data or 0, (None, None))
            if future is None:
                return
            if response:
                r = response.contents
                value = Response(r.status_code, headers_of(r.headers, r.header_count), ctypes.string_at(r.body, r.body_size))
            else:
                value = error_of(code, message)
            _settle(loop, future, value)

        return (
            _native.WRITE(deliver("did_write_data", lambda s, t, *n: (task(s, t), *n))),
            _native.RESUME(deliver("did_resume_at_offset", lambda s, t, *n: (task(s, t), *n))),
            _native.FINISH(deliver("did_finish_downloading_to", lambda s, t, loc: (task(s, t), os.fsdecode(loc)))),
            _native.SENT(deliver("did_send_body_data", lambda s, t, *n: (task(s, t), *n))),
            _native.RESPONSE(deliver("did_receive_response",
                                     lambda s, t, status, h, count: (task(s, t), status, headers_of(h, count)))),
            _native.DATA(deliver("did_receive_data", lambda s, t, p, size: (task(s, t), ctypes.string_at(p, size)))),
            _native.COMPLETE(deliver("did_complete", lambda s, t, c: (task(s, t), completion(c.contents)))),
            _native.DRAINED(deliver("did_finish_events", lambda s: ())),
            _native.INVALID(deliver("did_become_invalid", lambda s, code, message: (error_of(code, message),))),
            _native.RESPONSE_HANDLER(answered),
        )


def _settle(loop, future, value) -> None:
    """Resolves an awaited data() from the session's thread (a FerryError value is raised)."""

    def resolve():
        if future.done():
            return
        if isinstance(value, BaseException):
            future.set_exception(value)
        else:
            future.set_result(value)

    try:
        loop.call_soon_threadsafe(resolve)
    except RuntimeError:  # the loop is closed: nobody awaits it any more
        pass


_default_session: Optional[Session] = None
_default_lock = threading.Lock()


def default_session() -> Session:
    """The process's shared in-process session (URLSession.shared), made on first use."""
    global _default_session
    with _default_lock:
        if _default_session is None or not _default_session._handle:
            _default_session = Session.default()
        return _default_session


def daemon_status(socket_path=None, start_daemon: bool = False) -> dict:
    """ferryd's status (version, pid, uptime, sessions, tasks by state, bandwidth) as a dict."""
    out = ctypes.c_void_p()
    path = os.fsencode(socket_path) if socket_path is not None else None
    check(lib.ferry_daemon_status(path, int(bool(start_daemon)), ctypes.byref(out)))
    try:
        return json.loads(ctypes.string_at(out).decode())
    finally:
        lib.ferry_free(out)


def version() -> str:
    return text(lib.ferry_version())


def move_file_durably(source, destination) -> None:
    """Moves a file so that the move survives a crash (rename + directory fsync, or a synced copy
    when `destination` is on another file system); what did_finish_downloading_to does with its
    `location`. Raises FerryError (not-found, permission-denied, no-space, io)."""
    check(lib.ferry_move_file_durably(os.fsencode(source), os.fsencode(destination)))


@atexit.register
def _close_open_sessions():
    # Before the interpreter goes: no callback may run into a finalized Python.
    for session in list(_open_sessions):
        try:
            session.close()
        except Exception:
            pass
