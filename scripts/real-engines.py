#!/usr/bin/env python3
"""Replay cfglint's attack strings on real backtracking engines.

Reads `cfglint check|regex --format json` output on stdin and, for every
CL001/CL002 finding (or the `verdict` of `cfglint regex`), times the attack
in node's RegExp and Python's re at growing pump counts. A finding counts as
reproduced when either engine's time grows super-linearly with the input
(doubling the pumps more than doubles the time, consistently) and the
slowest run takes at least 20 ms.

    cfglint check ../shared/corpus/configs/owasp-crs/rules --format json \\
        | python3 scripts/real-engines.py

This is a development tool: timings are wall-clock and machine-dependent,
so it is never part of the test suite. PCRE itself is measured by
`cfglint bench` (step-counted PCRE2).
"""

import json
import re
import subprocess
import sys
import time

NODE_SCRIPT = r"""
const [src, flags, prefix, pump, suffix, ns] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
let re;
try { re = new RegExp(src, flags); } catch (e) { console.log(JSON.stringify({error: String(e)})); process.exit(0); }
const out = [];
for (const n of ns) {
  const s = prefix + pump.repeat(n) + suffix;
  const t = process.hrtime.bigint();
  re.test(s);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  out.push([n, ms]);
  if (ms > 1500) break;
}
console.log(JSON.stringify({points: out}));
"""


def split_flags(pattern):
    """Move a leading inline-flag group such as `(?i)` or `(?is)` out."""
    m = re.match(r"^\(\?([a-zA-Z]+)\)", pattern)
    if m and set(m.group(1)) <= set("imsx"):
        return pattern[m.end():], m.group(1)
    return pattern, ""


def to_js(pattern):
    p, flags = split_flags(pattern)
    p = p.replace("(?P<", "(?<").replace("\\z", "$").replace("\\A", "^")
    js_flags = "".join(f for f in flags if f in "ims")
    return p, js_flags


def to_py(pattern):
    p = re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)
    return p.replace("\\z", "\\Z")


def superlinear(points):
    pts = [(n, ms) for n, ms in points if ms > 0.05]
    if len(pts) < 3 or pts[-1][1] < 20:
        return False
    ratios = []
    for (n1, t1), (n2, t2) in zip(pts, pts[1:]):
        if n2 > n1 and t1 > 0:
            ratios.append((t2 / t1) / (n2 / n1))
    tail = ratios[-2:]
    return len(tail) == 2 and all(r > 1.4 for r in tail)


def schedule(exponential):
    if exponential:
        return list(range(8, 41, 2))
    return [256 * 2**i for i in range(0, 9)]


def run_node(pattern, attack, ns):
    src, flags = to_js(pattern)
    payload = json.dumps([src, flags, attack["prefix"], attack["pump"], attack["suffix"], ns])
    try:
        p = subprocess.run(["node", "-e", NODE_SCRIPT], input=payload, capture_output=True, text=True, timeout=60)
        return json.loads(p.stdout or "{}")
    except Exception as e:  # noqa: BLE001 - a dev tool reports and goes on
        return {"error": str(e)}


def run_python(pattern, attack, ns, flags=""):
    try:
        f = 0
        for c in flags:
            f |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}.get(c, 0)
        r = re.compile(to_py(pattern), f)
    except Exception as e:  # noqa: BLE001
        return {"error": str(e)}
    out = []
    for n in ns:
        s = attack["prefix"] + attack["pump"] * n + attack["suffix"]
        t = time.perf_counter()
        r.search(s)
        ms = (time.perf_counter() - t) * 1000
        out.append([n, ms])
        if ms > 1500:
            break
    return {"points": out}


def main():
    doc = json.load(sys.stdin)
    items = []
    for f in doc.get("findings", []):
        if f.get("code") in ("CL001", "CL002") and f.get("attack"):
            items.append((f"{f['file']} {f.get('key')}", f["pattern"], f["flavor"], f["complexity"], f["attack"]))
    v = doc.get("verdict")
    if v and v.get("attack") and not items:
        items.append(("<command line>", doc["findings"][0]["pattern"] if doc.get("findings") else "", v["flavor"], v["complexity"], v["attack"]))
    reproduced = 0
    for label, pattern, flavor, complexity, attack in items:
        ns = schedule(complexity == "exponential")
        engines = {}
        if flavor in ("js", "pcre", "java"):
            engines["node"] = run_node(pattern, attack, ns)
        if flavor in ("python", "pcre", "java"):
            engines["python"] = run_python(pattern, attack, ns)
        ok = [name for name, r in engines.items() if superlinear(r.get("points", []))]
        reproduced += bool(ok)
        status = "reproduced in " + ", ".join(ok) if ok else "NOT reproduced"
        errs = "; ".join(f"{k}: {r['error'][:60]}" for k, r in engines.items() if "error" in r)
        print(f"{status:<28} {complexity:<11} {label}" + (f"   ({errs})" if errs else ""))
    print(f"\n{reproduced} of {len(items)} attacks blow up a real engine")


if __name__ == "__main__":
    main()
