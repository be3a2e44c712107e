"""Data-flow range of the `codebleu` package over Python hash seeds.

The package's data-flow match iterates over Python sets of names, so it changes with
PYTHONHASHSEED. This runs its data-flow match on every pair of a pairs.jsonl (fields `reference`,
`prediction`) and on the corpus of pairs with a non-empty prediction, once per seed, and writes
min and max per pair and for the corpus. wfc's parity test checks its own values lie inside.

  python scripts/codebleu-spread.py PAIRS.jsonl OUT.json [SEEDS]   (in a venv with codebleu 0.7.0)
"""
import json, os, subprocess, sys

def one_seed(path):
    from codebleu.dataflow_match import corpus_dataflow_match
    from codebleu.utils import get_tree_sitter_language
    lang = get_tree_sitter_language('python')
    pairs = [json.loads(l) for l in open(path)]
    score = lambda ps: corpus_dataflow_match([[p['reference'].strip()] for p in ps],
                                             [p['prediction'].strip() for p in ps], 'python',
                                             tree_sitter_language=lang)
    return {'pairs': [score([p]) for p in pairs], 'corpus': score([p for p in pairs if p['prediction']])}

if __name__ == '__main__':
    if sys.argv[1] == '--one':
        print(json.dumps(one_seed(sys.argv[2])))
        sys.exit()
    path, out = sys.argv[1], sys.argv[2]
    seeds = range(int(sys.argv[3]) if len(sys.argv) > 3 else 16)
    runs = []
    for s in seeds:
        env = dict(os.environ, PYTHONHASHSEED=str(s))
        res = subprocess.run([sys.executable, __file__, '--one', path], env=env, check=True,
                             capture_output=True, text=True)
        runs.append(json.loads(res.stdout))
    n = len(runs[0]['pairs'])
    json.dump({'note': 'codebleu 0.7.0 data-flow match, min and max over PYTHONHASHSEED values',
               'seeds': list(seeds),
               'pairs': [[min(r['pairs'][i] for r in runs), max(r['pairs'][i] for r in runs)] for i in range(n)],
               'corpus': [min(r['corpus'] for r in runs), max(r['corpus'] for r in runs)]},
              open(out, 'w'))
