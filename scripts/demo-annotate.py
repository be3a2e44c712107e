#!/usr/bin/env python3
"""Stand-in annotation for the dataset demo: turns `wfc convert --format jsonl` records into
records of the shared schema with a templated query and plan.

This is NOT a real annotation: queries and plans come from the shortcut's name and its
action list, not from a model reading the program. `wfc expand annotate` makes the real
ones. Usage: demo-annotate.py CONVERTED.jsonl > ANNOTATED.jsonl
"""
import hashlib
import json
import sys


def short(api):
    return api.rsplit(".", 1)[-1]


for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if not r.get("code"):
        # Kept as it is: the dataset builder rejects it with its reason.
        print(json.dumps(r, ensure_ascii=False))
        continue
    name = r["name"].split("__")[-1]
    apis = [a for a in r["apis"] if not a.endswith((".comment", ".setvariable", ".getvariable"))]
    steps = "\n".join(
        f"{i}. **Use {short(a)}**\n   - Call `{a}`." for i, a in enumerate(apis[:12], 1)
    )
    rec = {
        "id": "seed-" + hashlib.sha256(r["path"].encode()).hexdigest()[:16],
        "query": f"Build me a shortcut like \"{name}\" that works with {', '.join(short(a) for a in apis[:4])}.",
        "apis": r["apis"],
        "task_plan": steps or "1. **Run**\n   - Do nothing.",
        "code": r["code"],
        "category": None,
        "provenance": {
            "origin": "seed",
            "source": r["path"],
            "sampled_apis": [],
            "example_ids": [],
            "stage": "annotate",
            "model": "demo-template",
            "template_hash": None,
            "seed": None,
            "verdict": None,
            "repair_rounds": 0,
            "findings": [],
        },
        "error": None,
    }
    print(json.dumps(rec, ensure_ascii=False))
