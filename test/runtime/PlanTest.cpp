//===- PlanTest.cpp - Loading plans and rejecting malformed ones ----------===//
//
// Each malformed plan is a valid test plan with one thing broken; the test
// checks that the message names the place and the problem.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Model.h"

using namespace dream::rt;
using namespace dream::rt::test;
using nlohmann::json;
using testing::HasSubstr;

namespace {

/// The error of loading `plan` (as "bad.json") and building its model.
std::string loadError(const json &plan) {
  return errorOf([&] { Model model(parsePlan(plan.dump(), "bad.json"), 0); });
}

json tinyConv() { return planJson("tiny_conv.json"); }

TEST(PlanTest, TestPlansLoad) {
  for (const char *name :
       {"tiny_conv.json", "conv_bn_relu.json", "frozen.json",
        "dreamnet_tiny.json", "text_ops.json", "vision_ops.json"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(errorOf([&] { Model model(loadTestPlan(name), 0); }), "");
  }
}

TEST(PlanTest, ReadsTheFields) {
  Plan plan = loadTestPlan("dreamnet_tiny.json");
  EXPECT_EQ(plan.network, "TinyDreamNet");
  EXPECT_EQ(plan.input.shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(plan.classes, 10);
  ASSERT_EQ(plan.encoders.size(), 1u);
  EXPECT_EQ(plan.encoders[0].pretrain->kind, "reconstruct");
  EXPECT_TRUE(plan.encoders[0].frozen);
  ASSERT_EQ(plan.kernels.size(), 2u);
  EXPECT_EQ(plan.kernels[1].reference.steps.size(), 3u);
  EXPECT_EQ(plan.kernels[1].reference.steps[0].params[0].value, 2);
  EXPECT_EQ(plan.recipe.schedule.name, "cosine");
  EXPECT_DOUBLE_EQ(plan.recipe.schedule.warmup, 0.1);
  EXPECT_DOUBLE_EQ(plan.recipe.clip, 1.0);
  EXPECT_DOUBLE_EQ(plan.recipe.optimizer.eps, 1e-5);
  EXPECT_EQ(plan.cost["flops_per_sample"], 1771264);
}

TEST(PlanTest, MissingRecipeIsThePaperPreset) {
  Recipe recipe = loadTestPlan("conv_bn_relu.json").recipe;
  EXPECT_EQ(recipe.optimizer.name, "adam");
  EXPECT_DOUBLE_EQ(recipe.optimizer.lr, 0.005);
  EXPECT_DOUBLE_EQ(recipe.optimizer.beta1, 0.9);
  EXPECT_DOUBLE_EQ(recipe.optimizer.beta2, 0.999);
  EXPECT_DOUBLE_EQ(recipe.optimizer.eps, 1e-5);
  EXPECT_EQ(recipe.epochs, 30);
  EXPECT_EQ(recipe.batch, 128);
  EXPECT_EQ(recipe.schedule.name, "constant");
}

TEST(PlanTest, OptimizerDefaultsFollowItsName) {
  json plan = tinyConv();
  plan["recipe"]["optimizer"] = {{"name", "sgd"}, {"nesterov", true}};
  OptimizerSpec sgd = parsePlan(plan.dump(), "p.json").recipe.optimizer;
  EXPECT_DOUBLE_EQ(sgd.lr, 0.1);
  EXPECT_DOUBLE_EQ(sgd.momentum, 0.9);
  EXPECT_TRUE(sgd.nesterov);
  plan["recipe"]["schedule"] = "linear";
  EXPECT_DOUBLE_EQ(parsePlan(plan.dump(), "p.json").recipe.schedule.warmup,
                   0.1);
}

TEST(PlanTest, BadVersionNamesBothVersions) {
  json plan = tinyConv();
  plan["version"] = 2;
  EXPECT_EQ(loadError(plan),
            "bad.json: this runtime reads format 'dreamc-plan' version 1; "
            "the plan has format 'dreamc-plan' version 2");
  plan = tinyConv();
  plan["format"] = "onnx";
  EXPECT_THAT(loadError(plan), HasSubstr("the plan has format 'onnx'"));
}

TEST(PlanTest, MissingFieldIsNamedWithItsStep) {
  json plan = tinyConv();
  plan["graph"]["steps"][3].erase("output");
  EXPECT_EQ(loadError(plan), "bad.json: graph.steps[3] (conv at "
                             "tiny.dream:5:14): missing field 'output'");
  plan = tinyConv();
  plan.erase("classes");
  EXPECT_EQ(loadError(plan), "bad.json: missing field 'classes'");
  plan = tinyConv();
  plan["params"][2].erase("init");
  EXPECT_EQ(loadError(plan), "bad.json: params[2]: missing field 'init'");
}

TEST(PlanTest, WrongKindOfValue) {
  json plan = tinyConv();
  plan["graph"]["steps"][0]["inputs"] = "x";
  EXPECT_THAT(loadError(plan),
              HasSubstr("graph.steps[0] (conv at tiny.dream:4:14).inputs: "
                        "expected an array, got \"x\""));
  plan = tinyConv();
  plan["graph"]["steps"][0]["attrs"]["k"] = 3.5;
  EXPECT_THAT(loadError(plan),
              HasSubstr("attribute 'k' must be an integer, got 3.5"));
}

TEST(PlanTest, ValueNumbersAreBounded) {
  // A step's output indexes the executor's values: a negative one would be
  // written before them, a huge one would allocate gigabytes.
  for (int64_t output : {int64_t{-1}, int64_t{1000000000}}) {
    json plan = tinyConv();
    plan["graph"]["steps"][0]["output"] = output;
    EXPECT_THAT(loadError(plan),
                HasSubstr("graph.steps[0] (conv at tiny.dream:4:14).output: "
                          "value numbers are between 0 and 1000000"));
  }
}

TEST(PlanTest, RecipeNamesAndWarmupAreChecked) {
  json plan = tinyConv();
  plan["recipe"]["optimizer"] = "adagrad";
  EXPECT_THAT(loadError(plan), HasSubstr("recipe.optimizer"));
  EXPECT_THAT(loadError(plan), HasSubstr("adagrad"));
  plan = tinyConv();
  plan["recipe"]["schedule"] = {{"name", "cosine"}, {"warmup", 1.0}};
  EXPECT_THAT(loadError(plan), HasSubstr("warmup is a fraction of the "
                                         "training steps, in [0, 1)"));
}

TEST(PlanTest, UnknownOpListsTheKnownOnes) {
  json plan = tinyConv();
  plan["graph"]["steps"][2]["op"] = "rleu";
  EXPECT_THAT(loadError(plan),
              HasSubstr("bad.json: graph.steps[2] (rleu at tiny.dream:4:38): "
                        "unknown op 'rleu'; known ops: conv, deconv,"));
}

TEST(PlanTest, UnknownParameter) {
  json plan = tinyConv();
  plan["graph"]["steps"][0]["params"][0] = "conv_0.weigth";
  EXPECT_EQ(loadError(plan), "bad.json: graph.steps[0] (conv at "
                             "tiny.dream:4:14): unknown parameter "
                             "'conv_0.weigth'");
}

TEST(PlanTest, ParameterShapeMismatchSaysWhatWasExpected) {
  json plan = tinyConv();
  plan["params"][6]["shape"] = {32, 8, 3, 3}; // conv_1.weight
  EXPECT_EQ(loadError(plan),
            "bad.json: graph.steps[3] (conv at tiny.dream:5:14): parameter "
            "'conv_1.weight' has shape [32, 8, 3, 3], expected [32, 16, 3, 3] "
            "(out 32, in 16, k 3)");
}

TEST(PlanTest, DeclaredShapeMismatch) {
  json plan = tinyConv();
  plan["graph"]["steps"][0]["shape"] = {16, 28, 28};
  EXPECT_EQ(loadError(plan),
            "bad.json: graph.steps[0] (conv at tiny.dream:4:14): output shape "
            "[16, 14, 14] differs from the plan's [16, 28, 28]");
}

TEST(PlanTest, LogitsMustHaveTheClasses) {
  json plan = tinyConv();
  plan["classes"] = 7;
  EXPECT_THAT(loadError(plan), HasSubstr("the network's output has shape "
                                         "[10] but classes is 7"));
}

TEST(PlanTest, OperandCountsAndAttributes) {
  json plan = tinyConv();
  plan["graph"]["steps"][0]["params"].push_back("head.bias");
  EXPECT_THAT(loadError(plan),
              HasSubstr("conv takes 1 to 2 parameter(s), not 3"));
  plan = tinyConv();
  plan["graph"]["steps"][0]["attrs"].erase("out");
  EXPECT_THAT(loadError(plan), HasSubstr("conv needs attribute 'out'"));
  plan = tinyConv();
  plan["graph"]["steps"][0]["attrs"]["strides"] = 2;
  EXPECT_THAT(loadError(plan), HasSubstr("conv has no attribute 'strides'"));
}

TEST(PlanTest, ValuesMustBeDefinedBeforeUse) {
  json plan = tinyConv();
  plan["graph"]["steps"][1]["inputs"] = {5};
  EXPECT_THAT(loadError(plan),
              HasSubstr("graph.steps[1] (batchnorm at tiny.dream:4:30): value "
                        "5 is used before it is defined"));
  plan = tinyConv();
  plan["graph"]["steps"][2]["output"] = 1;
  EXPECT_THAT(loadError(plan), HasSubstr("value 1 is defined twice"));
}

TEST(PlanTest, DuplicateParametersAndUnknownInit) {
  json plan = tinyConv();
  plan["params"][1]["name"] = "conv_0.weight";
  EXPECT_EQ(loadError(plan), "bad.json: params[1]: parameter 'conv_0.weight' "
                             "is listed twice");
  plan = tinyConv();
  plan["params"][0]["init"] = "kaiming";
  EXPECT_THAT(loadError(plan), HasSubstr("params[0].init: unknown init "
                                         "'kaiming'; expected uniform,"));
}

TEST(PlanTest, FusedStepNeedsAKnownKernelAndOperands) {
  json plan = planJson("dreamnet_tiny.json");
  plan["graph"]["steps"][1]["kernel"] = "fused_9";
  EXPECT_THAT(loadError(plan),
              HasSubstr("graph.steps[1] (fused at dn.dream:20:16): unknown "
                        "kernel 'fused_9'"));
  // fused_0's reference is a graph (as dreamc writes it): one input.
  plan = planJson("dreamnet_tiny.json");
  plan["graph"]["steps"][1]["inputs"] = {1, 0};
  EXPECT_THAT(loadError(plan), HasSubstr("(fused at dn.dream:20:16): fused_0 "
                                         "takes 1 input(s), the step gives "
                                         "2"));
  // fused_1's reference is a list of steps over inputs, then parameters.
  plan = planJson("dreamnet_tiny.json");
  plan["graph"]["steps"][12]["params"].erase(3);
  EXPECT_THAT(loadError(plan),
              HasSubstr("calls fused_1 with 5 operands: "
                        "kernels[1].reference[0] (batchnorm): kernel operand "
                        "5 is not defined"));
}

TEST(PlanTest, NotJson) {
  EXPECT_THAT(errorOf([] { parsePlan("{\"format\": ", "bad.json"); }),
              HasSubstr("bad.json: not valid JSON: "));
  EXPECT_EQ(errorOf([] { loadPlanFile("/nonexistent/plan.json"); }),
            "/nonexistent/plan.json: cannot open the plan file");
}

// Found by PlanFuzzer: nlohmann::json throws out_of_range, not parse_error,
// for a number too large for a double, which escaped parsePlan.
TEST(PlanTest, NumberBeyondADoubleIsNotValidJson) {
  EXPECT_THAT(errorOf([] { parsePlan("{\"classes\": 1e400}", "bad.json"); }),
              HasSubstr("bad.json: not valid JSON: "
                        "[json.exception.out_of_range.406] number overflow "
                        "parsing '1e400'"));
}

TEST(PlanTest, HashIdentifiesTheNetworkNotTheRecipe) {
  json plan = tinyConv();
  std::string hash = parsePlan(plan.dump(), "p").hash;
  plan["recipe"]["epochs"] = 50;
  plan["graph"]["steps"][0]["loc"] = "elsewhere.dream:1:1";
  plan["cost"]["flops_per_sample"] = 1;
  EXPECT_EQ(parsePlan(plan.dump(), "p").hash, hash);
  plan["graph"]["steps"][0]["attrs"]["pad"] = 0;
  EXPECT_NE(parsePlan(plan.dump(), "p").hash, hash);
}

} // namespace
