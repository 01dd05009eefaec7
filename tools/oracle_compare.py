#!/usr/bin/env python3
"""Compares `sekisho logits` with the oracle's reference JSON for one model (developer tool).

usage: oracle_compare.py SEKISHO MODEL_NAME exact|fast [ORACLE_DIR]
Prints max |dlogit| over the top-20 (exact, vs ref_deq/) or rms |dlogprob| and top-1 agreement
(fast, vs ref/), and the greedy steps that agree before the first low-margin step."""
import json, math, os, subprocess, sys, tempfile

sek, name, mode = sys.argv[1:4]
root = sys.argv[4] if len(sys.argv) > 4 else "../shared/oracle"
refdir = "ref_deq" if mode == "exact" else "ref"
ref = json.load(open(f"{root}/{refdir}/{name}.json"))
model = f"{root}/models/{name}.gguf"
maxd, sq, nsq, same, tot, gsteps, gfail = 0.0, 0.0, 0, 0, 0, 0, 0
tol = 1e-3 if mode == "exact" else 0.05
for p in ref["prompts"]:
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(bytes.fromhex(p["text_hex"]))
    out = subprocess.run([sek, "logits", "-m", model, "-f", f.name, "--precision", mode,
                          "--greedy", str(len(p["greedy"]["tokens"]))],
                         capture_output=True, check=True).stdout
    os.unlink(f.name)
    d = json.loads(out)
    if d["tokens"] != p["tokens"]:
        print("TOKENS DIFFER", p["tokens"][:10], d["tokens"][:10])
        continue
    for rp, op in zip(p["positions"], d["positions"]):
        ours = {i: l for i, l in op["top"]}
        # our top-20 may not hold every reference id; compare those present
        for i, l in rp["top"]:
            if i in ours:
                dd = ours[i] - l
                maxd = max(maxd, abs(dd))
                sq += ((ours[i] - op["lse"]) - (l - rp["lse"])) ** 2
                nsq += 1
        tot += 1
        same += op["top"][0][0] == rp["top"][0][0]
    g, og = p["greedy"], d["greedy"]
    for k, st in enumerate(g["steps_top5"]):
        if st[0][1] - st[1][1] < tol:
            break
        if og["tokens"][k] != g["tokens"][k]:
            gfail += 1
            break
        gsteps += 1
print(f"{name:24s} {mode}: max|dlogit| {maxd:.2e} rms|dlogprob| {math.sqrt(sq/max(nsq,1)):.4f} "
      f"top1 {100*same/max(tot,1):.1f}% of {tot}, greedy steps ok {gsteps}, greedy mismatches {gfail}")
