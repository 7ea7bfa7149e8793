// SPDX-License-Identifier: Apache-2.0
// What answers are compressed for: Accept-Encoding read as RFC 9110 says, as libprocess does.

#include "wire/response_writer.hpp"

#include <gtest/gtest.h>

namespace compactor::wire {
namespace {

TEST(AcceptsGzip, QualityZeroRefusesAndTheWildcardDoesNotOverrideIt) {
  for (const char* yes : {"gzip", "GZIP", "gzip, deflate", "deflate, gzip;q=0.5", "*", "br, *",
                          "gzip;q=1.0", " gzip ; q=0.001", "x-gzip"}) {
    EXPECT_TRUE(accepts_gzip(yes)) << yes;
  }
  for (const char* no : {"", "identity", "deflate", "gzip;q=0", "gzip;q=0.000", "*;q=0",
                         "gzip;q=0, *", "gzip;q=oops", "gzipx"}) {
    EXPECT_FALSE(accepts_gzip(no)) << no;
  }
}

}  // namespace
}  // namespace compactor::wire
