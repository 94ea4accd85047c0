#!/usr/bin/env python3
"""Ferry's soak suite: downloads through injected network faults, ferryd killed over and over, and
a full disk; every file's sha256 and every delegate event accounted for. See bench/soak/README.md.

  bench/soak/soak.py [--build DIR] [--seconds N] [--seed N] [--short] [--keep]

SOAK_SECONDS (default 600) bounds the whole run; SOAK_SEED (default: random, printed) fixes the
file sizes, the fault plan, the kill moments and the client detaches. Exit status 0 only when
every check passed. Everything runs on 127.0.0.1 in a temporary directory (kept with --keep or
when a check fails).
"""

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIB = 1024
MIB = 1024 * KIB


def log(msg):
    print("[soak %6.1fs] %s" % (time.monotonic() - START, msg), flush=True)


START = time.monotonic()


class Failure(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(condition, timeout, what, interval=0.05):
    """Polls `condition` until true; raises Failure naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def tcp_accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def unix_accepts(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MIB)
            if not b:
                return h.hexdigest()
            h.update(b)


def log_uniform(rng, lo, hi):
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


class Files:
    """Random files of random sizes under <root>/<sub>, with their hashes. Downloads are made
    under nginx's root (url path /<sub>/<key>.bin); upload sources anywhere else."""

    def __init__(self, root, sub, rng, count, lo, hi, prefix):
        self.items = []  # (key, size, sha256, url path)
        self.dir = os.path.join(root, sub)
        os.makedirs(self.dir, exist_ok=True)
        for i in range(count):
            size = log_uniform(rng, lo, hi)
            key = "%s%03d" % (prefix, i)
            path = os.path.join(self.dir, key + ".bin")
            data = rng.randbytes(size)
            with open(path, "wb") as f:
                f.write(data)
            self.items.append((key, size, hashlib.sha256(data).hexdigest(), "/%s/%s.bin" % (sub, key)))

    def path(self, key):
        return os.path.join(self.dir, key + ".bin")

    def share(self, i, n):
        """Every n-th item from the i-th, as a Files of the same directory."""
        part = Files(self.dir, "", None, 0, 1, 1, "")
        part.items = self.items[i::n]
        return part

    def total(self):
        return sum(i[1] for i in self.items)


class Nginx:
    def __init__(self, work, www):
        self.port = free_port()
        d = os.path.join(work, "nginx")
        os.makedirs(os.path.join(d, "logs"))
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes 1; daemon off; master_process off;
pid %(d)s/nginx.pid; error_log %(d)s/logs/error.log;
events { worker_connections 1024; }
http {
  default_type application/octet-stream; access_log %(d)s/logs/access.log;
  client_body_temp_path %(d)s/body; proxy_temp_path %(d)s/proxy; fastcgi_temp_path %(d)s/fcgi;
  uwsgi_temp_path %(d)s/uwsgi; scgi_temp_path %(d)s/scgi; sendfile on;
  server { listen 127.0.0.1:%(port)d; root %(www)s;
    location /dav/ { dav_methods PUT; create_full_put_path on; client_max_body_size 0; } }
}
""" % {"d": d, "port": self.port, "www": www})
        nginx = "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else "nginx"
        self.proc = subprocess.Popen([nginx, "-p", d, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(d, "logs/stderr.log"), "w"))
        wait_until(lambda: tcp_accepts(self.port), 10, "nginx to listen")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class FaultProxy:
    def __init__(self, work, target, seed, fault_rate, long_stall):
        self.port = free_port()
        self.stats_path = os.path.join(work, "fault_proxy.json")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests/servers/fault_proxy.py"), "--port", str(self.port),
             "--target", str(target), "--seed", str(seed), "--fault-rate", str(fault_rate),
             "--long-stall", str(long_stall), "--stats", self.stats_path,
             "--log", os.path.join(work, "fault_proxy.log")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "fault_proxy.stderr"), "w"))
        wait_until(lambda: tcp_accepts(self.port), 10, "the fault proxy to listen")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        with open(self.stats_path) as f:
            return json.load(f)


class Ferryd:
    """ferryd on its own socket and state directory; a copy of the binary, so that a rebuild
    during the run changes nothing."""

    def __init__(self, bin_dir, root, state_dir=None, args=()):
        self.bin = os.path.join(bin_dir, "ferryd")
        self.socket = os.path.join(root, "ferryd.sock")
        self.state = state_dir or os.path.join(root, "state")
        self.log = os.path.join(root, "ferryd.log")
        self.args = list(args)
        self.proc = None
        self.kills = []  # monotonic times of SIGKILLs

    def start(self, timeout=15):
        self.proc = subprocess.Popen([self.bin, "--socket", self.socket, "--state-dir", self.state,
                                      "--log-level", "info"] + self.args,
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        wait_until(lambda: self.proc.poll() is None and unix_accepts(self.socket) or self.proc.poll() is not None,
                   timeout, "ferryd to listen")
        if self.proc.poll() is not None:
            raise Failure("ferryd exited with %d at start; see %s" % (self.proc.returncode, self.log))

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.kills.append(time.monotonic())

    def terminate(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def ctl(self, *args):
        out = subprocess.run([os.path.join(BIN, "ferryctl")] + list(args) + ["--json", "--socket", self.socket],
                             capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, FERRY_SOCKET=self.socket, FERRY_STATE_DIR=self.state))
        if out.returncode != 0:
            raise Failure("ferryctl %s failed (%d): %s %s" % (" ".join(args), out.returncode, out.stdout, out.stderr))
        return json.loads(out.stdout)


class Client:
    """One process of bench/soak/soak_client.cpp, attached to a session."""

    def __init__(self, ferryd, session, record, manifest=None, stall_timeout=2, extra=()):
        argv = [os.path.join(BIN, "ferry-soak-client"), "--socket", ferryd.socket, "--session", session,
                "--record", record, "--stall-timeout", str(stall_timeout)] + list(extra)
        if manifest:
            argv += ["--submit", manifest]
        self.record = record
        self.errlog = open(record + ".stderr", "a")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.errlog)
        self.killed_at = None
        # Attached once its "attach" line is followed by nothing failing for the hello round trip:
        # the session's queued events (or "drained") arrive right after the hello.
        wait_until(lambda: self.proc.poll() is not None or self.has_line("drained"), 20,
                   "the soak client to attach")
        if self.proc.poll() is not None:
            raise Failure("soak client exited with %d; see %s.stderr" % (self.proc.returncode, record))

    def has_line(self, word):
        pid = str(self.proc.pid)
        for line in read_lines(self.record):
            f = line.split()
            if len(f) >= 3 and f[0] == word and f[2] == pid:
                return True
        return False

    def detach(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        if rc != 0:
            raise Failure("soak client exited with %d on detach; see %s.stderr" % (rc, self.record))

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.killed_at = time.monotonic()


def read_lines(path):
    try:
        with open(path) as f:
            return [l for l in f.read().split("\n") if l]
    except FileNotFoundError:
        return []


class Record:
    """What the soak clients wrote, as deliveries."""

    def __init__(self, paths):
        self.deliveries = []  # dicts: pid, t, seq, name, task, fields
        self.submitted = {}  # key -> task
        self.ends = {}  # pid -> (time, how)
        for path in paths:
            for line in read_lines(path):
                f = line.split()
                if f[0] == "ev":
                    self.deliveries.append({"t": float(f[1]), "pid": int(f[2]), "seq": int(f[3]), "name": f[4],
                                            "task": int(f[5]), "fields": f[6:]})
                elif f[0] == "submitted":
                    self.submitted[f[3]] = int(f[4])
                elif f[0] == "detach":
                    self.ends[int(f[2])] = (float(f[1]), "detach")

    def completes(self):
        return {d["task"]: d for d in self.deliveries if d["name"] == "complete"}

    def tasks_of(self, keys):
        """task id -> the events it must have had delivered: uploads (keys starting with "u") a
        didReceiveResponse, downloads a didFinishDownloadingTo; both a didComplete."""
        return {self.submitted[k]: ("response" if k.startswith("u") else "finish", "complete")
                for k in keys if k in self.submitted}


def account(record, tasks, ferryd_kills, client_kills):
    """Counts lost and duplicated events. `tasks`: task id -> the event names each must have once
    (Record.tasks_of). `client_kills`: pid -> monotonic time of its SIGKILL.

    A delivery of a seq that an earlier process already handled is *allowed* only when that
    process could not have had its acknowledgement made durable: it was SIGKILLed right after
    that event (its last line), or ferryd was SIGKILLed between that delivery and a second after
    the process ended (the ack then died with ferryd). Anything else is a duplicate, and so is a
    second delivery of one seq inside one process (libferry must skip replays)."""
    ends = dict(record.ends)
    for pid, t in client_kills.items():
        ends[pid] = (t, "killed")
    last_of_pid = {}
    for d in record.deliveries:
        last_of_pid[d["pid"]] = d
    first = {}
    duplicates, redelivered, problems = 0, 0, []
    for d in record.deliveries:
        prev = first.get(d["seq"])
        if prev is None:
            first[d["seq"]] = d
            continue
        if prev["pid"] == d["pid"]:
            duplicates += 1
            problems.append("seq %d (%s task %d) delivered twice to pid %d" % (d["seq"], d["name"], d["task"], d["pid"]))
            continue
        end_t, how = ends.get(prev["pid"], (float("inf"), "unknown"))
        killed_in_callback = how == "killed" and last_of_pid.get(prev["pid"]) is prev
        daemon_died = any(prev["t"] <= k <= end_t + 1.0 for k in ferryd_kills)
        if killed_in_callback or daemon_died:
            redelivered += 1
            first[d["seq"]] = d
        else:
            duplicates += 1
            problems.append("seq %d (%s task %d) delivered to pid %d and again to pid %d; no ferryd kill between "
                            "(%.3f .. %s end %.3f)" % (d["seq"], d["name"], d["task"], prev["pid"], d["pid"], prev["t"],
                                                      how, end_t))
    lost = 0
    seqs = sorted(first)
    if seqs:
        missing = sorted(set(range(1, seqs[-1] + 1)) - set(seqs))
        lost += len(missing)
        if missing:
            problems.append("seqs never delivered: %s" % missing[:20])
    by_task = {}
    for seq, d in first.items():
        by_task.setdefault(d["task"], []).append(d["name"])
    for task, required in tasks.items():
        names = by_task.get(task, [])
        for name in required:
            n = names.count(name)
            if n == 0:
                lost += 1
                problems.append("task %d: no %s event" % (task, name))
            elif n > 1:
                duplicates += n - 1
                problems.append("task %d: %d distinct %s events" % (task, n, name))
    return lost, duplicates, redelivered, problems


def check_files(record, expected, out_dir, uploaded_dir=None):
    """expected: key -> (size, sha). Downloads land in out_dir/<key>, uploads (keys starting with
    "u") in uploaded_dir/<key>.bin (nginx's WebDAV directory). Returns (ok transfers, corrupted,
    problems)."""
    completes = record.completes()
    ok, corrupted, problems = 0, 0, []
    for key, (size, digest) in expected.items():
        upload = key.startswith("u")
        task = record.submitted.get(key)
        if task is None:
            problems.append("%s: never submitted" % key)
            corrupted += 1
            continue
        c = completes.get(task)
        if c is None or c["fields"][0] != "ok":
            problems.append("%s (task %d): %s" % (key, task, "no didComplete" if c is None else
                                                  "completed with " + " ".join(c["fields"])))
            continue
        if upload and c["fields"][1] not in ("201", "204"):
            problems.append("%s (task %d): upload answered %s, not 201/204" % (key, task, c["fields"][1]))
            continue
        path = os.path.join(uploaded_dir, key + ".bin") if upload else os.path.join(out_dir, key)
        if not os.path.exists(path):
            corrupted += 1
            problems.append("%s (task %d): completed but %s is missing" % (key, task, path))
        elif os.path.getsize(path) != size or sha256(path) != digest:
            corrupted += 1
            problems.append("%s (task %d): %d bytes, sha256 differs (expected %d bytes)" % (
                key, task, os.path.getsize(path), size))
        else:
            ok += 1
    return ok, corrupted, problems


def write_manifest(path, items, base_url, out_dir, uploads=None, dav_path=None):
    """Downloads of `items` from base_url into out_dir; then uploads of `uploads` (a Files whose
    keys start with "u") by PUT to base_url + dav_path/<key>.bin."""
    with open(path, "w") as f:
        for key, _, _, url_path in items:
            f.write("%s %s%s %s\n" % (key, base_url, url_path, os.path.join(out_dir, key)))
        for key, _, _, _ in (uploads.items if uploads else []):
            f.write("%s upload:%s %s%s/%s.bin\n" % (key, uploads.path(key), base_url, dav_path, key))


def all_complete(record_paths, n):
    r = Record(record_paths)
    return len(r.submitted) == n and len(set(r.submitted.values()) & set(r.completes())) == n


def outbox_empty(ferryd, sessions):
    status = ferryd.ctl("status")
    pending = {s["id"]: s["pending_events"] for s in status.get("sessions", []) if s["id"] in sessions}
    return all(v == 0 for v in pending.values()), pending


# ------------------------------------------------------------------------------------------ phases

class Result:
    def __init__(self, name):
        self.name = name
        self.transfers = 0
        self.ok = 0
        self.faults = 0
        self.kills = 0
        self.client_restarts = 0
        self.corrupted = 0
        self.lost = 0
        self.duplicated = 0
        self.redelivered = 0
        self.problems = []
        self.notes = []
        self.skipped = False

    def passed(self):
        return self.skipped or (not self.problems and self.ok == self.transfers and not self.corrupted
                                and not self.lost and not self.duplicated)


def phase_faults(cfg, work, nginx, rng, deadline):
    res = Result("faults")
    d = os.path.join(work, "faults")
    out = os.path.join(d, "out")
    os.makedirs(out)
    files = Files(nginx.www, "faults", rng, cfg.downloads, 1 * KIB, cfg.max_size, "f")
    uploads = Files(d, "upload-sources", rng, cfg.uploads, 1 * KIB, cfg.max_upload_size, "u")
    dav = os.path.join(nginx.www, "dav", "faults")
    res.transfers = len(files.items) + len(uploads.items)
    log("faults: %d downloads (%.0f MiB) and %d uploads (%.0f MiB) through the fault proxy (seed %d)" % (
        len(files.items), files.total() / MIB, len(uploads.items), uploads.total() / MIB, cfg.seed))
    proxy = FaultProxy(d, nginx.port, cfg.seed, cfg.fault_rate, cfg.long_stall)
    ferryd = Ferryd(BIN, d, args=["--checkpoint-ms", "200"])
    ferryd.start()
    sessions = ["soak.faults.%d" % i for i in range(cfg.sessions)]
    records = [os.path.join(d, "record.%s" % s) for s in sessions]
    clients = []
    try:
        for i, s in enumerate(sessions):
            part = files.items[i::len(sessions)]
            up_part = uploads.share(i, len(sessions))
            manifest = os.path.join(d, "manifest.%s" % s)
            write_manifest(manifest, part, "http://127.0.0.1:%d" % proxy.port, out, up_part, "/dav/faults")
            clients.append(Client(ferryd, s, records[i], manifest, cfg.stall_timeout))
        wait_until(lambda: all_complete(records, res.transfers), max(1, deadline - time.monotonic()),
                   "all %d transfers through the fault proxy to complete" % res.transfers, interval=0.2)
        for c in clients:
            c.detach()
        clients = []
        empty, pending = outbox_empty(ferryd, sessions)
        if not empty:
            res.problems.append("events still pending in ferryd after every client took its events: %s" % pending)
    except Failure as e:
        res.problems.append(str(e))
    finally:
        for c in clients:
            c.kill9()
        stats = proxy.stop()
        ferryd.terminate()
    res.faults = stats["total_faults"]
    res.notes.append("faults by kind: %s (of them on upload bodies: %s) over %d requests, %d connections" % (
        ", ".join("%s %d" % kv for kv in sorted(stats["faults"].items())),
        ", ".join("%s %d" % kv for kv in sorted(stats["upload_faults"].items())),
        stats["requests"], stats["connections"]))
    record = Record(records)
    expected = {k: (size, sha) for k, size, sha, _ in files.items + uploads.items}
    res.ok, res.corrupted, problems = check_files(record, expected, out, dav)
    res.problems += problems
    res.lost, res.duplicated, res.redelivered, problems = account(record, record.tasks_of(expected), [], {})
    res.problems += problems
    return res


def phase_kills(cfg, work, nginx, rng, deadline):
    res = Result("kill -9 loop")
    d = os.path.join(work, "kills")
    out = os.path.join(d, "out")
    os.makedirs(out)
    files = Files(nginx.www, "kills", rng, cfg.kill_downloads, 16 * KIB, cfg.kill_max_size, "k")
    uploads = Files(d, "upload-sources", rng, cfg.kill_uploads, 16 * KIB, cfg.kill_max_size, "u")
    dav = os.path.join(nginx.www, "dav", "kills")
    res.transfers = len(files.items) + len(uploads.items)
    # Every kill must land while transfers run: each task is throttled (by ferryd, per task) so
    # that the whole set needs about 1.5 times the kills' planned time at full concurrency.
    concurrency = 6
    planned = cfg.kills * (0.05 + cfg.kill_interval * 2) / 2
    rate = max(16 * KIB, int((files.total() + uploads.total()) / (concurrency * planned * 1.5)))
    log("kills: %d downloads (%.0f MiB) and %d uploads (%.0f MiB) at %d KiB/s each, %d at a time; "
        "%d SIGKILLs of ferryd, about %.0f s" % (len(files.items), files.total() / MIB, len(uploads.items),
                                                uploads.total() / MIB, rate // KIB, concurrency, cfg.kills, planned))
    ferryd = Ferryd(BIN, d, args=["--checkpoint-ms", "100"])
    ferryd.start()
    session = "soak.kills"
    record_path = os.path.join(d, "record")
    manifest = os.path.join(d, "manifest")
    write_manifest(manifest, files.items, "http://127.0.0.1:%d" % nginx.port, out, uploads, "/dav/kills")
    # The same session settings at every attach (a reattach sends its configuration again).
    client_args = ["--max-concurrent", str(concurrency), "--max-per-host", str(concurrency),
                   "--max-bytes-per-second", str(rate)]
    client_kills = {}
    client = None
    during = 0
    try:
        client = Client(ferryd, session, record_path, manifest, cfg.stall_timeout, client_args)
        # Every task exists and was resumed before the first kill: a kill during create_download
        # would leave the application without the id of a task ferryd may have made.
        wait_until(lambda: len(Record([record_path]).submitted) == res.transfers, 30, "the kill phase's submissions")
        for i in range(cfg.kills):
            time.sleep(rng.uniform(0.05, cfg.kill_interval * 2))  # a random moment (not synchronisation)
            if time.monotonic() > deadline:
                raise Failure("the run's time ran out after %d kills" % i)
            if not all_complete([record_path], res.transfers):
                during += 1
            ferryd.kill9()
            res.kills += 1
            action = rng.random()
            if client and action < 0.15:  # the application is killed too
                client.kill9()
                client_kills[client.proc.pid] = client.killed_at
                client = None
            elif client and action < 0.35:  # the application detaches (exits cleanly)
                client.detach()
                client = None
            ferryd.start()
            if client is None and rng.random() < 0.7:
                client = Client(ferryd, session, record_path, None, cfg.stall_timeout, client_args)
                res.client_restarts += 1
        if client is None:
            client = Client(ferryd, session, record_path, None, cfg.stall_timeout, client_args)
            res.client_restarts += 1
        log("kills: %d done (%d while transfers were running); waiting for the rest" % (res.kills, during))
        wait_until(lambda: all_complete([record_path], res.transfers), max(1, deadline - time.monotonic()),
                   "all %d transfers to complete after the kills" % res.transfers, interval=0.2)
        client.detach()
        client = None
        empty, pending = outbox_empty(ferryd, [session])
        if not empty:
            res.problems.append("events still pending in ferryd after the client took its events: %s" % pending)
        leftovers = [f for _, _, fs in os.walk(os.path.join(ferryd.state)) for f in fs if f.endswith(".part")]
        if leftovers:
            res.notes.append("partial files left in the state directory: %d" % len(leftovers))
    except Failure as e:
        res.problems.append(str(e))
    finally:
        if client:
            client.kill9()
            client_kills[client.proc.pid] = client.killed_at
        ferryd.terminate()
    res.notes.append("kills while transfers ran: %d of %d; application processes killed: %d" % (
        during, res.kills, len(client_kills)))
    if during < res.kills:
        res.notes.append("the transfers finished before the last %d kills" % (res.kills - during))
    record = Record([record_path])
    expected = {k: (size, sha) for k, size, sha, _ in files.items + uploads.items}
    res.ok, res.corrupted, problems = check_files(record, expected, out, dav)
    res.problems += problems
    res.lost, res.duplicated, res.redelivered, problems = account(record, record.tasks_of(expected), ferryd.kills,
                                                                  client_kills)
    res.problems += problems
    resumes = sum(1 for x in record.deliveries if x["name"] == "resume")
    res.notes.append("didResumeAtOffset events: %d; redelivered after an unconfirmed ack (allowed): %d" % (
        resumes, res.redelivered))
    return res


def integrity(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def phase_disk_full(cfg, work, nginx, rng, deadline):
    res = Result("disk full")
    d = os.path.join(work, "diskfull")
    out = os.path.join(d, "out")
    mnt = os.path.join(d, "state")
    os.makedirs(out)
    os.makedirs(mnt)
    size_mib = 24
    how = None
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % size_mib, "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode == 0:
        how = "tmpfs %d MiB" % size_mib
    else:
        img = os.path.join(d, "state.img")
        with open(img, "wb") as f:
            f.truncate(size_mib * MIB)
        if subprocess.run(["mkfs.ext4", "-q", img], capture_output=True).returncode == 0 and \
                subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True).returncode == 0:
            how = "loop ext4 %d MiB" % size_mib
    if how is None:
        res.skipped = True
        res.notes.append("skipped: cannot mount a small file system here (%s); run as root" % r.stderr.strip())
        return res
    files = Files(nginx.www, "diskfull", rng, 0, 1, 1, "d")
    big = ("dbig", 16 * MIB)
    smalls = [("dsmall%d" % i, 200 * KIB + i) for i in range(3)]
    for key, size in [big] + smalls:
        data = os.urandom(size)
        with open(os.path.join(nginx.www, "diskfull", key + ".bin"), "wb") as f:
            f.write(data)
        files.items.append((key, size, hashlib.sha256(data).hexdigest(), "/diskfull/%s.bin" % key))
    res.transfers = len(files.items)
    ferryd = Ferryd(BIN, d, state_dir=os.path.join(mnt, "ferry"), args=["--checkpoint-ms", "100"])
    session = "soak.diskfull"
    record_path = os.path.join(d, "record")
    client = None
    try:
        ferryd.start()
        # Leave 6 MiB free: the 16 MiB download cannot fit; the small ones could.
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - 6 * MIB))
        log("disk full: state on %s, %.1f MiB free; a 16 MiB download and three of 200 KiB" % (
            how, os.statvfs(mnt).f_bavail * st.f_frsize / MIB))
        manifest = os.path.join(d, "manifest")
        write_manifest(manifest, files.items[:1], "http://127.0.0.1:%d" % nginx.port, out)
        client = Client(ferryd, session, record_path, manifest, cfg.stall_timeout)
        big_task = wait_until(lambda: Record([record_path]).submitted.get("dbig"), 20, "the big download's task id")
        try:
            c = wait_until(lambda: Record([record_path]).completes().get(big_task), 20, "the big download to end")
            outcome = c["fields"]
            res.notes.append("big download on a full disk: didComplete %s, resume data %s" % (
                outcome[0], "yes" if outcome[2] == "1" else "no"))
            if outcome[0] != "no-space":
                res.problems.append("the download that cannot fit ended with %s, not no-space" % " ".join(outcome))
            err = [l for l in open(record_path + ".stderr").read().splitlines() if "task %d:" % big_task in l]
            if err:
                res.notes.append("its error: %s" % err[-1])
            if not err or "space" not in err[-1]:
                res.problems.append("the no-space error does not say so: %s" % (err[-1] if err else "no message"))
        except Failure:
            listed = ferryd.ctl("list", "--session", session)
            listed = [t for t in (listed if isinstance(listed, list) else listed.get("tasks", [])) if t.get("id") == big_task]
            log_lines = [l.strip() for l in open(ferryd.log) if "task %d:" % big_task in l and "error" in l]
            res.problems.append("no didComplete for the download that filled the disk within 20 s; ferryctl list says "
                                "%s; ferryd.log: %s" % (
                                    json.dumps({k: listed[0].get(k) for k in ("state", "error")}) if listed else "nothing",
                                    log_lines[-1][:300] if log_lines else "nothing"))
        check = integrity(os.path.join(ferryd.state, "ferry.db"))
        if check != "ok":
            res.problems.append("PRAGMA integrity_check while full: %s" % check)
        # Still full: kill ferryd and start it again; it must come up and the store must be sound.
        client.detach()
        client = None
        ferryd.kill9()
        res.kills += 1
        try:
            ferryd.start()
            res.notes.append("ferryd restarted cleanly on the full disk")
        except Failure as e:
            res.problems.append("ferryd did not restart on the full disk: %s" % e)
            os.remove(filler)
            ferryd.start()
        check = integrity(os.path.join(ferryd.state, "ferry.db"))
        if check != "ok":
            res.problems.append("PRAGMA integrity_check after the restart: %s" % check)
        # Space comes back: the big one resumes from its resume data, the others run.
        if os.path.exists(filler):
            os.remove(filler)
        blob = "%s.resume.%d" % (record_path, big_task)
        with open(manifest, "w") as f:
            # With resume data the big one is submitted again from it; without (its end was never
            # recorded), ferryd still has the task and must finish it now.
            if os.path.exists(blob):
                f.write("dbig resume:%s %s\n" % (blob, os.path.join(out, "dbig")))
            for key, _, _, p in files.items[1:]:
                f.write("%s http://127.0.0.1:%d%s %s\n" % (key, nginx.port, p, os.path.join(out, key)))
        client = Client(ferryd, session, record_path, manifest, cfg.stall_timeout)
        wait_until(lambda: all(t in Record([record_path]).completes() for t in
                               [Record([record_path]).submitted.get(k) for k, _, _, _ in files.items]),
                   max(1, min(120, deadline - time.monotonic())), "the downloads after space was freed")
        client.detach()
        client = None
        orphans = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(ferryd.state, "resume")) for f in fs]
        if orphans and not os.path.exists(blob):
            res.problems.append("files left in resume/ with no resume data handed out: %s (%d bytes)" % (
                ", ".join(os.path.basename(o) for o in orphans), sum(os.path.getsize(o) for o in orphans)))
        resumed = [x for x in Record([record_path]).deliveries if x["name"] == "resume"]
        if resumed:
            res.notes.append("after space came back, didResumeAtOffset %s" % resumed[-1]["fields"][0])
    except Failure as e:
        res.problems.append(str(e))
    finally:
        if client:
            client.kill9()
        ferryd.terminate()
        if res.problems or cfg.keep:  # the evidence goes with the file system otherwise
            shutil.copytree(ferryd.state, os.path.join(d, "state-copy"), dirs_exist_ok=True)
        subprocess.run(["umount", "-l", mnt], capture_output=True)
    record = Record([record_path])
    expected = {k: (size, sha) for k, size, sha, _ in files.items}
    res.ok, res.corrupted, problems = check_files(record, expected, out)
    res.problems += problems
    # The first big task failed (no-space) by design: it has a complete and no finish event.
    tasks = record.tasks_of(expected)
    res.lost, res.duplicated, res.redelivered, problems = account(record, tasks, ferryd.kills, {})
    res.problems += problems
    return res




def main():
    global BIN
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    p.add_argument("--seed", type=int, default=int(os.environ["SOAK_SEED"]) if os.environ.get("SOAK_SEED")
                   else random.SystemRandom().randrange(1, 1 << 31))
    p.add_argument("--short", action="store_true",
                   help="CI size: 40 downloads and 10 uploads through faults, 20 kills during 15 transfers, "
                        "smaller files; at most 120 s")
    p.add_argument("--downloads", type=int, default=200)
    p.add_argument("--uploads", type=int, default=50)
    p.add_argument("--max-upload-size", type=int, default=16 * MIB)
    p.add_argument("--sessions", type=int, default=2)
    p.add_argument("--max-size", type=int, default=64 * MIB)
    p.add_argument("--kill-downloads", type=int, default=40)
    p.add_argument("--kill-uploads", type=int, default=10)
    p.add_argument("--kill-max-size", type=int, default=8 * MIB)
    p.add_argument("--kills", type=int, default=100)
    p.add_argument("--kill-interval", type=float, default=0.5, help="mean seconds between kills")
    p.add_argument("--fault-rate", type=float, default=0.35)
    p.add_argument("--stall-timeout", type=int, default=2, help="each request's stall timeout (s)")
    p.add_argument("--long-stall", type=float, default=4.0)
    p.add_argument("--phases", default="faults,kills,diskfull")
    p.add_argument("--keep", action="store_true")
    cfg = p.parse_args()
    if cfg.short:
        cfg.downloads, cfg.max_size, cfg.kill_downloads, cfg.kills = 40, 8 * MIB, 12, 20
        cfg.uploads, cfg.max_upload_size, cfg.kill_uploads = 10, 4 * MIB, 3
        cfg.kill_max_size, cfg.kill_interval = 2 * MIB, 0.4
        cfg.seconds = min(cfg.seconds, 120)
    BIN = os.path.abspath(os.path.join(cfg.build, "bin"))
    for prog in ("ferryd", "ferryctl", "ferry-soak-client"):
        if not os.path.exists(os.path.join(BIN, prog)):
            print("soak: %s/%s is missing; build first (make soak does)" % (BIN, prog), file=sys.stderr)
            return 2
    deadline = START + cfg.seconds
    work = tempfile.mkdtemp(prefix="ferry-soak-")
    bin_copy = os.path.join(work, "bin")
    os.makedirs(bin_copy)
    for prog in ("ferryd", "ferryctl", "ferry-soak-client"):
        shutil.copy2(os.path.join(BIN, prog), bin_copy)
    BIN = bin_copy
    log("seed %d, at most %.0f s, work dir %s" % (cfg.seed, cfg.seconds, work))
    rng = random.Random(cfg.seed)
    www = os.path.join(work, "www")
    os.makedirs(www)
    nginx = Nginx(work, www)
    nginx.www = www
    results = []
    phases = [x for x in cfg.phases.split(",") if x]
    # Time shares of what is left: faults get half, kills most of the rest, the disk phase a little.
    try:
        for i, name in enumerate(phases):
            left = deadline - time.monotonic()
            share = {"faults": 0.5, "kills": 0.85, "diskfull": 1.0}[name] if i < len(phases) - 1 else 1.0
            phase_deadline = time.monotonic() + left * share
            fn = {"faults": phase_faults, "kills": phase_kills, "diskfull": phase_disk_full}[name]
            r = fn(cfg, work, nginx, random.Random(rng.random()), phase_deadline)
            results.append(r)
            log("%s: %s" % (r.name, "passed" if r.passed() else "FAILED"))
    finally:
        nginx.stop()

    print()
    print("## Soak: seed %d, %.0f s" % (cfg.seed, time.monotonic() - START))
    print()
    print("| phase | transfers | completed + sha256 ok | faults injected | ferryd kills | client restarts "
          "| corrupted files | lost events | duplicated events | result |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    tot = Result("total")
    for r in results:
        print("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %s |" % (
            r.name, r.transfers, r.ok, r.faults, r.kills, r.client_restarts, r.corrupted, r.lost, r.duplicated,
            "skipped" if r.skipped else ("pass" if r.passed() else "FAIL")))
        for a in ("transfers", "ok", "faults", "kills", "client_restarts", "corrupted", "lost", "duplicated"):
            setattr(tot, a, getattr(tot, a) + getattr(r, a))
    ok = all(r.passed() for r in results)
    print("| **total** | %d | %d | %d | %d | %d | %d | %d | %d | %s |" % (
        tot.transfers, tot.ok, tot.faults, tot.kills, tot.client_restarts, tot.corrupted, tot.lost, tot.duplicated,
        "**pass**" if ok else "**FAIL**"))
    print()
    for r in results:
        for n in r.notes:
            print("- %s: %s" % (r.name, n))
    for r in results:
        for pr in r.problems[:30]:
            print("- %s: PROBLEM: %s" % (r.name, pr))
        if len(r.problems) > 30:
            print("- %s: ... and %d more problems" % (r.name, len(r.problems) - 30))
    if ok and not cfg.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("\nwork directory kept: %s (ferryd.log, records, fault_proxy.log per phase)" % work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
