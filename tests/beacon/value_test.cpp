// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/value.hpp>  // first: the header compiles on its own

#include <gtest/gtest.h>

#include <cmath>

namespace compactor::beacon {
namespace {

bool greater(const Value& a, const Value& b) {
  const auto order = python_compare(a, b);
  return order && *order == std::partial_ordering::greater;
}

TEST(Value, ComparesNumbersAcrossIntFloatAndBoolAsPython) {
  EXPECT_TRUE(greater(2, 1.5));
  EXPECT_TRUE(greater(1.5, 1));
  EXPECT_TRUE(Value(1) == Value(1.0));
  EXPECT_TRUE(Value(true) == Value(1));
  EXPECT_TRUE(greater(Value(std::uint64_t{18446744073709551615u}), Value(std::int64_t{-1})));
  EXPECT_TRUE(greater(-1, Value(std::int64_t{-9223372036854775807 - 1})));
  const auto nan = python_compare(std::nan(""), 1.0);
  ASSERT_TRUE(nan);
  EXPECT_EQ(*nan, std::partial_ordering::unordered);
}

TEST(Value, StringsAndArrays) {
  EXPECT_TRUE(greater("b", "a"));
  EXPECT_TRUE(greater("é", "z"));  // code points, not locale
  EXPECT_TRUE(greater(Value(Value::Array{2, "a"}), Value(Value::Array{1, "z"})));
  EXPECT_TRUE(greater(Value(Value::Array{1, "z"}), Value(Value::Array{1, "a"})));
  EXPECT_TRUE(greater(Value(Value::Array{1, "a"}), Value(Value::Array{1})));  // longer wins
}

TEST(Value, IncomparableWherePythonRaises) {
  EXPECT_FALSE(python_compare(1, "a"));
  EXPECT_FALSE(python_compare(Value(), Value()));  // None > None raises
  EXPECT_FALSE(python_compare(Value(Value::Array{1}), Value(Value::Array{"a"})));
  EXPECT_FALSE(python_compare(Value(Value::Opaque{"\x80"}), Value(Value::Opaque{"\x80"})));
  EXPECT_TRUE(Value(Value::Opaque{"\x80"}) == Value(Value::Opaque{"\x80"}));
}

TEST(Value, RendersLikePython) {
  EXPECT_EQ(Value().to_string(), "None");
  EXPECT_EQ(Value(Value::Array{3, "n1@127.0.0.1:1", 1.5, true}).to_string(),
            "[3, 'n1@127.0.0.1:1', 1.5, True]");
  EXPECT_EQ(Value(2.0).to_string(), "2.0");
}

}  // namespace
}  // namespace compactor::beacon
