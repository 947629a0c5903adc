//===- VocabularyTest.cpp - The language's words and the dialect's enums --===//
//
// Words that the language checks (Sema, dream/Ops) and the dialect holds as
// enums (DreamEnums.td) are listed on both sides of the layering, which
// cannot share one list: the enums are MLIR attributes. These tests keep
// the lists equal, so MLIRGen can spell every word Sema accepts and the
// dialect accepts no word the language lacks.
//
//===----------------------------------------------------------------------===//

#include "dream/Dialect/DreamDialect.h"
#include "dream/Sema/Sema.h"

#include "gtest/gtest.h"

using namespace dream;

namespace {

/// `spec`'s word choices are exactly the cases of `Enum`, numbered from 0
/// to `maxValue`.
template <typename Enum>
void expectSameWords(const ParamSpec *spec, unsigned maxValue) {
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->choices.size(), maxValue + 1) << spec->name;
  for (const std::string &word : spec->choices)
    EXPECT_TRUE(symbolizeEnum<Enum>(word)) << spec->name << ": " << word;
}

TEST(Vocabulary, ConnectionOptions) {
  for (bool isDream : {false, true}) {
    const Signature &signature = connectionSignature(isDream);
    expectSameWords<Share>(signature.find("share"), getMaxEnumValForShare());
    expectSameWords<Grad>(signature.find("grad"), getMaxEnumValForGrad());
    expectSameWords<Masking>(signature.find("masking"),
                             getMaxEnumValForMasking());
  }
}

TEST(Vocabulary, PoolKinds) {
  const OpSpec *pool = lookupOp("pool");
  ASSERT_NE(pool, nullptr);
  expectSameWords<PoolKind>(pool->signature.find("kind"),
                            getMaxEnumValForPoolKind());
}

} // namespace
