#!/usr/bin/env python3
"""Independent plain character-n-gram BM25 on JaQuAD dev, to compare with bench_ground_retrieval.

Corpus: every distinct context (first occurrence order, as the C bench); query: every question.
Variants via flags; prints recall@1/@5 for all / even / odd questions (position in the data set).
  python3 tools/bm25_ref.py [--k1 1.2] [--b 0.75] [--idf lucene|okapi|robertson] [--title]
      [--nfkc] [--lower] [--n 2] [--qdup] [--dump FILE]
"""
import argparse, json, math, unicodedata, collections, sys

p = argparse.ArgumentParser()
p.add_argument('--k1', type=float, default=1.2)
p.add_argument('--b', type=float, default=0.75)
p.add_argument('--idf', default='lucene')
p.add_argument('--title', action='store_true')
p.add_argument('--nfkc', action='store_true')
p.add_argument('--lower', action='store_true')
p.add_argument('--n', type=int, default=2)
p.add_argument('--qdup', action='store_true', help='count duplicate query n-grams')
p.add_argument('--alnum', action='store_true', help='n-grams within letter/digit runs only')
p.add_argument('--dump', default=None)
p.add_argument('--uni', type=float, default=0, help='add this weight x BM25 over single kanji (CJK ideographs)')
p.add_argument('--dir', default='../shared/data/qa/jaquad')
a = p.parse_args()

docs, dindex, qs = [], {}, []
for f in range(4):
    root = json.load(open(f'{a.dir}/jaquad_dev_{f:04d}.json', encoding='utf-8'))
    for art in root['data']:
        for para in art['paragraphs']:
            ctx = para['context']
            if ctx not in dindex:
                dindex[ctx] = len(docs)
                docs.append((art['title'], ctx))
            for qa in para['qas']:
                qs.append((qa['question'], dindex[ctx]))

def norm(s):
    if a.nfkc: s = unicodedata.normalize('NFKC', s)
    if a.lower: s = s.lower()
    return s

def grams(s):
    s = norm(s)
    if a.alnum:
        out, run = [], []
        for ch in s + ' ':
            if ch.isalnum(): run.append(ch)
            else:
                if len(run) == 1 and a.n > 1: out.append(run[0])
                out += [''.join(run[i:i + a.n]) for i in range(len(run) - a.n + 1)]
                run = []
        return out
    out = [s[i:i + a.n] for i in range(len(s) - a.n + 1)]
    if a.uni: out += ['U' + ch for ch in s if '\u4e00' <= ch <= '\u9fff']
    return out

N = len(docs)
tfs, lens, df = [], [], collections.Counter()
for t, c in docs:
    g = grams((t + '\n' + c) if a.title else c)
    tf = collections.Counter(g)
    tfs.append(tf); lens.append(len(g)); df.update(tf.keys())
avg = sum(lens) / N
post = collections.defaultdict(list)
for d, tf in enumerate(tfs):
    for term, n in tf.items(): post[term].append((d, n))

idfs = {}
if a.idf == 'okapi':  # rank_bm25 BM25Okapi: negative idf floored at 0.25 x mean idf
    raw = {t: math.log(N - n + 0.5) - math.log(n + 0.5) for t, n in df.items()}
    eps = 0.25 * sum(raw.values()) / len(raw)
    idfs = {t: (v if v >= 0 else eps) for t, v in raw.items()}
def idf(t):
    n = df[t]
    if a.idf == 'lucene': return math.log(1 + (N - n + 0.5) / (n + 0.5))
    if a.idf == 'okapi': return idfs[t]
    return math.log((N - n + 0.5) / (n + 0.5))

tally = [[0, 0, 0], [0, 0, 0]]
out = open(a.dump, 'w') if a.dump else None
for qi, (qt, gold) in enumerate(qs):
    g = grams(qt)
    terms = collections.Counter(g) if a.qdup else collections.Counter(set(g))
    sc = collections.defaultdict(float)
    for t, qn in terms.items():
        if t not in df: continue
        w = idf(t) * qn * (a.uni if t[0] == 'U' and len(t) == 2 else 1)
        for d, n in post[t]:
            sc[d] += w * n * (a.k1 + 1) / (n + a.k1 * (1 - a.b + a.b * lens[d] / avg))
    ranked = sorted(sc, key=lambda d: (-sc[d], d))[:5]
    r = ranked.index(gold) + 1 if gold in ranked else 0
    h = qi & 1
    tally[h][0] += 1; tally[h][1] += r == 1; tally[h][2] += 1 <= r <= 5
    if out: out.write(f'{qi}\t{r}\t{ranked[:5]}\n')
n = tally[0][0] + tally[1][0]
print(f'recall@1 {(tally[0][1]+tally[1][1])/n:.4f} recall@5 {(tally[0][2]+tally[1][2])/n:.4f} | even {tally[0][1]/tally[0][0]:.4f}/{tally[0][2]/tally[0][0]:.4f} | odd {tally[1][1]/tally[1][0]:.4f}/{tally[1][2]/tally[1][0]:.4f}  ({N} docs, {n} q) {vars(a)}')
