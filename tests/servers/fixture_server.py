#!/usr/bin/env python3
"""A misbehaving-on-purpose HTTP/1.1 file server for Ferry's tests (standard library only).

It serves one file (--file) at every path, on 127.0.0.1:--port, with the HTTP features a
resumable download depends on, each of which can be switched off or broken:

  python3 tests/servers/fixture_server.py --port P --file F [options]

Options:
  --no-range               ignore Range (always 200 with the whole file, no Accept-Ranges)
  --etag-changes-every N   the entity's validators (ETag and Last-Modified) change every N
                           requests (requests 1..N see version 0, N+1..2N version 1, ...), so an
                           If-Range from an earlier request no longer matches and the answer is a
                           200 with the whole file (the bytes stay the same, so hashes still match)
  --fail-first N           answer the first N requests with --fail-status (default 503) and a
                           short text body
  --fail-status S          the status of those failures
  --retry-after S          add "Retry-After: S" (delta-seconds) to those failures
  --retry-after-date       send Retry-After as an HTTP-date S seconds from now instead
  --drop-after BYTES       in every answer, close the connection after sending BYTES body bytes
                           (the Content-Length announces the full length, so the client sees a
                           truncated body); answers shorter than that are sent whole
  --stall-first-after BYTES  the first answer sends BYTES body bytes, then nothing more (the
                           connection stays open, as one whose path died does) until the client
                           goes away
  --no-validators          send neither ETag nor Last-Modified
  --weak-etag              send the ETag as a weak one (W/"...")
  --shift-range N          answer a Range request with a 206 that starts N bytes before the asked
                           start (as a server rounding to blocks does; Content-Range tells the truth)
  --status S               answer every request with status S and the body "S Reason\\n"
                           (e.g. 404, for tests of error bodies)
  --rate BYTES_PER_SECOND  send bodies no faster than this (for stop/pause tests)
  --header "NAME: VALUE"   add this header to every 200/206 answer (repeatable; e.g. a
                           Repr-Digest or Digest, right or wrong, for the integrity tests)
  --log FILE               append one line per request, written when the answer starts:
                           "METHOD PATH range=<Range or -> if-range=<If-Range or -> status=<S>"

Range support: one range per request ("bytes=a-", "bytes=a-b", "bytes=-n"); a start beyond the end
gets 416 with "Content-Range: bytes */SIZE"; If-Range is compared with the current strong ETag or
Last-Modified exactly (a weak ETag never matches, as RFC 9110 says).

It prints "listening on PORT" once it accepts connections; tests usually just wait for the port.
"""

import argparse
import email.utils
import http.server
import os
import socket
import threading
import time

CHUNK = 64 * 1024


class FixtureState:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0
        self.log_file = open(args.log, "a", buffering=1) if args.log else None

    def next_request_number(self):
        with self.lock:
            self.requests += 1
            return self.requests

    def log(self, line):
        if self.log_file is None:
            return
        with self.lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()


def make_handler(state):
    args = state.args

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FerryFixture/1.0"

        def log_message(self, fmt, *fmt_args):  # quiet: the --log file is the record
            pass

        def do_HEAD(self):
            self.answer(send_body=False)

        def do_GET(self):
            self.answer(send_body=True)

        # ---- the answer ----

        def answer(self, send_body):
            number = state.next_request_number()
            if args.fail_first and number <= args.fail_first:
                return self.send_failure(args.fail_status, send_body)
            if args.status:
                return self.send_text(args.status, send_body)
            with open(args.file, "rb") as f:
                data = f.read()
            etag, last_modified = self.validators(number)
            start, end, status = self.choose_range(len(data), etag, last_modified)
            if status == 416:
                self.start_answer(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.start_answer(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(end - start))
            if not args.no_range:
                self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
            if etag:
                self.send_header("ETag", etag)
            if last_modified:
                self.send_header("Last-Modified", last_modified)
            for line in args.header or []:
                name, _, value = line.partition(":")
                self.send_header(name.strip(), value.strip())
            self.end_headers()
            if send_body:
                self.send_body(data[start:end], stall=number == 1 and args.stall_first_after is not None)

        def validators(self, number):
            if args.no_validators:
                return None, None
            version = (number - 1) // args.etag_changes_every if args.etag_changes_every else 0
            stat = os.stat(args.file)
            etag = '"%x-%x-v%d"' % (stat.st_size, stat.st_mtime_ns, version)
            if args.weak_etag:
                etag = "W/" + etag
            last_modified = email.utils.formatdate(int(stat.st_mtime) + version, usegmt=True)
            return etag, last_modified

        def choose_range(self, size, etag, last_modified):
            """Returns (start, end, status) of the bytes to send."""
            header = self.headers.get("Range")
            if args.no_range or not header or not header.startswith("bytes="):
                return 0, size, 200
            if_range = self.headers.get("If-Range")
            if if_range is not None:
                strong_match = etag is not None and not etag.startswith("W/") and if_range == etag
                date_match = last_modified is not None and if_range == last_modified
                if not (strong_match or date_match):
                    return 0, size, 200
            spec = header[len("bytes="):].strip()
            if "," in spec or "-" not in spec:
                return 0, size, 200
            first, last = spec.split("-", 1)
            try:
                if first == "":
                    suffix = int(last)
                    return max(0, size - suffix), size, 206
                start = int(first)
                end = min(int(last) + 1, size) if last else size
            except ValueError:
                return 0, size, 200
            if start >= size:
                return 0, 0, 416
            return max(0, start - args.shift_range), end, 206

        def send_failure(self, status, send_body):
            body = b"temporarily unavailable, try again\n"
            self.start_answer(status)
            if args.retry_after is not None:
                if args.retry_after_date:
                    value = email.utils.formatdate(time.time() + args.retry_after, usegmt=True)
                else:
                    value = str(args.retry_after)
                self.send_header("Retry-After", value)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def send_text(self, status, send_body):
            reason = self.responses.get(status, ("",))[0]
            body = ("%d %s\n" % (status, reason)).encode()
            self.start_answer(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def start_answer(self, status):
            state.log("%s %s range=%s if-range=%s status=%d" % (
                self.command, self.path, self.headers.get("Range", "-"),
                self.headers.get("If-Range", "-"), status))
            self.send_response(status)

        def send_body(self, body, stall=False):
            limit = args.drop_after if args.drop_after is not None else len(body)
            if stall:
                limit = min(limit, args.stall_first_after)
            to_send = body[:limit]
            started = time.monotonic()
            sent = 0
            try:
                while sent < len(to_send):
                    chunk = to_send[sent:sent + CHUNK]
                    if args.rate:
                        chunk = chunk[:max(1, args.rate // 10)]
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    if args.rate:
                        ahead = sent / args.rate - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(ahead)
                self.wfile.flush()
                if stall:
                    self.connection.settimeout(None)
                    while self.connection.recv(CHUNK):  # until the client closes
                        pass
                    self.close_connection = True
                elif len(to_send) < len(body):
                    self.drop_connection()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def drop_connection(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--no-range", action="store_true")
    parser.add_argument("--etag-changes-every", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--retry-after", type=int)
    parser.add_argument("--retry-after-date", action="store_true")
    parser.add_argument("--drop-after", type=int)
    parser.add_argument("--stall-first-after", type=int)
    parser.add_argument("--no-validators", action="store_true")
    parser.add_argument("--weak-etag", action="store_true")
    parser.add_argument("--shift-range", type=int, default=0)
    parser.add_argument("--status", type=int, default=0)
    parser.add_argument("--rate", type=int, default=0)
    parser.add_argument("--header", action="append")
    parser.add_argument("--log")
    args = parser.parse_args()

    state = FixtureState(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    print("listening on %d" % args.port, flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
