"""Compares the trainer's token ids (tokenize-lines) with Hugging Face's
BERT tokenizer (the `tokenizers` library's BertWordPieceTokenizer, the
fast tokenizer of transformers' BERT models: BertNormalizer with
lower-casing, BertPreTokenizer, WordPiece; MiniLM's vocab.txt) on a few
hundred lines: WordNet glosses, and lines made from
accented, mixed-script, CJK, emoji, punctuation-heavy and control-laden
pieces, seeded. Prints the number of lines and of lines that differ, with
the first differences.

hf_tokens.py VOCAB GLOSSES_CSV TOKENIZE_LINES"""
import csv
import random
import subprocess
import sys

from tokenizers import BertWordPieceTokenizer

vocab, glosses, tool = sys.argv[1:]
LENGTH = 64
rng = random.Random(29)
PIECES = [
    "Café", "Müller", "naïve", "façade", "Ærøskøbing", "Straße", "GROSSE", "ẞ", "İstanbul",
    "ıi", "Ελληνικά", "ΟΔΥΣΣΕΥΣ", "σοφία", "Москва", "ёлка", "Ünïcödé", "résumé", "piñata",
    "Tiếng Việt", "Đà Nẵng", "東京", "中文字符", "日本語のテキスト", "カタカナ", "한국어",
    "العربية", "עברית", "हिन्दी", "ไทย", "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "★", "♥", "€100", "¥", "£5",
    "don’t", "“quoted”", "‘single’", "«guillemets»", "¿Qué?", "¡Sí!", "—", "–", "…", "‰",
    "e\u0301", "a\u0308", "n\u0303", "\u00a0", "\u2009", "\u200b", "\u200d", "\u2028", "\t",
    "\u0007", "\u001b", "\u0085", "\ufeff", "\ue000", "\ufffd", "ﬁne", "Ｆｕｌｌｗｉｄｔｈ", "①",
    "x²", "½", "™", "©", "Å", "Ω", "µ", "ﬀ", "Ǆ", "ǅ", "Σ", "ΣΑΣ", "co-operate", "e-mail",
    "U.S.A.", "3.14", "1,000,000", "@user", "#tag", "http://example.com/a?b=c", "C++",
    "a" * 101, "b" * 99 + "é", "x" * 50,
]
lines = []
with open(glosses, newline="") as f:
    for i, row in enumerate(csv.reader(f)):
        if i >= 100:
            break
        lines.append(" ".join(row[1:]))
for _ in range(250):
    words = [rng.choice(PIECES) for _ in range(rng.randint(1, 8))]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), rng.choice(lines[:100]).split(" ")[0])
    sep = rng.choice([" ", " ", "", ", ", "-", "\u3000"])
    lines.append(sep.join(words))
lines = [l.replace("\n", " ").replace("\r", " ") for l in lines]

reference = BertWordPieceTokenizer(vocab, lowercase=True)
reference.enable_truncation(LENGTH)
reference.enable_padding(length=LENGTH)
expected = [e.ids for e in reference.encode_batch(lines)]
out = subprocess.run([tool, vocab, str(LENGTH)], input="\n".join(lines) + "\n",
                     capture_output=True, text=True, check=True).stdout.splitlines()
ours = [[int(x) for x in l.split()] for l in out]
assert len(ours) == len(lines), (len(ours), len(lines))
differ = [i for i in range(len(lines)) if ours[i] != expected[i]]
print(f"{len(lines)} lines, {len(differ)} differ")
for i in differ[:5]:
    print(repr(lines[i]))
    print("  ours:", [reference.id_to_token(t) for t in ours[i] if t])
    print("  hf:  ", [reference.id_to_token(t) for t in expected[i] if t])
