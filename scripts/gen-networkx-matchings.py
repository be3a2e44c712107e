#!/usr/bin/env python3
"""Regenerates tests/fixtures/teval/networkx_matchings.json: random tied weight matrices and the
matching networkx.max_weight_matching picks on T-Eval's graph construction (edges added row by
row as (i, str(j)) for weights above the threshold). Needs networkx (3.6.1 was used)."""
import json, random, sys
import networkx as nx

rng = random.Random(15)
cases = []
levels = [0.0, 0.5, 0.81, 0.85, 0.9, 0.95, 1.0]
for n in range(400):
    rows = rng.randint(1, 7)
    cols = rng.randint(1, 7)
    pool = rng.sample(levels, rng.randint(2, 4))
    m = [[rng.choice(pool) for _ in range(cols)] for _ in range(rows)]
    thr = 0.8
    G = nx.Graph()
    for i in range(rows):
        for j in range(cols):
            if m[i][j] > thr:
                G.add_edge(i, str(j), weight=m[i][j])
    mapping = [-1] * rows
    for a, b in nx.max_weight_matching(G):
        if type(a) == int:
            mapping[a] = int(b)
        else:
            mapping[b] = int(a)
    cases.append({"matrix": m, "threshold": thr, "pred_to_gold": mapping})
json.dump({"networkx": nx.__version__, "cases": cases}, sys.stdout, separators=(",", ":"))
