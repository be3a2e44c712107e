"""Scores pairs with the `codebleu` package (the reference wfc's CodeBLEU is checked against).

  PYTHONHASHSEED=0 python scripts/codebleu-reference.py PAIRS.jsonl [--time]

Reads lines with `reference` and `prediction`; prints one JSON line of `calc_codebleu` scores
per pair (or `{"error": ...}` when the package raises), then one line with the corpus score of
the pairs with a non-empty prediction. With --time, the last line is instead
`{"pairs_per_second": ...}` for scoring every pair once.
"""
import json, sys, time
from codebleu import calc_codebleu

pairs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = time.perf_counter()
for p in pairs:
    try:
        s = calc_codebleu([p['reference']], [p['prediction']], lang='python')
    except Exception as e:
        s = {'error': f'{type(e).__name__}: {e}'}
    if '--time' not in sys.argv:
        print(json.dumps(s))
dt = time.perf_counter() - t
if '--time' in sys.argv:
    print(json.dumps({'pairs': len(pairs), 'seconds': dt, 'pairs_per_second': len(pairs) / dt}))
else:
    ok = [p for p in pairs if p['prediction']]
    print(json.dumps(calc_codebleu([p['reference'] for p in ok], [p['prediction'] for p in ok], lang='python')))
