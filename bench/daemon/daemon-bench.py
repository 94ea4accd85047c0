#!/usr/bin/env python3
"""ferryd at scale, side by side with its peers where it has them (issue 7's benchmarks):

  many     N downloads of S bytes through one session (ferryd with its durable store on) vs
           `aria2c -i` and `curl --parallel` at the same concurrency: tasks/s, daemon CPU per task and
           ratios, for every shape of --shapes (issue 15: 10,000 x 16 KiB and 100,000 x 4 KiB); with
           --baseline, the ferryd of another build ("before") runs in the same script, alternating
  tls      the first shape over HTTPS from nginx with `http2`: ferryd and curl with HTTP/1.1 and with
           HTTP/2 (multiplexed), aria2c (HTTP/1.1 only)
  inprocess  N data tasks of S bytes through one default session (libferry in the bench client's
           own process, no ferryd) vs `curl --parallel` at the same concurrency (issue 14)
  memory   ferryd's resident memory with Q queued tasks, and with A active transfers
  startup  ferryd's start-up time with Q tasks in its store (after `memory` queued them)
  latency  from a transfer's end (nginx's $msec when it logged the response) to didComplete in an
           attached client (CLOCK_REALTIME as the callback starts), L downloads one after another;
           idle, and while --latency-busy transfers (1,000) of another session run

  bench/daemon/daemon-bench.py [--build DIR] [--baseline DIR] [--only many,tls,inprocess,memory,startup,latency]
        [--shapes 10000x16384,100000x4096] [--rounds 1] [--batch 1000] [--concurrency 16]
        [--queued 100000] [--active 1000] [--latency-count 500] [--latency-busy 1000]
        [--commit-ticks 2,20,1] [--quick]

--quick is a smoke test of the script itself (small numbers; its figures mean little). Everything
runs on 127.0.0.1 in a temporary directory, removed at the end (kept with --keep). Prints Markdown.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Failure(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(condition, timeout, what, interval=0.02):
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


def raise_fd_limit():
    """1,000 active transfers need more than the usual 1,024 descriptors (ferryd and nginx)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))


def proc_status(pid, field):
    """A kB field of /proc/PID/status (VmRSS, VmHWM), in MiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise Failure("no %s for pid %d" % (field, pid))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def established_to(port):
    """Established TCP connections whose remote end is 127.0.0.1:port (the clients' side)."""
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            remote, state = parts[2], parts[3]
            if state == "01" and int(remote.split(":")[1], 16) == port:
                n += 1
    return n


class Nginx:
    def __init__(self, work):
        self.port = free_port()
        self.tls_port = free_port()
        self.dir = os.path.join(work, "nginx")
        self.www = os.path.join(self.dir, "www")
        self.access_log = os.path.join(self.dir, "access.log")
        os.makedirs(self.www)
        # A certificate for 127.0.0.1 that ferryd, curl and aria2c are told to trust (--ca-file).
        self.cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", self.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes 1; daemon off; master_process off; worker_rlimit_nofile 65536;
pid %(d)s/nginx.pid; error_log %(d)s/error.log;
events { worker_connections 8192; }
http {
  default_type application/octet-stream; sendfile on; keepalive_requests 100000;
  log_format timed '$msec $request_uri $status $bytes_sent';
  access_log off; client_body_temp_path %(d)s/body;
  server { listen 127.0.0.1:%(port)d backlog=4096; root %(www)s;
    location /lat/ { access_log %(log)s timed; }
    location /slow/ { limit_rate 2k; } }
  server { listen 127.0.0.1:%(tls_port)d ssl http2 backlog=4096; root %(www)s;
    ssl_certificate %(cert)s; ssl_certificate_key %(key)s; http2_max_requests 100000;
    http2_max_concurrent_streams 256; }
}
""" % {"d": self.dir, "port": self.port, "tls_port": self.tls_port, "www": self.www, "log": self.access_log,
       "cert": self.cert, "key": key})
        self.proc = subprocess.Popen(["/usr/sbin/nginx", "-p", self.dir, "-c", conf], preexec_fn=raise_fd_limit,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: tcp_accepts(self.port) and tcp_accepts(self.tls_port), 10, "nginx to listen")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def tls_url(self, path):
        return "https://127.0.0.1:%d%s" % (self.tls_port, path)

    def put(self, path, data):
        full = os.path.join(self.www, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class BlackHole:
    """A port that accepts connections (into its backlog) and never answers: downloads to it stay
    queued or connecting, never finishing, for as long as a benchmark reads ferryd's memory."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


class Ferryd:
    def __init__(self, work, name, args=(), bin_dir=None):
        self.args = list(args)
        self.bin = bin_dir or BIN
        self.root = os.path.join(work, name)
        os.makedirs(self.root, exist_ok=True)
        self.socket = os.path.join(self.root, "ferryd.sock")
        self.state = os.path.join(self.root, "state")
        self.log = os.path.join(self.root, "ferryd.log")
        self.proc = None

    def start(self, timeout=600):
        """Starts ferryd; returns seconds until it answered `ferryctl status` (its start-up time)."""
        start = time.monotonic()
        self.proc = subprocess.Popen([os.path.join(self.bin, "ferryd"), "--socket", self.socket, "--state-dir", self.state,
                                      "--log-level", "warn"] + self.args, preexec_fn=raise_fd_limit,
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        wait_until(lambda: self.proc.poll() is not None or self.status_answers(), timeout, "ferryd to answer")
        if self.proc.poll() is not None:
            raise Failure("ferryd exited with %d; see %s" % (self.proc.returncode, self.log))
        return time.monotonic() - start

    def status_answers(self):
        if not os.path.exists(self.socket):
            return False
        r = subprocess.run([os.path.join(self.bin, "ferryctl"), "status", "--socket", self.socket],
                           capture_output=True, timeout=60)
        return r.returncode == 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss(self):
        return proc_status(self.proc.pid, "VmRSS")

    def batches(self):
        """Whether this build's bench client creates tasks in batches (Session::downloadTasks)."""
        with open(os.path.join(self.bin, "ferry-bench-client"), "rb") as f:
            return b"--batch N" in f.read()

    def client(self, session, manifest, concurrency, mode=(), times=None, timeout=3600, batch=0):
        argv = [os.path.join(self.bin, "ferry-bench-client"), "--socket", self.socket, "--session", session,
                "--manifest", manifest, "--concurrency", str(concurrency)] + list(mode)
        if times:
            argv += ["--times", times]
        if batch and self.batches():
            argv += ["--batch", str(batch)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise Failure("ferry-bench-client failed (%d): %s %s; see %s" % (r.returncode, r.stdout, r.stderr[-2000:],
                                                                              self.log))
        return json.loads(r.stdout.strip().splitlines()[-1])


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))


def count_files(directory, size):
    n = 0
    for name in os.listdir(directory):
        if os.path.getsize(os.path.join(directory, name)) == size:
            n += 1
    return n


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv, cwd=None, cpu=None):
    """Seconds argv ran; with cpu (a list), also appends the CPU seconds it used."""
    cpu0 = children_cpu()
    start = time.monotonic()
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Failure("%s failed (%d): %s" % (argv[0], r.returncode, r.stderr[-2000:]))
    seconds = time.monotonic() - start
    if cpu is not None:
        cpu.append(children_cpu() - cpu0)
    return seconds


# ----------------------------------------------------------------------------------- benchmarks

def parse_shapes(text):
    shapes = []
    for part in text.split(","):
        n, size = part.lower().split("x")
        shapes.append((int(n), int(size)))
    return shapes


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run_ferryd_many(cfg, work, name, urls, size, bin_dir=None, mode=(), ferryd_args=()):
    """One many-downloads run of a ferryd build: (seconds, files right, daemon CPU seconds)."""
    n = len(urls)
    out = fresh_dir(os.path.join(work, "many-out"))
    args = list(ferryd_args)
    if cfg.many_commit_tick_ms:
        args += ["--commit-tick-ms", str(cfg.many_commit_tick_ms)]
    ferryd = Ferryd(work, name, args, bin_dir=bin_dir)
    shutil.rmtree(ferryd.root, ignore_errors=True)
    ferryd = Ferryd(work, name, args, bin_dir=bin_dir)
    ferryd.start()
    manifest = os.path.join(work, "many.manifest")
    write_lines(manifest, ["%s %s" % (u, os.path.join(out, str(i))) for i, u in enumerate(urls)])
    cpu0 = cpu_seconds(ferryd.proc.pid)
    start = time.monotonic()
    try:
        r = ferryd.client("bench.many", manifest, cfg.concurrency, ["--wait"] + list(mode), batch=cfg.batch)
        seconds = time.monotonic() - start
        cpu = cpu_seconds(ferryd.proc.pid) - cpu0
    finally:
        ferryd.stop()
    if r["ok"] != n:
        raise Failure("%s: %d of %d downloads ok; first error: %s" % (name, r["ok"], n, r["first_error"]))
    right = count_files(out, size)
    shutil.rmtree(ferryd.root, ignore_errors=True)
    return seconds, right, cpu


def run_aria2c_many(cfg, work, urls, size, extra=()):
    out = fresh_dir(os.path.join(work, "many-out"))
    listing = os.path.join(work, "aria2c.list")
    write_lines(listing, ["%s\n  out=%d" % (u, i) for i, u in enumerate(urls)])
    cpu = []
    seconds = timed(["aria2c", "-q", "-i", listing, "-d", out, "-j", str(cfg.concurrency), "--file-allocation=none",
                     "--allow-overwrite=true", "--auto-file-renaming=false", "--console-log-level=error"] + list(extra),
                    cpu=cpu)
    return seconds, count_files(out, size), cpu[0]


def run_curl_many(cfg, work, urls, size, extra=()):
    out = fresh_dir(os.path.join(work, "many-out"))
    config = os.path.join(work, "curl.config")
    write_lines(config, ['url = "%s"\noutput = "%s"' % (u, os.path.join(out, str(i))) for i, u in enumerate(urls)])
    cpu = []
    seconds = timed(["curl", "-s", "--fail", "--parallel", "--parallel-max", str(min(cfg.concurrency, 300)), "-K", config]
                    + list(extra), cpu=cpu)
    return seconds, count_files(out, size), cpu[0]


def measure(runs, tool, n, run):
    """Runs one round of a tool, keeps it, and says how it went at once (on stderr)."""
    result = run()
    runs.setdefault(tool, []).append(result)
    print("daemon-bench: %s: %d in %.2f s (%.0f/s)%s" % (
        tool, n, result[0], n / result[0], ", CPU %.2f s" % result[2] if result[2] is not None else ""),
        file=sys.stderr, flush=True)


def median_run(runs):
    """The run with the median time of several rounds (each a (seconds, right, cpu) tuple)."""
    ordered = sorted(runs, key=lambda r: r[0])
    return ordered[len(ordered) // 2]


def print_many_table(title, n, results, reference):
    print("\n## %s\n" % title)
    print("| tool | seconds | tasks/s | files right | %s ÷ tool (tasks/s) | CPU s (ferryd's; the peer's own) | CPU ms per task |"
          % reference)
    print("|---|---|---|---|---|---|---|")
    for tool, (seconds, right, cpu) in results.items():
        print("| %s | %.2f | %.0f | %d/%d | %.2f | %s | %s |" % (
            tool, seconds, n / seconds, right, n, seconds / results[reference][0],
            "%.2f" % cpu if cpu is not None else "-", "%.3f" % (cpu * 1000 / n) if cpu is not None else "-"))


def bench_many(cfg, work, nginx):
    summary = {}
    for n, size in parse_shapes(cfg.shapes):
        nginx.put("/small-%d.bin" % size, os.urandom(size))
        urls = [nginx.url("/small-%d.bin?n=%d" % (size, i)) for i in range(n)]
        runs = {}
        with_aria2c = n <= cfg.aria2c_max_tasks
        for _ in range(cfg.rounds):
            # Alternating, so that the machine's drift hits both builds alike.
            measure(runs, "ferryd", n, lambda: run_ferryd_many(cfg, work, "many", urls, size))
            if cfg.baseline:
                measure(runs, "ferryd (before)", n,
                        lambda: run_ferryd_many(cfg, work, "many-before", urls, size, bin_dir=BASELINE_BIN))
            if with_aria2c:
                measure(runs, "aria2c", n, lambda: run_aria2c_many(cfg, work, urls, size))
            measure(runs, "curl", n, lambda: run_curl_many(cfg, work, urls, size))
        results = {tool: median_run(r) for tool, r in runs.items()}
        print_many_table("%d downloads of %d bytes, concurrency %d (one ferryd session, durable store on; median of %d)"
                         % (n, size, cfg.concurrency, cfg.rounds), n, results, "ferryd")
        for tool, (_, right, _) in results.items():
            if right != n:
                raise Failure("%s: %d of %d files have %d bytes" % (tool, right, n, size))
        if not with_aria2c:
            print("\naria2c not run: more than --aria2c-max-tasks (%d) downloads; it manages ~1,000/s at best here."
                  % cfg.aria2c_max_tasks)
        key = "%dx%d" % (n, size)
        summary.setdefault("many", {})[key] = {
            "tasks_per_s": n / results["ferryd"][0],
            "vs_aria2c": results["aria2c"][0] / results["ferryd"][0] if with_aria2c else None,
            "vs_curl": results["curl"][0] / results["ferryd"][0],
            "cpu_ms_per_task": results["ferryd"][2] * 1000 / n,
            "vs_before": results["ferryd (before)"][0] / results["ferryd"][0] if cfg.baseline else None}
    return summary


def bench_tls(cfg, work, nginx):
    """The first shape over HTTPS (nginx: TLS with http2): HTTP/1.1 and HTTP/2 reported apart."""
    n, size = parse_shapes(cfg.shapes)[0]
    nginx.put("/small-%d.bin" % size, os.urandom(size))
    urls = [nginx.tls_url("/small-%d.bin?t=%d" % (size, i)) for i in range(n)]
    ca = ["--ca-file", nginx.cert]
    runs = {}
    for _ in range(cfg.rounds):
        runs.setdefault("ferryd HTTP/2", []).append(run_ferryd_many(cfg, work, "tls", urls, size, mode=ca))
        runs.setdefault("ferryd HTTP/1.1", []).append(run_ferryd_many(cfg, work, "tls", urls, size, mode=ca + ["--http1"]))
        runs.setdefault("curl HTTP/2", []).append(run_curl_many(cfg, work, urls, size, ["--cacert", nginx.cert, "--http2"]))
        runs.setdefault("curl HTTP/1.1", []).append(run_curl_many(cfg, work, urls, size, ["--cacert", nginx.cert, "--http1.1"]))
        runs.setdefault("aria2c HTTP/1.1", []).append(
            run_aria2c_many(cfg, work, urls, size, ["--ca-certificate=" + nginx.cert]))
    results = {tool: median_run(r) for tool, r in runs.items()}
    print_many_table("%d downloads of %d bytes over HTTPS, concurrency %d (nginx http2 over TLS; median of %d)"
                     % (n, size, cfg.concurrency, cfg.rounds), n, results, "ferryd HTTP/2")
    print("\nferryd HTTP/2 ÷ curl HTTP/2: %.2f; ferryd HTTP/1.1 ÷ curl HTTP/1.1: %.2f; ferryd HTTP/1.1 ÷ aria2c: %.2f" % (
        results["curl HTTP/2"][0] / results["ferryd HTTP/2"][0],
        results["curl HTTP/1.1"][0] / results["ferryd HTTP/1.1"][0],
        results["aria2c HTTP/1.1"][0] / results["ferryd HTTP/1.1"][0]))
    for tool, (_, right, _) in results.items():
        if right != n:
            raise Failure("%s: %d of %d files have %d bytes" % (tool, right, n, size))
    return {"tls_h2_vs_curl": results["curl HTTP/2"][0] / results["ferryd HTTP/2"][0],
            "tls_h1_vs_curl": results["curl HTTP/1.1"][0] / results["ferryd HTTP/1.1"][0]}


def bench_in_process(cfg, work, nginx):
    """Issue 14: data tasks through one default session (in the bench client's own process) vs
    curl --parallel at the same concurrency."""
    n, size, c = cfg.tasks, cfg.size, cfg.concurrency
    nginx.put("/small.bin", os.urandom(size))
    urls = [nginx.url("/small.bin?d=%d" % i) for i in range(n)]
    manifest = os.path.join(work, "inprocess.manifest")
    write_lines(manifest, ["%s -" % u for u in urls])
    argv = [os.path.join(BIN, "ferry-bench-client"), "--in-process", "--data", "--manifest", manifest,
            "--concurrency", str(c)]
    start = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    ferry_seconds = time.monotonic() - start
    if r.returncode != 0:
        raise Failure("ferry-bench-client --in-process failed (%d): %s %s" % (r.returncode, r.stdout, r.stderr[-2000:]))
    result = json.loads(r.stdout.strip().splitlines()[-1])
    if result["ok"] != n:
        raise Failure("in-process: %d of %d data tasks ok; first error: %s" % (result["ok"], n, result["first_error"]))
    # A data task's body stays in memory; curl has no such output, so it gets the two cheapest it
    # has: files on a memory file system (checked), and /dev/null (the least work; the ratio is
    # taken against it).
    out = tempfile.mkdtemp(prefix="ferry-bench-curl-", dir=os.environ.get("XDG_RUNTIME_DIR") or "/dev/shm")
    config = os.path.join(work, "curl-inprocess.config")
    write_lines(config, ['url = "%s"\noutput = "%s"' % (u, os.path.join(out, str(i))) for i, u in enumerate(urls)])
    curl_files_seconds = timed(["curl", "-s", "--fail", "--parallel", "--parallel-max", str(c), "-K", config])
    right = count_files(out, size)
    shutil.rmtree(out, ignore_errors=True)
    if right != n:
        raise Failure("curl: not every file has %d bytes" % size)
    write_lines(config, ['url = "%s"\noutput = "/dev/null"' % u for u in urls])
    curl_seconds = timed(["curl", "-s", "--fail", "--parallel", "--parallel-max", str(c), "-K", config])
    print("\n## %d data tasks of %d bytes, concurrency %d: one default session (in process) vs curl --parallel\n" % (n, size, c))
    print("| tool | seconds (process start to end) | tasks/s | default session ÷ tool |")
    print("|---|---|---|---|")
    for tool, seconds in (("default session (bodies in memory)", ferry_seconds),
                          ("curl --parallel (bodies to tmpfs files)", curl_files_seconds),
                          ("curl --parallel (bodies to /dev/null)", curl_seconds)):
        print("| %s | %.2f | %.0f | %.2f |" % (tool, seconds, n / seconds, seconds / ferry_seconds))
    return {"in_process_vs_curl": curl_seconds / ferry_seconds}


def bench_memory_and_startup(cfg, work, nginx, only):
    rows = []
    hole = BlackHole()
    ferryd = Ferryd(work, "queued")
    try:
        ferryd.start()
        idle = ferryd.rss()
        rows.append(("idle, empty store", "%.1f" % idle, ""))
        manifest = os.path.join(work, "queued.manifest")
        write_lines(manifest, ["http://127.0.0.1:%d/q?n=%d -" % (hole.port, i) for i in range(cfg.queued)])
        r = ferryd.client("bench.queued", manifest, 4, batch=cfg.batch)
        time.sleep(2)  # the last commits and the engine's queue settle
        queued_rss = ferryd.rss()
        how = ("batches of %d" % cfg.batch) if cfg.batch and ferryd.batches() else "32 submitting threads"
        rows.append(("%d queued tasks (4 connecting to a port that never answers)" % cfg.queued, "%.1f" % queued_rss,
                     "created in %.1f s (%.0f tasks/s, %s)" % (r["submit_seconds"], cfg.queued / r["submit_seconds"], how)))
        startup = None
        if "startup" in only:
            stop_start = time.monotonic()
            ferryd.stop()
            stop_seconds = time.monotonic() - stop_start
            startup = ferryd.start()
            time.sleep(1)
            rows.append(("after a restart with %d tasks in the store" % cfg.queued, "%.1f" % ferryd.rss(),
                         "start-up %.2f s (SIGTERM to exit took %.2f s)" % (startup, stop_seconds)))
    finally:
        ferryd.stop()
        hole.close()

    active_rss = None
    if cfg.active:
        nginx.put("/slow/big.bin", os.urandom(4 * 1024 * 1024))
        ferryd = Ferryd(work, "active", ["--max-transfers", str(max(64, cfg.active))])
        try:
            ferryd.start()
            manifest = os.path.join(work, "active.manifest")
            write_lines(manifest, ["%s -" % nginx.url("/slow/big.bin?n=%d" % i) for i in range(cfg.active)])
            ferryd.client("bench.active", manifest, cfg.active)
            wait_until(lambda: established_to(nginx.port) >= cfg.active, 120,
                       "%d transfers to be connected" % cfg.active, interval=0.2)
            time.sleep(2)
            active_rss = ferryd.rss()
            rows.append(("%d active transfers (nginx limit_rate 2k each)" % cfg.active, "%.1f" % active_rss,
                         "%d connections established" % established_to(nginx.port)))
        finally:
            ferryd.stop()

    print("\n## ferryd resident memory and start-up\n")
    print("| ferryd with | RSS MiB | notes |")
    print("|---|---|---|")
    for row in rows:
        print("| %s | %s | %s |" % row)
    return {"queued_rss_mib": queued_rss, "active_rss_mib": active_rss, "startup_s": startup}


def bench_latency(cfg, work, nginx):
    rows = []
    builds = [("", BIN)] + ([(" (before)", BASELINE_BIN)] if cfg.baseline else [])
    for label, bin_dir in builds:
        for tick in cfg.commit_ticks.split(","):
            rows.append(("%s%s" % (tick, label),) + latency_once(cfg, work, nginx, int(tick), bin_dir))
        if cfg.latency_busy:
            rows.append(("%s, %d transfers of another session running%s" % (cfg.commit_ticks.split(",")[0], cfg.latency_busy,
                                                                           label),)
                        + latency_once(cfg, work, nginx, int(cfg.commit_ticks.split(",")[0]), bin_dir, busy=cfg.latency_busy))
    print("\n## Latency from a transfer's end to didComplete (%d downloads of 16 KiB, one at a time)\n" %
          cfg.latency_count)
    print("nginx's `$msec` (when it logged the response; millisecond resolution) to CLOCK_REALTIME at the start")
    print("of the client's didComplete callback: ferryd's fdatasync, rename and directory fsync, the store commit,")
    print("the outbox, the IPC hop and libferry's delivery. `--commit-tick-ms` is the store writer's batching")
    print("tick (default 2): a change that comes within a tick of the last commit waits for the next tick. The busy")
    print("rows first start transfers of another session (nginx `limit_rate 2k`, so they run throughout).\n")
    print("| ferryd --commit-tick-ms | p50 ms | p99 ms | max ms | min ms |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| %s | %.2f | %.2f | %.2f | %.2f |" % row)
    out = {"latency_p50_ms": rows[0][1], "latency_p99_ms": rows[0][2]}
    if cfg.latency_busy:
        busy = len(cfg.commit_ticks.split(","))
        out["latency_busy_p99_ms"] = rows[busy][2]
    return out


LATENCY_RUNS = [0]


def latency_once(cfg, work, nginx, tick, bin_dir, busy=0):
    n = cfg.latency_count
    LATENCY_RUNS[0] += 1
    tag = LATENCY_RUNS[0]
    # The phases before (100,000 tasks in a store) leave the disk writing back for a while, and
    # every fsync here would wait behind it: start from a quiet disk.
    os.sync()
    time.sleep(1)
    nginx.put("/lat/file.bin", os.urandom(16 * 1024))
    args = ["--commit-tick-ms", str(tick)]
    if busy:
        args += ["--max-transfers", str(busy + 64)]
    ferryd = Ferryd(work, "latency-%d" % tag, args, bin_dir=bin_dir)
    ferryd.start()
    manifest = os.path.join(work, "latency.manifest")
    write_lines(manifest, ["%s -" % nginx.url("/lat/file.bin?t=%d&n=%d" % (tag, i)) for i in range(n)])
    times = os.path.join(work, "latency-%d.times" % tag)
    try:
        if busy:
            nginx.put("/slow/big.bin", os.urandom(4 * 1024 * 1024))
            busy_manifest = os.path.join(work, "busy.manifest")
            write_lines(busy_manifest, ["%s -" % nginx.url("/slow/big.bin?b=%d&n=%d" % (tag, i)) for i in range(busy)])
            ferryd.client("bench.busy", busy_manifest, busy)
            wait_until(lambda: established_to(nginx.port) >= busy, 120, "%d transfers to be connected" % busy,
                       interval=0.2)
            time.sleep(1)
        ferryd.client("bench.latency", manifest, 1, ["--serial"], times=times)
    finally:
        ferryd.stop()
    ends = {}

    def logged():
        ends.clear()
        with open(nginx.access_log) as f:
            for line in f:
                msec, uri = line.split()[:2]
                if "t=%d&" % tag in uri:
                    ends[int(uri.rsplit("=", 1)[1])] = float(msec)
        return len(ends) >= n

    wait_until(logged, 30, "nginx to log every latency request")
    completed = {}
    with open(times) as f:
        for line in f:
            i, at = line.split()
            completed[int(i)] = float(at)
    lat = sorted((completed[i] - ends[i]) * 1000 for i in range(n))
    p99 = lat[min(n - 1, int(round(0.99 * n)) - 1)]
    return statistics.median(lat), p99, lat[-1], lat[0]


def main():
    global BIN, BASELINE_BIN
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--baseline", help="another build (the commit before): its ferryd runs beside this one's")
    p.add_argument("--only", default="many,tls,inprocess,memory,startup,latency")
    p.add_argument("--shapes", default="10000x16384,100000x4096", help="many: TASKSxBYTES, comma-separated")
    p.add_argument("--rounds", type=int, default=1, help="many, tls: rounds per tool (alternating); the median counts")
    p.add_argument("--aria2c-max-tasks", type=int, default=20000,
                   help="many: shapes with more downloads run without aria2c (it alone would take many minutes)")
    p.add_argument("--batch", type=int, default=1000,
                   help="create tasks in batches of this many (Session::downloadTasks) where the bench client can")
    p.add_argument("--tasks", type=int, default=10000, help="inprocess: data tasks")
    p.add_argument("--size", type=int, default=16 * 1024, help="inprocess: bytes each")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--queued", type=int, default=100000)
    p.add_argument("--active", type=int, default=1000)
    p.add_argument("--latency-count", type=int, default=500)
    p.add_argument("--latency-busy", type=int, default=1000,
                   help="latency again while this many transfers of another session run (0: not)")
    p.add_argument("--commit-ticks", default="2,20,1", help="ferryd --commit-tick-ms values for the latency runs")
    p.add_argument("--many-commit-tick-ms", type=int, default=0,
                   help="ferryd --commit-tick-ms for the many-downloads run (0: ferryd's default)")
    p.add_argument("--quick", action="store_true", help="a smoke test: 300 downloads, 2,000 queued, 100 active")
    p.add_argument("--keep", action="store_true")
    cfg = p.parse_args()
    if cfg.quick:
        cfg.tasks, cfg.queued, cfg.active, cfg.latency_count, cfg.latency_busy = 300, 2000, 100, 50, 100
        cfg.shapes = "300x16384,1000x4096"
    only = set(x for x in cfg.only.split(",") if x)
    BIN = os.path.abspath(os.path.join(cfg.build, "bin"))
    BASELINE_BIN = os.path.abspath(os.path.join(cfg.baseline, "bin")) if cfg.baseline else None
    for prog in ("ferryd", "ferryctl", "ferry-bench-client"):
        if not os.path.exists(os.path.join(BIN, prog)):
            print("daemon-bench: %s/%s is missing; build first" % (BIN, prog), file=sys.stderr)
            return 2
    raise_fd_limit()
    work = tempfile.mkdtemp(prefix="ferry-daemon-bench-")
    print("# ferryd benchmarks (%s)\n" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print("Machine: %d cores (%s), %.1f GiB, Linux %s; load average at start %.2f" % (
        os.cpu_count(), cpu_model(), mem_gib(), os.uname().release, os.getloadavg()[0]))
    nginx = Nginx(work)
    summary = {}
    ok = True
    try:
        if "many" in only:
            summary.update(bench_many(cfg, work, nginx))
        if "tls" in only:
            summary.update(bench_tls(cfg, work, nginx))
        if "inprocess" in only:
            summary.update(bench_in_process(cfg, work, nginx))
        if "memory" in only or "startup" in only:
            summary.update(bench_memory_and_startup(cfg, work, nginx, only))
        if "latency" in only:
            summary.update(bench_latency(cfg, work, nginx))
    except Failure as e:
        print("\nFAILED: %s (work directory kept: %s)" % (e, work))
        ok = False
    finally:
        nginx.stop()
    print_targets(summary)
    if ok and not cfg.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def print_targets(s):
    checks = []
    if "in_process_vs_curl" in s:
        checks.append(("data tasks in a default session vs curl --parallel (issue 14)", "≥ 0.8×",
                       "%.2f×" % s["in_process_vs_curl"], s["in_process_vs_curl"] >= 0.8))
    many = s.get("many", {})
    for shape, m in many.items():
        checks.append(("%s small downloads vs curl --parallel (issue 15)" % shape, "≥ 0.5×", "%.2f×" % m["vs_curl"],
                       m["vs_curl"] >= 0.5))
        if m["vs_aria2c"] is not None:
            checks.append(("%s small downloads vs aria2c (issue 15)" % shape, "≥ 5×", "%.2f×" % m["vs_aria2c"],
                           m["vs_aria2c"] >= 5))
        checks.append(("%s daemon CPU per download (issue 15)" % shape, "≤ 0.1 ms", "%.3f ms" % m["cpu_ms_per_task"],
                       m["cpu_ms_per_task"] <= 0.1))
    if len(many) >= 2:
        rates = [m["tasks_per_s"] for m in many.values()]
        drop = 1 - rates[-1] / rates[0]
        checks.append(("tasks/s from the first shape to the last (issue 15)", "falls ≤ 20%", "%+.0f%%" % (-drop * 100),
                       drop <= 0.2))
    if s.get("queued_rss_mib") is not None:
        checks.append(("RSS with the queued tasks (issue 15: 1,000,000)", "≤ 500 MiB", "%.0f MiB" % s["queued_rss_mib"],
                       s["queued_rss_mib"] <= 500))
    if s.get("startup_s") is not None:
        checks.append(("start-up with the queued tasks in the store (issue 15)", "≤ 5 s", "%.2f s" % s["startup_s"],
                       s["startup_s"] <= 5))
    if "latency_p99_ms" in s:
        checks.append(("end → didComplete p99, idle (issue 15)", "≤ 2.5 ms", "%.2f ms" % s["latency_p99_ms"],
                       s["latency_p99_ms"] <= 2.5))
    if "latency_busy_p99_ms" in s:
        checks.append(("end → didComplete p99, transfers running (issue 15)", "≤ 10 ms", "%.2f ms" % s["latency_busy_p99_ms"],
                       s["latency_busy_p99_ms"] <= 10))
    if not checks:
        return
    print("\n## Against the targets\n")
    print("| measure | target | measured | met |")
    print("|---|---|---|---|")
    for name, target, measured, met in checks:
        print("| %s | %s | %s | %s |" % (name, target, measured, "yes" if met else "no"))


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def mem_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1048576.0
    return 0.0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
