#!/usr/bin/env python3
"""A fault-injecting TCP proxy on 127.0.0.1 (asyncio, standard library only).

  python3 tests/servers/fault_proxy.py --port P --target T --seed S --stats FILE
                                       [--fault-rate 0.35] [--long-stall 4] [--log FILE]

Every accepted connection is piped to 127.0.0.1:T. Each request (each request of a reused
connection on its own) is armed, with probability --fault-rate, with one fault drawn (like
everything here) from a random.Random(seed), in the order requests arrive. A request without a body
(GET, HEAD) gets the fault on its response; a request with one (PUT, POST, PATCH) on its body, on
the way to the server:

  reset        after K bytes, both sides are closed with RST (SO_LINGER 0); K may be 0
  truncate     after K bytes, both sides are closed cleanly (FIN): a response cut mid-body, or a
               request body cut before the server has it all (the client sees the connection end
               without an answer)
  long-stall   after K bytes, nothing more is forwarded for --long-stall seconds (longer than the
               client's stall timeout), then both sides are closed with RST
  short-stall  after K bytes, a pause of 0.2-1.5 s, then the rest is forwarded
  trickle      the first K bytes are sent at 32-256 KiB/s, then full speed

K counts the message's bytes (its header included) and is uniform in [0, min(4 MiB, header +
Content-Length)) (at most 64 KiB for trickle), so that faults land inside small messages too. A fault is counted when it fires: a message shorter than K ends before its fault, and is
not counted. Faults are counted by kind, and request-body faults also as "upload:<kind>".

--stats gets a JSON object, rewritten whenever a fault fires and at exit (SIGTERM/SIGINT):
  {"connections": N, "requests": N, "armed": N, "faults": {"reset": N, ...},
   "upload_faults": {"reset": N, ...}, "total_faults": N, "bytes_to_client": N}
--log gets one line per fired fault: "<unix time> [upload:]<kind> conn=<n> after=<bytes> <request path>".
"""

import argparse
import asyncio
import json
import os
import re
import random
import signal
import socket
import struct
import sys
import time

REQUEST_START = re.compile(rb"^([A-Z]+) (/\S*) HTTP/1\.[01]\r\n")
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*([0-9]+)\r\n", re.IGNORECASE)
BODY_METHODS = (b"PUT", b"POST", b"PATCH")
KINDS = ("reset", "truncate", "long-stall", "short-stall", "trickle")
CHUNK = 256 * 1024


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.connections = 0
        self.requests = 0
        self.armed = 0
        self.faults = {k: 0 for k in KINDS}
        self.upload_faults = {k: 0 for k in KINDS}
        self.bytes_to_client = 0
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.tasks = set()

    def stats(self):
        return {"connections": self.connections, "requests": self.requests, "armed": self.armed,
                "faults": self.faults, "upload_faults": self.upload_faults,
                "total_faults": sum(self.faults.values()), "bytes_to_client": self.bytes_to_client,
                "seed": self.args.seed}

    def write_stats(self):
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.stats(), f)
        os.replace(tmp, self.args.stats)

    def fired(self, kind, conn, after, target, upload=False):
        self.faults[kind] += 1
        if upload:
            self.upload_faults[kind] += 1
        if self.log:
            self.log.write("%.3f %s%s conn=%d after=%d %s\n" % (time.time(), "upload:" if upload else "", kind, conn,
                                                            after, target))
        self.write_stats()

    def plan(self):
        """The fault of the next request: (kind, fraction, parameter) or None. K is the fraction
        of the message's length (at most 4 MiB; 64 KiB for trickle), known once its header is."""
        self.requests += 1
        if self.rng.random() >= self.args.fault_rate:
            return None
        self.armed += 1
        kind = self.rng.choice(KINDS)
        fraction = self.rng.random()
        param = 0.0
        if kind == "short-stall":
            param = self.rng.uniform(0.2, 1.5)
        elif kind == "trickle":
            param = self.rng.uniform(32 * 1024, 256 * 1024)  # bytes per second
        elif kind == "reset" and self.rng.random() < 0.25:
            fraction = 0.0  # refused-like: reset before any byte
        return kind, fraction, param

    @staticmethod
    def bytes_before(fault, head):
        """K for `fault` on a message whose first bytes are `head` (header and Content-Length)."""
        kind, fraction, _ = fault
        length = CONTENT_LENGTH.search(head)
        header_end = head.find(b"\r\n\r\n")
        total = (header_end + 4 if header_end >= 0 else len(head)) + (int(length.group(1)) if length else 4 * 1024 * 1024)
        cap = 64 * 1024 if kind == "trickle" else 4 * 1024 * 1024
        after = int(fraction * min(total, cap))
        return max(1, after) if kind == "trickle" or fraction > 0 else 0

    async def handle(self, client_reader, client_writer):
        self.connections += 1
        conn = self.connections
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.args.target)
        except OSError:
            client_writer.close()
            return
        # "cur": the current response's plan (a new one when each request starts, in pipe()).
        state = {"cur": {"fault": None, "after": None, "sent": 0, "done": True, "target": ""}}
        up = asyncio.ensure_future(self.pipe(conn, client_reader, client_writer, up_writer, state))
        try:
            await self.downstream(conn, state, up_reader, client_writer, up_writer)
        finally:
            up.cancel()
            for w in (client_writer, up_writer):
                try:
                    w.close()
                except Exception:
                    pass

    async def pipe(self, conn, reader, client_writer, writer, state):
        """Client to server. Each request (a chunk starting with a method and a path; curl does not
        pipeline) gets a fault plan of its own: on its body if it has one, else on its response."""
        up = None  # [kind, after, param, sent] of the request body being forwarded
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                start = REQUEST_START.match(data)
                if start:
                    if start.group(1) in BODY_METHODS:
                        fault = self.plan()
                        up = [fault[0], self.bytes_before(fault, data), fault[2], 0, start.group(2).decode()] if fault else None
                        state["cur"] = {"fault": None, "after": None, "sent": 0, "done": True, "target": ""}
                    else:
                        fault = self.plan()
                        up = None
                        state["cur"] = {"fault": fault, "after": None, "sent": 0, "done": fault is None,
                                        "target": start.group(2).decode()}
                if up is None:
                    writer.write(data)
                    await writer.drain()
                    continue
                if not await self.forward_faulty(conn, up, data, client_writer, writer):
                    return
                if up[3] >= up[1]:
                    up = None  # fired (short-stall, trickle): the rest goes at full speed
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, asyncio.CancelledError):
            pass

    async def forward_faulty(self, conn, up, data, client_writer, writer):
        """Forwards `data` of a request body armed with `up` = [kind, K, param, sent, path]; False
        when the fault closed the connection."""
        kind, after, param, _, target = up
        while data:
            sent = up[3]
            if sent >= after:
                writer.write(data)
                await writer.drain()
                up[3] += len(data)
                return True
            if kind == "reset" and after == 0:
                self.fired(kind, conn, 0, target, upload=True)
                self.reset(client_writer, writer)
                return False
            piece = data[:min(after - sent, 4096 if kind == "trickle" else len(data))]
            data = data[len(piece):]
            if kind == "trickle":
                await asyncio.sleep(len(piece) / param)
            writer.write(piece)
            await writer.drain()
            up[3] += len(piece)
            if up[3] < after:
                continue
            self.fired(kind, conn, up[3], target, upload=True)
            if kind == "reset":
                self.reset(client_writer, writer)
                return False
            if kind == "truncate":
                client_writer.close()
                writer.close()
                return False
            if kind == "long-stall":
                await asyncio.sleep(self.args.long_stall)
                self.reset(client_writer, writer)
                return False
            if kind == "short-stall":
                await asyncio.sleep(param)
        return True

    @staticmethod
    def reset(*writers):
        for w in writers:
            sock = w.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            w.transport.abort()

    async def downstream(self, conn, state, up_reader, client_writer, up_writer):
        """Server to client, with the current response's fault. state["cur"] is the response plan
        pipe() made when its request started: {"fault", "after" (K, known from the response's
        header), "sent", "done"}. A chunk belongs to the plan current when it was read: curl sends
        the next request only after the whole response, so no byte of it comes before its plan.
        A chunk that crosses K is split there (the rest waits in `pending`)."""
        pending = b""
        try:
            while True:
                cur = state["cur"]
                kind, after, param = self.response_fault(cur)
                if kind == "reset" and after == 0 and not cur["done"]:
                    self.fired_on(cur, kind, conn, 0)
                    self.reset(client_writer, up_writer)
                    return
                limit = CHUNK
                if not cur["done"] and kind is not None and after is not None:
                    gap = max(1, after - cur["sent"])
                    limit = min(CHUNK, gap) if kind != "trickle" else min(4096, gap)
                elif not cur["done"] and kind is not None:
                    limit = 4096  # the header first: it gives K
                if pending:
                    data, pending = pending, b""
                else:
                    data = await up_reader.read(limit)
                    if not data:
                        break
                    cur = state["cur"]  # a new request may have started while we waited
                if cur["fault"] and not cur["done"] and cur["after"] is None and cur["sent"] == 0:
                    cur["after"] = self.bytes_before(cur["fault"], data)
                kind, after, param = self.response_fault(cur)
                if not cur["done"] and kind is not None and after is None:
                    after = 4 * 1024 * 1024  # a header in pieces: K as for an unknown length
                if kind == "reset" and after == 0 and not cur["done"]:
                    self.fired_on(cur, kind, conn, 0)
                    self.reset(client_writer, up_writer)
                    return
                if not cur["done"] and kind is not None:
                    gap = max(1, after - cur["sent"])
                    if kind == "trickle":
                        gap = min(gap, 4096)
                    if gap < len(data):
                        data, pending = data[:gap], data[gap:]
                if kind == "trickle" and not cur["done"]:
                    await asyncio.sleep(len(data) / param)
                client_writer.write(data)
                await client_writer.drain()
                cur["sent"] += len(data)
                self.bytes_to_client += len(data)
                if cur["done"] or kind is None or cur["sent"] < after:
                    continue
                self.fired_on(cur, kind, conn, cur["sent"])
                if kind == "reset":
                    self.reset(client_writer, up_writer)
                    return
                if kind == "truncate":
                    client_writer.close()
                    return
                if kind == "long-stall":
                    await asyncio.sleep(self.args.long_stall)
                    self.reset(client_writer, up_writer)
                    return
                if kind == "short-stall":
                    await asyncio.sleep(param)
        except (OSError, ConnectionError):
            pass

    def fired_on(self, cur, kind, conn, after):
        cur["done"] = True
        self.fired(kind, conn, after, cur["target"])

    @staticmethod
    def response_fault(cur):
        """(kind, K or None while the header is not seen, parameter) of a response plan."""
        if not cur["fault"]:
            return None, 0, 0.0
        kind, fraction, param = cur["fault"]
        after = cur["after"]
        if after is None and fraction == 0.0 and kind == "reset":
            after = 0
        return kind, after, param

    async def main(self):
        server = await asyncio.start_server(self.handle, "127.0.0.1", self.args.port, limit=CHUNK)
        self.write_stats()
        print("listening on %d" % self.args.port, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with server:
            await stop.wait()
        self.write_stats()
        print(json.dumps(self.stats()), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.35)
    parser.add_argument("--long-stall", type=float, default=4.0)
    parser.add_argument("--stats", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()
    asyncio.run(Proxy(args).main())
    sys.exit(0)


if __name__ == "__main__":
    main()
