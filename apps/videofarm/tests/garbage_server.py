#!/usr/bin/env python3
"""A server that is not a VideoFarm server, for the videofarm client's bad-input tests.

  python3 garbage_server.py --port P --mode MODE

Modes:
  not-json     every request: 200 text/html "<html>garbage ..."; POST /videos: 303 to a video
               whose GET answers the same garbage
  wrong-shape  JSON of the wrong shape: the list's videos have a bad id, a video lacks fields
"""

import argparse
import http.server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["not-json", "wrong-shape"], required=True)
    args = parser.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body, content_type, extra=()):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def body(self):
            if args.mode == "not-json":
                return "<html>garbage, not a VideoFarm answer</html>", "text/html"
            if self.path.startswith("/videos?"):
                return '{"videos": [{"id": "../../etc", "title": 5}], "next": null}', "application/json"
            return '{"id": "00112233445566aa", "title": "no other fields"}', "application/json"

        def drain(self):
            length = int(self.headers.get("Content-Length") or 0)
            while length > 0:
                chunk = self.rfile.read(min(length, 65536))
                if not chunk:
                    break
                length -= len(chunk)

        def do_GET(self):
            self.answer(200, *self.body())

        def do_POST(self):
            self.drain()
            if self.path == "/videos":
                self.answer(303, "", "text/plain", [("Location", "/videos/00112233445566aa")])
            else:
                self.answer(200, *self.body())

        def do_DELETE(self):
            self.answer(200, *self.body())

        def do_OPTIONS(self):
            self.answer(204, "", "text/plain")

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
