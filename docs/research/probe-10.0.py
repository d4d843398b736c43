#!/usr/bin/env python3
"""Probe a real QEMU (qemu-system-x86_64) over QMP: which migration QMP commands
are accepted / rejected in which migration status, on source and destination.
stdlib only.  A parameterised copy of probe-7.2.py (which stays as it was):
the binary is an option, and the setups that QEMU 10.0 reaches differently
(or only 10.0 reaches) are chosen by the version the binary reports.

  python3 probe-10.0.py [--qemu BIN] [--out DIR] [scenario-substring ...]

  --qemu BIN   the binary (default: $PROBE_QEMU, else the 10.0 wrapper
               .cache/qemu-10.0/bin/qemu-system-x86_64 of this checkout)
  --out DIR    output directory (default: $PROBE_OUT, else /tmp/probe-<version>-out);
               its files are appended to, so give a fresh directory

Output (in DIR):
  observed.jsonl  one line per probe command (same fields as qemu-7.2-observed.jsonl)
  events.jsonl    one line per (scenario, side) with the QMP events seen
  notes.jsonl     free-form observations (brief-state attempts, exits, timings)
The published copies are docs/research/qemu-10.0-observed{,-events,-notes}.jsonl.
"""
import json, os, socket, subprocess, sys, tempfile, time, atexit, signal, argparse, re

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_QEMU = os.path.join(HERE, "..", "..", ".cache", "qemu-10.0", "bin", "qemu-system-x86_64")
_ap = argparse.ArgumentParser(description="probe QEMU migration QMP commands in every reachable status")
_ap.add_argument("--qemu", default=os.environ.get("PROBE_QEMU", os.path.normpath(DEFAULT_QEMU)))
_ap.add_argument("--out", default=os.environ.get("PROBE_OUT"))
_ap.add_argument("only", nargs="*", help="run only the setups / extras whose name contains one of these")
if __name__ == "__main__":
    _args = _ap.parse_args()
else:  # imported (e.g. for experiments): defaults only
    _args = _ap.parse_args([])
QEMU = _args.qemu
ONLY = _args.only


def _binary_version(path):
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise SystemExit(f"cannot read the version of {path}: {out!r}")
    return tuple(int(x) for x in m.groups()), out.splitlines()[0]


VERSION, VERSION_LINE = _binary_version(QEMU)
V10 = VERSION >= (9, 1, 0)   # the behaviours below changed in 9.1..10.0; only 7.2 and 10.0 were run
OUT = _args.out or f"/tmp/probe-{VERSION[0]}.{VERSION[1]}-out"
os.makedirs(OUT, exist_ok=True)
TMP = tempfile.mkdtemp(prefix="qprobe-")
os.chmod(TMP, 0o700)
T0 = time.time()
READ_TIMEOUT = 8.0

STARTED = []  # Popen objects we started


def cleanup_all():
    for p in STARTED:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except Exception:
                pass


atexit.register(cleanup_all)


def _term(signum, frame):
    cleanup_all()
    sys.exit(1)


signal.signal(signal.SIGTERM, _term)
signal.signal(signal.SIGINT, _term)


def jwrite(name, obj):
    with open(os.path.join(OUT, name), "a") as f:
        f.write(json.dumps(obj, sort_keys=False) + "\n")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Dead(Exception):
    pass


class VM:
    n = 0

    def __init__(self, name, incoming=None, oob=False, mem="64", ram_file=None):
        VM.n += 1
        self.name = name
        self.sock_path = os.path.join(TMP, f"{name}{VM.n}.sock")
        self.log_path = os.path.join(TMP, f"{name}{VM.n}.log")
        args = [QEMU, "-M", "pc", "-m", mem, "-nodefaults", "-display", "none",
                "-accel", "tcg", "-qmp", f"unix:{self.sock_path},server=on,wait=off"]
        if ram_file:
            # guest RAM read from a file (private mapping): same RAM block id
            # (pc.ram) as the plain -m of the peer, so the two can migrate
            i = args.index("-M")
            args[i:i + 4] = ["-object", f"memory-backend-file,id=pc.ram,size={mem}M,mem-path={ram_file},share=off",
                             "-M", "pc,memory-backend=pc.ram"]
        if incoming:
            args += ["-incoming", incoming]
        self.args = args
        self.logf = open(self.log_path, "wb")
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.logf,
                                  stderr=subprocess.STDOUT)
        STARTED.append(self.p)
        self.t_start = time.time()
        self.events = []
        self.buf = b""
        self.nextid = 0
        self.dead = None
        deadline = time.time() + 10
        self.s = None
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError(f"qemu exited early rc={self.p.returncode}: {self.log()}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(READ_TIMEOUT)
                s.connect(self.sock_path)
                self.s = s
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.05)
        if self.s is None:
            raise RuntimeError("could not connect to QMP")
        while True:
            greet = self._read_obj(READ_TIMEOUT)
            if "QMP" in greet:
                break
            if "event" in greet:
                greet["_t"] = round(time.time() - self.t_start, 3)
                self.events.append(greet)
        r = self.cmd("qmp_capabilities", {"enable": ["oob"]} if oob else None)
        assert "return" in r, r

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except Exception:
            return ""

    def _read_obj(self, timeout):
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            rem = deadline - time.time()
            if rem <= 0:
                raise TimeoutError()
            self.s.settimeout(rem)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                raise TimeoutError()
            except (ConnectionResetError, BrokenPipeError, OSError) as e:
                raise Dead(str(e))
            if not d:
                raise Dead("EOF")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.strip()
        if not line:
            return self._read_obj(max(0.01, deadline - time.time()))
        return json.loads(line)

    def send(self, execute, arguments=None, oob=False):
        if self.dead:
            raise Dead(self.dead)
        self.nextid += 1
        msg = {"exec-oob" if oob else "execute": execute, "id": self.nextid}
        if arguments is not None:
            msg["arguments"] = arguments
        try:
            self.s.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as e:
            self.dead = "send failed: " + str(e)
            raise Dead(self.dead)
        return self.nextid

    def send_many(self, cmds):
        """pipeline several commands in one write; returns ids"""
        ids, data = [], b""
        for execute, arguments in cmds:
            self.nextid += 1
            msg = {"execute": execute, "id": self.nextid}
            if arguments is not None:
                msg["arguments"] = arguments
            ids.append(self.nextid)
            data += json.dumps(msg).encode() + b"\n"
        self.s.sendall(data)
        return ids

    def wait_reply(self, rid, timeout=READ_TIMEOUT):
        deadline = time.time() + timeout
        while True:
            rem = deadline - time.time()
            if rem <= 0:
                raise TimeoutError()
            try:
                o = self._read_obj(rem)
            except Dead as e:
                self.dead = str(e)
                raise
            if "event" in o:
                o["_t"] = round(time.time() - self.t_start, 3)
                self.events.append(o)
                continue
            if o.get("id") == rid:
                return o
            # reply to an older pipelined id; stash
            self.stash = getattr(self, "stash", {})
            self.stash[o.get("id")] = o

    def get_reply(self, rid, timeout=READ_TIMEOUT):
        st = getattr(self, "stash", {})
        if rid in st:
            return st.pop(rid)
        return self.wait_reply(rid, timeout)

    def cmd(self, execute, arguments=None, timeout=READ_TIMEOUT):
        rid = self.send(execute, arguments)
        return self.get_reply(rid, timeout)

    def safe_cmd(self, execute, arguments=None, timeout=READ_TIMEOUT):
        """never raises; returns reply or {"timeout":true}/{"dead":...}"""
        if self.dead:
            return {"dead": self.dead, "exitcode": self.p.poll()}
        try:
            return self.cmd(execute, arguments, timeout)
        except TimeoutError:
            self.dead = "timeout"
            return {"timeout": True}
        except Dead as e:
            time.sleep(0.3)
            return {"dead": str(e), "exitcode": self.p.poll()}

    def pump_events(self, t=0.2):
        """read whatever events arrive within t seconds"""
        try:
            while True:
                o = self._read_obj(t)
                if "event" in o:
                    o["_t"] = round(time.time() - self.t_start, 3)
                    self.events.append(o)
        except (TimeoutError, Dead, OSError, ValueError):
            pass

    def status(self):
        r = self.safe_cmd("query-migrate")
        if "return" in r:
            return r["return"].get("status")
        return {"err": r}

    def runstate(self):
        r = self.safe_cmd("query-status")
        if "return" in r:
            return r["return"].get("status")
        return {"err": r}

    def caps(self):
        r = self.safe_cmd("query-migrate-capabilities")
        if "return" in r:
            return sorted(c["capability"] for c in r["return"] if c["state"])
        return {"err": r}

    def snapshot(self):
        return {"status": self.status(), "runstate": self.runstate(), "caps": self.caps()}

    def wait_status(self, wanted, timeout=20, interval=0.02):
        if isinstance(wanted, str):
            wanted = [wanted]
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            st = self.status()
            if st in wanted:
                return st
            if isinstance(st, dict):
                return st
            time.sleep(interval)
        return st

    def migration_events(self):
        return [(e["_t"], e["data"].get("status")) for e in self.events if e["event"] == "MIGRATION"]

    def kill(self):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.p.wait(timeout=10)
        except Exception:
            pass
        try:
            self.s.close()
        except Exception:
            pass
        self.logf.close()


# ---------------------------------------------------------------- helpers

class SetupFailed(Exception):
    pass


def setcaps(vm, caps):
    r = vm.cmd("migrate-set-capabilities",
               {"capabilities": [{"capability": c, "state": True} for c in caps]})
    if "return" not in r:
        raise SetupFailed(f"set caps {caps} on {vm.name}: {r}")


def setparams(vm, **kw):
    r = vm.cmd("migrate-set-parameters", {k.replace("_", "-"): v for k, v in kw.items()})
    if "return" not in r:
        raise SetupFailed(f"set params {kw} on {vm.name}: {r}")


def expect(vm, wanted, timeout=20):
    st = vm.wait_status(wanted, timeout)
    if st not in ([wanted] if isinstance(wanted, str) else wanted):
        raise SetupFailed(f"{vm.name}: wanted {wanted}, got {st}; src-log: {vm.log()[-300:]}")
    return st


class Ctx:
    def __init__(self):
        self.vms = []
        self.extra = []  # sockets to close
        self.target = None
        self.side = None

    def vm(self, name, incoming=None, oob=False, mem="64", ram_file=None):
        v = VM(name, incoming, oob, mem, ram_file)
        self.vms.append(v)
        return v

    def close(self):
        for v in self.vms:
            v.pump_events(0.05) if not v.dead else None
            v.kill()
        for s in self.extra:
            try:
                s.close()
            except Exception:
                pass


def hung_listener(ctx):
    """A listening socket on 127.0.0.1 whose accept queue is full, so a further
    connect() hangs in SYN_SENT (SYNs dropped). Returns port."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    port = ls.getsockname()[1]
    ctx.extra.append(ls)
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        ctx.extra.append(c)
    time.sleep(0.2)
    return port


def silent_listener(ctx):
    """accepts connections (kernel backlog) but never reads/answers"""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    ctx.extra.append(ls)
    return ls.getsockname()[1]


# ------------------------------------------------------------- setups
# each returns a Ctx with .target (VM to probe) and .side

def pair_slow(ctx, src_caps=("events",), dst_caps=("events",), dst_incoming=True):
    port = free_port()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
    src = ctx.vm("src", ram_file=random_ram() if V10 else None)  # see random_ram()
    if dst_caps:
        setcaps(dst, list(dst_caps))
    if src_caps:
        setcaps(src, list(src_caps))
    setparams(src, max_bandwidth=10)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(f"migrate: {r}")
    expect(src, "active")
    expect(dst, "active")
    return src, dst, port


def s_src_none(ctx):
    ctx.target = ctx.vm("src"); ctx.side = "source"


def s_src_setup(ctx):
    src = ctx.vm("src"); setcaps(src, ["events"])
    port = hung_listener(ctx)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    time.sleep(0.3)
    expect(src, "setup", 2)
    ctx.target = src; ctx.side = "source"


def s_src_cancelling(ctx):
    s_src_setup(ctx)
    r = ctx.target.cmd("migrate_cancel")
    if "return" not in r:
        raise SetupFailed(str(r))
    time.sleep(0.2)
    expect(ctx.target, "cancelling", 2)


def s_src_active(ctx):
    src, dst, _ = pair_slow(ctx)
    ctx.target = src; ctx.side = "source"


def s_dst_active(ctx):
    src, dst, _ = pair_slow(ctx)
    ctx.target = dst; ctx.side = "destination"


def s_src_pre_switchover(ctx):
    port = free_port()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
    src = ctx.vm("src")
    setcaps(dst, ["events", "pause-before-switchover"])
    setcaps(src, ["events", "pause-before-switchover"])
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    expect(src, "pre-switchover", 30)
    ctx.target = src; ctx.side = "source"
    ctx.peer = dst


def s_dst_during_pre_switchover(ctx):
    s_src_pre_switchover(ctx)
    ctx.target = ctx.peer; ctx.side = "destination"
    expect(ctx.target, "active", 2)


_RANDOM_RAM = None


def random_ram():
    """64 MiB of random bytes, the guest RAM of the slow sources on 10.0 (the
    precopy and postcopy pairs).  max-bandwidth=10 / max-postcopy-bandwidth=10
    do not hold a 10.0 migration of the default all-zero 64 MiB guest: observed
    ~8.5 Mbit/s (~1 MB/s) instead of 10 B/s, so precopy completes ~0.9 s after
    active and postcopy ~0.5-1.6 s after migrate-start-postcopy (7.2 held both
    for the whole probe).  Random pages at that rate take ~50 s, and the
    status holds while the probe works."""
    global _RANDOM_RAM
    if _RANDOM_RAM is None:
        _RANDOM_RAM = os.path.join(TMP, "random-ram.bin")
        with open(_RANDOM_RAM, "wb") as f:
            for _ in range(64):
                f.write(os.urandom(1 << 20))
    return _RANDOM_RAM


def pair_postcopy(ctx, pc_bw=10, dst_oob=False):
    port = free_port()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}", oob=dst_oob)
    src = ctx.vm("src", ram_file=random_ram() if V10 else None)
    setcaps(dst, ["events", "postcopy-ram"])
    setcaps(src, ["events", "postcopy-ram"])
    setparams(src, max_bandwidth=10, max_postcopy_bandwidth=pc_bw)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    expect(src, "active")
    r = src.cmd("migrate-start-postcopy")
    if "return" not in r:
        raise SetupFailed(f"start-postcopy {r}")
    expect(src, "postcopy-active")
    expect(dst, "postcopy-active")
    return src, dst


def s_src_postcopy_active(ctx):
    src, dst = pair_postcopy(ctx)
    ctx.target = src; ctx.side = "source"


def s_dst_postcopy_active(ctx):
    src, dst = pair_postcopy(ctx)
    ctx.target = dst; ctx.side = "destination"


def pair_postcopy_paused(ctx, stop_dst=False, dst_oob=False):
    """NB: with a *running* TCG destination guest, the destination's in-band
    monitor hangs once paused (vCPU blocked in userfaultfd while holding the
    BQL), so only query dst when it was stopped first."""
    src, dst = pair_postcopy(ctx, dst_oob=dst_oob)
    if stop_dst:
        r = dst.cmd("stop")
        if "return" not in r:
            raise SetupFailed(f"dst stop {r}")
        time.sleep(0.3)
    r = src.cmd("migrate-pause")
    if "return" not in r:
        raise SetupFailed(f"migrate-pause {r}")
    expect(src, "postcopy-paused")
    if stop_dst:
        expect(dst, "postcopy-paused")
    return src, dst


def s_src_postcopy_paused(ctx):
    src, dst = pair_postcopy_paused(ctx)
    ctx.target = src; ctx.side = "source"


def s_dst_postcopy_paused(ctx):
    src, dst = pair_postcopy_paused(ctx, stop_dst=True)
    ctx.target = dst; ctx.side = "destination"


def s_src_postcopy_recover(ctx):
    """source paused, then migrate resume=true to a listener that accepts but
    never answers -> source sits in postcopy-recover"""
    src, dst = pair_postcopy_paused(ctx)
    port = silent_listener(ctx)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}", "resume": True})
    if "return" not in r:
        raise SetupFailed(f"resume {r}")
    time.sleep(0.3)
    expect(src, "postcopy-recover", 3)
    ctx.target = src; ctx.side = "source"


def s_dst_postcopy_recover(ctx):
    """destination paused, migrate-recover, then a fake client connects and
    stays silent -> destination sits in postcopy-recover"""
    src, dst = pair_postcopy_paused(ctx, stop_dst=True)
    port = free_port()
    r = dst.cmd("migrate-recover", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(f"recover {r}")
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    ctx.extra.append(c)
    time.sleep(0.3)
    expect(dst, "postcopy-recover", 3)
    ctx.target = dst; ctx.side = "destination"


def s_src_cancelled(ctx):
    src, dst, _ = pair_slow(ctx)
    r = src.cmd("migrate_cancel")
    expect(src, "cancelled", 10)
    ctx.target = src; ctx.side = "source"


def pair_completed(ctx):
    port = free_port()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
    src = ctx.vm("src")
    setcaps(dst, ["events"]); setcaps(src, ["events"])
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    expect(src, "completed", 60)
    expect(dst, "completed", 10)
    dst.pump_events(0.3)
    return src, dst


def s_src_completed(ctx):
    src, dst = pair_completed(ctx)
    ctx.target = src; ctx.side = "source"


def s_dst_completed(ctx):
    src, dst = pair_completed(ctx)
    ctx.target = dst; ctx.side = "destination"


def s_src_failed(ctx):
    src = ctx.vm("src"); setcaps(src, ["events"])
    port = free_port()  # nobody listens
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    expect(src, "failed", 10)
    ctx.target = src; ctx.side = "source"


def pair_colo(ctx):
    port = free_port()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
    src = ctx.vm("src")
    setcaps(dst, ["events", "x-colo"]); setcaps(src, ["events", "x-colo"])
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    st = expect(src, ["colo", "completed", "failed", "cancelled"], 20)
    if st != "colo":  # 10.0.2: the source completes instead (see s_dst_colo_v10)
        raise SetupFailed(f"src: wanted colo, got {st}; dst: {dst.snapshot() if dst.p.poll() is None else dst.p.poll()}")
    expect(dst, "colo", 10)
    return src, dst


def s_src_colo(ctx):
    src, dst = pair_colo(ctx)
    ctx.target = src; ctx.side = "source"


def s_dst_colo(ctx):
    src, dst = pair_colo(ctx)
    ctx.target = dst; ctx.side = "destination"


def s_dst_defer(ctx):
    ctx.target = ctx.vm("dst", "defer"); ctx.side = "destination"


def s_dst_defer_listening(ctx):
    dst = ctx.vm("dst", "defer")
    setcaps(dst, ["events"])
    port = free_port()
    r = dst.cmd("migrate-incoming", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    ctx.target = dst; ctx.side = "destination"


def s_dst_tcp_listening(ctx):
    port = free_port()
    ctx.target = ctx.vm("dst", f"tcp:127.0.0.1:{port}"); ctx.side = "destination"


def s_dst_failed_postcopy_precopy_phase(ctx):
    pass


SETUPS = {
    # name: (fn, side)
    "src-none": s_src_none,
    "src-setup(connect-hang)": s_src_setup,
    "src-cancelling(cancel-during-connect-hang)": s_src_cancelling,
    "src-active(slow)": s_src_active,
    "src-pre-switchover": s_src_pre_switchover,
    "src-postcopy-active": s_src_postcopy_active,
    "src-postcopy-paused": s_src_postcopy_paused,
    "src-postcopy-recover(silent-peer)": s_src_postcopy_recover,
    "src-cancelled": s_src_cancelled,
    "src-completed": s_src_completed,
    "src-failed(refused)": s_src_failed,
    "src-colo(minimal,no-replication-setup)": s_src_colo,
    "dst-defer(before-migrate-incoming)": s_dst_defer,
    "dst-defer+migrate-incoming(listening)": s_dst_defer_listening,
    "dst-incoming-tcp(listening)": s_dst_tcp_listening,
    "dst-active(slow)": s_dst_active,
    "dst-active(src-in-pre-switchover)": s_dst_during_pre_switchover,
    "dst-postcopy-active": s_dst_postcopy_active,
    "dst-postcopy-paused(dst-stopped-before-pause)": s_dst_postcopy_paused,
    "dst-postcopy-recover(dst-stopped,silent-peer)": s_dst_postcopy_recover,
    "dst-completed": s_dst_completed,
    "dst-colo(minimal,no-replication-setup)": s_dst_colo,
}

# ---------------------------------------------------- setups that 10.0 needs
# (only used when the binary is 9.1 or newer, V10; the 7.2 setups above stay as
# they were and are all tried too, so a route that no longer works is recorded
# as a setup failure in notes.jsonl)

def multifd_connect_hang_listener(ctx):
    """A listener with listen(0) that nobody accepts from: the main migration
    channel's connect completes (it sits in the accept queue, never read), the
    queue is then full, so the multifd channels' connect() hangs in SYN_SENT
    (~2 min of SYN retries).  The migration thread waits for them in
    multifd_send_setup(), still in setup, with the main channel connected."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    ctx.extra.append(ls)
    return ls.getsockname()[1]


def s_src_setup_multifd(ctx):
    src = ctx.vm("src"); setcaps(src, ["events", "multifd"])
    port = multifd_connect_hang_listener(ctx)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    time.sleep(0.5)
    expect(src, "setup", 2)
    ctx.target = src; ctx.side = "source"


def s_src_cancelling_multifd(ctx):
    """10.0 cancels a setup whose main channel is not connected yet at once
    (migration_cancel: setup && !to_dst_file -> cancelled), so the 7.2 route
    (cancel during a hung connect) gives cancelled.  Here the main channel is
    connected and the thread waits for the multifd channels: cancelling holds
    until their connect fails."""
    s_src_setup_multifd(ctx)
    r = ctx.target.cmd("migrate_cancel")
    if "return" not in r:
        raise SetupFailed(str(r))
    time.sleep(0.2)
    expect(ctx.target, "cancelling", 2)


def s_src_device_return_path(ctx):
    """10.0 always passes through device at switchover.  With return-path on and
    a peer that accepts and never talks, the unthrottled 64 MiB guest fits in
    the socket buffers; the source then waits for the return path to close and
    sits in device (runstate finish-migrate)."""
    src = ctx.vm("src"); setcaps(src, ["events", "return-path"])
    port = silent_listener(ctx)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    expect(src, "device", 10)
    time.sleep(0.3)
    expect(src, "device", 1)
    ctx.target = src; ctx.side = "source"


def s_src_postcopy_recover_setup(ctx):
    """10.0 (9.1+) has postcopy-recover-setup: `migrate resume` moves a paused
    source there until the new channel connects.  To a refused port it falls
    back to postcopy-paused within ~0.1 s; to a hung connect it stays."""
    src, dst = pair_postcopy_paused(ctx)
    port = hung_listener(ctx)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}", "resume": True})
    if "return" not in r:
        raise SetupFailed(f"resume {r}")
    time.sleep(0.3)
    expect(src, "postcopy-recover-setup", 2)
    ctx.target = src; ctx.side = "source"


def s_dst_defer_port_in_use(ctx):
    """10.0: migrate-incoming to a port that is already bound fails
    (`Failed to find an available port`) but has already moved the incoming
    state none -> setup; nothing listens."""
    dst = ctx.vm("dst", "defer")
    setcaps(dst, ["events"])
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ctx.extra.append(ls)
    r = dst.cmd("migrate-incoming", {"uri": f"tcp:127.0.0.1:{ls.getsockname()[1]}"})
    if "error" not in r:
        raise SetupFailed(f"migrate-incoming to a port in use was accepted: {r}")
    ctx.bind_error = r
    ctx.target = dst; ctx.side = "destination"


def s_dst_failed(ctx):
    """9.1+: migrate-incoming exit-on-error=false keeps a destination whose load
    failed alive, in status failed (runstate inmigrate)."""
    port = free_port()
    dst = ctx.vm("dst", "defer")
    setcaps(dst, ["events"])
    r = dst.cmd("migrate-incoming", {"uri": f"tcp:127.0.0.1:{port}", "exit-on-error": False})
    if "return" not in r:
        raise SetupFailed(f"migrate-incoming {r}")
    src = ctx.vm("src", ram_file=random_ram())
    setcaps(src, ["events"])
    setparams(src, max_bandwidth=10)
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(f"migrate: {r}")
    expect(src, "active")
    expect(dst, "active")
    src.cmd("migrate_cancel")
    expect(dst, "failed", 10)
    ctx.target = dst; ctx.side = "destination"


def s_dst_colo_v10(ctx):
    """10.0.2's source never enters colo (migration_completion() wants ACTIVE,
    but the status is device by then, so it completes).  The destination has
    already entered colo (secondary); its COLO thread then fails to read the
    next COLO message (COLO_EXIT reason error) and waits for a failover: the
    status stays colo."""
    port = free_port()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
    src = ctx.vm("src")
    setcaps(dst, ["events", "x-colo"]); setcaps(src, ["events", "x-colo"])
    r = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    if "return" not in r:
        raise SetupFailed(str(r))
    expect(src, ["colo", "completed"], 20)
    expect(dst, "colo", 10)
    time.sleep(0.5)
    expect(dst, "colo", 1)
    ctx.target = dst; ctx.side = "destination"


if V10:
    _s = {}
    for _k, _v in SETUPS.items():
        if _k == "src-cancelling(cancel-during-connect-hang)":
            _s[_k] = _v
            _s["src-setup(multifd-channel-connect-hang)"] = s_src_setup_multifd
            _s["src-cancelling(multifd-channel-connect-hang)"] = s_src_cancelling_multifd
        elif _k == "src-pre-switchover":
            _s[_k] = _v
            _s["src-device(return-path,silent-peer)"] = s_src_device_return_path
        elif _k == "src-postcopy-recover(silent-peer)":
            _s["src-postcopy-recover-setup(connect-hang)"] = s_src_postcopy_recover_setup
            _s[_k] = _v
        elif _k == "dst-incoming-tcp(listening)":
            _s[_k] = _v
            _s["dst-defer+migrate-incoming(port-in-use)"] = s_dst_defer_port_in_use
        elif _k == "dst-completed":
            _s[_k] = _v
            _s["dst-failed(exit-on-error=false,source-cancelled)"] = s_dst_failed
        elif _k == "dst-colo(minimal,no-replication-setup)":
            _s["dst-colo(minimal,source-completed,secondary-waiting-failover)"] = s_dst_colo_v10
        else:
            _s[_k] = _v
    SETUPS = _s

# ------------------------------------------------------------- commands
# (name, args-template, risky). Placeholders: "UNUSED" -> unused port,
# "LISTEN" -> port with a fresh listening destination not needed; we use unused ports.

def U():
    return f"tcp:127.0.0.1:{free_port()}"


COMMANDS = [
    # read-only / harmless first
    ("query-migrate", None, False),
    ("query-migrate-capabilities", None, False),
    ("query-migrate-parameters", None, False),
    ("query-status", None, False),
    ("query-colo-status", None, False),
    ("migrate-set-parameters", {"downtime-limit": 300}, False),
    ("migrate-set-parameters", {"x-checkpoint-delay": 2000}, False),
    ("migrate-set-parameters", {"multifd-channels": 4}, False),
    ("migrate-set-parameters", {"tls-creds": ""}, False),
    ("migrate-set-capabilities", {"capabilities": [{"capability": "events", "state": True}]}, False),
    # potentially state-changing
    ("migrate-set-parameters", {"max-bandwidth": 1000000}, True),
    ("migrate-set-capabilities", {"capabilities": [{"capability": "postcopy-ram", "state": True}]}, True),
    ("migrate-set-capabilities", {"capabilities": [{"capability": "x-colo", "state": True}]}, True),
    ("migrate", {"uri": "UNUSED"}, True),
    ("migrate", {"uri": "UNUSED", "resume": True}, True),
    ("migrate-incoming", {"uri": "UNUSED"}, True),
    ("migrate_cancel", None, True),
    ("migrate-continue", {"state": "pre-switchover"}, True),
    ("migrate-pause", None, True),
    ("migrate-recover", {"uri": "UNUSED"}, True),
    ("migrate-start-postcopy", None, True),
    ("cont", None, True),
    ("stop", None, True),
    ("x-colo-lost-heartbeat", None, True),
    ("yank", {"instances": [{"type": "migration"}]}, True),
]


if V10:
    # the 10.0 forms of the same commands: a migration channel list instead of
    # a URI (9.1+), and an incoming migration that stays up when its load fails
    COMMANDS += [
        ("migrate", {"channels": [{"channel-type": "main", "addr": {
            "transport": "socket", "type": "inet", "host": "127.0.0.1", "port": "UNUSED-PORT"}}]}, True),
        ("migrate-incoming", {"uri": "UNUSED", "exit-on-error": False}, True),
    ]


def resolve(args):
    if args is None:
        return None
    if isinstance(args, list):
        return [resolve(a) for a in args]
    if not isinstance(args, dict):
        return args
    out = {}
    for k, v in args.items():
        if v == "UNUSED":
            out[k] = U()
        elif v == "UNUSED-PORT":
            out[k] = str(free_port())
        elif isinstance(v, (dict, list)):
            out[k] = resolve(v)
        else:
            out[k] = v
    return out


def accepted(reply):
    return isinstance(reply, dict) and "return" in reply


def run_setup(name, fn):
    ctx = Ctx()
    t = time.time()
    try:
        fn(ctx)
    except Exception as e:
        ctx.close()
        raise SetupFailed(f"{type(e).__name__}: {e}")
    ctx.setup_time = round(time.time() - t, 2)
    return ctx


def dump_events(setup, ctx, why):
    for v in ctx.vms:
        if not v.dead:
            v.pump_events(0.05)
        jwrite("events.jsonl", {"setup": setup, "why": why, "vm": v.name,
                                "probe_side": ctx.side, "is_target": v is ctx.target,
                                "exitcode": v.p.poll(),
                                "migration_events": v.migration_events(),
                                "other_events": [(e["_t"], e["event"]) for e in v.events
                                                 if e["event"] != "MIGRATION"]})


def probe_state(setup):
    fn = SETUPS[setup]
    ctx = None
    baseline = None
    rebuilds = 0
    for (name, targs, risky) in COMMANDS:
        for attempt in range(5):
            if ctx is None:
                try:
                    ctx = run_setup(setup, fn)
                except SetupFailed as e:
                    jwrite("notes.jsonl", {"setup": setup, "setup_failed": str(e)})
                    print(f"  SETUP FAILED {setup}: {e}", flush=True)
                    return
                rebuilds += 1
                baseline = ctx.target.snapshot()
                print(f"  [{setup}] built in {ctx.setup_time}s baseline={baseline}", flush=True)
            pre = ctx.target.snapshot()
            # runstate is not compared: a COLO primary flips running<->finish-migrate at each checkpoint
            if (pre["status"], pre["caps"]) != (baseline["status"], baseline["caps"]):
                jwrite("notes.jsonl", {"setup": setup, "drift_before": name, "baseline": baseline, "now": pre})
                dump_events(setup, ctx, "drift")
                ctx.close(); ctx = None
                continue
            break
        else:
            jwrite("notes.jsonl", {"setup": setup, "gave_up_at": name})
            continue
        args = resolve(targs)
        t = time.time()
        reply = ctx.target.safe_cmd(name, args)
        dt = round(time.time() - t, 3)
        time.sleep(0.15)
        after = ctx.target.snapshot() if not ctx.target.dead else {"dead": ctx.target.dead}
        rec = {"side": ctx.side, "setup": setup, "status": pre["status"],
               "runstate": pre["runstate"], "caps": pre["caps"],
               "command": name, "arguments": args if args is not None else {},
               "reply": reply, "after": after, "latency_s": dt}
        jwrite("observed.jsonl", rec)
        short = reply.get("error", {}).get("desc") if "error" in reply else ("OK" if "return" in reply else reply)
        print(f"    {name} {args or ''} -> {short}  after={after.get('status')}/{after.get('runstate')}", flush=True)
        changed = after != baseline
        if ctx.target.dead or changed or (risky and accepted(reply)):
            dump_events(setup, ctx, f"after {name}")
            ctx.close(); ctx = None
    if ctx is not None:
        dump_events(setup, ctx, "end")
        ctx.close()
    jwrite("notes.jsonl", {"setup": setup, "pairs_built": rebuilds})


# ------------------------------------------------------------- extras
# Brief states, event sequences, COLO attempt, destination failure.

def rec_obs(side, setup, pre, name, args, reply, after=None, **extra):
    r = {"side": side, "setup": setup, "status": pre.get("status"),
         "runstate": pre.get("runstate"), "caps": pre.get("caps"),
         "command": name, "arguments": args if args is not None else {}, "reply": reply}
    if after is not None:
        r["after"] = after
    r.update(extra)
    jwrite("observed.jsonl", r)


def note(**kw):
    print("   NOTE", json.dumps(kw)[:400], flush=True)
    jwrite("notes.jsonl", kw)


def ev_summary(ctx, scen):
    out = {}
    for v in ctx.vms:
        if not v.dead and v.p.poll() is None:
            v.pump_events(0.1)
        out[v.name] = v.migration_events()
        jwrite("events.jsonl", {"setup": scen, "vm": v.name, "exitcode": v.p.poll(),
                                "migration_events": v.migration_events(),
                                "other_events": [(e["_t"], e["event"], e.get("data")) for e in v.events
                                                 if e["event"] != "MIGRATION"]})
    print("   EVENTS", scen, json.dumps(out)[:600], flush=True)
    return out


def x_device_pipelined():
    """catch 'device': pipeline migrate-continue, then query-migrate + probe cmd"""
    probe = [(n, a) for (n, a, r) in COMMANDS if n not in ("query-migrate-capabilities", "query-migrate-parameters")]
    for (name, targs) in probe:
        ctx = Ctx()
        try:
            s_src_pre_switchover(ctx)
        except Exception as e:
            note(setup="src-device", setup_failed=str(e)); ctx.close(); return
        src = ctx.target
        pre0 = src.snapshot()
        args = resolve(targs)
        ids = src.send_many([("migrate-continue", {"state": "pre-switchover"}),
                             ("query-migrate", None), ("query-status", None),
                             (name, args), ("query-migrate", None), ("query-status", None)])
        reps = []
        for i in ids:
            try:
                reps.append(src.get_reply(i))
            except Exception as e:
                reps.append({"timeout": True}); break
        def st(r):
            return r.get("return", {}).get("status") if isinstance(r, dict) and "return" in r else None
        pre = {"status": st(reps[1]) if len(reps) > 1 else None,
               "runstate": st(reps[2]) if len(reps) > 2 else None, "caps": pre0["caps"]}
        after = {"status": st(reps[4]) if len(reps) > 4 else None,
                 "runstate": st(reps[5]) if len(reps) > 5 else None}
        rec_obs("source", "src-device(pipelined right after migrate-continue)", pre, name, args,
                reps[3] if len(reps) > 3 else {"timeout": True}, after,
                note="status/runstate come from query-migrate/query-status pipelined immediately before/after in the same write; migrate-continue reply=" + json.dumps(reps[0]))
        print(f"    device? pre={pre['status']}/{pre['runstate']} {name} -> {json.dumps(reps[3])[:150] if len(reps)>3 else 'x'} after={after}", flush=True)
        if name == "query-migrate":
            ev_summary(ctx, "src pre-switchover -> migrate-continue -> completed")
        ctx.close()


def x_cancel_from_active_brief():
    ctx = Ctx()
    src, dst, port = pair_slow(ctx)
    ids = src.send_many([("migrate_cancel", None)] + [("query-migrate", None)] * 10)
    sts = []
    for i in ids:
        r = src.get_reply(i)
        sts.append(r.get("return", {}).get("status") if i != ids[0] else r)
    time.sleep(1)
    note(scenario="src active -> migrate_cancel (pipelined queries)", replies=sts,
         dst_exitcode=dst.p.poll(), dst_log=dst.log()[-300:])
    ev_summary(ctx, "src active(slow) -> migrate_cancel; dst")
    ctx.close()


def x_dst_failed():
    """source cancels / is killed mid-stream; what does the destination do?"""
    for how in ("cancel", "kill-source", "yank-source"):
        ctx = Ctx()
        src, dst, port = pair_slow(ctx)
        t = time.time()
        if how == "cancel":
            src.cmd("migrate_cancel")
        elif how == "yank-source":
            src.cmd("yank", {"instances": [{"type": "migration"}]})
        else:
            src.kill()
        seen = []
        for _ in range(100):
            r = dst.safe_cmd("query-migrate", timeout=3)
            s_ = r.get("return", {}).get("status") if "return" in r else r
            if not seen or seen[-1] != s_:
                seen.append(s_)
            if "return" not in r:
                break
            time.sleep(0.02)
        time.sleep(0.3)
        note(scenario=f"dst active(slow) then source {how}", dst_status_sequence=seen,
             dst_exitcode=dst.p.poll(), dst_log=dst.log()[-400:], elapsed=round(time.time() - t, 2))
        ev_summary(ctx, f"dst-failed attempt: source {how}")
        ctx.close()
    # with -incoming defer + migrate-incoming exit-on-error=false (9.1+): the
    # destination stays alive in failed
    for how in (("cancel", "kill-source", "yank-source") if V10 else ()):
        ctx = Ctx()
        port = free_port()
        dst = ctx.vm("dst", "defer")
        setcaps(dst, ["events"])
        dst.cmd("migrate-incoming", {"uri": f"tcp:127.0.0.1:{port}", "exit-on-error": False})
        src = ctx.vm("src", ram_file=random_ram())
        setcaps(src, ["events"])
        setparams(src, max_bandwidth=10)
        src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
        expect(src, "active"); expect(dst, "active")
        t = time.time()
        if how == "cancel":
            src.cmd("migrate_cancel")
        elif how == "yank-source":
            src.cmd("yank", {"instances": [{"type": "migration"}]})
        else:
            src.kill()
        seen = []
        for _ in range(50):
            r = dst.safe_cmd("query-migrate", timeout=3)
            s_ = r.get("return", {}).get("status") if "return" in r else r
            if not seen or seen[-1] != s_:
                seen.append(s_)
            if "return" not in r or s_ == "failed":
                break
            time.sleep(0.02)
        time.sleep(0.3)
        note(scenario=f"dst active(slow, defer + migrate-incoming exit-on-error=false) then source {how}",
             dst_status_sequence=seen, dst_exitcode=dst.p.poll(),
             dst=dst.snapshot() if dst.p.poll() is None else None,
             dst_query_migrate=dst.safe_cmd("query-migrate") if dst.p.poll() is None else None,
             dst_log=dst.log()[-400:], elapsed=round(time.time() - t, 2))
        ev_summary(ctx, f"dst-failed attempt (exit-on-error=false): source {how}")
        ctx.close()
    # with -incoming defer + migrate-incoming (maybe different exit handling)?
    # and in postcopy: kill source during postcopy-active
    ctx = Ctx()
    src, dst = pair_postcopy(ctx)
    src.kill()
    time.sleep(1)
    snap = dst.snapshot()
    note(scenario="dst postcopy-active then source killed", dst_snapshot=snap, dst_exitcode=dst.p.poll())
    ev_summary(ctx, "dst postcopy-active then source SIGKILL")
    ctx.close()


def x_events_sequences():
    # 1 normal completion
    ctx = Ctx(); pair_completed(ctx); time.sleep(0.3)
    src, dst = ctx.vms[1], ctx.vms[0]
    note(scenario="normal completion", src=src.snapshot(), dst=dst.snapshot())
    ev_summary(ctx, "normal completion"); ctx.close()
    # 2 failed (refused)
    ctx = Ctx(); s_src_failed(ctx); ev_summary(ctx, "migrate to refused port -> failed"); ctx.close()
    # 3 postcopy to completion
    ctx = Ctx(); src, dst = pair_postcopy(ctx)
    src.cmd("migrate-set-parameters", {"max-postcopy-bandwidth": 0, "max-bandwidth": 0})
    t = time.time()
    a = src.wait_status("completed", 60); b = dst.wait_status("completed", 20)
    time.sleep(0.3)
    note(scenario="postcopy to completion (bandwidth lifted)", src_status=a, dst_status=b,
         src=src.snapshot(), dst=dst.snapshot(), seconds=round(time.time() - t, 2))
    ev_summary(ctx, "postcopy active -> completed"); ctx.close()
    # 4 postcopy pause -> real recovery -> completed
    ctx = Ctx(); src, dst = pair_postcopy_paused(ctx, dst_oob=True)
    port = free_port()
    r1 = dst.get_reply(dst.send("migrate-recover", {"uri": f"tcp:127.0.0.1:{port}"}, oob=True))
    s_after_recover = "not queried (in-band monitor of a running paused TCG destination blocks)"
    r2 = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}", "resume": True})
    seen = []
    for _ in range(50):
        st = src.status()
        if not seen or seen[-1] != st:
            seen.append(st)
        if st == "postcopy-active":
            break
        time.sleep(0.01)
    dsnap = dst.snapshot()
    note(scenario="postcopy paused -> migrate-recover(dst) -> migrate resume(src)", recover_reply=r1,
         dst_after_migrate_recover=s_after_recover, resume_reply=r2, src_polled=seen, dst_after=dsnap)
    src.cmd("migrate-set-parameters", {"max-postcopy-bandwidth": 0})
    a = src.wait_status("completed", 60); b = dst.wait_status("completed", 20)
    note(scenario="after recovery, lift bandwidth", src=a, dst=b)
    ev_summary(ctx, "postcopy-active -> migrate-pause -> recover/resume -> completed"); ctx.close()
    # 5 recover: resume to a port nobody listens on
    ctx = Ctx(); src, dst = pair_postcopy_paused(ctx)
    r = src.cmd("migrate", {"uri": U(), "resume": True})
    time.sleep(1)
    note(scenario="src postcopy-paused, migrate resume=true to refused port", reply=r, src=src.snapshot())
    ev_summary(ctx, "postcopy-paused -> resume to refused port"); ctx.close()
    # 6 pre-switchover -> migrate_cancel
    ctx = Ctx(); s_src_pre_switchover(ctx); src = ctx.target
    r = src.cmd("migrate_cancel"); time.sleep(1)
    note(scenario="pre-switchover -> migrate_cancel", reply=r, src=src.snapshot(), dst_exit=ctx.peer.p.poll(),
         dst=ctx.peer.snapshot() if ctx.peer.p.poll() is None else None)
    ev_summary(ctx, "pre-switchover -> migrate_cancel"); ctx.close()
    # 7 pre-switchover -> cont (!)
    ctx = Ctx(); s_src_pre_switchover(ctx); src = ctx.target
    r = src.cmd("cont"); time.sleep(0.5)
    note(scenario="pre-switchover -> cont", reply=r, src=src.snapshot())
    r = src.cmd("migrate-continue", {"state": "pre-switchover"}); time.sleep(1)
    note(scenario="pre-switchover -> cont -> migrate-continue", reply=r, src=src.snapshot(),
         dst=ctx.peer.snapshot() if ctx.peer.p.poll() is None else {"exit": ctx.peer.p.poll()})
    ev_summary(ctx, "pre-switchover -> cont -> migrate-continue"); ctx.close()
    # 8 postcopy-active -> migrate_cancel: what does the destination do?
    ctx = Ctx(); src, dst = pair_postcopy(ctx)
    r = src.cmd("migrate_cancel"); time.sleep(1.5)
    note(scenario="postcopy-active -> migrate_cancel on source", reply=r, src=src.snapshot(),
         dst=dst.snapshot() if dst.p.poll() is None else {"exit": dst.p.poll(), "log": dst.log()[-300:]})
    ev_summary(ctx, "postcopy-active -> migrate_cancel"); ctx.close()
    # 9 cancelling(connect-hang): close listener -> does it ever reach cancelled?
    ctx = Ctx()
    try:
        s_src_cancelling(ctx)
    except SetupFailed as e:  # 10.0: the cancel ends the migration at once (see 9c)
        note(scenario="cancelling during connect-hang: not reached", error=str(e))
        ctx.close(); ctx = None
    if ctx is not None:
        src = ctx.target
        for s_ in ctx.extra:
            s_.close()
        ctx.extra = []
        seen = []; t = time.time()
        while time.time() - t < 40:
            st = src.status()
            if not seen or seen[-1][1] != st:
                seen.append((round(time.time() - t, 1), st))
            if st not in ("cancelling",):
                break
            time.sleep(0.5)
        note(scenario="cancelling during connect-hang, then listener closed (connect gets RST on next SYN retry)", seen=seen)
        ev_summary(ctx, "setup(connect-hang) -> migrate_cancel -> listener closed"); ctx.close()
    if V10:
        # 9b the 10.0 cancelling (multifd channels' connect hang), then listener closed
        ctx = Ctx(); s_src_cancelling_multifd(ctx); src = ctx.target
        for s_ in ctx.extra:
            s_.close()
        ctx.extra = []
        seen = []; t = time.time()
        while time.time() - t < 40:
            st = src.status()
            if not seen or seen[-1][1] != st:
                seen.append((round(time.time() - t, 1), st))
            if st not in ("cancelling",):
                break
            time.sleep(0.1)
        note(scenario="cancelling while the multifd channels' connect hangs, then listener closed", seen=seen)
        ev_summary(ctx, "setup(multifd connect-hang) -> migrate_cancel -> listener closed"); ctx.close()
        # 9c the 7.2 route: cancel during a hung main-channel connect
        ctx = Ctx(); s_src_setup(ctx); src = ctx.target
        r = src.cmd("migrate_cancel")
        seen = []; t = time.time()
        while time.time() - t < 2:
            st = src.status()
            if not seen or seen[-1][1] != st:
                seen.append((round(time.time() - t, 2), st))
            time.sleep(0.02)
        note(scenario="setup(connect-hang) -> migrate_cancel (the 7.2 route to a stable cancelling)", reply=r, seen=seen)
        ev_summary(ctx, "setup(connect-hang) -> migrate_cancel"); ctx.close()
        # 5b resume to a refused port, polled
        ctx = Ctx(); src, dst = pair_postcopy_paused(ctx)
        r = src.cmd("migrate", {"uri": U(), "resume": True})
        seen = []; t = time.time()
        while time.time() - t < 1.5:
            st = src.status()
            if not seen or seen[-1][1] != st:
                seen.append((round(time.time() - t, 2), st))
            time.sleep(0.01)
        note(scenario="src postcopy-paused, migrate resume=true to refused port (polled)", reply=r, seen=seen,
             src=src.snapshot(), src_log=src.log()[-300:])
        ev_summary(ctx, "postcopy-paused -> resume to refused port (polled)"); ctx.close()
        # 12 the port-in-use destination: what a later migrate-incoming says
        ctx = Ctx(); s_dst_defer_port_in_use(ctx); d = ctx.target
        r = d.cmd("migrate-incoming", {"uri": U()})
        note(scenario="dst defer: migrate-incoming to a port in use, then migrate-incoming to a free port",
             first_reply=ctx.bind_error, second_reply=r, dst=d.snapshot())
        ev_summary(ctx, "dst defer: migrate-incoming to a port in use, then to a free port"); ctx.close()
    # 10 setup(connect-hang): listener drained -> does migration proceed?
    # 11 dst defer: migrate-incoming twice
    ctx = Ctx(); s_dst_defer_listening(ctx); d = ctx.target
    r = d.cmd("migrate-incoming", {"uri": U()})
    note(scenario="dst defer: second migrate-incoming", reply=r, dst=d.snapshot()); ctx.close()


def x_colo():
    port = free_port()
    ctx = Ctx()
    dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
    src = ctx.vm("src")
    r1 = dst.cmd("migrate-set-capabilities", {"capabilities": [{"capability": "events", "state": True}, {"capability": "x-colo", "state": True}]})
    r2 = src.cmd("migrate-set-capabilities", {"capabilities": [{"capability": "events", "state": True}, {"capability": "x-colo", "state": True}]})
    r3 = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
    seen_s, seen_d = [], []
    t = time.time()
    while time.time() - t < 8:
        a = src.status(); b = dst.status() if dst.p.poll() is None else ("exit", dst.p.poll())
        if not seen_s or seen_s[-1] != a: seen_s.append(a)
        if not seen_d or seen_d[-1] != b: seen_d.append(b)
        if a in ("colo", "failed", "completed") and len(seen_s) > 1 and time.time() - t > 2:
            break
        time.sleep(0.05)
    note(scenario="COLO minimal (x-colo both sides, plain tcp migrate)", caps_dst=r1, caps_src=r2, migrate=r3,
         src_seq=seen_s, dst_seq=seen_d, src=src.snapshot(), dst=dst.snapshot() if dst.p.poll() is None else None,
         src_log=src.log()[-400:], dst_log=dst.log()[-400:])
    ev_summary(ctx, "COLO minimal attempt")
    reached = src.status() == "colo"
    if reached:
        # probe every command in colo on the source and the destination (fresh pair per accepted risky cmd)
        pass
    ctx.close()
    return reached


def x_dst_paused_natural():
    """running TCG destination: in-band monitor hangs when postcopy pauses; probe via OOB"""
    ctx = Ctx()
    src, dst = pair_postcopy_paused(ctx, dst_oob=True)
    time.sleep(0.5)
    dst.pump_events(0.2)
    inferred = [e for e in dst.migration_events()]
    setup = "dst-postcopy-paused(running guest; in-band monitor blocked; OOB used)"
    pre = {"status": None, "runstate": None, "caps": ["events", "postcopy-ram"]}
    t = time.time()
    rid = dst.send("query-migrate")
    try:
        r = dst.get_reply(rid, 5)
        pending = None
    except TimeoutError:
        r = {"timeout": True}; pending = rid
    rec_obs("destination", setup, pre, "query-migrate", None, r, status_inferred_from_events=inferred,
            note="in-band; reply not received within 5 s")
    for (name, targs, risky) in COMMANDS:
        if name == "migrate-recover":
            continue
        args = resolve(targs)
        rid = dst.send(name, args, oob=True)
        try:
            r = dst.get_reply(rid, 5)
        except TimeoutError:
            r = {"timeout": True}
        rec_obs("destination", setup, pre, name, args, r, transport="exec-oob", status_inferred_from_events=inferred)
        print("    OOB", name, json.dumps(r)[:160], flush=True)
    port = free_port()
    args = {"uri": f"tcp:127.0.0.1:{port}"}
    rid = dst.send("migrate-recover", args, oob=True)
    r = dst.get_reply(rid, 5)
    rec_obs("destination", setup, pre, "migrate-recover", args, r, transport="exec-oob", status_inferred_from_events=inferred)
    print("    OOB migrate-recover", r, flush=True)
    r2 = src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}", "resume": True})
    late = None
    if pending:
        try:
            late = dst.get_reply(pending, 8)
        except TimeoutError:
            late = {"timeout": True}
    note(scenario=setup + ": after OOB migrate-recover + source resume", resume_reply=r2,
         pending_inband_query_migrate_reply=late, seconds_blocked=round(time.time() - t, 2),
         src=src.snapshot(), dst=dst.snapshot())
    ev_summary(ctx, "natural dst postcopy-paused -> OOB recover -> resume")
    ctx.close()


def x_postcopy_device_pipelined():
    """10.0 goes active -> device -> postcopy-active when postcopy starts (no
    postcopy-device status): catch it by pipelining queries right behind
    migrate-start-postcopy"""
    for attempt in range(3):
        ctx = Ctx()
        port = free_port()
        dst = ctx.vm("dst", f"tcp:127.0.0.1:{port}")
        src = ctx.vm("src", ram_file=random_ram())
        setcaps(dst, ["events", "postcopy-ram"]); setcaps(src, ["events", "postcopy-ram"])
        setparams(src, max_bandwidth=10, max_postcopy_bandwidth=10)
        src.cmd("migrate", {"uri": f"tcp:127.0.0.1:{port}"})
        expect(src, "active")
        # keep 20 query pairs in flight (one write each) until postcopy-active is seen
        ids = src.send_many([("migrate-start-postcopy", None)] + [("query-migrate", None), ("query-status", None)] * 20)
        reps = [src.get_reply(ids[0])]
        ids = ids[1:]
        seq = []
        t = time.time()
        while True:
            for j in range(0, len(ids), 2):
                a, b = src.get_reply(ids[j]), src.get_reply(ids[j + 1])
                pair = (a.get("return", {}).get("status"), b.get("return", {}).get("status"))
                if not seq or seq[-1][:2] != pair:
                    seq.append(pair + (round(time.time() - t, 4),))
            if seq[-1][0] != "active" or time.time() - t > 5:
                break
            ids = src.send_many([("query-migrate", None), ("query-status", None)] * 20)
        time.sleep(0.3)
        src.pump_events(0.1)
        note(scenario="src active -> migrate-start-postcopy (query-migrate/query-status pipelined, 20 pairs per write, until not active)", attempt=attempt,
             start_reply=reps[0], status_runstate_seen=seq,
             src_events=[(e["_t"], e["event"], e.get("data")) for e in src.events if e["event"] in ("MIGRATION", "STOP", "RESUME")][-6:])
        ev_summary(ctx, "src active -> migrate-start-postcopy (pipelined)")
        ctx.close()


EXTRAS = {
    "x-dst-paused-natural": x_dst_paused_natural,
    "x-device": x_device_pipelined,
    "x-cancel-brief": x_cancel_from_active_brief,
    "x-dst-failed": x_dst_failed,
    "x-events": x_events_sequences,
    "x-colo": x_colo,
}
if V10:
    EXTRAS["x-postcopy-device"] = x_postcopy_device_pipelined


def main():
    print(f"probing {QEMU}: {VERSION_LINE}; output in {OUT}", flush=True)
    jwrite("notes.jsonl", {"binary": QEMU, "version": VERSION_LINE,
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "only": ONLY})
    names = [n for n in SETUPS if not ONLY or any(o in n for o in ONLY)]
    for n in [n for n in EXTRAS if not ONLY or any(o in n for o in ONLY)]:
        print(f"== {n}  (t={time.time()-T0:.0f}s)", flush=True)
        try:
            EXTRAS[n]()
        except Exception as e:
            import traceback
            traceback.print_exc()
            jwrite("notes.jsonl", {"extra": n, "exception": repr(e)})
    names = [n for n in names if not n.startswith("x-")]
    for n in names:
        print(f"== {n}  (t={time.time()-T0:.0f}s)", flush=True)
        try:
            probe_state(n)
        except Exception as e:
            import traceback
            traceback.print_exc()
            jwrite("notes.jsonl", {"setup": n, "exception": repr(e)})
    cleanup_all()
    jwrite("notes.jsonl", {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": round(time.time() - T0, 1),
                           "qemu_processes_started": VM.n})
    print(f"done in {time.time() - T0:.0f}s; {VM.n} QEMU processes started, all ended", flush=True)
    import shutil
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
