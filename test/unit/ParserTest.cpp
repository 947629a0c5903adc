//===- ParserTest.cpp - The parser builds the right AST -------------------===//

#include "dream/Parse/Parser.h"

#include "gtest/gtest.h"

using namespace dream;

namespace {

struct Parsed {
  SourceManager sources;
  std::string diagnostics;
  std::unique_ptr<Module> module;
};

std::unique_ptr<Parsed> parse(const std::string &text) {
  auto parsed = std::make_unique<Parsed>();
  const std::string *buffer = parsed->sources.addBuffer("t.dream", text);
  llvm::raw_string_ostream os(parsed->diagnostics);
  DiagnosticEngine diag(parsed->sources, os);
  parsed->module = parseModule(*buffer, "t.dream", diag);
  os.flush();
  return parsed;
}

TEST(Parser, BuildsDeclarationsWithLocations) {
  auto parsed = parse("import std.vision\n"
                      "import \"mine.dream\" as m\n"
                      "block b(ch: int = 4) {\n"
                      "  input x\n"
                      "  return x -> conv(ch, k: 3) -> relu\n"
                      "}\n");
  ASSERT_TRUE(parsed->module) << parsed->diagnostics;
  const Module &module = *parsed->module;
  ASSERT_EQ(module.imports.size(), 2u);
  EXPECT_TRUE(module.imports[0].isStandard);
  EXPECT_EQ(module.imports[0].path, "std.vision");
  EXPECT_FALSE(module.imports[1].isStandard);
  EXPECT_EQ(module.imports[1].path, "mine.dream");
  EXPECT_EQ(module.imports[1].alias, "m");

  ASSERT_EQ(module.blocks.size(), 1u);
  const BlockDecl &block = module.blocks[0];
  EXPECT_EQ(block.name, "b");
  EXPECT_EQ(block.loc.line, 3u);
  EXPECT_EQ(block.loc.col, 7u);
  ASSERT_EQ(block.params.size(), 1u);
  EXPECT_EQ(block.params[0].kind, "int");
  EXPECT_EQ(block.params[0].defaultValue->intValue, 4);

  ASSERT_EQ(block.body.size(), 2u);
  const Stmt &ret = block.body[1];
  ASSERT_EQ(ret.kind, Stmt::Kind::Return);
  ASSERT_EQ(ret.value->kind, Expr::Kind::Pipe);
  ASSERT_EQ(ret.value->stages.size(), 2u);
  const Stage &conv = ret.value->stages[0];
  EXPECT_EQ(conv.call.callee, "conv");
  ASSERT_EQ(conv.call.args.size(), 2u);
  EXPECT_EQ(conv.call.args[1].name, "k");
  EXPECT_EQ(conv.loc.line, 5u);
  EXPECT_EQ(conv.loc.col, 15u);
}

TEST(Parser, PipeBindsTighterThanAdd) {
  auto parsed = parse("network n {\n input x : image[1, 2, 2]\n"
                      " return x -> relu + x -> tanh\n}\n");
  ASSERT_TRUE(parsed->module) << parsed->diagnostics;
  const Expr &sum = *parsed->module->blocks[0].body[1].value;
  ASSERT_EQ(sum.kind, Expr::Kind::Add);
  ASSERT_EQ(sum.operands.size(), 2u);
  EXPECT_EQ(sum.operands[0]->kind, Expr::Kind::Pipe);
  EXPECT_EQ(sum.operands[1]->stages[0].call.callee, "tanh");
  // The merge is located at its '+'.
  EXPECT_EQ(sum.loc.col, 19u);
}

TEST(Parser, ConnectionsAndRepeatAreFirstClass) {
  auto parsed = parse("block b {\n input h\n"
                      " s = h -> sleep(ae, adapter: upsample)\n"
                      " d = h -> dream(ae) -> repeat(3) c(2)\n"
                      " return s + d\n}\n");
  ASSERT_TRUE(parsed->module) << parsed->diagnostics;
  const auto &body = parsed->module->blocks[0].body;
  EXPECT_EQ(body[1].value->stages[0].kind, Stage::Kind::Sleep);
  EXPECT_EQ(body[1].value->stages[0].args[1].name, "adapter");
  EXPECT_EQ(body[2].value->stages[0].kind, Stage::Kind::Dream);
  const Stage &repeat = body[2].value->stages[1];
  EXPECT_EQ(repeat.kind, Stage::Kind::Repeat);
  EXPECT_EQ(repeat.count->intValue, 3);
  EXPECT_EQ(repeat.call.callee, "c");
}

TEST(Parser, ConstantArithmeticKeepsPrecedence) {
  auto parsed = parse("train N(M: 1 + 2 * 3) { lr 0.5 }\n");
  ASSERT_TRUE(parsed->module) << parsed->diagnostics;
  const ConstExpr &value = *parsed->module->trains[0].args[0].value;
  ASSERT_EQ(value.kind, ConstExpr::Kind::Binary);
  EXPECT_EQ(value.text, "+");
  EXPECT_EQ(value.operands[1]->text, "*");
}

// Found by FrontendFuzzer (ASan: stack-use-after-scope): the keyword
// suggestion read the expected tokens' names after they were freed.
TEST(Parser, SuggestsTheKeywordAMisspeltNameStandsFor) {
  auto parsed =
      parse("netwrk N {\n  input x : image[1, 4, 4]\n  return x\n}\n");
  EXPECT_FALSE(parsed->module);
  EXPECT_NE(parsed->diagnostics.find(
                "t.dream:1:1: error: expected one of 'autoencoder', 'block', "
                "'encoder', 'import', 'network', 'train' or end of file, "
                "found 'netwrk'"),
            std::string::npos)
      << parsed->diagnostics;
  EXPECT_NE(parsed->diagnostics.find("note: did you mean 'network'?"),
            std::string::npos)
      << parsed->diagnostics;
}

TEST(Parser, ReportsTheFirstSyntaxErrorInWords) {
  auto parsed = parse("block b {\n input x\n return x -> conv(3,\n}\n");
  EXPECT_FALSE(parsed->module);
  EXPECT_NE(parsed->diagnostics.find("t.dream:4:1: error: expected"),
            std::string::npos)
      << parsed->diagnostics;
  EXPECT_NE(parsed->diagnostics.find("found '}'"), std::string::npos)
      << parsed->diagnostics;
  // One mistake, one error.
  EXPECT_EQ(parsed->diagnostics.find("error:"),
            parsed->diagnostics.rfind("error:"));
}

TEST(Parser, RefusesDeepNestingBeforeParsing) {
  auto parsed = parse("network n { input x : image[1,1,1] return " +
                      std::string(100000, '(') + "x" +
                      std::string(100000, ')') + " }");
  EXPECT_FALSE(parsed->module);
  EXPECT_NE(parsed->diagnostics.find("nest deeper than 256"),
            std::string::npos)
      << parsed->diagnostics;
}

TEST(Parser, BoundsUnaryMinusChainsWithTheBrackets) {
  // Signs and brackets share one bound, whether they alternate or not.
  std::string chain;
  for (int i = 0; i < 200; ++i)
    chain += "-(";
  auto deep =
      parse("train N(M: " + chain + "1" + std::string(200, ')') + ") {}\n");
  EXPECT_FALSE(deep->module);
  EXPECT_NE(deep->diagnostics.find("nest deeper than 256 levels"),
            std::string::npos)
      << deep->diagnostics;
  // A sign whose operand has ended closes: a long expression of binary and
  // unary minus signs is not deep.
  std::string flat = "1";
  for (int i = 0; i < 600; ++i)
    flat += " - -1";
  auto shallow = parse("train N(M: " + flat + ") {}\n");
  ASSERT_TRUE(shallow->module) << shallow->diagnostics;
}

TEST(Parser, AcceptsAtMostMaxConstOperatorsPerConstant) {
  auto sum = [](unsigned operators) {
    std::string text = "1";
    for (unsigned i = 0; i < operators; ++i)
      text += "+1";
    return "train N(M: " + text + ", K: " + text + ") {}\n";
  };
  // The count starts afresh at each argument.
  auto atLimit = parse(sum(kMaxConstOperators));
  ASSERT_TRUE(atLimit->module) << atLimit->diagnostics;
  auto beyond = parse(sum(kMaxConstOperators + 1));
  EXPECT_FALSE(beyond->module);
  // The 1001st '+' is at column 13 + 2 * 1000.
  EXPECT_NE(beyond->diagnostics.find(
                "t.dream:1:2013: error: a constant expression may have at "
                "most 1000 operators"),
            std::string::npos)
      << beyond->diagnostics;
}

TEST(Parser, AcceptsTheEncoderKeywordAsKindAndArgumentName) {
  auto parsed = parse("block b(phi: encoder) {\n input h\n"
                      " return h -> sleep(encoder: phi)\n}\n");
  ASSERT_TRUE(parsed->module) << parsed->diagnostics;
  const BlockDecl &block = parsed->module->blocks[0];
  EXPECT_EQ(block.params[0].kind, "encoder");
  EXPECT_EQ(block.body[1].value->stages[0].args[0].name, "encoder");
}

// Found by dream-smith: `masking: train` did not parse. Every keyword but
// the two booleans is a word where a named argument's value goes, so the
// grammar's `keyword` rule must list each one.
TEST(Parser, TakesEveryKeywordAsTheWordOfANamedArgument) {
  for (const std::string &keyword : keywords()) {
    if (keyword == "true" || keyword == "false")
      continue;
    auto parsed = parse("block b {\n input h\n return h -> sleep(ae, "
                        "masking: " +
                        keyword + ")\n}\n");
    ASSERT_TRUE(parsed->module) << keyword << ": " << parsed->diagnostics;
    const Argument &arg =
        parsed->module->blocks[0].body[1].value->stages[0].args[1];
    EXPECT_EQ(arg.name, "masking");
    EXPECT_EQ(arg.value->kind, ConstExpr::Kind::Name);
    EXPECT_EQ(arg.value->text, keyword);
    EXPECT_EQ(arg.value->loc.col, 33u) << keyword;
  }
}

TEST(Parser, KeepsKeywordsOutOfPositionalArgumentsAndNames) {
  auto parsed = parse("block b {\n input h\n return h -> sleep(train)\n}\n");
  EXPECT_FALSE(parsed->module);
  EXPECT_NE(parsed->diagnostics.find("t.dream:3:20: error:"),
            std::string::npos)
      << parsed->diagnostics;
}

TEST(Parser, ColumnsCountBytesAfterMultibyteCharacters) {
  // "é" is two bytes: the stray '$' is at byte column 8, not 7.
  auto parsed = parse("// é\n/*é*/ $");
  EXPECT_FALSE(parsed->module);
  EXPECT_NE(parsed->diagnostics.find("t.dream:2:8: error: unexpected "
                                     "character '$'"),
            std::string::npos)
      << parsed->diagnostics;
}

TEST(Parser, RefusesIntegersBeyond64Bits) {
  auto parsed = parse("train N(M: 99999999999999999999) {}\n");
  EXPECT_FALSE(parsed->module);
  EXPECT_NE(parsed->diagnostics.find("1:12: error: integer literal "
                                     "'99999999999999999999' does not fit "
                                     "in 64 bits"),
            std::string::npos)
      << parsed->diagnostics;
}

} // namespace
