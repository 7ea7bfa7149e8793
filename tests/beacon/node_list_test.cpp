// SPDX-License-Identifier: Apache-2.0
#include "beacon/node_list.hpp"

#include <gtest/gtest.h>

namespace compactor::beacon {
namespace {

using Names = std::vector<std::string>;

TEST(NodeList, AgesStaleNodesOffTheTailAsAsyncactorDoes) {
  // The doctest of asyncactor's nodelist.py, step by step.
  NodeList list(3);
  list.add("a");
  EXPECT_EQ(list.names(), Names({"a"}));
  list.add("a");
  EXPECT_EQ(list.names(), Names({"a"}));
  list.add("b");
  EXPECT_EQ(list.names(), Names({"b", "a"}));
  list.add("a");
  EXPECT_EQ(list.names(), Names({"a", "b"}));
  list.add("c");
  EXPECT_EQ(list.names(), Names({"c", "a", "b"}));
  list.add("d");
  EXPECT_EQ(list.names(), Names({"d", "c", "a"}));
  list.add("c");  // out of turn: the tail goes too
  EXPECT_EQ(list.names(), Names({"c", "d"}));
}

TEST(NodeList, UnboundedNeverDrops) {
  NodeList list(0);
  for (const char* n : {"a", "b", "c", "a", "d"}) list.add(n);
  EXPECT_EQ(list.names(), Names({"d", "a", "c", "b"}));
  EXPECT_EQ(list.index_of("c"), 2);
  EXPECT_EQ(list.index_of("zz"), -1);
  EXPECT_EQ(list.head(2), Names({"d", "a"}));
}

}  // namespace
}  // namespace compactor::beacon
