"""Writes, into the folder given, one .dream program at each limit of the
language (docs/language.md, Limits) and one just past it, named
LIMIT-at.dream and LIMIT-past.dream (the imports' chains as
imports-at/root.dream and imports-past/root.dream)."""
import os
import sys

out = sys.argv[1]


def write(name, text):
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def both(limit, program):
    write(f"{limit}-at.dream", program(0))
    write(f"{limit}-past.dream", program(1))


IMAGE = "network N {\n    input x : image[1, 28, 28]\n    return "
# 256 brackets with the network's `{`.
both("brackets", lambda extra: IMAGE + "(" * (255 + extra) + "x" + ")" * (255 + extra)
     + "\n}\n")
# 256 with the `{` and the `(` of conv around the signs.
both("unary", lambda extra: IMAGE + "x -> conv(" + "- " * (254 + extra)
     + "8) -> pool -> dense(10)\n}\n")
# 1000 operators in one constant expression (its value stays 8).
both("operators", lambda extra: IMAGE + "x -> conv(" + "1 + " * (999 + extra)
     + f"8 - {999 + extra}) -> pool -> dense(10)\n}}\n")
# 20000 stages.
both("stages", lambda extra: "network N { input x : tensor[4]  return x"
     + " -> relu" * (20000 + extra) + " }\n")
# Blocks applying blocks 64 deep (no block may apply itself).
both("blocks", lambda extra: "".join(
    f"block b{i} {{ input x  return x -> b{i + 1} }}\n" for i in range(1, 64 + extra))
    + f"block b{64 + extra} {{ input x  return x -> relu }}\n"
    + "network N { input x : tensor[4]  return x -> b1 }\n")
# repeat 64, and a block repeated 64 times whose 64 outputs are collected.
both("repeat", lambda extra: "block r { input x  emit x  return x -> relu }\n"
     "network N { input x : tensor[4]\n"
     f"    h = x -> repeat({64 + extra}) r\n"
     "    return (h + (collect(r) -> sum)) -> dense(2) }\n")
# Dimensions up to 2^31, and down to 1.
both("dimensions", lambda extra: f"network N {{ input x : tensor[{2**31 + extra}]  "
     "return x -> dense(2) }\n")
write("dimensions-one.dream",
      "network N { input x : image[1, 1, 1]  return x -> conv(1, 1) -> pool -> dense(1) }\n")
# Integer literals up to 2^63 - 1.
both("integers", lambda extra: "network N { input x : tensor[4]  return x -> dense(2) }\n"
     f"train N {{ seed {2**63 - 1 + extra} }}\n")
# 32 files importing each other, the network's file first.
for name, files in (("imports-at", 32), ("imports-past", 33)):
    write(f"{name}/root.dream",
          'import "f1.dream"\nnetwork N { input x : tensor[4]  return x -> b1 }\n')
    for i in range(1, files - 1):
        write(f"{name}/f{i}.dream",
              f'import "f{i + 1}.dream"\nblock b{i} {{ input x  return x -> b{i + 1} }}\n')
    write(f"{name}/f{files - 1}.dream", f"block b{files - 1} {{ input x  return x -> relu }}\n")
