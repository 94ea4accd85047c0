#!/usr/bin/env python3
"""The background download example (background_download.cpp) in Python, over the ferry package:

  background_download.py URL DIR   hands the download to ferryd and exits at once
  background_download.py DIR       attaches again, takes the finished files into DIR, exits
"""

import os
import sys

import ferry


class Delegate(ferry.SessionDelegate):
    def __init__(self, directory):
        self.directory = directory

    def did_finish_downloading_to(self, session, task, location):
        # `location` is removed when this returns: move it now (durably, across file systems too).
        target = os.path.join(self.directory, f"download-{task.identifier}")
        ferry.move_file_durably(location, target)
        print(f"task {task.identifier} -> {target}", flush=True)

    def did_complete(self, session, task, completion):
        if completion.ok:
            print(f"task {task.identifier} completed (HTTP {completion.status_code})", flush=True)
        else:
            print(f"task {task.identifier} failed: {completion.error.message}", flush=True)


def main():
    if len(sys.argv) not in (2, 3):
        print(f"usage: {sys.argv[0]} [URL] DIR", file=sys.stderr)
        return 2
    try:
        session = ferry.Session.background("com.example.downloader.py", delegate=Delegate(sys.argv[-1]))
    except ferry.FerryError as e:
        print(e.message, file=sys.stderr)
        return 1
    with session:
        if len(sys.argv) == 3:
            task = session.download(sys.argv[1])
            task.resume()  # tasks start suspended, as in URLSession
            print(f"task {task.identifier} handed to ferryd")
        else:
            session.wait_for_events_drained(10)  # the queued events, then did_finish_events
    return 0  # the download goes on without us


if __name__ == "__main__":
    sys.exit(main())
