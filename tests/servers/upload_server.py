#!/usr/bin/env python3
"""An upload sink for Ferry's engine upload tests (standard library only).

  python3 tests/servers/upload_server.py --port P --store DIR [options]

Every request's body is read whole (Content-Length or chunked) before the answer. A request
with a body is stored as DIR/<last path segment> and answered 201 with a JSON body
{"method", "path", "length", "sha256", "chunked"}; a GET is answered 200 with "GET <path>\\n".

Options:
  --fail-first N           answer the first N requests with --fail-status (default 503)
  --fail-status S
  --retry-after S          "Retry-After: S" on those failures
  --status S               answer every request with S and --body-bytes bytes ("S Reason\\n" if 0)
  --body-bytes N           the size of the --status answer's body (bytes of "x")
  --redirect S:/from:/to   requests for /from get status S with "Location: /to" (repeatable; /to
                           may be absolute)
  --log FILE               one line per request: "METHOD PATH status=S length=N sha256=H chunked=0|1
                           content-type=T auth=0|1" (auth: an Authorization header came)
"""

import argparse
import hashlib
import http.server
import json
import os
import threading


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--retry-after", type=int)
    parser.add_argument("--status", type=int, default=0)
    parser.add_argument("--body-bytes", type=int, default=0)
    parser.add_argument("--redirect", action="append", default=[])
    parser.add_argument("--log")
    args = parser.parse_args()

    redirects = {}
    for rule in args.redirect:
        status, source, target = rule.split(":", 2)
        redirects[source] = (int(status), target)
    lock = threading.Lock()
    counter = {"n": 0}
    log_file = open(args.log, "a", buffering=1) if args.log else None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FerryUploadFixture/1.0"

        def log_message(self, fmt, *fmt_args):
            pass

        def read_body(self):
            """Returns (bytes, chunked)."""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = bytearray()
                while True:
                    size_line = self.rfile.readline()
                    size = int(size_line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return bytes(data), True
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length", "0"))
            data = bytearray()
            while len(data) < length:
                chunk = self.rfile.read(min(1 << 20, length - len(data)))
                if not chunk:
                    raise ConnectionError("body cut short")
                data += chunk
            return bytes(data), False

        def handle_any(self):
            try:
                body, chunked = self.read_body()
            except (ConnectionError, ValueError):
                self.close_connection = True
                return
            with lock:
                counter["n"] += 1
                number = counter["n"]
            path = self.path.split("?")[0]
            digest = hashlib.sha256(body).hexdigest()
            if args.fail_first and number <= args.fail_first:
                status, headers, answer = args.fail_status, [], b"temporarily unavailable\n"
                if args.retry_after is not None:
                    headers.append(("Retry-After", str(args.retry_after)))
            elif path in redirects:
                status, target = redirects[path]
                headers, answer = [("Location", target)], b"moved\n"
            elif args.status:
                status, headers = args.status, []
                reason = self.responses.get(args.status, ("",))[0]
                answer = b"x" * args.body_bytes if args.body_bytes else ("%d %s\n" % (args.status, reason)).encode()
            elif self.command in ("GET", "HEAD") and not body:
                status, headers, answer = 200, [("X-Method", self.command)], ("GET %s\n" % path).encode()
            else:
                name = os.path.basename(path) or "index"
                with open(os.path.join(args.store, name), "wb") as f:
                    f.write(body)
                status, headers = 201, [("X-Method", self.command)]
                answer = json.dumps({"method": self.command, "path": path, "length": len(body),
                                     "sha256": digest, "chunked": chunked}).encode()
            if log_file:
                with lock:
                    log_file.write("%s %s status=%d length=%d sha256=%s chunked=%d content-type=%s auth=%d\n" % (
                        self.command, path, status, len(body), digest, int(chunked),
                        self.headers.get("Content-Type", "-"), int("Authorization" in self.headers)))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json" if status == 201 else "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer)

        def __getattr__(self, name):
            if name.startswith("do_"):
                return self.handle_any
            raise AttributeError(name)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("listening on %d" % args.port, flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
