"""Checks ds4-bench's ratio columns against its own times and the transformers JSON of
torch-tiny.json: speedup = torch median / ds4 median, vs fastest = torch min / ds4 median."""
import json
import os
import sys

table, out = sys.argv[1], sys.argv[2]
torch = json.load(open(os.path.join(os.path.dirname(__file__), "torch-tiny.json")))
for line in open(table):
    f = line.split()
    if not f or f[0] not in torch:
        continue
    ms = float(f[f.index("token,") + 3] if "token," in f else f[f.index("tokens") + 1])
    speedup, fastest = float(f[-2].rstrip("x")), float(f[-1].rstrip("x"))
    t = torch[f[0]]
    ok1 = abs(speedup - t["ms"] / ms) <= 0.01 * speedup + 0.01
    ok2 = abs(fastest - min(t["samples"]) / ms) <= 0.01 * fastest + 0.01
    print(f"{f[0]} speedup {'ok' if ok1 else 'BAD'}, vs fastest {'ok' if ok2 else 'BAD'}")
steps = json.load(open(out))["steps"]
assert all(s["ms"] > 0 and len(s["samples"]) == 3 for s in steps.values()), steps
print("json steps:", " ".join(sorted(steps)))
print("json components:", ", ".join(f"{k} {' '.join(sorted(v['components']))}"
                                    for k, v in sorted(steps.items())))
