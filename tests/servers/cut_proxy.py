#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that cuts uploads in the middle (standard library only).

  python3 tests/servers/cut_proxy.py --port P --target T --cut-method PATCH --cut-after BYTES
                                     [--cuts N] --log FILE

Bytes go both ways unchanged. A request starts where a client chunk begins with "METHOD /"
(connections are reused, so every chunk is checked). The first --cuts requests whose method is
--cut-method (or any method with "*") are cut once BYTES bytes of them (header included) went
through: nothing more reaches the server and both connections are closed.

The log gets one line per request start, "request METHOD PATH upload-offset=<Upload-Offset or ->",
and one per cut, "cut METHOD after=N".

--cut-after-104: before cutting, wait (up to 5 s) until a "104" interim answer has gone back to
the client on that connection, so that the client surely knew the upload's URL when it was cut.
"""

import argparse
import re
import socket
import threading
import time

REQUEST_START = re.compile(rb"^([A-Z]+) (/\S*) HTTP/1\.[01]\r\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--cut-method", default="PATCH")
    parser.add_argument("--cut-after", type=int, required=True)
    parser.add_argument("--cuts", type=int, default=1)
    parser.add_argument("--cut-after-104", action="store_true")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    lock = threading.Lock()
    state = {"cuts_left": args.cuts}
    log = open(args.log, "a", buffering=1)

    def write_log(line):
        with lock:
            log.write(line + "\n")

    def close(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def upstream_to_client(upstream, client, answered):
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                client.sendall(data)
                if len(answered) < 65536:
                    answered += data
        except OSError:
            pass
        close(client)

    def serve(client):
        upstream = socket.create_connection(("127.0.0.1", args.target))
        answered = bytearray()  # the first bytes sent back to the client
        threading.Thread(target=upstream_to_client, args=(upstream, client, answered), daemon=True).start()
        sent = 0
        cutting = False
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                match = REQUEST_START.match(data)
                if match:
                    method = match.group(1).decode()
                    offset = re.search(rb"\r\nUpload-Offset: *(\d+)", data.split(b"\r\n\r\n")[0], re.I)
                    write_log("request %s %s upload-offset=%s" % (
                        method, match.group(2).decode(), offset.group(1).decode() if offset else "-"))
                    sent = 0
                    with lock:
                        cutting = (args.cut_method in ("*", method)) and state["cuts_left"] > 0
                        if cutting:
                            state["cuts_left"] -= 1
                if cutting and sent + len(data) >= args.cut_after:
                    upstream.sendall(data[:args.cut_after - sent])
                    waited = 0
                    while args.cut_after_104 and b" 104 " not in answered and waited < 500:
                        time.sleep(0.01)
                        waited += 1
                    write_log("cut %s after=%d" % (method, args.cut_after))
                    break
                upstream.sendall(data)
                sent += len(data)
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
