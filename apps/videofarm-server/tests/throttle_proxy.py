#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that makes request bodies of one method slow (standard library only).

  python3 throttle_proxy.py --port P --target T [--method PATCH] --rate BYTES_PER_S --log FILE

The web page tests use it to have a movie upload still running when they press Pause or reload
the page, without sleeping: the body of every --method request reaches the server at --rate.

The client's bytes are read as fast as they come (so the browser has sent everything and its
close is seen at once) and forwarded at the rate. When the client goes away (an aborted request,
a reloaded page), what it had sent but was not forwarded yet is dropped and the connection to the
server is closed: the server's offset stops where the bytes stopped, as after a real cut.
Requests are framed by Content-Length (browsers send one for a Blob body).

The log gets "request METHOD PATH upload-offset=<Upload-Offset or ->" per request, and
"gone METHOD PATH forwarded=N of=M" when the client left in the middle of a body.
"""

import argparse
import re
import socket
import threading
import time

HEADER_END = b"\r\n\r\n"
REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.[01]\r\n")
TICK = 0.02  # seconds between forwarded slices


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--method", default="PATCH")
    parser.add_argument("--rate", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    log_lock = threading.Lock()
    log = open(args.log, "a", buffering=1)

    def write_log(line):
        with log_lock:
            log.write(line + "\n")

    def close(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    class Inbox:
        """What the client sent and nobody forwarded yet; `gone` once it closed or reset."""

        def __init__(self):
            self.data = bytearray()
            self.gone = False
            self.cond = threading.Condition()

        def fill(self, client):
            try:
                while True:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    with self.cond:
                        self.data += chunk
                        self.cond.notify_all()
            except OSError:
                pass
            with self.cond:
                self.gone = True
                self.cond.notify_all()

        def take(self, at_most, until=None):
            """Up to at_most bytes; waits for some (or for `until` bytes to end a header)."""
            with self.cond:
                while not self.data or (until is not None and until not in self.data):
                    if self.gone:
                        return b""
                    self.cond.wait()
                if until is not None:
                    at_most = self.data.index(until) + len(until)
                out = bytes(self.data[:at_most])
                del self.data[:at_most]
                return out

        def is_gone(self):
            with self.cond:
                return self.gone

    def upstream_to_client(upstream, client):
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
        close(client)

    def forward_body(inbox, upstream, method, path, length):
        slow = method == args.method
        slice_bytes = max(1, int(args.rate * TICK))
        sent = 0
        while sent < length:
            # A slow body stops as soon as the client has left: what it had sent but was not
            # forwarded yet is lost on the way, as in a real cut.
            gone = slow and inbox.is_gone()
            data = b"" if gone else inbox.take(min(slice_bytes if slow else 65536, length - sent))
            if not data:
                write_log("gone %s %s forwarded=%d of=%d" % (method, path, sent, length))
                return False
            upstream.sendall(data)
            sent += len(data)
            if slow:
                time.sleep(TICK)
        return True

    def serve(client):
        upstream = socket.create_connection(("127.0.0.1", args.target))
        inbox = Inbox()
        threading.Thread(target=inbox.fill, args=(client,), daemon=True).start()
        threading.Thread(target=upstream_to_client, args=(upstream, client), daemon=True).start()
        try:
            while True:
                header = inbox.take(0, until=HEADER_END)
                if not header:
                    break
                line = REQUEST_LINE.match(header)
                method, path = (line.group(1).decode(), line.group(2).decode()) if line else ("?", "?")
                offset = re.search(rb"\r\nUpload-Offset: *(\d+)", header, re.I)
                length = re.search(rb"\r\nContent-Length: *(\d+)", header, re.I)
                write_log("request %s %s upload-offset=%s" % (method, path, offset.group(1).decode() if offset else "-"))
                upstream.sendall(header)
                if length and not forward_body(inbox, upstream, method, path, int(length.group(1))):
                    break
        except OSError:
            pass
        close(upstream)
        close(client)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(64)
    print("listening on %d" % args.port, flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
