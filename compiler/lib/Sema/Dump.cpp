//===- Dump.cpp - The readable tree of `dreamc --emit=ast` ---------------===//
//
// Prints the checked program: the network, then every block instance it
// uses (once each), then the encoders and the recipe. A library prints its
// blocks in place of the network, and no recipe. Every node shows its
// inferred type and its source location as <line:col>; declarations show
// <file:line:col>.
//
//===----------------------------------------------------------------------===//

#include "dream/Sema/Sema.h"

#include <set>

using namespace dream;

namespace {

class Printer {
public:
  Printer(const Program &program, llvm::raw_ostream &os)
      : program(program), os(os) {}

  void print() {
    if (program.network)
      printInstance(*program.network);
    for (const BlockInstance *block : program.library)
      printInstance(*block);
    for (size_t i = 0; i < pending.size(); ++i)
      printInstance(*pending[i]);
    for (const EncoderInstance &encoder : program.encoders)
      printEncoder(encoder);
    if (!program.network)
      return;
    os << "Recipe\n";
    for (const auto &[key, setting] : program.recipe) {
      os << "  " << key << " " << setting.value.str();
      if (!setting.args.empty())
        os << "(" << args(setting.args) << ")";
      os << "\n";
    }
  }

private:
  static std::string at(Location loc) {
    return "<" + std::to_string(loc.line) + ":" + std::to_string(loc.col) +
           ">";
  }
  static std::string atFile(Location loc) {
    return "<" + loc.file.str() + ":" + std::to_string(loc.line) + ":" +
           std::to_string(loc.col) + ">";
  }
  static std::string args(const ArgMap &map) {
    std::string text;
    for (const auto &[name, value] : map)
      text += (text.empty() ? "" : ", ") + name + " = " + value.str();
    return text;
  }
  std::string id(const BlockInstance *instance) {
    auto it = ids.find(instance);
    if (it != ids.end())
      return it->second;
    std::string name = "#" + std::to_string(ids.size());
    ids[instance] = name;
    pending.push_back(instance);
    return name;
  }

  void printInstance(const BlockInstance &instance) {
    if (!printed.insert(&instance).second)
      return;
    const BlockDecl &decl = *instance.decl;
    os << (decl.isNetwork ? "Network " : "Block ") << decl.name;
    if (!decl.isNetwork)
      os << " " << id(&instance);
    os << "(" << args(instance.params) << ") -> " << instance.result.str()
       << " " << atFile(decl.loc) << "\n";
    for (const Stmt &stmt : decl.body) {
      auto type = instance.stmtTypes.find(&stmt);
      std::string shown =
          type == instance.stmtTypes.end() ? "?" : type->second.str();
      switch (stmt.kind) {
      case Stmt::Kind::Input:
        os << "  Input " << stmt.name << " : " << shown << " " << at(stmt.loc)
           << "\n";
        continue;
      case Stmt::Kind::Let:
        os << "  Let " << stmt.name << " : " << shown;
        break;
      case Stmt::Kind::Emit:
        os << "  Emit : " << shown;
        break;
      case Stmt::Kind::Return:
        os << "  Return : " << shown;
        break;
      }
      os << " " << at(stmt.loc) << "\n";
      printExpr(instance, *stmt.value, 2);
    }
  }

  void printExpr(const BlockInstance &instance, const Expr &expr,
                 unsigned indent) {
    std::string pad(indent * 2, ' ');
    auto type = instance.exprTypes.find(&expr);
    std::string shown =
        type == instance.exprTypes.end() ? "?" : type->second.str();
    switch (expr.kind) {
    case Expr::Kind::ValueRef:
      os << pad << "Value " << expr.name << " : " << shown << " "
         << at(expr.loc) << "\n";
      return;
    case Expr::Kind::Collect:
      os << pad << "Collect " << expr.name << " : " << shown << " "
         << at(expr.loc) << "\n";
      return;
    case Expr::Kind::Tuple:
      os << pad << "Tuple : " << shown << " " << at(expr.loc) << "\n";
      break;
    case Expr::Kind::Add:
      os << pad << "Add : " << shown << " " << at(expr.loc) << "\n";
      break;
    case Expr::Kind::Pipe:
      os << pad << "Pipe : " << shown << " " << at(expr.loc) << "\n";
      break;
    }
    for (const auto &operand : expr.operands)
      printExpr(instance, *operand, indent + 1);
    for (const Stage &stage : expr.stages)
      printStage(instance, stage, indent + 1);
  }

  void printStage(const BlockInstance &instance, const Stage &stage,
                  unsigned indent) {
    std::string pad(indent * 2, ' ');
    auto it = instance.stages.find(&stage);
    if (it == instance.stages.end())
      return;
    const StageInfo &info = it->second;
    switch (info.kind) {
    case StageInfo::Kind::Op:
      os << pad << "Op " << info.op->signature.name << "(" << args(info.args)
         << ")";
      break;
    case StageInfo::Kind::Block:
      os << pad << (stage.kind == Stage::Kind::Repeat ? "Repeat " : "Call ")
         << stage.call.callee;
      for (const BlockInstance *block : info.blocks)
        os << " " << id(block);
      break;
    case StageInfo::Kind::Encode:
      os << pad << "Encode " << info.connection.encoder->decl->name;
      break;
    case StageInfo::Kind::Connection: {
      const ConnectionInfo &c = info.connection;
      os << pad << (c.isDream ? "Dream " : "Sleep ");
      // A library's connection may wait for its call site to know its
      // encoder and adapters; then its options still name the encoder.
      if (c.in.kind.empty()) {
        os << "(" << args(c.options) << ")";
        break;
      }
      os << c.encoder->decl->name << "(" << args(c.options) << ") in "
         << adapter(c.in) << " out " << adapter(c.out);
      break;
    }
    }
    os << " -> " << info.output.str() << " " << at(stage.loc) << "\n";
  }

  static std::string adapter(const AdapterPlan &plan) {
    return plan.str() + " (" + std::to_string(plan.parameters) + " params)";
  }

  void printEncoder(const EncoderInstance &encoder) {
    const EncoderDecl &decl = *encoder.decl;
    os << (decl.isAutoencoder ? "Autoencoder " : "Encoder ") << decl.name
       << (encoder.frozen ? " frozen" : " trainable") << " "
       << atFile(decl.loc) << "\n";
    os << "  input " << encoder.input.str() << " latent "
       << encoder.latent.str();
    if (encoder.decoder)
      os << " output " << encoder.output.str();
    os << "\n  encoder " << decl.encoder->callee << " " << id(encoder.encoder)
       << "\n";
    if (encoder.decoder)
      os << "  decoder " << decl.decoder->callee << " " << id(encoder.decoder)
         << "\n";
    if (decl.weights)
      os << "  weights \"" << *decl.weights << "\"\n";
    if (encoder.pretrainKind)
      os << "  pretrain " << *encoder.pretrainKind << "("
         << args(encoder.pretrainArgs) << ")\n";
    for (size_t i = 0; i < pending.size(); ++i)
      printInstance(*pending[i]);
  }

  const Program &program;
  llvm::raw_ostream &os;
  std::map<const BlockInstance *, std::string> ids;
  std::vector<const BlockInstance *> pending;
  std::set<const BlockInstance *> printed;
};

} // namespace

void dream::dumpProgram(const Program &program, llvm::raw_ostream &os) {
  Printer(program, os).print();
}
