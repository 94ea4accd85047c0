#!/usr/bin/env python3
"""A small forwarding HTTP proxy on 127.0.0.1 for Ferry's tests (standard library only).

  python3 tests/servers/forward_proxy.py --port P --log FILE

It speaks what curl sends to an http:// proxy: CONNECT host:port (a tunnel, for https:// URLs)
and absolute-URI requests (GET http://host:port/path HTTP/1.1, for http:// URLs), which it sends
on to the origin in origin form with "Connection: close". Only loopback origins are served (403
otherwise): a test must not reach out. --log gets one line per request as it arrives:
"<METHOD> <target>", e.g. "CONNECT 127.0.0.1:8443" or "GET http://127.0.0.1:8080/file.bin".
"""

import argparse
import socket
import threading
import urllib.parse

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def pipe(source, sink):
    try:
        while True:
            data = source.recv(256 * 1024)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (sink,):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def read_head(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(65536)
        if not data:
            return None, b""
        head += data
        if len(head) > 1 << 20:
            return None, b""
    end = head.index(b"\r\n\r\n") + 4
    return head[:end], head[end:]


def relay(client, upstream, first_bytes):
    if first_bytes:
        upstream.sendall(first_bytes)
    back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    back.start()
    pipe(client, upstream)
    back.join()


def handle(conn, log):
    with conn:
        head, rest = read_head(conn)
        if head is None:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = (lines[0].split(" ") + ["", "", ""])[:3]
        log(f"{method} {target}")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
        else:
            url = urllib.parse.urlsplit(target)
            host, port = url.hostname or "", str(url.port or 80)
        if host not in LOOPBACK:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)))
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        with upstream:
            if method == "CONNECT":
                conn.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                relay(conn, upstream, rest)
                return
            path = urllib.parse.urlunsplit(("", "", url.path or "/", url.query, ""))
            headers = [h for h in lines[1:] if h and not h.lower().startswith(("proxy-connection:", "connection:"))]
            request = f"{method} {path} {version}\r\n" + "".join(h + "\r\n" for h in headers) + "Connection: close\r\n\r\n"
            relay(conn, upstream, request.encode("latin-1") + rest)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    lock = threading.Lock()

    def log(line):
        with lock, open(args.log, "a") as f:
            f.write(line + "\n")

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.port))
    server.listen(64)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
