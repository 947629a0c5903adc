//===- NativeOps.cpp - Ops from libraries loaded with --load --------------===//
//
// A library built against the installed runtime registers its ops with
// DREAM_NATIVE_OP (dream/NativeOp.h) from static initialisers, into the
// registry of libdreamrt, which it links. Loading it therefore brings
// libdreamrt (and LibTorch) into dreamc; the registry's LibTorch-free half,
// the signatures, is all dreamc reads. Each becomes a primitive whose shape
// rule calls the library's shape function.
//
//===----------------------------------------------------------------------===//

#include "dream/NativeOpSignature.h"
#include "dream/Ops/Registry.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/DynamicLibrary.h"

#include <deque>

using namespace dream;

namespace {

/// Where lookupOp finds native ops; a deque keeps the specs in place.
std::deque<OpSpec> &nativeSpecs() {
  static std::deque<OpSpec> specs;
  return specs;
}

/// The shape rule of a native op: float inputs only, then the library's
/// function on the per-sample shapes.
ShapeRule nativeRule(NativeShapeFunction shape) {
  return [shape](const ArgMap &, llvm::ArrayRef<TensorType> inputs) {
    std::vector<Shape> shapes;
    for (const TensorType &input : inputs) {
      if (input.isTokens())
        return ShapeResult::fail("takes float tensors, but its input is " +
                                 input.str() + "; embed the tokens first");
      shapes.push_back(input.shape);
    }
    ShapeOrError result;
    try {
      result = shape(shapes);
    } catch (const std::exception &e) {
      return ShapeResult::fail(std::string("has a shape function that threw: ") +
                               e.what());
    }
    if (!result.error.empty())
      return ShapeResult::fail(result.error);
    if (llvm::any_of(result.shape, [](int64_t d) { return d <= 0; }))
      return ShapeResult::fail("has a shape function that gives the empty "
                               "shape " + TensorType::floats(result.shape).str());
    return ShapeResult::ok(TensorType::floats(result.shape));
  };
}

bool isIdentifier(llvm::StringRef name) {
  return !name.empty() && (llvm::isAlpha(name[0]) || name[0] == '_') &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Why `signature` cannot become a primitive, or "".
std::string problemWith(const NativeOpSignature &signature) {
  if (!isIdentifier(signature.name))
    return "registers an op named '" + signature.name +
           "', which is not an identifier";
  std::string op = "op '" + signature.name + "'";
  if (signature.arity == 0 || signature.arity > 64)
    return "registers " + op + " with arity " +
           std::to_string(signature.arity) + "; it must take 1 to 64 tensors";
  if (!signature.shape)
    return "registers " + op + " without a shape function";
  for (const OpSpec &spec : allOps())
    if (spec.signature.name == signature.name)
      return "registers " + op + ", which is a builtin op; rename it";
  if (lookupNativeOp(signature.name))
    return "registers " + op + ", which an earlier registration defines";
  return "";
}

} // namespace

const OpSpec *dream::lookupNativeOp(llvm::StringRef name) {
  for (const OpSpec &spec : nativeSpecs())
    if (spec.signature.name == name)
      return &spec;
  return nullptr;
}

llvm::Error dream::loadOpLibrary(const std::string &path) {
  auto fail = [&](const std::string &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--load " + path + ": " + message);
  };
  std::string error;
  if (!llvm::sys::DynamicLibrary::getPermanentLibrary(path.c_str(), &error)
           .isValid())
    return fail("cannot load it: " + error);
  auto *signatures = reinterpret_cast<decltype(&dream_native_op_signatures)>(
      llvm::sys::DynamicLibrary::SearchForAddressOfSymbol(
          "dream_native_op_signatures"));
  if (!signatures)
    return fail("it does not link dreamc's runtime (libdreamrt), so it "
                "registers no native op; link it with dreamc::runtime");
  // The registry grows with every library; the ones not yet seen are new.
  static size_t seen = 0;
  const std::vector<NativeOpSignature> &all = *signatures();
  if (all.size() == seen)
    return fail("registers no native op (DREAM_NATIVE_OP)");
  for (; seen < all.size(); ++seen) {
    const NativeOpSignature &signature = all[seen];
    std::string problem = problemWith(signature);
    if (!problem.empty())
      return fail(problem);
    OpSpec spec;
    spec.signature.name = signature.name;
    spec.arity = signature.arity;
    spec.opClass = OpClass::Heavy;
    spec.infer = nativeRule(signature.shape);
    spec.summary = signature.summary;
    spec.native = true;
    nativeSpecs().push_back(std::move(spec));
  }
  return llvm::Error::success();
}
