#!/usr/bin/env python3
"""make_wordnet_glosses.py: a topical text classification set in AG News layout,
built from Debian's WordNet 3.0 noun glosses (package wordnet-base).

Label = the synset's lexicographer file (see `man 5 lexnames`); text = its gloss
without the quoted example sentences; title = its first word. Four large, clearly
different lexfiles are kept, balanced by down-sampling to the smallest one, and
split 80/20 per class. Same input, same bytes out, every run.

Usage: make_wordnet_glosses.py [--wordnet DIR] [--out DIR]
Python standard library only.
"""
import argparse
import csv
import hashlib
import os
import sys

# Lexicographer file numbers of the classes, in class-index order (1..4).
CLASSES = [(5, "noun.animal"), (6, "noun.artifact"), (18, "noun.person"), (20, "noun.plant")]
# The standard noun lexfiles (lexnames(5WN)): anything else in data.noun is malformed.
NOUN_LEXFILES = range(3, 29)
SEED = "dreamc-wordnet-glosses-v1"
TEST_FRACTION = 0.2


def fail(msg):
    sys.exit(f"make_wordnet_glosses: error: {msg}")


def key(*parts):
    """Seeded, platform-independent sort key: a SHA-256 of the seed and the parts."""
    return hashlib.sha256(":".join((SEED,) + parts).encode()).hexdigest()


def clean_gloss(gloss):
    """Drop the example sentences ('; "..."') that follow the definition."""
    parts = [p.strip() for p in gloss.split(";")]
    kept = [p for p in parts if p and not p.startswith('"')]
    return "; ".join(kept) if kept else gloss.strip()


def parse_data_noun(path):
    """Yield (offset, lex_filenum, first_word, gloss) for each synset line of data.noun."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror} (install Debian's wordnet-base, or pass --wordnet DIR)")
    with f:
        for lineno, line in enumerate(f, 1):
            if line.startswith("  "):  # license header
                continue
            where = f"{path}:{lineno}"
            head, sep, gloss = line.rstrip("\n").partition(" | ")
            tok = head.split()
            try:
                if not sep or len(tok) < 6:
                    raise ValueError("expected 'offset lex_filenum ss_type w_cnt words... p_cnt ... | gloss'")
                offset, lexnum, ss_type, w_cnt = tok[0], tok[1], tok[2], int(tok[3], 16)
                if len(offset) != 8 or not offset.isdigit():
                    raise ValueError(f"bad synset offset {offset!r}")
                if len(lexnum) != 2 or not lexnum.isdigit() or int(lexnum) not in NOUN_LEXFILES:
                    raise ValueError(f"bad noun lex_filenum {lexnum!r}")
                if ss_type != "n":
                    raise ValueError(f"ss_type {ss_type!r} is not 'n'")
                p_cnt = int(tok[4 + 2 * w_cnt])
                if w_cnt < 1 or len(tok) != 5 + 2 * w_cnt + 4 * p_cnt:
                    raise ValueError("word/pointer counts do not match the fields")
            except (ValueError, IndexError) as e:
                fail(f"{where}: malformed synset line: {e}")
            yield offset, int(lexnum), tok[4].replace("_", " "), clean_gloss(gloss)


def write_csv(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        # AG News layout: no header, every field quoted, quotes doubled (RFC 4180).
        csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", default="/usr/share/wordnet", help="WordNet dict dir (data.noun)")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args()

    data_noun = os.path.join(args.wordnet, "data.noun")
    index_of = {lexnum: i for i, (lexnum, _) in enumerate(CLASSES, 1)}
    by_class = {i: [] for i in index_of.values()}
    total = 0
    for offset, lexnum, title, text in parse_data_noun(data_noun):
        total += 1
        if lexnum in index_of:
            by_class[index_of[lexnum]].append((offset, title, text))
    if total == 0:
        fail(f"{data_noun}: no synset lines found")

    n = min(len(v) for v in by_class.values())
    n_test = round(n * TEST_FRACTION)
    if n_test == 0:
        fail(f"{data_noun}: too few synsets per class ({n})")
    train, test = [], []
    for label, items in by_class.items():
        items.sort(key=lambda it: key("pick", it[0]))  # seeded shuffle, then down-sample
        kept = items[:n]
        test += [(label, t, x, o) for o, t, x in kept[:n_test]]
        train += [(label, t, x, o) for o, t, x in kept[n_test:]]
    for rows in (train, test):
        rows.sort(key=lambda r: key("order", r[3]))  # mix the classes
    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, "train.csv"), [r[:3] for r in train])
    write_csv(os.path.join(args.out, "test.csv"), [r[:3] for r in test])
    with open(os.path.join(args.out, "classes.txt"), "w", encoding="utf-8") as f:
        f.writelines(name + "\n" for _, name in CLASSES)

    lines = [f"{i}. {name} (lexfile {lexnum:02d}): {len(by_class[i])} synsets in WordNet"
             for i, (lexnum, name) in enumerate(CLASSES, 1)]
    readme = f"""# WordNet gloss topics (dreamc text set)

Built by `scripts/make_wordnet_glosses.py` from WordNet 3.0 (`{data_noun}`, Debian
package wordnet-base; WordNet licence: Princeton University).

Task: tell from a dictionary definition which of 4 topics a noun belongs to. The
label is the synset's lexicographer file; the text is its gloss with the quoted
example sentences removed; the title is the synset's first word.

Classes (index: name, size before balancing):
{chr(10).join(lines)}

Balanced by down-sampling every class to the smallest, {n} synsets, then split per
class: {n_test} test and {n - n_test} train each, so train.csv has {len(train)} rows
and test.csv {len(test)}. Both the sampling and the split order synsets by the
SHA-256 of "{SEED}:pick:<offset>", so every run gives the same bytes.

Layout as AG News: `train.csv`, `test.csv`, no header, columns `class index (1-based),
title, text`, every field quoted, quotes doubled (RFC 4180), rows end with LF.
`classes.txt` holds the class names, one a line, in index order.
"""
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme)

    print(f"wordnet glosses: {total} noun synsets read from {data_noun}")
    for line in lines:
        print("  " + line)
    print(f"  balanced to {n} per class: train {len(train)}, test {len(test)} -> {args.out}")


if __name__ == "__main__":
    main()
