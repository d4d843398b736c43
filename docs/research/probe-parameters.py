#!/usr/bin/env python3
"""Probe migrate-set-parameters / query-migrate-parameters of a real QEMU (stdlib only).

For every member of migrate-set-parameters' argument type (from query-qmp-schema) it sends a range of
values (integers around every bound, negative ones, 2^63, 2^64, a fraction, a string, booleans,
null, lists, objects; enum values; StrOrNull; block-bitmap-mapping shapes), records the answer and
the query-migrate-parameters members that changed, and puts the parameter back to its default.
One QEMU (-M pc -S -nodefaults), ended by its pid. Used for model-tests/parameters.test.ts's profile
data (machines/profiles/*: parameters, paramChecks).

  python3 docs/research/probe-parameters.py /usr/bin/qemu-system-x86_64 > out-7.2.jsonl
  python3 docs/research/probe-parameters.py .cache/qemu-10.0/bin/qemu-system-x86_64 > out-10.0.jsonl
"""
import json, os, socket, subprocess, sys, time, tempfile
class Q:
    def __init__(self, qemu):
        self.dir = tempfile.mkdtemp(prefix="pp-")
        self.sock = os.path.join(self.dir, "q.sock")
        self.p = subprocess.Popen([qemu, "-M", "pc", "-m", "64", "-nodefaults", "-display", "none", "-accel", "tcg", "-S",
                                   "-qmp", f"unix:{self.sock},server=on,wait=off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(self.sock): break
            time.sleep(0.05)
        self.s = socket.socket(socket.AF_UNIX); self.s.connect(self.sock)
        self.f = self.s.makefile("rwb")
        self.greet = json.loads(self.f.readline())
        self.cmd("qmp_capabilities")
    def cmd(self, name, args=None):
        m = {"execute": name}
        if args is not None: m["arguments"] = args
        self.f.write((json.dumps(m) + "\n").encode()); self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "event" in r: continue
            return r
    def close(self):
        self.p.kill(); self.p.wait()
q = Q(sys.argv[1])
defaults = q.cmd("query-migrate-parameters")["return"]
sch = q.cmd("query-qmp-schema")["return"]
by = {e["name"]: e for e in sch}
arg = by[by["migrate-set-parameters"]["arg-type"]]
INTS = [-2**63, -1, 0, 1, 2, 9, 10, 20, 21, 99, 100, 101, 255, 256, 1000, 1001, 10000, 10001, 100000, 100001, 2000000, 2000001,
        4095, 4096, 8192, 65535, 65536, 2**31-1, 2**32-1, 2**32, 2**53, 2**63-1, 2**63, 2**64-1, 2**64, 1.5, 1.0, "1", True, None, [], {}]
out = []
for m in arg["members"]:
    name = m["name"]
    t = by[m["type"]]
    if t["meta-type"] == "builtin" and t["json-type"] == "int": vals = INTS
    elif t["meta-type"] == "builtin": vals = [True, False, 1, "x", None]
    elif t["meta-type"] == "enum": vals = [e["name"] for e in t["members"]] + ["foo", 1, None, True]
    elif t["meta-type"] == "alternate": vals = ["", "x", None, 1, True, []]
    else: vals = [[], {}, "x", None, 1, [{}], [{"node-name": "n", "alias": "a", "bitmaps": []}], [{"node-name": "n", "alias": "a", "bitmaps": [{"name": "b"}]}], [{"node-name": 1}]]
    for v in vals:
        r = q.cmd("migrate-set-parameters", {name: v})
        after = q.cmd("query-migrate-parameters")["return"]
        changed = {k: after.get(k) for k in set(after) | set(defaults) if after.get(k) != defaults.get(k)}
        out.append({"p": name, "v": v, "r": r.get("error", {}).get("desc", "ok") if "error" in r else "ok", "changed": changed})
        if changed:
            # reset
            for k in changed:
                if k in defaults:
                    rr = q.cmd("migrate-set-parameters", {k: defaults[k]})
                    if "error" in rr: print("RESET FAIL", k, rr, file=sys.stderr)
for o in out: print(json.dumps(o))
q.close()
