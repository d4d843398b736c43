#!/usr/bin/env python3
"""Make the markdown report of a probe run (probe-7.2.py or probe-10.0.py):
the states reached, the compact matrix (as probe-7.2-gen-matrix.py), the
detailed per-state tables (as probe-7.2-gen-md.py), the event sequences, the
raw notes, and optionally the differences from another version's run.
stdlib only; probe-7.2-gen-md.py and probe-7.2-gen-matrix.py stay as they were.

  python3 probe-10.0-gen-md.py RUN [--label L] [--title T] [--preface FILE.md] [--compare RUN [--compare-label L]] > out.md

RUN is either a probe output directory (observed.jsonl, events.jsonl,
notes.jsonl) or a published prefix such as docs/research/qemu-10.0-observed
(PREFIX.jsonl, PREFIX-events.jsonl, PREFIX-notes.jsonl).

Regenerate the published 10.0 report:
  python3 docs/research/probe-10.0-gen-md.py docs/research/qemu-10.0-observed --label 10.0 \\
    --title "QEMU 10.0 (Debian ..., qemu-system-x86_64 10.0.2) — observed migration QMP behaviour" \\
    --preface docs/research/qemu-10.0-observed-preface.md \\
    --compare docs/research/qemu-7.2-observed --compare-label 7.2 > docs/research/qemu-10.0-observed.md
"""
import argparse, collections, json, os, sys


def load(run):
    if os.path.isdir(run):
        names = [os.path.join(run, n) for n in ("observed.jsonl", "events.jsonl", "notes.jsonl")]
    else:
        names = [run + ".jsonl", run + "-events.jsonl", run + "-notes.jsonl"]
    out = []
    for n in names:
        with open(n) as f:
            out.append([json.loads(l) for l in f if l.strip()])
    return out


CODES = [("There's a migration process in progress", "INPROG"),
         ("migrate-pause is currently only supported during postcopy-active or postcopy-recover state", "PAUSE-ONLY-PCA-PCR"),
         ("migrate-pause is currently only supported", "PAUSE-ONLY-PCA"),
         ("Cannot resume if there is no paused migration", "NO-PAUSED"),
         ("Migrate recover can only be run when postcopy is paused", "RECOVER-ONLY-PAUSED"),
         ("The feature 'colo' is not enabled", "COLO-OFF"),
         ("VM is not in COLO mode", "NOT-COLO-MODE"),
         ("Enable postcopy with migrate_set_capability", "NO-PC-CAP"),
         ("'-incoming' was not specified", "NO-INCOMING"),
         ("The incoming migration has already been started", "INC-STARTED"),
         ("Illegal migration incoming state: ", "INC-STATE:"),
         ("Instance not found", "NO-INSTANCE"),
         ("Migration is not finalized yet", "NOT-FINALIZED"),
         ("duplicate yank instance", "YANK-DUP"),
         ("Guest is waiting for an incoming migration", "GUEST-WAITING-INC"),
         ("Postcopy must be started after migration has been started", "PC-NOT-STARTED"),
         ("Postcopy migration in progress, cannot cancel", "PC-NO-CANCEL"),
         ("Can't migrate the vm that was paused due to previous migration", "PAUSED-BY-PREV-MIG"),
         ("does not support OOB", "NO-OOB"),
         ("Migration not in expected state: ", "STATE:")]
CODE_LEGEND = {
    "INPROG": "There's a migration process in progress",
    "PAUSE-ONLY-PCA": "migrate-pause is currently only supported during postcopy-active state",
    "PAUSE-ONLY-PCA-PCR": "migrate-pause is currently only supported during postcopy-active or postcopy-recover state",
    "NO-PAUSED": "Cannot resume if there is no paused migration",
    "RECOVER-ONLY-PAUSED": "Migrate recover can only be run when postcopy is paused.",
    "COLO-OFF": "The feature 'colo' is not enabled",
    "NOT-COLO-MODE": "VM is not in COLO mode",
    "NO-PC-CAP": "Enable postcopy with migrate_set_capability before the start of migration",
    "NO-INCOMING": "'-incoming' was not specified on the command line",
    "INC-STARTED": "The incoming migration has already been started",
    "INC-STATE:x": "Illegal migration incoming state: x",
    "NO-INSTANCE": "DeviceNotFound `Instance not found`",
    "NOT-FINALIZED": "Migration is not finalized yet",
    "YANK-DUP": "duplicate yank instance",
    "GUEST-WAITING-INC": "Guest is waiting for an incoming migration",
    "PC-NOT-STARTED": "Postcopy must be started after migration has been started",
    "PC-NO-CANCEL": "Postcopy migration in progress, cannot cancel.",
    "PAUSED-BY-PREV-MIG": "Can't migrate the vm that was paused due to previous migration",
    "NO-OOB": "The command X does not support OOB",
    "STATE:x": "Migration not in expected state: x",
}


def err_code(d):
    for k, c in CODES:
        if k in d:
            return c + (d.split(k)[1] if c.endswith(":") else "")
    return None


def code(o):
    """the compact-matrix cell (as probe-7.2-gen-matrix.py)"""
    r = o["reply"]
    if "return" in r:
        s = "ok"
        a = o.get("after")
        if isinstance(a, dict) and "status" in a:
            ast = a.get("status")
            if isinstance(ast, dict):
                s += "→HANG" if "timeout" in json.dumps(ast) else "→DEAD"
                if "-11" in json.dumps(a):
                    s = "ok→SIGSEGV"
            elif ast != o["status"]:
                s += f"→{ast}"
            ar = a.get("runstate")
            if isinstance(ar, str) and ar != o["runstate"] and not isinstance(ast, dict):
                s += f"[{ar}]"
        elif isinstance(a, dict) and "dead" in a:
            s += "→DEAD"
        return s
    if "error" in r:
        d = r["error"]["desc"]
        a = o.get("after"); suf = ""
        if isinstance(a, dict) and isinstance(a.get("status"), (str, type(None))) and a.get("status") != o["status"]:
            suf = f"→{a.get('status')}"
        c = err_code(d)
        return (c if c else r["error"]["class"] + ":" + d) + suf
    return "TIMEOUT" if r.get("timeout") else json.dumps(r)


def key(o):
    """short command key (matrix rows, comparison)"""
    a = o["arguments"]
    c = o["command"]
    if c == "migrate-set-capabilities":
        return "set-caps " + ",".join(x["capability"] for x in a["capabilities"])
    if c == "migrate-set-parameters":
        return "set-params " + ",".join(f"{k}" for k in a)
    if c == "migrate":
        return "migrate" + (" channels" if "channels" in a else "") + (" resume" if a.get("resume") else "")
    if c == "migrate-incoming":
        return "migrate-incoming" + (" exit-on-error=false" if a.get("exit-on-error") is False else "")
    return c


def cmdkey(o):
    """long command key (detailed tables, as probe-7.2-gen-md.py)"""
    a = o["arguments"]
    if o["command"] == "migrate-set-capabilities":
        return "migrate-set-capabilities " + ",".join(c["capability"] for c in a["capabilities"])
    if o["command"] == "migrate-set-parameters":
        return "migrate-set-parameters " + ",".join(f"{k}={v!r}" for k, v in a.items())
    if o["command"] == "migrate":
        return "migrate" + (" channels=[main socket]" if "channels" in a else "") + (" resume=true" if a.get("resume") else "")
    if o["command"] == "migrate-incoming":
        return "migrate-incoming" + (" exit-on-error=false" if a.get("exit-on-error") is False else "")
    return o["command"]


def cell(o):
    r = o["reply"]
    if "return" in r:
        s = "accepted"
    elif "error" in r:
        s = f"ERR {r['error']['class']}: {r['error']['desc']}"
    else:
        s = "NO REPLY " + json.dumps(r)
    a = o.get("after")
    if isinstance(a, dict) and "status" in a:
        chg = []
        if a.get("status") != o["status"]:
            chg.append(f"status→{a.get('status') if not isinstance(a.get('status'), dict) else 'n/a'}")
        if a.get("runstate") != o["runstate"]:
            chg.append(f"runstate→{a.get('runstate') if not isinstance(a.get('runstate'), dict) else 'n/a'}")
        if chg:
            s += " (" + ", ".join(chg) + " after 0.15 s)"
    if o.get("transport"):
        s += f" [{o['transport']}]"
    return s.replace("|", "\\|")


def main_status(rows):
    return collections.Counter(str(r["status"]) for r in rows).most_common(1)[0][0]


def by_setup(obs):
    by = collections.OrderedDict()
    for o in obs:
        by.setdefault((o["side"], o["setup"]), []).append(o)
    return by


def states_reached(obs, notes, out):
    by = by_setup(obs)
    pairs = {n["setup"]: n["pairs_built"] for n in notes if "pairs_built" in n}
    out.append("## States reached (from the records)\n")
    out.append("| side | setup | status before the commands | runstate | caps | records | pairs built |\n|---|---|---|---|---|---|---|")
    for (side, setup), rows in by.items():
        st = collections.Counter(str(r["status"]) for r in rows).most_common()
        rs = collections.Counter(str(r["runstate"]) for r in rows).most_common()
        out.append(f"| {side} | `{setup}` | {', '.join(f'{k} (x{v})' for k, v in st)} | "
                   f"{', '.join(f'{k} (x{v})' for k, v in rs)} | {', '.join(rows[0]['caps']) if isinstance(rows[0]['caps'], list) else rows[0]['caps']} | "
                   f"{len(rows)} | {pairs.get(setup, '')} |")
    fails = [n for n in notes if "setup_failed" in n or "exception" in n or "gave_up_at" in n]
    if fails:
        out.append("\nSetups not reached / given up (from the notes):\n")
        for n in fails:
            out.append("- `" + json.dumps(n)[:700].replace("`", "'") + "`")
    out.append("\nRecords per side and status (status before the command; `None` = no `status` key or not queried):\n")
    out.append("| side | status | records |\n|---|---|---|")
    c = collections.Counter((o["side"], str(o["status"])) for o in obs)
    for (side, st), n in sorted(c.items()):
        out.append(f"| {side} | {st} | {n} |")
    out.append(f"| **all** | | **{len(obs)}** |")


def matrix(obs, out):
    out.append("\n## Compact matrix\n")
    out.append("Codes: `ok` accepted; `ok→X` accepted and status X 0.15 s later; `[r]` runstate changed to r; "
               "`HANG` monitor no longer answers; `DEAD` process exited; `(oob)` sent with exec-oob. Error codes:\n")
    for k, v in CODE_LEGEND.items():
        out.append(f"- {k} = {v}")
    out.append("\nAll errors are class GenericError except NO-INSTANCE (DeviceNotFound); an error with no code is shown in full.")
    for side in ("source", "destination"):
        setups = []
        cells = collections.defaultdict(dict)
        rows = []
        for o in obs:
            if o["side"] != side:
                continue
            if o["setup"] not in setups:
                setups.append(o["setup"])
            k = key(o)
            if k not in rows:
                rows.append(k)
            c = code(o)
            if o.get("transport"):
                c += "(oob)"
            prev = cells[k].get(o["setup"])
            cells[k][o["setup"]] = c if prev is None or prev == c else prev + " / " + c
        out.append(f"\n#### {side} — columns\n")
        for i, s in enumerate(setups):
            sts = collections.Counter(str(o['status']) for o in obs if o['setup'] == s and o['side'] == side).most_common(3)
            rss = collections.Counter(str(o['runstate']) for o in obs if o['setup'] == s and o['side'] == side).most_common(3)
            out.append(f"- **{chr(65 + i)}** = `{s}` — status {', '.join(k for k, _ in sts)}; runstate {', '.join(k for k, _ in rss)}")
        out.append("")
        out.append("| command | " + " | ".join(chr(65 + i) for i in range(len(setups))) + " |")
        out.append("|---|" + "---|" * len(setups))
        for k in rows:
            out.append(f"| {k} | " + " | ".join(cells[k].get(s, "").replace("|", "\\|") for s in setups) + " |")


def detailed(obs, out):
    out.append("\n## Detailed per-state tables (generated)\n")
    for (side, setup), rows in by_setup(obs).items():
        st = collections.Counter(str(r["status"]) for r in rows).most_common()
        rs = collections.Counter(str(r["runstate"]) for r in rows).most_common()
        out.append(f"\n### {side}: `{setup}`\n")
        out.append(f"status seen before commands: {', '.join(f'{k} (x{v})' for k, v in st)}; runstate: {', '.join(f'{k} (x{v})' for k, v in rs)}; caps: {rows[0]['caps']}\n")
        out.append("| command | pre status/runstate | result |\n|---|---|---|")
        for r in rows:
            out.append(f"| {cmdkey(r)} | {r['status']}/{r['runstate']} | {cell(r)} |")


def events(evs, out):
    out.append("\n## MIGRATION event sequences (events cap on), seconds since that VM was launched\n")
    out.append("| scenario (why) | vm | exit | MIGRATION events |\n|---|---|---|---|")
    seen = set()
    for e in evs:
        seq = " → ".join(f"{s}@{t}" for t, s in e["migration_events"])
        k = (e["setup"], e.get("why", ""), e["vm"], seq)
        if k in seen:
            continue
        seen.add(k)
        out.append(f"| {e['setup']} ({e.get('why', '')}) | {e['vm']} | {e.get('exitcode')} | {seq} |")


def raw_notes(notes, out):
    out.append("\n## Raw notes (extras, setup failures)\n")
    for n in notes:
        if "pairs_built" in n:
            continue
        out.append("- `" + json.dumps(n)[:1500].replace("`", "'") + "`")


def outcome(o):
    r = o["reply"]
    if "return" in r:
        return "accepted"
    if "error" in r:
        return f"{r['error']['class']}: {r['error']['desc']}"
    return "TIMEOUT" if r.get("timeout") else ("DEAD" if "dead" in r else json.dumps(r))


def after_change(o):
    a = o.get("after")
    if not isinstance(a, dict):
        return ""
    if "dead" in a:
        return "→DEAD"
    st = a.get("status")
    if isinstance(st, dict):
        return "→HANG" if "timeout" in json.dumps(st) else "→DEAD"
    return f"→{st}" if st != o["status"] else ""


def compare(new, old, label_new, label_old, out):
    """differences between two runs, setup by setup (a setup only in one run is
    paired with the other run's setup of the same side and status if there is
    exactly one)"""
    bn, bo = by_setup(new), by_setup(old)
    out.append(f"\n## Differences from {label_old} (generated: same side, setup and command)\n")
    pairs, only_new, only_old = [], [], []
    used_old = set()
    for k in bn:
        if k in bo:
            pairs.append((k, k)); used_old.add(k)
    for k in bn:
        if k in bo:
            continue
        cand = [ko for ko in bo if ko not in used_old and ko[0] == k[0] and main_status(bo[ko]) == main_status(bn[k])
                and "pipelined" not in ko[1] and "OOB" not in ko[1]]
        if len(cand) == 1 and not any(kk != k and kk not in bo and kk[0] == k[0] and main_status(bn[kk]) == main_status(bn[k]) for kk in bn):
            pairs.append((k, cand[0])); used_old.add(cand[0])
        else:
            only_new.append(k)
    only_old = [k for k in bo if k not in used_old]
    out.append(f"Setups compared: {len(pairs)}; only in {label_new}: {len(only_new)}; only in {label_old}: {len(only_old)}.\n")
    for k, ko in pairs:
        if k != ko:
            out.append(f"- {label_new} `{k[1]}` is compared with {label_old} `{ko[1]}` (same side and status)")
    for k in only_new:
        out.append(f"- only in {label_new}: {k[0]} `{k[1]}` (status {main_status(bn[k])})")
    for k in only_old:
        out.append(f"- only in {label_old}: {k[0]} `{k[1]}` (status {main_status(bo[k])})")
    desc = []
    for k, ko in pairs:
        def d(rows):
            rs = collections.Counter(str(r["runstate"]) for r in rows).most_common(1)[0][0]
            return (main_status(rows), rs, ",".join(rows[0]["caps"]) if isinstance(rows[0]["caps"], list) else str(rows[0]["caps"]))
        if d(bn[k]) != d(bo[ko]):
            desc.append(f"| {k[0]} | `{k[1]}` | {' / '.join(d(bo[ko]))} | {' / '.join(d(bn[k]))} |")
    if desc:
        out.append(f"\nThe same setup reaches a different state (status / runstate / caps before the commands):\n")
        out.append(f"| side | setup | {label_old} | {label_new} |\n|---|---|---|---|")
        out.extend(desc)
    capn = next((o["reply"]["return"] for o in new if o["command"] == "query-migrate-capabilities" and "return" in o["reply"]), None)
    capo = next((o["reply"]["return"] for o in old if o["command"] == "query-migrate-capabilities" and "return" in o["reply"]), None)
    if capn and capo:
        ln = [c["capability"] for c in capn]; lo = [c["capability"] for c in capo]
        out.append(f"\nCapabilities (`query-migrate-capabilities`, in order): {label_old} has {len(lo)}, {label_new} has {len(ln)}; "
                   f"only in {label_old}: {', '.join(c for c in lo if c not in ln) or '—'}; "
                   f"only in {label_new}: {', '.join(c for c in ln if c not in lo) or '—'}.\n")
        out.append(f"- {label_old}: " + ", ".join(lo))
        out.append(f"- {label_new}: " + ", ".join(ln))
    rows = []
    texts = collections.Counter()
    verdicts = collections.Counter()
    for k, ko in pairs:
        cn, co = collections.OrderedDict(), collections.OrderedDict()
        for o in bn[k]:
            cn.setdefault(key(o) + (" (oob)" if o.get("transport") else ""), []).append(o)
        for o in bo[ko]:
            co.setdefault(key(o) + (" (oob)" if o.get("transport") else ""), []).append(o)
        for c in cn:
            if c not in co:
                rows.append((k[0], k[1], c, "—", " / ".join(sorted({outcome(o) + after_change(o) for o in cn[c]})), "new command form"))
                continue
            on = sorted({outcome(o) for o in cn[c]}); oo = sorted({outcome(o) for o in co[c]})
            an = sorted({after_change(o) for o in cn[c]}); ao = sorted({after_change(o) for o in co[c]})
            if on != oo:
                accn = any(x == "accepted" for x in on); acco = any(x == "accepted" for x in oo)
                kind = ("now accepted" if accn and not acco else "now refused" if acco and not accn
                        else "error text" if not accn and not acco else "changed")
                if kind == "error text":
                    for a, b in zip(oo, on):
                        texts[(a, b)] += 1
                verdicts[kind] += 1
                rows.append((k[0], k[1], c, " / ".join(x + y for x, y in zip(oo, ao + [""] * 9)),
                             " / ".join(x + y for x, y in zip(on, an + [""] * 9)), kind))
            elif an != ao:
                verdicts["status after differs"] += 1
                rows.append((k[0], k[1], c, " / ".join(oo) + " " + ",".join(ao), " / ".join(on) + " " + ",".join(an), "status after differs"))
        for c in co:
            if c not in cn:
                rows.append((k[0], k[1], c, " / ".join(sorted({outcome(o) for o in co[c]})), "—", f"not sent in {label_new}"))
    out.append(f"\nCounts: " + ", ".join(f"{v} {k}" for k, v in verdicts.most_common()) + ".\n")
    if texts:
        out.append("Error texts that changed (old → new, times seen):\n")
        for (a, b), n in texts.most_common():
            out.append(f"- `{a}` → `{b}` (x{n})")
    out.append(f"\n| side | setup | command | {label_old} | {label_new} | difference |\n|---|---|---|---|---|---|")
    for r in rows:
        out.append("| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--title")
    ap.add_argument("--preface")
    ap.add_argument("--compare")
    ap.add_argument("--label", default="this run")
    ap.add_argument("--compare-label", default="the other run")
    a = ap.parse_args()
    obs, evs, notes = load(a.run)
    out = []
    if a.title:
        out.append(f"# {a.title}\n")
    if a.preface:
        with open(a.preface) as f:
            out.append(f.read().rstrip() + "\n")
    states_reached(obs, notes, out)
    if a.compare:
        o2, _, _ = load(a.compare)
        compare(obs, o2, a.label, a.compare_label, out)
    matrix(obs, out)
    detailed(obs, out)
    events(evs, out)
    raw_notes(notes, out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
