"""Our all-MiniLM-L6-v2 against the reference: the exported module of a text
network, loaded with the checkpoint its trainer wrote (which holds the
MiniLM weights as the trainer mapped them onto std.text's minilm_l6),
encodes real gloss sentences; transformers' BertModel encodes the same ids
with their attention mask (the glosses are padded to 32 tokens, and both
ignore the padding as keys).

minilm_reference.py MODULE.py CHECKPOINT MINILM_DIR"""
import os
import sys

import torch
from transformers import BertModel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../scripts"))
import dream_data  # noqa: E402

module_path, checkpoint, minilm = sys.argv[1:4]
exported = dream_data.load_module(module_path)
ours = exported.Model()
exported.load_checkpoint(ours, checkpoint)
ours.eval()
reference = BertModel.from_pretrained(minilm).eval()
ids, _ = dream_data.wordnet_glosses("test", 8, 32, minilm)
assert (ids == 0).any(), "the glosses should be padded"
with torch.no_grad():
    expected = reference(ids, attention_mask=ids.ne(0).long()).last_hidden_state
    actual = ours.encode_minilm(ids)
difference = ((actual - expected).abs().max() / expected.abs().max()).item()
print(f"minilm: {tuple(actual.shape)} on {len(ids)} glosses, "
      f"largest difference {difference:.1e} of the largest output")
sys.exit(0 if difference < 1e-4 else 1)
