"""libferry's C API (ferry/ferry.h) as ctypes declarations: the only module that names C types.

The library is found, in this order: $FERRY_LIBRARY (a path), then libferry.so.0 through the
dynamic loader (/usr/lib from the Debian package, /usr/local/lib after `ldconfig`, or
LD_LIBRARY_PATH). ctypes rather than a compiled extension: the package is pure Python, needs no
compiler or Python headers to install, works with every Python 3 against one libferry.so, and
goes through the C API, whose ABI rules (docs/c-api.md) keep it working across libferry 0.x.
"""

import ctypes
import os

SONAME = "libferry.so.0"


def _load():
    path = os.environ.get("FERRY_LIBRARY") or SONAME
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(
            f"ferry: cannot load {path} ({e}); install libferry (the ferry .deb, or `make install`), "
            "or set FERRY_LIBRARY to the path of libferry.so.0"
        ) from None


lib = _load()

c_session_p = ctypes.c_void_p
c_handle_p = ctypes.c_void_p


class Header(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Completion(ctypes.Structure):
    _fields_ = [
        ("error", ctypes.c_int),
        ("error_message", ctypes.c_char_p),
        ("status_code", ctypes.c_long),
        ("resume_data", ctypes.c_void_p),
        ("resume_data_size", ctypes.c_size_t),
    ]


class Response(ctypes.Structure):
    _fields_ = [
        ("status_code", ctypes.c_long),
        ("headers", ctypes.POINTER(Header)),
        ("header_count", ctypes.c_size_t),
        ("body", ctypes.c_void_p),
        ("body_size", ctypes.c_size_t),
    ]


class TaskInfo(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_uint64),
        ("session", ctypes.c_char_p),
        ("kind", ctypes.c_char_p),
        ("state", ctypes.c_char_p),
        ("waiting_for", ctypes.c_char_p),
        ("url", ctypes.c_char_p),
        ("destination", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
        ("bytes_written", ctypes.c_uint64),
        ("expected_total", ctypes.c_int64),
        ("http_status", ctypes.c_long),
        ("error", ctypes.c_int),
        ("error_message", ctypes.c_char_p),
        ("suspend_count", ctypes.c_int),
        ("created_at", ctypes.c_int64),
        ("priority", ctypes.c_double),
        ("discretionary", ctypes.c_int),
        ("begin_at", ctypes.c_int64),
    ]


_u64, _i64, _long, _size, _vp = ctypes.c_uint64, ctypes.c_int64, ctypes.c_long, ctypes.c_size_t, ctypes.c_void_p
WRITE = ctypes.CFUNCTYPE(None, _vp, c_session_p, _u64, _i64, _i64, _i64)
RESUME = ctypes.CFUNCTYPE(None, _vp, c_session_p, _u64, _i64, _i64)
FINISH = ctypes.CFUNCTYPE(None, _vp, c_session_p, _u64, ctypes.c_char_p)
SENT = WRITE
RESPONSE = ctypes.CFUNCTYPE(None, _vp, c_session_p, _u64, _long, ctypes.POINTER(Header), _size)
DATA = ctypes.CFUNCTYPE(None, _vp, c_session_p, _u64, _vp, _size)
COMPLETE = ctypes.CFUNCTYPE(None, _vp, c_session_p, _u64, ctypes.POINTER(Completion))
DRAINED = ctypes.CFUNCTYPE(None, _vp, c_session_p)
INVALID = ctypes.CFUNCTYPE(None, _vp, c_session_p, ctypes.c_int, ctypes.c_char_p)
RESPONSE_HANDLER = ctypes.CFUNCTYPE(None, _vp, ctypes.POINTER(Response), ctypes.c_int, ctypes.c_char_p)


class Delegate(ctypes.Structure):
    _fields_ = [
        ("size", _size),
        ("user_data", _vp),
        ("did_write_data", WRITE),
        ("did_resume_at_offset", RESUME),
        ("did_finish_downloading_to", FINISH),
        ("did_send_body_data", SENT),
        ("did_receive_response", RESPONSE),
        ("did_receive_data", DATA),
        ("did_complete", COMPLETE),
        ("did_finish_events", DRAINED),
        ("did_become_invalid", INVALID),
    ]


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


_code = ctypes.c_int
_pp = ctypes.POINTER(c_handle_p)
_str = ctypes.c_char_p
_declare("ferry_code_name", _str, _code)
_declare("ferry_last_error_message", _str)
_declare("ferry_last_error_code", _code)
_declare("ferry_free", None, _vp)
_declare("ferry_version", _str)
_declare("ferry_move_file_durably", _code, _str, _str)
_declare("ferry_configuration_background", _code, _str, _pp)
_declare("ferry_configuration_default", _code, _pp)
_declare("ferry_configuration_ephemeral", _code, _pp)
_declare("ferry_configuration_free", _code, c_handle_p)
_declare("ferry_configuration_set_socket_path", _code, c_handle_p, _str)
_declare("ferry_configuration_set_start_daemon", _code, c_handle_p, ctypes.c_int)
_declare("ferry_configuration_set_max_concurrent_transfers", _code, c_handle_p, ctypes.c_int)
_declare("ferry_configuration_set_max_connections_per_host", _code, c_handle_p, ctypes.c_int)
_declare("ferry_configuration_set_resource_timeout", _code, c_handle_p, _i64)
_declare("ferry_configuration_set_max_bytes_per_second", _code, c_handle_p, _u64)
_declare("ferry_configuration_set_proxy", _code, c_handle_p, _str)
_declare("ferry_configuration_set_ca_file", _code, c_handle_p, _str)
_declare("ferry_configuration_set_http2", _code, c_handle_p, ctypes.c_int)
_declare("ferry_configuration_set_allows_expensive_network_access", _code, c_handle_p, ctypes.c_int)
_declare("ferry_configuration_set_allows_constrained_network_access", _code, c_handle_p, ctypes.c_int)
_declare("ferry_configuration_set_launch_command", _code, c_handle_p, ctypes.POINTER(_str), _size, _str)
_declare("ferry_configuration_set_max_data_task_bytes", _code, c_handle_p, _u64)
_declare("ferry_configuration_set_resume_directory", _code, c_handle_p, _str)
_declare("ferry_configuration_set_download_redirects", _code, c_handle_p, _str)
_declare("ferry_request_new", _code, _str, _pp)
_declare("ferry_request_free", _code, c_handle_p)
_declare("ferry_request_set_method", _code, c_handle_p, _str)
_declare("ferry_request_add_header", _code, c_handle_p, _str, _str)
_declare("ferry_request_set_timeouts", _code, c_handle_p, _i64, _i64)
_declare("ferry_options_new", _code, _pp)
_declare("ferry_options_free", _code, c_handle_p)
_declare("ferry_options_set_destination", _code, c_handle_p, _str)
_declare("ferry_options_set_description", _code, c_handle_p, _str)
_declare("ferry_options_set_start", _code, c_handle_p, ctypes.c_int)
_declare("ferry_options_set_priority", _code, c_handle_p, ctypes.c_double)
_declare("ferry_options_set_discretionary", _code, c_handle_p, ctypes.c_int)
_declare("ferry_options_set_earliest_begin", _code, c_handle_p, _i64)
_declare("ferry_options_set_allows_expensive_network_access", _code, c_handle_p, ctypes.c_int)
_declare("ferry_options_set_allows_constrained_network_access", _code, c_handle_p, ctypes.c_int)
_declare("ferry_options_set_requires_external_power", _code, c_handle_p, ctypes.c_int)
_declare("ferry_options_set_resumable", _code, c_handle_p, _str)
_declare("ferry_options_set_redirects", _code, c_handle_p, _str)
_declare("ferry_options_set_expected_digest", _code, c_handle_p, _str)
_declare("ferry_options_set_connections", _code, c_handle_p, ctypes.c_int)
_declare("ferry_options_add_mirror", _code, c_handle_p, _str)
_declare("ferry_options_clear_mirrors", _code, c_handle_p)
_declare("ferry_session_create", _code, c_handle_p, ctypes.POINTER(Delegate), _pp)
_declare("ferry_session_free", _code, c_session_p)
_declare("ferry_session_wait_for_events_drained", ctypes.c_int, c_session_p, _i64)
_u64p = ctypes.POINTER(_u64)
_declare("ferry_session_download", _code, c_session_p, c_handle_p, c_handle_p, _u64p)
_declare("ferry_session_download_many", _code, c_session_p, _pp, _pp, _size, _u64p, ctypes.POINTER(_code))
_declare("ferry_session_download_group", _code, c_session_p, _str, _pp, ctypes.POINTER(_str), _size, c_handle_p, _u64p)
_declare("ferry_group_suspend", _code, c_session_p, _u64)
_declare("ferry_group_resume", _code, c_session_p, _u64)
_declare("ferry_group_cancel", _code, c_session_p, _u64)
_declare("ferry_session_download_with_resume_data", _code, c_session_p, _vp, _size, c_handle_p, _u64p)
_declare("ferry_session_upload_file", _code, c_session_p, c_handle_p, _str, c_handle_p, _u64p)
_declare("ferry_session_upload_data", _code, c_session_p, c_handle_p, _vp, _size, c_handle_p, _u64p)
_declare("ferry_session_upload_with_resume_data", _code, c_session_p, _vp, _size, c_handle_p, _u64p)
_declare("ferry_session_data_task", _code, c_session_p, c_handle_p, _u64p)
_declare("ferry_session_data", _code, c_session_p, c_handle_p, RESPONSE_HANDLER, _vp, _u64p)
_declare("ferry_task_resume", _code, c_session_p, _u64)
_declare("ferry_task_suspend", _code, c_session_p, _u64)
_declare("ferry_task_cancel", _code, c_session_p, _u64)
_declare("ferry_task_cancel_producing_resume_data", _code, c_session_p, _u64, ctypes.POINTER(_vp),
         ctypes.POINTER(_size))
_declare("ferry_session_finish_tasks_and_invalidate", _code, c_session_p)
_declare("ferry_session_invalidate_and_cancel", _code, c_session_p)
_declare("ferry_session_get_all_tasks", _code, c_session_p, _pp)
_declare("ferry_task_list_size", _size, c_handle_p)
_declare("ferry_task_list_at", ctypes.POINTER(TaskInfo), c_handle_p, _size)
_declare("ferry_task_list_free", _code, c_handle_p)
_declare("ferry_daemon_status", _code, _str, ctypes.c_int, ctypes.POINTER(_vp))
