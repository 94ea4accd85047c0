"""The values of ferry's Python API: errors, requests, answers, completions and task records."""

import dataclasses
from typing import List, Optional, Sequence, Tuple, Union

from . import _native


class FerryError(Exception):
    """A failure libferry reports: `code` is stable ("network", "resume-data-stale", ...; the
    codes of docs/c-api.md), `message` a sentence saying what happened and what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def code_name(code: int) -> str:
    return _native.lib.ferry_code_name(code).decode()


def error_of(code: int, message: Optional[bytes]) -> Optional[FerryError]:
    """A FerryError from a C code and message, or None for FERRY_OK."""
    if code == 0:
        return None
    return FerryError(code_name(code), (message or b"").decode(errors="replace"))


def check(rc: int) -> None:
    """Raises the calling thread's last libferry error when `rc` is not FERRY_OK."""
    if rc != 0:
        raise FerryError(code_name(rc), _native.lib.ferry_last_error_message().decode(errors="replace"))


Headers = List[Tuple[str, str]]


@dataclasses.dataclass
class Request:
    """An HTTP request (URLRequest). A plain URL string works wherever a Request does."""

    url: str
    method: str = "GET"
    headers: Sequence[Tuple[str, str]] = ()
    connect_timeout: Optional[int] = None  # seconds (libferry's default: 30)
    stall_timeout: Optional[int] = None  # seconds below 1 byte/s before a retry (default: 60)


RequestLike = Union[str, Request]


@dataclasses.dataclass
class Response:
    """A data task's answer: any HTTP answer (a 404 too); transport failures raise instead."""

    status_code: int
    headers: Headers
    body: bytes


@dataclasses.dataclass
class Completion:
    """How a task ended (didComplete): error None is success."""

    error: Optional[FerryError]
    status_code: int
    resume_data: Optional[bytes]  # a failed or cancelled download that can continue from it

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass
class TaskInfo:
    """A task as ferryd (or the in-process session) reports it: Session.get_all_tasks()."""

    id: int
    session: str
    kind: str
    state: str
    waiting_for: str
    url: str
    destination: str
    description: str
    bytes_written: int
    expected_total: Optional[int]
    http_status: int
    error: Optional[FerryError]
    suspend_count: int
    created_at: int
    priority: float
    discretionary: bool
    begin_at: Optional[int]


def text(b: Optional[bytes]) -> str:
    return (b or b"").decode(errors="replace")


def task_info_of(t: "_native.TaskInfo") -> TaskInfo:
    return TaskInfo(
        id=t.id, session=text(t.session), kind=text(t.kind), state=text(t.state), waiting_for=text(t.waiting_for),
        url=text(t.url), destination=text(t.destination), description=text(t.description),
        bytes_written=t.bytes_written, expected_total=None if t.expected_total < 0 else t.expected_total,
        http_status=t.http_status, error=error_of(t.error, t.error_message), suspend_count=t.suspend_count,
        created_at=t.created_at, priority=t.priority, discretionary=bool(t.discretionary),
        begin_at=t.begin_at or None)


def headers_of(headers, count: int) -> Headers:
    return [(text(headers[i].name), text(headers[i].value)) for i in range(count)]
