//===- GenerateKernels.cpp - Fused regions to forward/backward kernels ----===//
//
// Every `dream.fused` region becomes tensor-level functions built from
// `linalg.generic` ops, ready for the CPU and GPU lowering pipelines:
//
//   <kernel>_forward(data..., params...) -> (result, batch statistics...)
//   <kernel>_forward_eval(...)           -> result    (regions with batchnorm)
//   <kernel>_backward(data..., params..., grad) -> (one gradient per operand)
//
// Forward: each dream op is spelled as generics over the batch-leading
// iteration space: pointwise ops as elementwise maps, normalisations as
// sum/max reductions followed by elementwise maps with broadcast statistics.
//
// Backward is derived, not written per op: the backward function recomputes
// the forward generics from the kernel's inputs (the saved values are the
// inputs, nothing else: pointwise recomputation is cheaper than storing
// intermediates), then walks the generics in reverse. For a generic whose
// body computes y = f(x_1..x_k), the gradient of input j is
//   sum over the iteration dims its indexing map drops of  g_y * df/dx_j,
// which is one more generic whose reduction dims are exactly those dropped
// dims; df/dx_j comes from reverse-mode differentiation of the scalar body
// (arith/math ops) by the chain rule. Broadcast parameters and statistics
// thus get reductions, reductions get broadcasts, with no special case.
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamAttributes.h"
#include "dream/Dialect/DreamDialect.h"
#include "dream/Schema/KernelTable.h"
#include "dream/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>

namespace dream {
#define GEN_PASS_DEF_GENERATEKERNELS
#include "dream/Transforms/Passes.h.inc"
} // namespace dream

using namespace dream;
using mlir::Value;

namespace {

using ScalarFn = llvm::function_ref<Value(mlir::OpBuilder &, mlir::Location,
                                          mlir::ValueRange)>;

//===----------------------------------------------------------------------===//
// Building generics
//===----------------------------------------------------------------------===//

/// Emits generics over tensors whose leading dimension is the dynamic batch.
class GenericBuilder {
public:
  GenericBuilder(mlir::OpBuilder &b, mlir::Location loc, Value batchSource)
      : b(b), loc(loc), batchSource(batchSource) {}

  /// An empty tensor of `type`, sized by the kernel's batch if dynamic.
  Value empty(mlir::RankedTensorType type) {
    llvm::SmallVector<Value> dynamic;
    if (type.getRank() > 0 && type.isDynamicDim(0))
      dynamic.push_back(b.create<mlir::tensor::DimOp>(loc, batchSource, 0));
    return b.create<mlir::tensor::EmptyOp>(loc, type, dynamic);
  }

  Value filled(mlir::RankedTensorType type, double value) {
    Value init = empty(type);
    Value constant = b.create<mlir::arith::ConstantOp>(
        loc, b.getF32FloatAttr(static_cast<float>(value)));
    return b.create<mlir::linalg::FillOp>(loc, constant, init).getResult(0);
  }

  /// A map from the `rank`-dimensional iteration space to `dims` of it.
  mlir::AffineMap map(unsigned rank, llvm::ArrayRef<unsigned> dims) {
    llvm::SmallVector<mlir::AffineExpr> exprs;
    for (unsigned dim : dims)
      exprs.push_back(b.getAffineDimExpr(dim));
    return mlir::AffineMap::get(rank, 0, exprs, b.getContext());
  }
  mlir::AffineMap identity(unsigned rank) {
    return b.getMultiDimIdentityMap(rank);
  }

  /// out[map_out(i)] = fn(ins[map_k(i)]...) over all dims (parallel).
  Value elementwise(llvm::ArrayRef<Value> inputs,
                    llvm::ArrayRef<mlir::AffineMap> maps,
                    mlir::RankedTensorType type, ScalarFn fn) {
    unsigned rank = type.getRank();
    llvm::SmallVector<mlir::AffineMap> all(maps.begin(), maps.end());
    all.push_back(identity(rank));
    llvm::SmallVector<mlir::utils::IteratorType> iterators(
        rank, mlir::utils::IteratorType::parallel);
    auto generic = b.create<mlir::linalg::GenericOp>(
        loc, type, inputs, empty(type), all, iterators,
        [&](mlir::OpBuilder &nb, mlir::Location nl, mlir::ValueRange args) {
          nb.create<mlir::linalg::YieldOp>(nl,
                                           fn(nb, nl, args.drop_back()));
        });
    return generic.getResult(0);
  }

  /// out[kept dims] = sum (or max) of fn(ins) over the other dims of a
  /// `rank`-dimensional iteration space.
  Value reduce(llvm::ArrayRef<Value> inputs,
               llvm::ArrayRef<mlir::AffineMap> maps, unsigned rank,
               llvm::ArrayRef<unsigned> kept, mlir::RankedTensorType type,
               bool isMax, ScalarFn fn) {
    llvm::SmallVector<mlir::AffineMap> all(maps.begin(), maps.end());
    all.push_back(map(rank, kept));
    llvm::SmallVector<mlir::utils::IteratorType> iterators(
        rank, mlir::utils::IteratorType::reduction);
    for (unsigned dim : kept)
      iterators[dim] = mlir::utils::IteratorType::parallel;
    Value init = filled(type, isMax ? -INFINITY : 0.0);
    auto generic = b.create<mlir::linalg::GenericOp>(
        loc, type, inputs, init, all, iterators,
        [&](mlir::OpBuilder &nb, mlir::Location nl, mlir::ValueRange args) {
          Value value = fn(nb, nl, args.drop_back());
          Value acc = args.back();
          Value combined =
              isMax ? nb.create<mlir::arith::MaximumFOp>(nl, acc, value)
                          .getResult()
                    : nb.create<mlir::arith::AddFOp>(nl, acc, value)
                          .getResult();
          nb.create<mlir::linalg::YieldOp>(nl, combined);
        });
    if (isMax)
      generic->setAttr(kNoGradientAttr, b.getUnitAttr());
    return generic.getResult(0);
  }

  /// The number of elements a reduction over `dims` of `input` sums, as
  /// an f32 scalar (the batch is only known at run time).
  Value count(Value input, llvm::ArrayRef<unsigned> dims) {
    Value total = b.create<mlir::arith::ConstantIndexOp>(loc, 1);
    for (unsigned dim : dims) {
      Value size = b.create<mlir::tensor::DimOp>(loc, input, dim);
      total = b.create<mlir::arith::MulIOp>(loc, total, size);
    }
    Value asInt = b.create<mlir::arith::IndexCastOp>(loc, b.getI64Type(), total);
    return b.create<mlir::arith::SIToFPOp>(loc, b.getF32Type(), asInt);
  }

  static constexpr llvm::StringLiteral kNoGradientAttr = "dream.no_gradient";

  mlir::OpBuilder &b;
  mlir::Location loc;
  Value batchSource;
};

Value constant(mlir::OpBuilder &b, mlir::Location loc, double value) {
  return b.create<mlir::arith::ConstantOp>(
      loc, b.getF32FloatAttr(static_cast<float>(value)));
}

//===----------------------------------------------------------------------===//
// Forward: dream ops as generics
//===----------------------------------------------------------------------===//

/// Spells the ops of one fused region as generics.
class ForwardLowering {
public:
  ForwardLowering(GenericBuilder &g, bool evalMode) : g(g), evalMode(evalMode) {}

  /// Lowers `op` given the tensors of its operands; returns its result.
  mlir::FailureOr<Value> lower(mlir::Operation *op,
                               llvm::ArrayRef<Value> operands) {
    auto type = mlir::cast<mlir::RankedTensorType>(op->getResult(0).getType());
    unsigned rank = type.getRank();
    auto same = [&](ScalarFn fn) {
      llvm::SmallVector<mlir::AffineMap> maps(operands.size(),
                                              g.identity(rank));
      return g.elementwise(operands, maps, type, fn);
    };
    if (mlir::isa<ReluOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        return nb.create<mlir::arith::MaximumFOp>(l, a[0], constant(nb, l, 0))
            .getResult();
      });
    if (mlir::isa<TanhOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        return nb.create<mlir::math::TanhOp>(l, a[0]).getResult();
      });
    if (mlir::isa<SigmoidOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        return sigmoid(nb, l, a[0]);
      });
    if (mlir::isa<SiluOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        return nb.create<mlir::arith::MulFOp>(l, a[0], sigmoid(nb, l, a[0]))
            .getResult();
      });
    if (mlir::isa<GeluOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        // 0.5 x (1 + erf(x / sqrt 2)): PyTorch's exact GELU.
        Value scaled = nb.create<mlir::arith::MulFOp>(
            l, a[0], constant(nb, l, M_SQRT1_2));
        Value erf = nb.create<mlir::math::ErfOp>(l, scaled);
        Value onePlus =
            nb.create<mlir::arith::AddFOp>(l, erf, constant(nb, l, 1.0));
        Value half =
            nb.create<mlir::arith::MulFOp>(l, a[0], constant(nb, l, 0.5));
        return nb.create<mlir::arith::MulFOp>(l, half, onePlus).getResult();
      });
    if (mlir::isa<SoftplusOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        // max(x, 0) + log1p(exp(-|x|)): log(1 + exp(x)) without its
        // overflow for large x, where both give x (PyTorch's threshold).
        Value x = a[0];
        Value positive =
            nb.create<mlir::arith::MaximumFOp>(l, x, constant(nb, l, 0));
        Value magnitude = nb.create<mlir::arith::MaximumFOp>(
            l, x, nb.create<mlir::arith::NegFOp>(l, x));
        Value decay = nb.create<mlir::math::ExpOp>(
            l, nb.create<mlir::arith::NegFOp>(l, magnitude));
        Value tail = nb.create<mlir::math::Log1pOp>(l, decay);
        return nb.create<mlir::arith::AddFOp>(l, positive, tail).getResult();
      });
    if (mlir::isa<AddOp>(op))
      return same([](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
        Value sum = a[0];
        for (Value next : a.drop_front())
          sum = nb.create<mlir::arith::AddFOp>(l, sum, next);
        return sum;
      });
    if (mlir::isa<PosEmbedOp>(op)) {
      llvm::SmallVector<unsigned> perSample;
      for (unsigned d = 1; d < rank; ++d)
        perSample.push_back(d);
      return g.elementwise(
          operands, {g.identity(rank), g.map(rank, perSample)}, type,
          [](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
            return nb.create<mlir::arith::AddFOp>(l, a[0], a[1]).getResult();
          });
    }
    if (auto bn = mlir::dyn_cast<BatchNormOp>(op))
      return batchnorm(bn, operands, type);
    if (auto ln = mlir::dyn_cast<LayerNormOp>(op))
      return layernorm(ln, operands, type);
    if (mlir::isa<SoftmaxOp>(op))
      return softmax(operands[0], type);
    if (auto rms = mlir::dyn_cast<RmsNormOp>(op))
      return rmsnorm(rms, operands, type);
    return op->emitOpError("has no kernel lowering");
  }

  /// Batch statistics of the training-mode batch norms, in order: the
  /// runtime updates the running statistics from them.
  llvm::SmallVector<Value> statistics;

private:
  /// exp(x - max(x, 0)) / (1 + exp(-|x|)): 1 / (1 + exp(-x)) written so that
  /// no exp overflows, which would make the derived backward inf / inf for
  /// large negative x. |x| is max(x, -x); at x = 0 both maxima give their
  /// right operand the gradient, the same (x < 0) side, so the derivative
  /// there is 1/4.
  static Value sigmoid(mlir::OpBuilder &nb, mlir::Location l, Value x) {
    Value positive =
        nb.create<mlir::arith::MaximumFOp>(l, x, constant(nb, l, 0.0));
    Value negative = nb.create<mlir::arith::SubFOp>(l, x, positive);
    Value magnitude = nb.create<mlir::arith::MaximumFOp>(
        l, x, nb.create<mlir::arith::NegFOp>(l, x));
    Value decay = nb.create<mlir::math::ExpOp>(
        l, nb.create<mlir::arith::NegFOp>(l, magnitude));
    Value denominator =
        nb.create<mlir::arith::AddFOp>(l, decay, constant(nb, l, 1.0));
    Value numerator = nb.create<mlir::math::ExpOp>(l, negative);
    return nb.create<mlir::arith::DivFOp>(l, numerator, denominator);
  }

  /// y = (x - mean) * rsqrt(var + eps) * weight + bias with statistics
  /// broadcast along `statDims` of the iteration space.
  Value normalise(Value x, Value mean, Value var, Value weight, Value bias,
                  mlir::RankedTensorType type,
                  llvm::ArrayRef<unsigned> statDims,
                  llvm::ArrayRef<unsigned> paramDims, double eps) {
    unsigned rank = type.getRank();
    auto statMap = g.map(rank, statDims), paramMap = g.map(rank, paramDims);
    return g.elementwise(
        {x, mean, var, weight, bias},
        {g.identity(rank), statMap, statMap, paramMap, paramMap}, type,
        [eps](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          Value centred = nb.create<mlir::arith::SubFOp>(l, a[0], a[1]);
          Value shifted =
              nb.create<mlir::arith::AddFOp>(l, a[2], constant(nb, l, eps));
          Value inv = nb.create<mlir::math::RsqrtOp>(l, shifted);
          Value scaled = nb.create<mlir::arith::MulFOp>(l, centred, inv);
          Value weighted = nb.create<mlir::arith::MulFOp>(l, scaled, a[3]);
          return nb.create<mlir::arith::AddFOp>(l, weighted, a[4]).getResult();
        });
  }

  /// Mean and (biased) variance of `x` over all dims but `kept`. Each term
  /// is divided by the count before it is summed: the sums accumulate in
  /// float64 (dream-widen-sum-accumulators) and are rounded to float32 once,
  /// so the statistics are within half a float32 rounding of exact, where
  /// rounding the sum and then dividing would add a second rounding. Deep
  /// batch-normalised networks amplify that one rounding measurably
  /// (docs/codegen.md, "Reductions").
  std::pair<Value, Value> moments(Value x, unsigned rank,
                                  llvm::ArrayRef<unsigned> kept,
                                  mlir::RankedTensorType statType) {
    llvm::SmallVector<unsigned> reduced;
    for (unsigned d = 0; d < rank; ++d)
      if (!llvm::is_contained(kept, d))
        reduced.push_back(d);
    Value n = g.count(x, reduced);
    auto statMap = g.map(rank, kept);
    Value mean = g.reduce(
        {x}, {g.identity(rank)}, rank, kept, statType, false,
        [n](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          return nb.create<mlir::arith::DivFOp>(l, a[0], n).getResult();
        });
    Value var = g.reduce(
        {x, mean}, {g.identity(rank), statMap}, rank, kept, statType, false,
        [n](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          Value d = nb.create<mlir::arith::SubFOp>(l, a[0], a[1]);
          Value square = nb.create<mlir::arith::MulFOp>(l, d, d);
          return nb.create<mlir::arith::DivFOp>(l, square, n).getResult();
        });
    return {mean, var};
  }

  Value batchnorm(BatchNormOp bn, llvm::ArrayRef<Value> operands,
                  mlir::RankedTensorType type) {
    unsigned rank = type.getRank();
    double eps = bn.getEps().convertToDouble();
    // Frozen (evaluation-mode) batch norms, and every batch norm of the
    // evaluation kernel, use the running statistics.
    if (evalMode || !usesBatchStatistics(bn))
      return normalise(operands[0], operands[3], operands[4], operands[1],
                       operands[2], type, {1}, {1}, eps);
    auto statType = mlir::RankedTensorType::get({type.getDimSize(1)},
                                                type.getElementType());
    auto [mean, var] = moments(operands[0], rank, {1}, statType);
    statistics.push_back(mean);
    statistics.push_back(var);
    return normalise(operands[0], mean, var, operands[1], operands[2], type,
                     {1}, {1}, eps);
  }

  /// The dims of `type` but the last, and the type of one value per row:
  /// what layer norm and softmax reduce to.
  static std::pair<llvm::SmallVector<unsigned>, mlir::RankedTensorType>
  rowsOf(mlir::RankedTensorType type) {
    llvm::SmallVector<unsigned> rows;
    for (unsigned d = 0; d + 1 < type.getRank(); ++d)
      rows.push_back(d);
    auto rowType = mlir::RankedTensorType::get(type.getShape().drop_back(),
                                               type.getElementType());
    return {rows, rowType};
  }

  Value layernorm(LayerNormOp ln, llvm::ArrayRef<Value> operands,
                  mlir::RankedTensorType type) {
    unsigned rank = type.getRank();
    auto [rows, statType] = rowsOf(type);
    auto [mean, var] = moments(operands[0], rank, rows, statType);
    return normalise(operands[0], mean, var, operands[1], operands[2], type,
                     rows, {rank - 1}, ln.getEps().convertToDouble());
  }

  /// y = x * rsqrt(mean(x^2) + eps) * weight over the last dimension.
  Value rmsnorm(RmsNormOp op, llvm::ArrayRef<Value> operands,
                mlir::RankedTensorType type) {
    unsigned rank = type.getRank();
    auto [rows, rowType] = rowsOf(type);
    Value x = operands[0];
    Value squares = g.reduce(
        {x}, {g.identity(rank)}, rank, rows, rowType, false,
        [](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          return nb.create<mlir::arith::MulFOp>(l, a[0], a[0]).getResult();
        });
    Value n = g.count(x, {rank - 1});
    double eps = op.getEps().convertToDouble();
    return g.elementwise(
        {x, squares, operands[1]},
        {g.identity(rank), g.map(rank, rows), g.map(rank, {rank - 1})}, type,
        [n, eps](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          Value mean = nb.create<mlir::arith::DivFOp>(l, a[1], n);
          Value shifted =
              nb.create<mlir::arith::AddFOp>(l, mean, constant(nb, l, eps));
          Value inv = nb.create<mlir::math::RsqrtOp>(l, shifted);
          Value scaled = nb.create<mlir::arith::MulFOp>(l, a[0], inv);
          return nb.create<mlir::arith::MulFOp>(l, scaled, a[2]).getResult();
        });
  }

  Value softmax(Value x, mlir::RankedTensorType type) {
    unsigned rank = type.getRank();
    auto [rows, rowType] = rowsOf(type);
    auto rowMap = g.map(rank, rows);
    // The maximum only keeps exp() in range; softmax does not depend on it,
    // so it carries no gradient.
    Value max = g.reduce({x}, {g.identity(rank)}, rank, rows, rowType, true,
                         [](mlir::OpBuilder &, mlir::Location,
                            mlir::ValueRange a) { return a[0]; });
    Value exps = g.elementwise(
        {x, max}, {g.identity(rank), rowMap}, type,
        [](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          Value d = nb.create<mlir::arith::SubFOp>(l, a[0], a[1]);
          return nb.create<mlir::math::ExpOp>(l, d).getResult();
        });
    Value sum = g.reduce({exps}, {g.identity(rank)}, rank, rows, rowType, false,
                         [](mlir::OpBuilder &, mlir::Location,
                            mlir::ValueRange a) { return a[0]; });
    return g.elementwise(
        {exps, sum}, {g.identity(rank), rowMap}, type,
        [](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
          return nb.create<mlir::arith::DivFOp>(l, a[0], a[1]).getResult();
        });
  }

  GenericBuilder &g;
  bool evalMode;
};

//===----------------------------------------------------------------------===//
// Backward: reverse mode over generics and their scalar bodies
//===----------------------------------------------------------------------===//

/// Emits into `nb` the adjoint of every value of a generic's body, for a
/// unit adjoint of the yielded value; returns the adjoints of `args`.
/// Captured values and constants have no adjoint.
mlir::FailureOr<llvm::SmallVector<Value>>
differentiateBody(mlir::Block &body, mlir::OpBuilder &nb, mlir::Location l,
                  mlir::IRMapping &primal, unsigned numInputs) {
  llvm::DenseMap<Value, Value> adjoint;
  auto add = [&](Value of, Value contribution) {
    // Compute before inserting: operator[] may move the entries.
    auto it = adjoint.find(of);
    Value sum = it == adjoint.end()
                    ? contribution
                    : nb.create<mlir::arith::AddFOp>(l, it->second,
                                                     contribution)
                          .getResult();
    adjoint[of] = sum;
  };
  auto p = [&](Value v) { return primal.lookupOrDefault(v); };
  auto yield = mlir::cast<mlir::linalg::YieldOp>(body.getTerminator());
  Value result = yield.getOperand(0);
  // A reduction body yields acc + f or max(acc, f): its value's adjoint is
  // the adjoint of f; the accumulator is not differentiated.
  Value acc = body.getArgument(body.getNumArguments() - 1);
  add(result, constant(nb, l, 1.0));

  for (mlir::Operation &op : llvm::reverse(body.without_terminator())) {
    if (op.getNumResults() != 1)
      return op.emitOpError("cannot be differentiated");
    auto it = adjoint.find(op.getResult(0));
    if (it == adjoint.end())
      continue;
    Value d = it->second;
    auto mul = [&](Value a, Value b) {
      return nb.create<mlir::arith::MulFOp>(l, a, b).getResult();
    };
    auto neg = [&](Value a) { return nb.create<mlir::arith::NegFOp>(l, a).getResult(); };
    auto notAcc = [&](Value v) { return v != acc; };
    if (auto addf = mlir::dyn_cast<mlir::arith::AddFOp>(op)) {
      for (Value operand : addf->getOperands())
        if (notAcc(operand))
          add(operand, d);
    } else if (auto subf = mlir::dyn_cast<mlir::arith::SubFOp>(op)) {
      add(subf.getLhs(), d);
      add(subf.getRhs(), neg(d));
    } else if (auto mulf = mlir::dyn_cast<mlir::arith::MulFOp>(op)) {
      add(mulf.getLhs(), mul(d, p(mulf.getRhs())));
      add(mulf.getRhs(), mul(d, p(mulf.getLhs())));
    } else if (auto divf = mlir::dyn_cast<mlir::arith::DivFOp>(op)) {
      Value b = p(divf.getRhs());
      add(divf.getLhs(), nb.create<mlir::arith::DivFOp>(l, d, b));
      Value quotient = p(divf.getResult());
      add(divf.getRhs(),
          neg(nb.create<mlir::arith::DivFOp>(l, mul(d, quotient), b)));
    } else if (auto negf = mlir::dyn_cast<mlir::arith::NegFOp>(op)) {
      add(negf.getOperand(), neg(d));
    } else if (auto max = mlir::dyn_cast<mlir::arith::MaximumFOp>(op)) {
      // At a tie the right operand takes the gradient: relu is max(x, 0),
      // whose derivative at 0 is ATen's, 0. Exact zeros reach ReLUs often
      // (masked positions, one-hot rows), not only by rounding.
      Value a = p(max.getLhs()), b = p(max.getRhs());
      Value takesLhs = nb.create<mlir::arith::CmpFOp>(
          l, mlir::arith::CmpFPredicate::OGT, a, b);
      Value zero = constant(nb, l, 0.0);
      if (notAcc(max.getLhs()))
        add(max.getLhs(), nb.create<mlir::arith::SelectOp>(l, takesLhs, d, zero));
      if (notAcc(max.getRhs()))
        add(max.getRhs(), nb.create<mlir::arith::SelectOp>(l, takesLhs, zero, d));
    } else if (auto exp = mlir::dyn_cast<mlir::math::ExpOp>(op)) {
      add(exp.getOperand(), mul(d, p(exp.getResult())));
    } else if (auto log1p = mlir::dyn_cast<mlir::math::Log1pOp>(op)) {
      Value onePlus = nb.create<mlir::arith::AddFOp>(
          l, p(log1p.getOperand()), constant(nb, l, 1.0));
      add(log1p.getOperand(), nb.create<mlir::arith::DivFOp>(l, d, onePlus));
    } else if (auto tanh = mlir::dyn_cast<mlir::math::TanhOp>(op)) {
      Value t = p(tanh.getResult());
      Value oneMinus = nb.create<mlir::arith::SubFOp>(l, constant(nb, l, 1.0),
                                                      mul(t, t));
      add(tanh.getOperand(), mul(d, oneMinus));
    } else if (auto erf = mlir::dyn_cast<mlir::math::ErfOp>(op)) {
      Value x = p(erf.getOperand());
      Value gauss = nb.create<mlir::math::ExpOp>(l, neg(mul(x, x)));
      add(erf.getOperand(), mul(d, mul(gauss, constant(nb, l, M_2_SQRTPI))));
    } else if (auto rsqrt = mlir::dyn_cast<mlir::math::RsqrtOp>(op)) {
      Value r = p(rsqrt.getResult());
      add(rsqrt.getOperand(),
          mul(d, mul(constant(nb, l, -0.5), mul(r, mul(r, r)))));
    } else if (!mlir::isa<mlir::arith::ConstantOp>(op)) {
      return op.emitOpError("has no derivative rule");
    }
  }
  llvm::SmallVector<Value> inputAdjoints;
  for (unsigned i = 0; i < numInputs; ++i) {
    auto it = adjoint.find(body.getArgument(i));
    inputAdjoints.push_back(it == adjoint.end() ? Value() : it->second);
  }
  return inputAdjoints;
}

/// Adds the gradient contributions of `generic`'s inputs, given the
/// gradient `gradOut` of its result, to `grads`.
mlir::LogicalResult
backpropagate(mlir::linalg::GenericOp generic, Value gradOut,
              GenericBuilder &g, llvm::DenseMap<Value, Value> &grads) {
  if (generic->hasAttr(GenericBuilder::kNoGradientAttr))
    return mlir::success();
  unsigned numInputs = generic.getNumDpsInputs();
  unsigned rank = generic.getNumLoops();
  auto maps = generic.getIndexingMapsArray();
  mlir::AffineMap outMap = maps.back();
  for (unsigned j = 0; j < numInputs; ++j) {
    Value input = generic.getDpsInputOperand(j)->get();
    auto inputType = mlir::dyn_cast<mlir::RankedTensorType>(input.getType());
    if (!inputType || !inputType.getElementType().isF32())
      continue;
    // The iteration dims this input is indexed by stay parallel; the
    // others are summed over.
    llvm::SmallVector<unsigned> kept;
    for (mlir::AffineExpr expr : maps[j].getResults())
      kept.push_back(mlir::cast<mlir::AffineDimExpr>(expr).getPosition());
    llvm::SmallVector<Value> operands(generic.getDpsInputs());
    operands.push_back(gradOut);
    llvm::SmallVector<mlir::AffineMap> operandMaps(maps.begin(),
                                                   maps.begin() + numInputs);
    operandMaps.push_back(outMap);
    bool failed = false;
    auto contribution = [&](mlir::OpBuilder &nb, mlir::Location l,
                            mlir::ValueRange args) -> Value {
      mlir::Block &body = generic.getRegion().front();
      mlir::IRMapping primal;
      for (unsigned i = 0; i < numInputs; ++i)
        primal.map(body.getArgument(i), args[i]);
      // The accumulator of a reduction is not an input of f.
      primal.map(body.getArgument(numInputs), constant(nb, l, 0.0));
      for (mlir::Operation &op : body.without_terminator())
        nb.clone(op, primal);
      auto adjoints = differentiateBody(body, nb, l, primal, numInputs);
      if (mlir::failed(adjoints) || !(*adjoints)[j]) {
        failed = mlir::failed(adjoints);
        return constant(nb, l, 0.0);
      }
      return nb.create<mlir::arith::MulFOp>(l, args[numInputs], (*adjoints)[j])
          .getResult();
    };
    Value grad =
        kept.size() == rank
            ? g.elementwise(operands, operandMaps, inputType, contribution)
            : g.reduce(operands, operandMaps, rank, kept, inputType, false,
                       contribution);
    if (failed)
      return generic.emitOpError("could not be differentiated");
    // Compute the sum before inserting: operator[] may grow the map and
    // move its entries, and the left side of `=` may be evaluated first.
    auto it = grads.find(input);
    Value sum =
        it == grads.end()
            ? grad
            : g.elementwise(
                  {it->second, grad},
                  {g.identity(inputType.getRank()),
                   g.identity(inputType.getRank())},
                  inputType,
                  [](mlir::OpBuilder &nb, mlir::Location l, mlir::ValueRange a) {
                    return nb.create<mlir::arith::AddFOp>(l, a[0], a[1])
                        .getResult();
                  });
    grads[input] = sum;
  }
  return mlir::success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct GenerateKernelsPass
    : public impl::GenerateKernelsBase<GenerateKernelsPass> {
  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    llvm::SmallVector<FusedOp> regions;
    module.walk([&](FusedOp op) { regions.push_back(op); });
    for (FusedOp region : regions)
      if (mlir::failed(generate(module, region)))
        return signalPassFailure();
  }

  /// Creates an empty kernel function `name` with the region's argument
  /// types followed by `extra`, returning `results`.
  mlir::func::FuncOp declare(mlir::ModuleOp module, FusedOp region,
                             llvm::StringRef name,
                             llvm::ArrayRef<mlir::Type> extra,
                             llvm::ArrayRef<mlir::Type> results) {
    mlir::OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    llvm::SmallVector<mlir::Type> inputs(region.getOperandTypes());
    inputs.append(extra.begin(), extra.end());
    auto function = b.create<mlir::func::FuncOp>(
        region.getLoc(), name, b.getFunctionType(inputs, results));
    function->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    function->setAttr(kKernelAttr, b.getUnitAttr());
    function.addEntryBlock();
    return function;
  }

  /// Emits the region's ops as generics into `function`'s entry block.
  mlir::FailureOr<Value> emitForward(FusedOp region, mlir::func::FuncOp function,
                                     bool evalMode,
                                     llvm::SmallVector<Value> &statistics) {
    mlir::Block &entry = function.getBody().front();
    mlir::OpBuilder b = mlir::OpBuilder::atBlockEnd(&entry);
    GenericBuilder g(b, region.getLoc(), entry.getArgument(0));
    ForwardLowering lowering(g, evalMode);
    llvm::DenseMap<Value, Value> values;
    mlir::Block &body = region.getBody().front();
    for (auto [arg, param] : llvm::zip(body.getArguments(), entry.getArguments()))
      values[arg] = param;
    for (mlir::Operation &op : body.without_terminator()) {
      llvm::SmallVector<Value> operands;
      for (Value operand : op.getOperands())
        operands.push_back(values.at(operand));
      auto result = lowering.lower(&op, operands);
      if (mlir::failed(result))
        return mlir::failure();
      values[op.getResult(0)] = *result;
    }
    statistics = lowering.statistics;
    return values.at(body.getTerminator()->getOperand(0));
  }

  mlir::LogicalResult generate(mlir::ModuleOp module, FusedOp region) {
    std::string name = region.getKernel().str();
    mlir::Type resultType = region.getResult().getType();

    // Forward, training mode: the result and the batch statistics.
    mlir::func::FuncOp forward =
        declare(module, region, schema::forwardEntry(name), {}, {});
    llvm::SmallVector<Value> statistics;
    auto result = emitForward(region, forward, /*evalMode=*/false, statistics);
    if (mlir::failed(result))
      return mlir::failure();
    llvm::SmallVector<Value> returned = {*result};
    returned.append(statistics.begin(), statistics.end());
    finish(forward, returned);

    // Forward, evaluation mode, when batch norms make the modes differ.
    if (!statistics.empty()) {
      mlir::func::FuncOp eval =
          declare(module, region, schema::forwardEvalEntry(name), {}, {});
      llvm::SmallVector<Value> none;
      auto evalResult = emitForward(region, eval, /*evalMode=*/true, none);
      if (mlir::failed(evalResult))
        return mlir::failure();
      finish(eval, {*evalResult});
    }

    // Backward: recompute, then reverse over the generics.
    mlir::func::FuncOp backward =
        declare(module, region, schema::backwardEntry(name), {resultType},
                {});
    llvm::SmallVector<Value> ignored;
    auto recomputed = emitForward(region, backward, false, ignored);
    if (mlir::failed(recomputed))
      return mlir::failure();
    mlir::Block &entry = backward.getBody().front();
    mlir::OpBuilder b = mlir::OpBuilder::atBlockEnd(&entry);
    GenericBuilder g(b, region.getLoc(), entry.getArgument(0));
    llvm::DenseMap<Value, Value> grads;
    grads[*recomputed] = entry.getArguments().back();
    llvm::SmallVector<mlir::linalg::GenericOp> generics;
    entry.walk([&](mlir::linalg::GenericOp op) { generics.push_back(op); });
    for (mlir::linalg::GenericOp generic : llvm::reverse(generics)) {
      auto it = grads.find(generic.getResult(0));
      if (it == grads.end())
        continue;
      if (mlir::failed(backpropagate(generic, it->second, g, grads)))
        return mlir::failure();
    }
    // One gradient per kernel operand; zero for those nothing depends on
    // (e.g. running statistics in training mode).
    llvm::SmallVector<Value> gradients;
    for (Value arg : entry.getArguments().drop_back()) {
      auto type = mlir::cast<mlir::RankedTensorType>(arg.getType());
      auto it = grads.find(arg);
      gradients.push_back(it != grads.end() ? it->second : g.filled(type, 0.0));
    }
    finish(backward, gradients);
    return mlir::success();
  }

  void finish(mlir::func::FuncOp function, llvm::ArrayRef<Value> results) {
    mlir::Block &entry = function.getBody().front();
    mlir::OpBuilder b = mlir::OpBuilder::atBlockEnd(&entry);
    b.create<mlir::func::ReturnOp>(function.getLoc(), results);
    llvm::SmallVector<mlir::Type> types;
    for (Value v : results)
      types.push_back(v.getType());
    function.setFunctionType(
        b.getFunctionType(function.getArgumentTypes(), types));
  }
};

} // namespace
