#!/usr/bin/env python3
"""The VideoFarm server's catalogue reads side by side with a Node/Express server, in one run.

For each catalogue size (1,000 and 100,000 videos by default) the VideoFarm server (SQLite, local
files) and bench/express/list_server.js (Express, every row in memory, loaded from the VideoFarm
server at its start so both answer the same JSON) are measured with wrk, alternating rounds:

    GET /videos?limit=50    GET /videos?limit=200    GET /videos/ID

and the table prints req/s of each and VideoFarm / Express (median of the rounds). Express is
installed from npm by this script into its work directory (bench/express/package-lock.json).
The catalogue is filled through the API for its first video and in one SQLite transaction for
the rest (100,000 POSTs would take minutes of fsyncs and measure nothing of the reads).

    python3 bench/videofarm-list.py [--build build] [--sizes 1000,100000] [--seconds 8] [--rounds 3]

Issue 15's target: VideoFarm >= 3x Express on every row.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read()
        except OSError:
            time.sleep(0.05)
    sys.exit(f"no answer from {url}")


class Server:
    """A process started with its output in a log file, stopped with SIGTERM."""

    def __init__(self, argv, log, cwd=None):
        self.log = open(log, "ab")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill_catalogue(build, work, size):
    """A data directory with `size` videos: one made through the API, the rest inserted directly."""
    data = os.path.join(work, f"vf-{size}")
    port = free_port()
    vf = Server([os.path.join(build, "bin", "videofarm-server"), "--listen", f"127.0.0.1:{port}",
                 "--data-dir", data, "--open-writes"], os.path.join(work, "vf-fill.log"))
    wait_http(f"http://127.0.0.1:{port}/videos")
    boundary = "benchBoundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nVideo 0\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nBenchmark video 0\r\n"
            f"--{boundary}--\r\n").encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/videos", body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        urllib.request.urlopen(request).read()
    except urllib.error.HTTPError as e:
        if e.code != 303:
            sys.exit(f"POST /videos answered {e.code}")
    vf.stop()
    db = sqlite3.connect(os.path.join(data, "catalog.sqlite3"))
    with db:
        start = int(time.time() * 1000) - size
        db.executemany(
            "INSERT INTO videos(id, title, description, created_at_ms, thumbnail_type) VALUES (?, ?, ?, ?, ?)",
            ((secrets.token_hex(8), f"Video {i}", f"Benchmark video {i} of the list benchmark", start + i, "image/png")
             for i in range(1, size)))
    db.close()
    return data


def install_express(work):
    target = os.path.join(work, "express")
    shutil.copytree(os.path.join(ROOT, "bench", "express"), target)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=target, check=True)
    return target


def wrk(url, seconds, log):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
    log.write(f"== {url}\n{out}\n")
    if "Non-2xx" in out:
        sys.exit(f"wrk saw non-2xx answers from {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(size, build, work, express_dir, seconds, rounds, log):
    data = fill_catalogue(build, work, size)
    vf_port, ex_port = free_port(), free_port()
    vf = Server([os.path.join(build, "bin", "videofarm-server"), "--listen", f"127.0.0.1:{vf_port}",
                 "--data-dir", data], os.path.join(work, f"vf-{size}.log"))
    vf_url = f"http://127.0.0.1:{vf_port}"
    wait_http(f"{vf_url}/videos")
    express = Server(["node", "list_server.js", str(ex_port), vf_url], os.path.join(work, f"express-{size}.log"),
                     cwd=express_dir)
    ex_url = f"http://127.0.0.1:{ex_port}"
    wait_http(f"{ex_url}/videos", seconds=300)
    try:
        middle = urllib.request.urlopen(f"{vf_url}/videos?limit=200").read()
        video_id = re.search(rb'"id":"([0-9a-f]{16})"', middle).group(1).decode()
        paths = ["/videos?limit=50", "/videos?limit=200", f"/videos/{video_id}"]
        for path in paths:  # the same bytes from both, or the comparison means nothing
            a = urllib.request.urlopen(vf_url + path).read()
            b = urllib.request.urlopen(ex_url + path).read()
            if __import__("json").loads(a) != __import__("json").loads(b):
                sys.exit(f"{path}: the two servers answer different JSON")
        rows = []
        for path in paths:
            vf_rps, ex_rps = [], []
            vf_cpu = 0.0
            for _ in range(rounds):
                before = vf.cpu_seconds()
                vf_rps.append(wrk(vf_url + path, seconds, log))
                vf_cpu = max(vf_cpu, (vf.cpu_seconds() - before) / seconds)
                ex_rps.append(wrk(ex_url + path, seconds, log))
            rows.append((path.replace(video_id, "ID"), statistics.median(vf_rps), statistics.median(ex_rps), vf_cpu))
        return rows
    finally:
        express.stop()
        vf.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    work = tempfile.mkdtemp(prefix="videofarm-list-bench-")
    try:
        express_dir = install_express(work)
        load = os.getloadavg()[0]
        with open(os.path.join(work, "wrk.log"), "w") as log:
            results = {size: measure(size, build, work, express_dir, args.seconds, args.rounds, log)
                       for size in map(int, args.sizes.split(","))}
        print(f"\n## VideoFarm server vs Node/Express, wrk -t2 -c32 -d{args.seconds}s, median of {args.rounds} "
              f"alternating rounds\n")
        print(f"Machine: {os.cpu_count()} cores, load average {load:.2f} at the start\n")
        print("| catalogue | request | VideoFarm req/s | Express req/s | VideoFarm / Express | VideoFarm CPU (cores) |")
        print("|---|---|---|---|---|---|")
        for size, rows in results.items():
            for path, vf_rps, ex_rps, cpu in rows:
                print(f"| {size:,} videos | GET {path} | {vf_rps:,.0f} | {ex_rps:,.0f} | {vf_rps / ex_rps:.2f} | {cpu:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
