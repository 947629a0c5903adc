//===- ShapeInference.td - Per-sample shape inference -------*- tablegen -*-===//

#ifndef DREAM_SHAPE_INFERENCE_TD
#define DREAM_SHAPE_INFERENCE_TD

include "mlir/IR/OpBase.td"

def ShapeInference : OpInterface<"ShapeInference"> {
  let description = [{
    Infers an op's result type from its operands and attributes. The default
    asks the shape rule of the language primitive with the op's name
    (dream/Ops/Registry.h), so a shape is defined once for Sema and the
    dialect alike. The interface's verifier checks the declared result
    type against the inferred one.
  }];
  let cppNamespace = "::dream";
  let methods = [
    InterfaceMethod<"Returns the inferred result type, or emits an error.",
      "::mlir::FailureOr<::mlir::Type>", "inferResultType", (ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        return ::dream::inferFromRule($_op.getOperation());
      }]>,
  ];
  let verify = [{ return ::dream::verifyInferredType($_op); }];
}

#endif // DREAM_SHAPE_INFERENCE_TD
