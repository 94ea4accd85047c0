"""SessionDelegate: what a Session tells the application (URLSessionDelegate).

Override the methods you want. They run one at a time, in event order, on a thread the session
owns (not the thread that made the session). An exception a method raises is logged on the
"ferry" logger and the next event is delivered all the same: it never ends the session. In a
background session each stored event is acknowledged to ferryd when its method returns.
"""


class SessionDelegate:
    def did_write_data(self, session, task, bytes_written, total_bytes_written, total_bytes_expected):
        """Download progress; total_bytes_expected is -1 when unknown."""

    def did_resume_at_offset(self, session, task, file_offset, expected_total_bytes):
        """A download continued from `file_offset` (resume data, or a retry after a fault)."""

    def did_finish_downloading_to(self, session, task, location):
        """The finished file. It is removed when this returns, unless moved here or the download
        named a destination (then `location` is that and stays)."""

    def did_send_body_data(self, session, task, bytes_sent, total_bytes_sent, total_bytes_expected):
        """Upload progress."""

    def did_receive_response(self, session, task, status_code, headers):
        """Uploads and data tasks: the answer's status and headers [(name, value), ...]."""

    def did_receive_data(self, session, task, data):
        """Uploads and data tasks: the answer's body (bytes)."""

    def did_complete(self, session, task, completion):
        """The task ended: a ferry.Completion (error None on success, status_code, resume_data)."""

    def did_finish_events(self, session):
        """Every event queued while no process was attached has been delivered."""

    def did_become_invalid(self, session, error):
        """After finish_tasks_and_invalidate / invalidate_and_cancel, once every task ended."""
