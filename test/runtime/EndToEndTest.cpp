//===- EndToEndTest.cpp - dream-trainer on real Fashion-MNIST -------------===//
//
// Runs the dream-trainer executable as a user would. The training tests
// need Debian's dataset-fashion-mnist (or $DREAMC_FASHION_MNIST) and are
// skipped without it.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "dream/Runtime/Files.h"
#include "dream/Runtime/Idx.h"

#include <chrono>
#include <sys/wait.h>

using namespace dream::rt;
using namespace dream::rt::test;
using testing::HasSubstr;

namespace {

struct Result {
  int status = -1;
  std::string output; ///< stdout and stderr.
};

Result trainer(const std::string &arguments) {
  std::string command =
      std::string(DREAMRT_TRAINER) + " " + arguments + " --threads 1 2>&1";
  Result result;
  FILE *pipe = popen(command.c_str(), "r");
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe))
    result.output.append(buffer, n);
  int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool haveFashionMnist() {
  return pathExists(fashionMnistDirectory() + "/train-images-idx3-ubyte.gz");
}

std::vector<nlohmann::ordered_json> metrics(const std::string &path) {
  std::vector<nlohmann::ordered_json> records;
  std::istringstream lines(readText(path));
  for (std::string line; std::getline(lines, line);)
    records.push_back(nlohmann::ordered_json::parse(line));
  return records;
}

TEST(EndToEndTest, HelpNamesEveryCommand) {
  Result help = trainer("--help");
  EXPECT_EQ(help.status, 0);
  for (const char *word : {"pretrain", "train", "eval", "dream", "info",
                           "check", "--plan", "--version", "--threads"})
    EXPECT_THAT(help.output, HasSubstr(word));
  EXPECT_THAT(help.output, testing::Not(HasSubstr("--epochs")));
}

TEST(EndToEndTest, EachCommandsHelpShowsItsOptionsOnly) {
  Result train = trainer("train --help");
  EXPECT_EQ(train.status, 0);
  for (const char *flag :
       {"--data", "--epochs", "--batch", "--lr", "--schedule", "--limit",
        "--seed", "--checkpoint", "--resume", "--metrics", "--log-every",
        "--reference", "--device", "--plan", "--nproc", "--master-port"})
    EXPECT_THAT(train.output, HasSubstr(flag));
  EXPECT_THAT(train.output, testing::Not(HasSubstr("--out")));
  Result eval = trainer("eval -h");
  EXPECT_EQ(eval.status, 0);
  EXPECT_THAT(eval.output, HasSubstr("--checkpoint DIR"));
  for (const char *flag : {"--epochs", "--lr", "--resume", "--nproc N"})
    EXPECT_THAT(eval.output, testing::Not(HasSubstr(flag)));
  Result dream = trainer("dream --help");
  EXPECT_THAT(dream.output, HasSubstr("[IMAGE...]"));
  EXPECT_THAT(dream.output, HasSubstr("--out FILE"));
}

TEST(EndToEndTest, UsageErrors) {
  Result none = trainer("");
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.output, HasSubstr("no command given"));
  Result noPlan = trainer("info");
  EXPECT_EQ(noPlan.status, 2);
  EXPECT_THAT(noPlan.output, HasSubstr("this trainer embeds no plan: give "
                                       "--plan FILE"));
  Result badFlag = trainer("train --epochs zero --plan x.json");
  EXPECT_EQ(badFlag.status, 2);
  EXPECT_THAT(badFlag.output, HasSubstr("--epochs expects an integer of at "
                                        "least 1, not 'zero'"));
  Result badSchedule = trainer("train --schedule exp --plan x.json");
  EXPECT_EQ(badSchedule.status, 2);
  EXPECT_THAT(badSchedule.output,
              HasSubstr("--schedule expects constant, cosine, linear or step, "
                        "not 'exp'"));
  Result override = trainer("train --resume=false --plan x.json");
  EXPECT_EQ(override.status, 2);
  EXPECT_THAT(override.output,
              HasSubstr("--resume takes no value, not 'false'"));
  Result unknown = trainer("train --epoch 3");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_THAT(unknown.output,
              HasSubstr("unknown option '--epoch' for `train`; run "
                        "`dream-trainer train --help` for the options"));
}

TEST(EndToEndTest, AnOptionOfAnotherCommandIsRefusedNamingBoth) {
  std::string plan = " --plan " + planPath("tiny_conv.json");
  Result eval = trainer("eval --epochs=3" + plan);
  EXPECT_EQ(eval.status, 2);
  EXPECT_THAT(eval.output, HasSubstr("`eval` does not use --epochs (an option "
                                     "of pretrain, train or info)"));
  Result check = trainer("check --nproc 2" + plan);
  EXPECT_EQ(check.status, 2);
  EXPECT_THAT(check.output,
              HasSubstr("`check` does not use --nproc (an option of train)"));
  Result early = trainer("--lr 0.1 train" + plan);
  EXPECT_EQ(early.status, 2);
  EXPECT_THAT(early.output, HasSubstr("--lr is an option of pretrain, train "
                                      "or info: give it after the command"));
}

TEST(EndToEndTest, DoubleDashEndsTheOptions) {
  std::string plan = " --plan " + planPath("tiny_conv.json");
  Result info = trainer("info" + plan + " -- --epochs");
  EXPECT_EQ(info.status, 2);
  EXPECT_THAT(info.output,
              HasSubstr("unexpected argument '--epochs' for `info`"));
  // dream takes the words after `--` as images, even one that looks like
  // an option; this plan then has no dreams to show.
  Result dream = trainer("dream" + plan + " -- --not-an-option.png");
  EXPECT_EQ(dream.status, 2);
  EXPECT_THAT(dream.output, HasSubstr("TinyConv has no dream connection"));
}

TEST(EndToEndTest, VersionNamesDreamcAndThePlan) {
  Result bare = trainer("--version");
  EXPECT_EQ(bare.status, 0);
  EXPECT_THAT(bare.output, HasSubstr("dreamc " DREAMC_VERSION "\n"));
  EXPECT_THAT(bare.output, HasSubstr("plan: none embedded"));
  std::string plan = " --plan " + planPath("tiny_conv.json");
  Result version = trainer("train --version" + plan);
  EXPECT_EQ(version.status, 0) << version.output;
  // The plan's id is the hash `info` shows and checkpoints record.
  Result info = trainer("info" + plan);
  std::string id = info.output.substr(info.output.find(", plan ") + 7, 16);
  EXPECT_THAT(version.output,
              HasSubstr("plan " + id + ": network TinyConv (tiny.dream)"));
}

TEST(EndToEndTest, DreamNeedsADreamConnection) {
  Result dream = trainer("dream --plan " + planPath("tiny_conv.json"));
  EXPECT_EQ(dream.status, 2);
  EXPECT_THAT(dream.output,
              HasSubstr("TinyConv has no dream connection, so it has no "
                        "dreams to show"));
}

TEST(EndToEndTest, MalformedPlanIsReported) {
  TempDir dir;
  nlohmann::json plan = planJson("tiny_conv.json");
  plan["graph"]["steps"][0]["op"] = "convolution";
  std::ofstream(dir / "bad.json") << plan.dump();
  Result info = trainer("info --plan " + (dir / "bad.json"));
  EXPECT_EQ(info.status, 1);
  EXPECT_THAT(info.output, HasSubstr("error: " + (dir / "bad.json") +
                                     ": graph.steps[0] (convolution at "
                                     "tiny.dream:4:14): unknown op"));
}

TEST(EndToEndTest, InfoShowsParametersCostKernelsAndRecipe) {
  Result info =
      trainer("info --plan " + planPath("dreamnet_tiny.json") + " --epochs 5");
  EXPECT_EQ(info.status, 0) << info.output;
  for (const char *line :
       {"network TinyDreamNet (dn.dream)", "trainable            811",
        "frozen             1,801", "flops_per_sample               1,771,264",
        "kernels: 2 fused",
        "fused_1 (fused_1_forward, fused_1_backward): batchnorm -> add -> relu",
        "latent [16, 7, 7]", "ae: frozen, 1,801 parameters",
        "epochs 5, batch 32",
        "optimizer adam(lr 0.005, betas (0.9, 0.999), eps 1e-05",
        "schedule cosine (warmup 0.1), clip 1, label_smoothing 0.1"})
    EXPECT_THAT(info.output, HasSubstr(line));
}

TEST(EndToEndTest, ScheduleFlagReplacesTheRecipes) {
  Result linear = trainer("info --plan " + planPath("dreamnet_tiny.json") +
                          " --schedule linear");
  EXPECT_EQ(linear.status, 0) << linear.output;
  EXPECT_THAT(linear.output, HasSubstr("schedule linear (warmup 0.1), clip 1"));
  Result constant = trainer("info --plan " + planPath("dreamnet_tiny.json") +
                            " --schedule constant");
  EXPECT_THAT(constant.output, HasSubstr("schedule constant (warmup 0), clip 1"));
}

TEST(EndToEndTest, TrainsATinyConvNetOnFashionMnist) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "no Fashion-MNIST in " << fashionMnistDirectory();
  TempDir dir;
  auto start = std::chrono::steady_clock::now();
  Result train = trainer("train --plan " + planPath("tiny_conv.json") +
                         " --data fashion_mnist --limit 2000 --epochs 1 "
                         "--log-every 0 --metrics " +
                         (dir / "m.jsonl") + " --checkpoint " + dir.path());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_THAT(train.output, HasSubstr("test accuracy: "));
  std::vector<nlohmann::ordered_json> records = metrics(dir / "m.jsonl");
  ASSERT_EQ(records.size(), 2u);
  std::vector<std::string> keys;
  for (const auto &[key, value] : records[1].items())
    keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"epoch", "split", "loss", "accuracy",
                                      "samples_per_s", "wall_s"}));
  EXPECT_EQ(records[0]["split"], "train");
  EXPECT_EQ(records[1]["split"], "test");
  double accuracy = records[1]["accuracy"].get<double>();
  EXPECT_GT(accuracy, 0.4) << train.output;
  std::printf("[ measured ] tiny conv net, 1 epoch on 2,000 Fashion-MNIST "
              "images: test accuracy %.2f%% on 2,000 test images, %.1f s\n",
              100 * accuracy, seconds);

  Result eval = trainer("eval --plan " + planPath("tiny_conv.json") +
                        " --limit 2000 --checkpoint " + dir.path());
  ASSERT_EQ(eval.status, 0) << eval.output;
  char expected[64];
  std::snprintf(expected, sizeof expected, "accuracy %.2f%%", 100 * accuracy);
  EXPECT_THAT(eval.output, HasSubstr(expected));
  EXPECT_THAT(eval.output, HasSubstr("confusion matrix"));
}

TEST(EndToEndTest, FrozenEncoderNeedsPretrainingThenTrains) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "no Fashion-MNIST in " << fashionMnistDirectory();
  TempDir dir;
  std::string plan = " --plan " + planPath("dreamnet_tiny.json") +
                     " --limit 300 --checkpoint " + dir.path();
  Result early = trainer("train" + plan);
  EXPECT_EQ(early.status, 1);
  EXPECT_THAT(early.output,
              HasSubstr("encoder 'ae' is frozen and needs its pre-trained "
                        "weights, but " +
                        (dir / "encoders/ae.safetensors") +
                        " does not exist: run `dream-trainer pretrain "
                        "--checkpoint DIR` first"));

  Result pretrain =
      trainer("pretrain" + plan + " --metrics " + (dir / "p.jsonl"));
  ASSERT_EQ(pretrain.status, 0) << pretrain.output;
  EXPECT_TRUE(pathExists(dir / "encoders/ae.safetensors"));
  std::vector<nlohmann::ordered_json> records = metrics(dir / "p.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["split"], "pretrain");
  EXPECT_EQ(records[0]["encoder"], "ae");

  Result train = trainer("train" + plan + " --epochs 1");
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_THAT(train.output, HasSubstr("encoder ae: pre-trained weights from"));
  EXPECT_THAT(train.output, HasSubstr("test accuracy: "));

  // Another epoch on top of the first.
  Result resumed = trainer("train" + plan + " --epochs 2 --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_THAT(resumed.output,
              HasSubstr("resuming after step 10 (1 of 2 epochs done)"));
  EXPECT_THAT(resumed.output, HasSubstr("epoch 2/2"));
}

} // namespace
