"""ferry: background HTTP transfers for Linux (ferryd), from Python.

    import ferry

    class Delegate(ferry.SessionDelegate):
        def did_finish_downloading_to(self, session, task, location):
            print("done:", location)

    s = ferry.Session.background("com.example.sync", delegate=Delegate())
    t = s.download("https://example.org/big.iso", destination="big.iso")
    t.resume()          # the process may exit now: ferryd finishes it, the next run gets the events

    response = await ferry.default_session().data("https://example.org/api")   # asyncio

A binding of libferry's C API (docs/c-api.md) with ctypes; python/README.md is its manual.
"""

from .delegate import SessionDelegate
from .session import Session, Task, daemon_status, default_session, move_file_durably, version
from .types import Completion, FerryError, Request, Response, TaskInfo

__all__ = [
    "Completion", "FerryError", "Request", "Response", "Session", "SessionDelegate", "Task", "TaskInfo",
    "daemon_status", "default_session", "move_file_durably", "version",
]
__version__ = "0.1.0"
