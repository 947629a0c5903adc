//===- SemaTest.cpp - Sema types, binds and resolves ----------------------===//

#include "TestUtil.h"

#include "gtest/gtest.h"

using namespace dream;
using dream::test::check;

namespace {

const char *kVisionSleep = R"(
import std.vision
autoencoder ae {
  input image[1, 28, 28]
  encoder conv_encoder(width: 8, latent: 16)
  decoder conv_decoder(width: 8, out: 1)
  pretrain masked(ratio: 0.5, epochs: 1)
}
block sb(ch: int) {
  input h
  return (h -> chain(ch)) + (h -> sleep(ae)) -> relu
}
network N(M: int = 2, classes: int = 10) {
  input x : image[1, 28, 28]
  h = x -> conv_norm_relu(16) -> repeat(M) sb(16)
  return h -> pool -> dense(classes)
}
train N { lr 0.01  epochs 2 }
)";

TEST(Sema, InfersEveryShapeOfANetwork) {
  auto checked = check(kVisionSleep);
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const Program &program = *checked.program;
  EXPECT_EQ(program.network->result.str(), "[10]");
  EXPECT_EQ(program.network->inputs[0].str(), "[1, 28, 28]");
  ASSERT_EQ(program.encoders.size(), 1u);
  EXPECT_EQ(program.encoders[0].latent.str(), "[16, 7, 7]");
  EXPECT_EQ(program.encoders[0].output.str(), "[1, 28, 28]");
  EXPECT_TRUE(program.encoders[0].frozen); // The default.
}

TEST(Sema, SharesOneInstanceAcrossRepetitions) {
  auto checked = check(kVisionSleep);
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const BlockInstance *sb = nullptr;
  size_t repetitions = 0;
  for (const auto &[stage, info] : checked.program->network->stages) {
    if (stage->kind == Stage::Kind::Repeat) {
      repetitions = info.blocks.size();
      sb = info.blocks[0];
      EXPECT_EQ(info.blocks[0], info.blocks[1]);
    }
  }
  ASSERT_NE(sb, nullptr);
  EXPECT_EQ(repetitions, 2u);
  EXPECT_EQ(sb->params.at("ch").intValue, 16);
}

TEST(Sema, PlansConnectionAdapters) {
  auto checked = check(kVisionSleep);
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const ConnectionInfo *connection = nullptr;
  for (const BlockInstance &instance : checked.program->instances)
    for (const auto &[stage, info] : instance.stages)
      if (info.kind == StageInfo::Kind::Connection)
        connection = &info.connection;
  ASSERT_NE(connection, nullptr);
  // [16, 28, 28] -> [1, 28, 28]: a 1x1 conv of 16 + 1 parameters.
  EXPECT_EQ(connection->in.kind, "conv");
  EXPECT_EQ(connection->in.parameters, 17);
  // [16, 7, 7] -> [16, 28, 28] with the paper's deconvolution, stride 4.
  EXPECT_EQ(connection->out.kind, "deconv");
  EXPECT_EQ(connection->out.stride, 4);
  EXPECT_EQ(connection->out.parameters, 16 * 16 * 4 * 4 + 16);
  EXPECT_EQ(connection->options.at("share").text, "per_block");
  EXPECT_EQ(connection->options.count("bridge"), 0u);
}

TEST(Sema, DefinesOverrideRecipeArgumentsAndDefaults) {
  SemaOptions options;
  options.defines = {{"M", "3"}, {"classes", "4"}};
  auto checked = check(kVisionSleep, "input.dream", options);
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  EXPECT_EQ(checked.program->network->params.at("M").intValue, 3);
  EXPECT_EQ(checked.program->network->result.str(), "[4]");
}

TEST(Sema, FoldsLearningRateIntoThePresetOptimizer) {
  auto checked = check(kVisionSleep);
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const auto &recipe = checked.program->recipe;
  EXPECT_EQ(recipe.at("optimizer").value.text, "adam");
  EXPECT_DOUBLE_EQ(recipe.at("optimizer").args.at("lr").floatValue, 0.01);
  // The rest from the default preset.
  EXPECT_DOUBLE_EQ(recipe.at("optimizer").args.at("eps").floatValue, 1e-8);
  EXPECT_EQ(recipe.at("epochs").value.intValue, 2);
  EXPECT_EQ(recipe.at("batch").value.intValue, 32);
  EXPECT_EQ(recipe.at("preset").value.text, "default");
  EXPECT_EQ(recipe.count("lr"), 0u);
}

TEST(Sema, CodePresetUsesTheAuthorsHyperParameters) {
  auto checked = check("network N {\n input x : tensor[4]\n"
                       " return x -> dense(2)\n}\n"
                       "train N { preset code }\n");
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const auto &recipe = checked.program->recipe;
  EXPECT_DOUBLE_EQ(recipe.at("optimizer").args.at("lr").floatValue, 2e-3);
  EXPECT_DOUBLE_EQ(recipe.at("optimizer").args.at("eps").floatValue, 1e-8);
  EXPECT_EQ(recipe.at("batch").value.intValue, 16);
  // Warm-up, then constant, as the authors' code.
  EXPECT_EQ(recipe.at("schedule").value.text, "constant");
  EXPECT_DOUBLE_EQ(recipe.at("schedule").args.at("warmup").floatValue, 0.1);
}

TEST(Sema, ReportsShapeMismatchWithBothSides) {
  auto checked = check("network N {\n input x : image[1, 8, 8]\n"
                       " a = x -> conv(4)\n b = x -> conv(5)\n"
                       " return (a + b) -> pool -> dense(2)\n}\n");
  EXPECT_FALSE(checked.program);
  EXPECT_NE(checked.diagnostics.find(
                "input.dream:5:12: error: cannot add [4, 8, 8] and [5, 8, 8]"),
            std::string::npos)
      << checked.diagnostics;
  EXPECT_NE(checked.diagnostics.find("input.dream:5:10: note: this branch is "
                                     "[4, 8, 8]"),
            std::string::npos)
      << checked.diagnostics;
  EXPECT_NE(checked.diagnostics.find("input.dream:5:14: note: this branch is "
                                     "[5, 8, 8]"),
            std::string::npos)
      << checked.diagnostics;
}

TEST(Sema, WarnsAboutUnusedValues) {
  auto checked = check("network N {\n input x : tensor[4]\n"
                       " y = x -> relu\n return x -> dense(2)\n}\n");
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  EXPECT_NE(checked.diagnostics.find(
                "input.dream:3:2: warning: value 'y' is never used"),
            std::string::npos)
      << checked.diagnostics;
}

TEST(Sema, TextBridgeMapsHiddenStatesToTheEncoderVocabulary) {
  auto checked = check(R"(
block enc(dim: int) { input ids  return ids -> embed(dim) }
encoder phi {
  input tokens[len: 8, vocab: 100]
  encoder enc(12)
  weights "w.safetensors"
}
network N {
  input x : tokens[len: 8, vocab: 100]
  h = x -> embed(6)
  return (h + (h -> sleep(phi, bridge: soft))) -> pool -> dense(3)
}
)");
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const ConnectionInfo *connection = nullptr;
  for (const auto &[stage, info] : checked.program->network->stages)
    if (info.kind == StageInfo::Kind::Connection)
      connection = &info.connection;
  ASSERT_NE(connection, nullptr);
  EXPECT_EQ(connection->in.kind, "bridge_soft");
  EXPECT_EQ(connection->in.parameters, 6 * 100 + 100);
  EXPECT_EQ(connection->out.kind, "dense");
  EXPECT_EQ(connection->out.from.str(), "[8, 12]");
  EXPECT_EQ(connection->options.count("adapter"), 0u);
}

TEST(Sema, CollectGathersEveryEmittedDream) {
  auto checked = check(R"(
import std.vision
autoencoder ae {
  input image[1, 8, 8]
  encoder conv_encoder(width: 4, latent: 4)
  decoder conv_decoder(width: 4, out: 1)
  pretrain reconstruct(epochs: 1)
}
block db { input h  d = h -> dream(ae)  emit d  return h + d }
network N {
  input x : image[1, 8, 8]
  h = x -> conv(2) -> repeat(3) db
  return (h + (collect(db) -> sum)) -> pool -> dense(2)
}
)");
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  std::string collected;
  for (const auto &[expr, type] : checked.program->network->exprTypes) {
    if (expr->kind == Expr::Kind::Collect)
      collected = type.str();
  }
  EXPECT_EQ(collected, "([2, 8, 8], [2, 8, 8], [2, 8, 8])");
}

/// The diagnostics of checking `recipe` as the train recipe of a tiny
/// network; the recipe starts on line 3.
std::string recipeDiagnostics(const std::string &recipe) {
  auto checked = check("network N { input x : tensor[4]  return x -> "
                       "dense(2) }\ntrain N {\n" +
                       recipe + "\n}\n");
  EXPECT_FALSE(checked.program) << recipe;
  return checked.diagnostics;
}

TEST(Sema, RangeChecksTheArgumentsOfRecipeCalls) {
  const std::pair<const char *, const char *> cases[] = {
      {"optimizer adam(eps: 0)",
       "3:16: error: argument 'eps' of 'adam' must be positive, not 0.0"},
      {"optimizer adamw(weight_decay: -1)",
       "3:17: error: argument 'weight_decay' of 'adamw' must not be negative"},
      {"optimizer sgd(momentum: -0.5)",
       "3:15: error: argument 'momentum' of 'sgd' must not be negative, not "
       "-0.5"},
      {"optimizer adam(betas: (0.9, 0.99, 0.999))",
       "3:16: error: argument 'betas' of 'adam' must be two floats such as "
       "(0.9, 0.999), not a list"},
      {"optimizer adam(betas: (-0.1, 0.9))",
       "3:24: error: argument 'betas' of 'adam' must be in [0, 1), not -0.1"},
      {"schedule linear(warmup: 1)",
       "3:17: error: argument 'warmup' of 'linear' must be in [0, 1), not 1.0"},
      {"schedule constant(warmup: 1.5)",
       "3:19: error: argument 'warmup' of 'constant' must be in [0, 1), not "
       "1.5"},
      {"schedule step(gamma: 0)",
       "3:15: error: argument 'gamma' of 'step' must be positive, not 0.0"},
      {"schedule step(every: 0)",
       "3:15: error: argument 'every' of 'step' must be at least 1, not 0"},
      {"augment randaugment(n: -1)",
       "3:21: error: argument 'n' of 'randaugment' must not be negative"},
      {"augment randaugment(m: 31)",
       "3:21: error: argument 'm' of 'randaugment' must be between 0 and 30, "
       "not 31"},
      {"augment mixup(alpha: 0)",
       "3:15: error: argument 'alpha' of 'mixup' must be positive, not 0.0"},
      {"augment word_noise(fraction: 1)",
       "3:20: error: argument 'fraction' of 'word_noise' must be in [0, 1), "
       "not 1.0"},
      {"clip -1", "3:6: error: 'clip' must not be negative, not -1.0"},
  };
  for (const auto &[recipe, message] : cases) {
    std::string diagnostics = recipeDiagnostics(recipe);
    EXPECT_NE(diagnostics.find(message), std::string::npos) << recipe << "\n"
                                                            << diagnostics;
  }
}

TEST(Sema, RefusesArgumentsToRecipeWordsThatTakeNone) {
  for (const char *recipe :
       {"preset paper(lr: 7)", "preset default(batch: 8)",
        "augment none(foo: 1)", "preset code(1)"}) {
    std::string diagnostics = recipeDiagnostics(recipe);
    EXPECT_NE(diagnostics.find("takes no arguments"), std::string::npos)
        << recipe << "\n"
        << diagnostics;
  }
}

TEST(Sema, AnExplicitOptimizerStartsFromThePresetsValues) {
  auto lr = check("network N {\n input x : tensor[4]\n"
                  " return x -> dense(2)\n}\n"
                  "train N { preset code  optimizer adam(lr: 0.01) }\n");
  ASSERT_TRUE(lr.program) << lr.diagnostics;
  const ArgMap &adam = lr.program->recipe.at("optimizer").args;
  EXPECT_DOUBLE_EQ(adam.at("lr").floatValue, 0.01);
  EXPECT_DOUBLE_EQ(adam.at("eps").floatValue, 1e-8); // The code's, not 1e-5.
  auto eps = check("network N {\n input x : tensor[4]\n"
                   " return x -> dense(2)\n}\n"
                   "train N { optimizer adam(eps: 1e-7)  preset code }\n");
  ASSERT_TRUE(eps.program) << eps.diagnostics;
  EXPECT_DOUBLE_EQ(eps.program->recipe.at("optimizer").args.at("lr").floatValue,
                   2e-3);
  // Another optimizer than the preset's starts from its own defaults.
  auto sgd = check("network N {\n input x : tensor[4]\n"
                   " return x -> dense(2)\n}\n"
                   "train N { preset code  optimizer sgd }\n");
  ASSERT_TRUE(sgd.program) << sgd.diagnostics;
  EXPECT_DOUBLE_EQ(sgd.program->recipe.at("optimizer").args.at("lr").floatValue,
                   0.1);
}

TEST(Sema, WarnsAboutAnUnusedValueOncePerPlace) {
  auto checked = check("block b(k: int) { input h  z = h -> relu  return h "
                       "-> dense(k) }\n"
                       "network N {\n input x : tensor[4]\n"
                       " return x -> b(2) -> b(3) -> b(4)\n}\n");
  ASSERT_TRUE(checked.program) << checked.diagnostics;
  const std::string warning = "input.dream:1:28: warning: value 'z' is never "
                              "used";
  size_t first = checked.diagnostics.find(warning);
  ASSERT_NE(first, std::string::npos) << checked.diagnostics;
  EXPECT_EQ(checked.diagnostics.find(warning, first + 1), std::string::npos)
      << checked.diagnostics;
}

TEST(Sema, SummarisesLongChainsOfApplications) {
  // b0 applies b1, ..., b11 fails: twelve contexts, of which the innermost
  // and outermost five are shown.
  std::string text;
  for (int i = 0; i < 12; ++i)
    text += "block b" + std::to_string(i) + " { input h  return h -> " +
            (i == 11 ? std::string("conv(4)") : "b" + std::to_string(i + 1)) +
            " }\n";
  text += "network N { input x : tensor[4]  return x -> b0 }\n";
  auto checked = check(text);
  EXPECT_FALSE(checked.program);
  const std::string &out = checked.diagnostics;
  EXPECT_NE(out.find("12:34: error: 'conv' expects an image"),
            std::string::npos)
      << out;
  size_t innermost = out.find("11:34: note: in block 'b11' applied here");
  size_t skipped = out.find("note: (2 more contexts skipped)");
  size_t outermost = out.find("13:46: note: in block 'b0' applied here");
  EXPECT_NE(innermost, std::string::npos) << out;
  EXPECT_NE(skipped, std::string::npos) << out;
  EXPECT_NE(outermost, std::string::npos) << out;
  EXPECT_LT(innermost, skipped);
  EXPECT_LT(skipped, outermost);
  EXPECT_EQ(out.find("in block 'b5' applied here"), std::string::npos) << out;
}

} // namespace
