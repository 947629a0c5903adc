//===- DotEmitter.cpp - The network as a Graphviz graph ------------------===//
//
// Reads Sema's checked program, which has what a picture needs and nothing
// lowered away yet: the block applications (every repetition its own
// cluster, as `repeat` makes them), each stage's inferred shape, and each
// connection resolved to its encoder and adapters. The statements are
// walked as MLIRGen walks them, but every value becomes a node instead of
// an SSA value.
//
// Edges are written after all nodes, outside every cluster: an edge written
// inside a cluster would pull both its ends into it.
//
//===----------------------------------------------------------------------===//

#include "dream/Graph/DotEmitter.h"

#include "llvm/ADT/StringExtras.h"

using namespace dream;

namespace {

/// How the edges of each kind of flow are drawn.
constexpr const char *kSleepStyle = "style=dashed, color=blue, fontcolor=blue";
constexpr const char *kDreamStyle =
    "style=dashed, color=purple, fontcolor=purple";
constexpr const char *kEmitStyle =
    "style=dotted, color=purple, fontcolor=purple";

/// A tensor on its way to the next node: the node that made it, its shape,
/// and how edges from it are drawn (a connection's output keeps the
/// connection's style up to the node that takes it in).
struct Flow {
  std::string node;
  TensorType type;
  std::string style;
  std::string kind; ///< "sleep: deconv", ...: the first line of the label.
};
using Flows = std::vector<Flow>;

/// What `emit` sent, by the block that sent it, for `collect`.
using Emits = std::vector<std::pair<std::string, Flow>>;

/// A DOT string: quoted, with quotes and backslashes escaped and line
/// breaks as `\n`.
std::string quoted(llvm::StringRef text) {
  std::string result = "\"";
  for (char c : text) {
    if (c == '\n') {
      result += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      result += '\\';
    result += c;
  }
  return result + "\"";
}

std::string arguments(const ArgMap &args) {
  std::string text;
  for (const auto &[name, value] : args)
    text += (text.empty() ? "" : ", ") + name + " = " + value.str();
  return text;
}

class DotWriter {
public:
  DotWriter(const Program &program, llvm::raw_ostream &os)
      : program(program), os(os) {}

  void write() {
    const BlockInstance &network = *program.network;
    os << "digraph " << quoted(network.decl->name) << " {\n"
       << "  graph [label="
       << quoted(network.decl->name + "(" + arguments(network.params) + ")")
       << ", labelloc=t, fontname=Helvetica];\n"
       << "  node [shape=box, style=rounded, fontname=Helvetica];\n"
       << "  edge [fontname=Helvetica, fontsize=10];\n";
    Emits emits;
    Flows result = expand(network, {}, emits, 1);
    std::string output = node("output", "shape=ellipse", 1);
    connect(result, output);
    for (const std::string &edge : edges)
      os << "  " << edge << "\n";
    os << "}\n";
  }

private:
  /// The statements of `instance`, its inputs bound to `inputs` (a
  /// network's inputs become nodes); returns what it returns.
  Flows expand(const BlockInstance &instance, const Flows &inputs,
               Emits &emits, unsigned depth) {
    std::map<std::string, Flows> values;
    Flows result;
    size_t nextInput = 0;
    for (const Stmt &stmt : instance.decl->body) {
      switch (stmt.kind) {
      case Stmt::Kind::Input:
        if (instance.decl->isNetwork)
          values[stmt.name] = {
              {node(stmt.name, "shape=ellipse", depth),
               instance.stmtTypes.at(&stmt).single(), "", ""}};
        else
          values[stmt.name] = {inputs.at(nextInput++)};
        break;
      case Stmt::Kind::Let:
        values[stmt.name] = expr(*stmt.value, instance, values, emits, depth);
        break;
      case Stmt::Kind::Emit:
        emits.emplace_back(
            instance.decl->name,
            expr(*stmt.value, instance, values, emits, depth).front());
        break;
      case Stmt::Kind::Return:
        result = expr(*stmt.value, instance, values, emits, depth);
        break;
      }
    }
    return result;
  }

  Flows expr(const Expr &expr, const BlockInstance &instance,
             std::map<std::string, Flows> &values, Emits &emits,
             unsigned depth) {
    switch (expr.kind) {
    case Expr::Kind::ValueRef:
      return values.at(expr.name);
    case Expr::Kind::Collect: {
      Flows collected;
      for (const auto &[block, flow] : emits)
        if (block == expr.name)
          collected.push_back({flow.node, flow.type, kEmitStyle, "emit"});
      return collected;
    }
    case Expr::Kind::Tuple:
    case Expr::Kind::Add: {
      Flows operands;
      for (const auto &operand : expr.operands)
        for (Flow &flow : this->expr(*operand, instance, values, emits, depth))
          operands.push_back(std::move(flow));
      if (expr.kind == Expr::Kind::Tuple)
        return operands;
      std::string sum = node("+", "shape=circle", depth);
      connect(operands, sum);
      return {{sum, instance.exprTypes.at(&expr).single(), "", ""}};
    }
    case Expr::Kind::Pipe: {
      Flows flows =
          this->expr(*expr.operands.front(), instance, values, emits, depth);
      for (const Stage &stage : expr.stages)
        flows = this->stage(stage, instance.stages.at(&stage), flows, emits,
                            depth);
      return flows;
    }
    }
    return {};
  }

  Flows stage(const Stage &stage, const StageInfo &info, Flows flows,
              Emits &emits, unsigned depth) {
    switch (info.kind) {
    case StageInfo::Kind::Op: {
      std::string op = node(opLabel(stage, info), "", depth);
      connect(flows, op);
      return outputs(op, info.output, "", "");
    }
    case StageInfo::Kind::Block:
      for (const BlockInstance *block : info.blocks)
        flows = cluster(*block, flows, emits, depth);
      return flows;
    case StageInfo::Kind::Encode: {
      std::string encoder = encoderNode(*info.connection.encoder, depth);
      connect(flows, encoder);
      return outputs(encoder, info.output, "", "");
    }
    case StageInfo::Kind::Connection:
      return connection(info.connection, info.output, flows, depth);
    }
    return flows;
  }

  /// h -> sleep(phi) and h -> dream(ae): the state enters the encoder
  /// through one adapter and comes back through the other, on edges drawn
  /// as the connection.
  Flows connection(const ConnectionInfo &connection, const ValueType &output,
                   Flows flows, unsigned depth) {
    std::string kind = connection.isDream ? "dream" : "sleep";
    std::string style = connection.isDream ? kDreamStyle : kSleepStyle;
    std::string encoder = encoderNode(*connection.encoder, depth);
    for (Flow &flow : flows) {
      flow.style = style;
      flow.kind = kind + ": " + connection.in.kind;
    }
    connect(flows, encoder);
    return outputs(encoder, output, style, kind + ": " + connection.out.kind);
  }

  /// A block application: a cluster of its ops.
  Flows cluster(const BlockInstance &block, const Flows &inputs,
                Emits &emits, unsigned depth) {
    std::string pad(2 * depth, ' ');
    os << pad << "subgraph cluster_" << clusters++ << "_" << block.decl->name
       << " {\n"
       << pad << "  label="
       << quoted(block.decl->name + "(" + arguments(block.params) + ")")
       << "; style=rounded; color=gray40;\n";
    Flows result = expand(block, inputs, emits, depth + 1);
    os << pad << "}\n";
    return result;
  }

  /// An encoder, once per connection that runs it; frozen ones are filled.
  std::string encoderNode(const EncoderInstance &encoder, unsigned depth) {
    const EncoderDecl &decl = *encoder.decl;
    std::string label =
        decl.name + "\n" + (decl.isAutoencoder ? "autoencoder" : "encoder") +
        (encoder.frozen ? ", frozen" : ", trainable") + "\n" +
        (decl.encoder ? decl.encoder->callee : "") +
        (decl.decoder ? " -> " + decl.decoder->callee : "") + "\n" +
        encoder.input.str() + " -> " + encoder.latent.str() +
        (encoder.decoder ? " -> " + encoder.output.str() : "");
    return node(label,
                encoder.frozen ? "style=\"rounded,filled\", fillcolor=gray"
                               : "style=\"rounded,dashed\"",
                depth);
  }

  /// "conv(64, 3, stride: 2)": an op with the arguments the call gave.
  static std::string opLabel(const Stage &stage, const StageInfo &info) {
    const Signature &signature = info.op->signature;
    size_t positional = llvm::count_if(
        stage.call.args, [](const Argument &arg) { return arg.name.empty(); });
    std::vector<std::string> given;
    for (size_t i = 0; i < signature.params.size(); ++i) {
      const std::string &name = signature.params[i].name;
      bool named = llvm::any_of(stage.call.args, [&](const Argument &arg) {
        return arg.name == name;
      });
      if (i < positional || named)
        given.push_back((named ? name + ": " : "") + info.args.at(name).str());
    }
    if (given.empty())
      return signature.name;
    return signature.name + "(" + llvm::join(given, ", ") + ")";
  }

  Flows outputs(const std::string &node, const ValueType &type,
                const std::string &style, const std::string &kind) {
    Flows flows;
    for (const TensorType &element : type.elements)
      flows.push_back({node, element, style, kind});
    return flows;
  }

  std::string node(const std::string &label, const std::string &attributes,
                   unsigned depth) {
    std::string id = "n" + std::to_string(nodes++);
    os << std::string(2 * depth, ' ') << id << " [label=" << quoted(label)
       << (attributes.empty() ? "" : ", " + attributes) << "];\n";
    return id;
  }

  /// An edge from each flow to `target`, labelled with its shape.
  void connect(const Flows &flows, const std::string &target) {
    for (const Flow &flow : flows) {
      std::string label = flow.type.str();
      if (!flow.kind.empty())
        label = flow.kind + "\n" + label;
      edges.push_back(flow.node + " -> " + target + " [label=" +
                      quoted(label) +
                      (flow.style.empty() ? "" : ", " + flow.style) + "];");
    }
  }

  const Program &program;
  llvm::raw_ostream &os;
  std::vector<std::string> edges;
  unsigned nodes = 0;
  unsigned clusters = 0;
};

} // namespace

void dream::emitDot(const Program &program, llvm::raw_ostream &os) {
  DotWriter(program, os).write();
}
