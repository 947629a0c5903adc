//===- PyTorchEmitter.cpp - The plan as a plain torch.nn module -----------===//
//
// `dreamc --emit=pytorch` writes Python source for a `Model(nn.Module)`
// that computes what the plan says: the plan is the one description of the
// network that the runtime also executes, so the export follows its op
// table (docs/plan.md) step by step, fused steps through their reference
// steps. Parameters carry the plan's names (nested modules, so that
// `state_dict()` keys are the trainer's checkpoint names), frozen ones
// `requires_grad=False`. Steps the plan marks frozen run in evaluation mode
// whatever the module's mode, as in the trainer.
//
//===----------------------------------------------------------------------===//

#include "dream/Ops/Registry.h"
#include "dream/Plan/PlanEmitter.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>

using Json = nlohmann::json;
using namespace dream::schema;

namespace {

/// What every exported module shares: parameter creation and
/// initialisation like the trainer's, the helpers of ops that are more than
/// one call, and the checkpoint loader.
constexpr const char *kPrelude = R"py(
import math

import torch
import torch.nn.functional as F
from torch import nn


def _init(tensor, init, fan_in, fan_out):
    with torch.no_grad():
        if init == "uniform":
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            tensor.uniform_(-bound, bound)
        elif init == "normal":
            tensor.normal_(0, 1)
        elif init == "normal_0.02":
            tensor.normal_(0, 0.02)
        elif init == "xavier_uniform":
            bound = math.sqrt(6 / (fan_in + fan_out))
            tensor.uniform_(-bound, bound)
        elif init == "ones":
            tensor.fill_(1)
        else:
            tensor.zero_()


def _keep_mask(batch, positions, ratio, generator):
    kept = int(positions * (1 - ratio))
    order = torch.rand(batch, positions, generator=generator).argsort(
        dim=1, stable=True)
    return torch.ones(batch, positions).scatter_(
        1, order[:, :positions - kept], 0.0)


def _mask(x, ratio, masking, training):
    if masking == "off" or (masking == "train" and not training):
        return x
    # `always` in evaluation masks the same positions on every call.
    generator = None if training else torch.Generator().manual_seed(0)
    keep = _keep_mask(x.shape[0], x.shape[1], ratio, generator)
    shape = [x.shape[0], x.shape[1]] + [1] * (x.dim() - 2)
    return x * keep.view(shape).to(x.device, x.dtype)


def _pool(x, kind):
    positions = x.transpose(1, 2) if x.dim() == 3 else x.flatten(2)
    return positions.amax(-1) if kind == "max" else positions.mean(-1)


def _batch_norm(x, mean, var, weight, bias, training, momentum, eps):
    # ATen's CPU backward (torch 2.11) reads an incoming gradient laid out
    # otherwise than the input in the wrong order where a spatial side of 1
    # makes the layout ambiguous (a patchify after the norm): it is given a
    # contiguous one, as the trainer does.
    y = F.batch_norm(x, mean, var, weight, bias, training, momentum, eps)
    if y.requires_grad and 1 in x.shape[2:]:
        y.register_hook(lambda g: g.contiguous())
    return y


def _patchify(x, p):
    b, c, h, w = x.shape
    return (x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
            .reshape(b, (h // p) * (w // p), c * p * p))


def _unpatchify(x, p, c, h, w):
    return (x.reshape(x.shape[0], h // p, w // p, c, p, p)
            .permute(0, 3, 1, 4, 2, 5).reshape(x.shape[0], c, h, w))


def _padding(x):
    # Token id 0 ([PAD]) of a token input: keys attention ignores.
    return x.eq(0) if not x.is_floating_point() else None


def _masked_softmax(scores, pad):
    # Softmax without the keys `pad` marks. An all-padding sequence has no
    # key: its weights are zero (it attends to nothing), as in
    # scaled_dot_product_attention; its scores stay unmasked so that neither
    # the softmax nor its gradient meets a row of -inf.
    no_key = pad.all(1)[:, None, None, None]
    ignored = pad[:, None, None, :] & ~no_key
    return torch.softmax(scores.masked_fill(ignored, float("-inf")),
                         -1).masked_fill(no_key, 0.0)


def _transformer(x, p, heads, dropout, training, norm_first, eps, pad):
    # nn.TransformerEncoderLayer(batch_first=True, activation="gelu") with
    # norm_first and eps; `pad` is the key padding mask when the sequence is
    # the token input's.
    dropout = dropout if training else 0.0
    b, length, width = x.shape
    if pad is not None and tuple(pad.shape) != (b, length):
        pad = None

    def attend(t):
        qkv = F.linear(t, p[0], p[1]).view(b, length, 3, heads, width // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / math.sqrt(width // heads)
        weights = (torch.softmax(scores, -1) if pad is None
                   else _masked_softmax(scores, pad))
        weights = F.dropout(weights, dropout, training)
        context = (weights @ v).transpose(1, 2).reshape(b, length, width)
        return F.dropout(F.linear(context, p[2], p[3]), dropout, training)

    def feed(t):
        inner = F.dropout(F.gelu(F.linear(t, p[4], p[5])), dropout, training)
        return F.dropout(F.linear(inner, p[6], p[7]), dropout, training)

    norm1 = lambda t: F.layer_norm(t, (width,), p[8], p[9], eps)
    norm2 = lambda t: F.layer_norm(t, (width,), p[10], p[11], eps)
    if norm_first:
        h = x + attend(norm1(x))
        return h + feed(norm2(h))
    h = norm1(x + attend(x))
    return norm2(h + feed(h))


def _cls(x, token):
    return torch.cat([token.expand(x.shape[0], 1, -1), x], 1)


def _embed(x, table):
    # A distribution over the vocabulary (a differentiable bridge's) embeds
    # as its expectation.
    return x @ table if x.is_floating_point() else F.embedding(x, table)


def _straight_through(scores):
    soft = torch.softmax(scores, -1)
    hard = F.one_hot(scores.argmax(-1), scores.shape[-1]).to(soft.dtype)
    return hard + (soft - soft.detach())


def _lstm(x, params, hidden, layers, bidirectional, training):
    directions = 2 if bidirectional else 1
    zeros = x.new_zeros(layers * directions, x.shape[0], hidden)
    return torch.lstm(x, (zeros, zeros), params, True, layers, 0.0, training,
                      bidirectional, True)[0]


class _Parameters(nn.Module):
    """Creates the plan's parameters under their dotted names."""

    def __init__(self):
        super().__init__()
        for name, shape, init, fan_in, fan_out, trainable, buffer in PARAMETERS:
            owner = self
            *path, leaf = name.split(".")
            for part in path:
                if part not in owner._modules:
                    owner.add_module(part, nn.Module())
                owner = owner._modules[part]
            tensor = torch.empty(shape)
            _init(tensor, init, fan_in, fan_out)
            if buffer:
                owner.register_buffer(leaf, tensor)
            else:
                owner.register_parameter(
                    leaf, nn.Parameter(tensor, requires_grad=trainable))

    def tensors(self):
        found = dict(self.named_parameters())
        found.update(self.named_buffers())
        return found


def load_checkpoint(model, path):
    """Loads a trainer's safetensors file into `model`: a checkpoint
    (train.safetensors: the model's tensors under "model/", beside the
    optimizer's) or encoder weights (plain names). Returns the names
    loaded."""
    from safetensors.torch import load_file
    state = model.state_dict()
    loaded = []
    for name, value in load_file(path).items():
        name = name[len("model/"):] if name.startswith("model/") else name
        if name in state:
            if tuple(value.shape) != tuple(state[name].shape):
                raise ValueError(f"{path}: '{name}' has shape "
                                 f"{tuple(value.shape)}, the model's is "
                                 f"{tuple(state[name].shape)}")
            state[name].copy_(value)
            loaded.append(name)
    return loaded
)py";

std::string pyString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string pyTuple(const std::vector<int64_t> &list) {
  std::string out = "(";
  for (int64_t v : list)
    out += std::to_string(v) + ", ";
  return out + ")";
}

std::string pyNumber(const Json &v) {
  if (v.is_boolean())
    return v.get<bool>() ? "True" : "False";
  return v.dump();
}

/// Python for the steps of one graph, with value numbers mapped to
/// variable names.
class GraphWriter {
public:
  GraphWriter(const Plan &plan, llvm::raw_ostream &os) : plan(plan), os(os) {}

  /// Writes `graph`'s steps; `names` maps its input values to variables.
  /// Returns the variables of its outputs.
  std::vector<std::string> write(const Graph &graph,
                                 std::map<int64_t, std::string> names) {
    for (const Step &step : graph.steps)
      names[step.output] = writeStep(step, names);
    std::vector<std::string> outputs;
    for (int v : graph.outputs)
      outputs.push_back(names.at(v));
    return outputs;
  }

private:
  /// What the registry's export rule of `step` reads.
  dream::ExportContext context(const Step &step,
                              std::vector<std::string> inputs) {
    dream::ExportContext c;
    c.inputs = std::move(inputs);
    for (const ParamRef &p : step.params)
      c.params.push_back("t[" + pyString(p.name) + "]");
    for (const auto &[name, value] : step.attrs.items())
      c.attrs[name] = value.is_array()
                          ? pyTuple(value.get<std::vector<int64_t>>())
                          : pyNumber(value);
    c.shape = step.shape;
    // Steps of frozen encoders run in evaluation mode, as in the trainer.
    c.training = step.frozen ? "False" : "self.training";
    return c;
  }

  std::string writeStep(const Step &step,
                        const std::map<int64_t, std::string> &names) {
    std::vector<std::string> in;
    for (int v : step.inputs)
      in.push_back(names.at(v));
    const std::string &op = step.op;
    if (op == "fused") {
      std::map<int64_t, std::string> inner;
      const Graph &reference = plan.findKernel(step.kernel)->reference;
      for (size_t i = 0; i < reference.inputs.size(); ++i)
        inner[reference.inputs[i]] = in[i];
      return write(reference, inner)[0];
    }
    std::string out = "v" + std::to_string(counter++);
    const dream::OpSpec *spec = dream::lookupDialectOp(op);
    if (!spec || !spec->pytorch) {
      if (unknown.empty())
        unknown = op;
      return out;
    }
    std::string e = spec->pytorch(context(step, in));
    os << "        " << out << " = " << e << "\n";
    return out;
  }

public:
  /// The first op without a translation, if any.
  std::string unknown;

private:
  const Plan &plan;
  llvm::raw_ostream &os;
  int counter = 1;
};

} // namespace

llvm::Expected<std::string> dream::emitPyTorch(const Plan &plan) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "\"\"\"" << plan.network << " from "
     << (plan.source.empty() ? "?" : plan.source)
     << ", exported by `dreamc --emit=pytorch`.\n\n"
        "Model() has the trainer's parameter names and shapes (frozen ones "
        "with\nrequires_grad=False); load_checkpoint(model, path) reads a "
        "trainer's\nsafetensors files. forward(x) returns the logits; "
        "encode_NAME(x) runs\nencoder NAME alone.\n"
        "\"\"\"\n";
  os << kPrelude << "\n\n";
  os << "# (name, shape, init, fan_in, fan_out, trainable, buffer)\n"
     << "PARAMETERS = [\n";
  for (const schema::ParamSpec &p : plan.params) {
    int64_t fanOut = p.shape.size() == 2 ? p.shape[0] : 0;
    os << "    (" << pyString(p.name) << ", " << pyTuple(p.shape) << ", "
       << pyString(p.init) << ", " << p.fanIn << ", " << fanOut << ", "
       << (p.trainable ? "True" : "False") << ", "
       << (p.buffer ? "True" : "False") << "),\n";
  }
  os << "]\n";
  os << "INPUT_SHAPE = " << pyTuple(plan.input.shape) << "\n"
     << "CLASSES = " << plan.classes << "\n";

  os << "\n\nclass Model(_Parameters):\n"
     << "    def forward(self, x):\n"
     << "        t, pad = self.tensors(), _padding(x)\n";
  GraphWriter writer(plan, os);
  std::vector<std::string> outputs =
      writer.write(plan.graph, {{plan.graph.inputs[0], "x"}});
  os << "        return " << outputs[0] << "\n";
  // Each encoder alone, to compare it with the model its weights came from.
  for (const EncoderSpec &encoder : plan.encoders) {
    os << "\n    def encode_" << encoder.name << "(self, x):\n"
       << "        t, pad = self.tensors(), _padding(x)\n";
    std::vector<std::string> latents =
        writer.write(encoder.encode, {{encoder.encode.inputs[0], "x"}});
    os << "        return " << latents[0] << "\n";
  }
  if (writer.unknown == "native")
    return llvm::createStringError(
        "the network uses a native op (dreamc --load), whose C++ forward "
        "function has no PyTorch translation; export a network without it");
  if (!writer.unknown.empty())
    return llvm::createStringError(
        "the plan's op '" + writer.unknown +
        "' has no PyTorch translation; please report this with the input file");
  return text;
}
