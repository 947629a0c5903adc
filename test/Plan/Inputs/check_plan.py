"""Checks structural properties every plan must have, then prints a summary
line per plan for FileCheck.

Properties: values are defined before use and exactly once; every step's
params exist; every parameter is used; frozen parameters are exactly those
of frozen encoders; the graph output has the network's class count.
"""
import json
import sys


def check_graph(graph, params, where):
    defined = set(graph["inputs"])
    for step in graph["steps"]:
        for value in step["inputs"]:
            assert value in defined, f"{where}: value {value} used before definition in {step}"
        for name in step.get("params", []):
            assert name in params, f"{where}: unknown param {name}"
        assert step["output"] not in defined, f"{where}: value {step['output']} defined twice"
        defined.add(step["output"])
    for value in graph["outputs"]:
        assert value in defined, f"{where}: output {value} undefined"


def main():
    for path in sys.argv[1:]:
        plan = json.load(open(path))
        assert plan["format"] == "dreamc-plan" and plan["version"] == 1
        params = {p["name"]: p for p in plan["params"]}
        assert len(params) == len(plan["params"]), "duplicate parameter names"
        check_graph(plan["graph"], params, "network")
        used = {n for s in plan["graph"]["steps"] for n in s.get("params", [])}
        for encoder in plan["encoders"]:
            for part in ("encode", "decode"):
                if encoder[part] is not None:
                    check_graph(encoder[part], params, encoder["name"] + "." + part)
                    used |= {n for s in encoder[part]["steps"] for n in s.get("params", [])}
            frozen = {n for n in params if n.startswith(encoder["name"] + ".")}
            for name in frozen:
                assert params[name]["trainable"] == (not encoder["frozen"]) or params[name]["buffer"], name
        assert used == set(params), f"unused parameters: {set(params) - used}"
        last = plan["graph"]["steps"][-1]
        assert last["shape"] == [plan["classes"]]
        source = "/".join(plan["source"].split("/")[-2:])
        print(f"{source} {plan['network']} classes={plan['classes']} "
              f"input={plan['input']['shape']} {plan['input']['dtype']} "
              f"encoder_calls={plan['cost']['encoder_calls_per_step']}")
        for e in plan["encoders"]:
            how = f"pretrain={e['pretrain']['kind']}" if e["pretrain"] else f"weights={e['weights']}"
            print(f"encoder {e['name']} {'frozen' if e['frozen'] else 'trainable'} {how} "
                  f"latent={e['latent']} output={e['output']}")


main()
