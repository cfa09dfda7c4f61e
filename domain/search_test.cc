#include "domain/search.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

using ::testing::ElementsAre;

TEST(NameWords, SplitsLowersSortsAndDedupes) {
  EXPECT_THAT(NameWords("  Ann  Smith-Jones, ANN "), ElementsAre("ann", "jones", "smith"));
  EXPECT_THAT(NameWords("Mr. J. O'Brien"), ElementsAre("j", "mr", "o'brien"));
  EXPECT_THAT(NameWords("Zoë Ørsted"), ElementsAre("zoë", "Ørsted"));
  EXPECT_TRUE(NameWords(" - , ").empty());
}

TEST(NameMatches, EveryQueryWordPrefixesSomeNameWord) {
  const std::vector<std::string> words = NameWords("Ann Smith-Jones");
  EXPECT_TRUE(NameMatches(words, "smi"));
  EXPECT_TRUE(NameMatches(words, "SMITH an"));
  EXPECT_TRUE(NameMatches(words, "jones"));
  EXPECT_FALSE(NameMatches(words, "mith"));
  EXPECT_FALSE(NameMatches(words, "ann brown"));
  EXPECT_FALSE(NameMatches(words, "  "));
}

}  // namespace
}  // namespace dpmon::domain
