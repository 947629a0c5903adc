"""Hugging Face checkpoints for hub-weights.test, and the comparison.

write DIR: builds small random BertModel, RobertaModel, ViTModel and
ViTMAEModel from configs (offline) and saves each with save_pretrained in
the hub layout (DIR/NAME/model.safetensors and config.json); the sizes fit
Inputs/hub_text.dream and Inputs/hub_vision.dream.

compare MODEL.py CHECKPOINT DIR: loads the `dreamc --emit=pytorch` module
with the trainer's checkpoint (whose encoder weights the trainer mapped
from DIR) and compares each encoder's output (encode_NAME) with the
transformers model's last_hidden_state on the same inputs. Prints the
largest difference per model; exit status 1 if one exceeds 1e-4.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))

TOLERANCE = 1e-4
TEXT = dict(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=64)
VISION = dict(image_size=28, patch_size=4, num_channels=1, hidden_size=32,
              num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def models():
    from transformers import (BertConfig, BertModel, RobertaConfig, RobertaModel,
                              ViTConfig, ViTMAEConfig, ViTMAEModel, ViTModel)
    return {
        "bert": lambda: BertModel(BertConfig(max_position_embeddings=40, **TEXT)),
        # RoBERTa numbers positions from padding_idx + 1 = 2. Its own
        # feed-forward width keeps the two text encoders' calls apart.
        "roberta": lambda: RobertaModel(RobertaConfig(
            max_position_embeddings=18, **dict(TEXT, intermediate_size=48))),
        "vit": lambda: ViTModel(ViTConfig(**VISION)),
        # mask_ratio 0 keeps every patch: the encoder in evaluation.
        "mae": lambda: ViTMAEModel(ViTMAEConfig(mask_ratio=0.0, **VISION)),
    }


def write(out):
    torch.manual_seed(0)
    for name, build in models().items():
        model = build()
        # Random layer norms and biases, so that a swapped tensor shows.
        with torch.no_grad():
            for key, value in model.named_parameters():
                if "LayerNorm" in key or "layernorm" in key or key.endswith("bias"):
                    value.normal_(0.0, 0.5).add_(1.0 if key.endswith("weight") else 0.0)
        model.save_pretrained(f"{out}/{name}", safe_serialization=True)


def compare(module_path, checkpoint, out):
    import dream_data
    exported = dream_data.load_module(module_path)
    ours = exported.Model()
    exported.load_checkpoint(ours, checkpoint)
    ours.eval()
    torch.manual_seed(1)
    ids = torch.randint(5, 30522, (3, 16))  # No padding token (0 or 1).
    images = torch.rand(3, 1, 28, 28)
    inputs = {"bert": (ids, {}), "roberta": (ids, {}), "vit": (images, {}),
              "mae": (images, {"noise": torch.arange(49.0).expand(3, 49)})}
    failed = False
    for name, build in models().items():
        if not hasattr(ours, "encode_" + name):
            continue
        reference = type(build()).from_pretrained(f"{out}/{name}").eval()
        x, extra = inputs[name]
        with torch.no_grad():
            expected = reference(x, **extra).last_hidden_state
            actual = getattr(ours, "encode_" + name)(x)
        difference = (actual - expected).abs().max().item()
        failed |= actual.shape != expected.shape or not difference <= TOLERANCE
        print(f"{name}: {tuple(actual.shape)} vs transformers {tuple(expected.shape)}, "
              f"largest difference {difference:.1e} "
              f"({'within' if difference <= TOLERANCE else 'above'} {TOLERANCE:g})")
    sys.exit(1 if failed else 0)


if sys.argv[1] == "write":
    write(sys.argv[2])
else:
    compare(*sys.argv[2:5])
