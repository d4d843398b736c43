import json, sys, collections
D = sys.argv[1]
obs = [json.loads(l) for l in open(f"{D}/observed.jsonl")]
evs = [json.loads(l) for l in open(f"{D}/events.jsonl")]
notes = [json.loads(l) for l in open(f"{D}/notes.jsonl")]
def cmdkey(o):
    a = o["arguments"]
    if o["command"] == "migrate-set-capabilities":
        return "migrate-set-capabilities " + ",".join(c["capability"] for c in a["capabilities"])
    if o["command"] == "migrate-set-parameters":
        return "migrate-set-parameters " + ",".join(f"{k}={v!r}" for k, v in a.items())
    if o["command"] == "migrate":
        return "migrate" + (" resume=true" if a.get("resume") else "")
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
by = collections.OrderedDict()
for o in obs:
    by.setdefault((o["side"], o["setup"]), []).append(o)
out = []
for (side, setup), rows in by.items():
    st = collections.Counter(str(r["status"]) for r in rows).most_common()
    rs = collections.Counter(str(r["runstate"]) for r in rows).most_common()
    out.append(f"\n### {side}: `{setup}`\n")
    out.append(f"status seen before commands: {', '.join(f'{k} (x{v})' for k, v in st)}; runstate: {', '.join(f'{k} (x{v})' for k, v in rs)}; caps: {rows[0]['caps']}\n")
    out.append("| command | pre status/runstate | result |\n|---|---|---|")
    for r in rows:
        out.append(f"| {cmdkey(r)} | {r['status']}/{r['runstate']} | {cell(r)} |")
out.append("\n## MIGRATION event sequences (events cap on), seconds since that VM was launched\n")
out.append("| scenario (why) | vm | exit | MIGRATION events |\n|---|---|---|---|")
seen = set()
for e in evs:
    seq = " → ".join(f"{s}@{t}" for t, s in e["migration_events"])
    k = (e["setup"], e.get("why", ""), e["vm"], seq)
    if k in seen: continue
    seen.add(k)
    out.append(f"| {e['setup']} ({e.get('why','')}) | {e['vm']} | {e.get('exitcode')} | {seq} |")
out.append("\n## Raw notes (extras, setup failures)\n")
for n in notes:
    if "pairs_built" in n: continue
    out.append("- `" + json.dumps(n)[:1500].replace("`", "'") + "`")
print("\n".join(out))
