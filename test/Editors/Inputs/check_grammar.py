"""Checks editors/dream.tmLanguage.json against grammar/Dream.g4.

The TextMate grammar is valid JSON, its regular expressions compile, and
each keyword of the language grammar (its quoted words) is given a keyword
or language-constant scope when it stands alone, and `->` an operator
scope. Python's `re` reads the patterns, which are written in the subset
that it and the editors' Oniguruma share. Prints each keyword's scope.

usage: check_grammar.py Dream.g4 dream.tmLanguage.json
"""

import json
import re
import sys

grammar_path, tm_path = sys.argv[1:3]
keywords = sorted(set(re.findall(r"'([a-z]+)'", open(grammar_path).read())))
assert keywords, "no keywords found in the grammar"
language = json.load(open(tm_path))


def patterns(node):
    """Every pattern with `match`, through the repository's includes."""
    for pattern in node.get("patterns", []):
        include = pattern.get("include", "")
        if include.startswith("#"):
            yield from patterns(language["repository"][include[1:]])
        elif "match" in pattern:
            yield pattern
        else:
            yield from patterns(pattern)


def scopes_of(word):
    """The scopes the patterns give to `word` standing alone, in a
    declaration-like context (`word x {`), in the grammar's order."""
    sample = word + " x {"
    found = []
    for pattern in patterns(language):
        match = re.compile(pattern["match"]).search(sample)
        if not match:
            continue
        if "name" in pattern and match.group(0) == word:
            found.append(pattern["name"])
        for group, capture in pattern.get("captures", {}).items():
            if match.group(int(group)) == word:
                found.append(capture["name"])
    return found


for word in keywords:
    scopes = [s for s in scopes_of(word)
              if s.startswith(("keyword.", "constant.language."))]
    assert scopes, "keyword %r has no keyword scope in %s" % (word, tm_path)
    print("%s: %s" % (word, scopes[0]))
arrow = [p["name"] for p in patterns(language)
         if "name" in p and re.fullmatch(p["match"], "->")]
assert arrow and arrow[0].startswith("keyword.operator"), arrow
print("->: %s" % arrow[0])
