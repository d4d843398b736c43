import json, sys, collections
D = sys.argv[1]
obs = [json.loads(l) for l in open(f"{D}/observed.jsonl")]
CODES = [("There's a migration process in progress", "INPROG"),
 ("migrate-pause is currently only supported", "PAUSE-ONLY-PCA"),
 ("Cannot resume if there is no paused migration", "NO-PAUSED"),
 ("Migrate recover can only be run when postcopy is paused", "RECOVER-ONLY-PAUSED"),
 ("The feature 'colo' is not enabled", "COLO-OFF"),
 ("Enable postcopy with migrate_set_capability", "NO-PC-CAP"),
 ("'-incoming' was not specified", "NO-INCOMING"),
 ("The incoming migration has already been started", "INC-STARTED"),
 ("Instance not found", "NO-INSTANCE"),
 ("Migration is not finalized yet", "NOT-FINALIZED"),
 ("duplicate yank instance", "YANK-DUP"),
 ("Guest is waiting for an incoming migration", "GUEST-WAITING-INC"),
 ("Postcopy must be started after migration has been started", "PC-NOT-STARTED"),
 ("Can't migrate the vm that was paused due to previous migration", "PAUSED-BY-PREV-MIG"),
 ("does not support OOB", "NO-OOB"),
 ("Migration not in expected state: ", "STATE:")]
def code(o):
    r = o["reply"]
    if "return" in r:
        s = "ok"
        a = o.get("after")
        if isinstance(a, dict) and "status" in a:
            ast = a.get("status")
            if isinstance(ast, dict):
                s += "→HANG" if "timeout" in json.dumps(ast) else "→DEAD"
                if "-11" in json.dumps(a): s = "ok→SIGSEGV"
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
        for k, c in CODES:
            if k in d:
                return c + (d.split(k)[1] if c == "STATE:" else "") + suf
        return r["error"]["class"] + ":" + d + suf
    return "TIMEOUT" if r.get("timeout") else json.dumps(r)
def key(o):
    a = o["arguments"]
    if o["command"] == "migrate-set-capabilities":
        return "set-caps " + ",".join(c["capability"] for c in a["capabilities"])
    if o["command"] == "migrate-set-parameters":
        return "set-params " + ",".join(f"{k}" for k in a)
    if o["command"] == "migrate":
        return "migrate" + (" resume" if a.get("resume") else "")
    return o["command"]
for side in ("source", "destination"):
    setups = []
    cells = collections.defaultdict(dict)
    rows = []
    for o in obs:
        if o["side"] != side: continue
        if o["setup"] not in setups: setups.append(o["setup"])
        k = key(o)
        if k not in rows: rows.append(k)
        c = code(o)
        if o.get("transport"): c += "(oob)"
        prev = cells[k].get(o["setup"])
        cells[k][o["setup"]] = c if prev is None or prev == c else prev + " / " + c
    print(f"\n#### {side} — columns\n")
    for i, s in enumerate(setups):
        sts = collections.Counter(str(o['status']) for o in obs if o['setup'] == s and o['side'] == side).most_common(3)
        rss = collections.Counter(str(o['runstate']) for o in obs if o['setup'] == s and o['side'] == side).most_common(3)
        print(f"- **{chr(65+i)}** = `{s}` — status {', '.join(k for k,_ in sts)}; runstate {', '.join(k for k,_ in rss)}")
    print()
    print("| command | " + " | ".join(chr(65+i) for i in range(len(setups))) + " |")
    print("|---|" + "---|" * len(setups))
    for k in rows:
        print(f"| {k} | " + " | ".join(cells[k].get(s, "") for s in setups) + " |")
