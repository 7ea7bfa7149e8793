// SPDX-License-Identifier: Apache-2.0
// What answers are compressed for: Accept-Encoding read as RFC 9110 says, as libprocess does;
// the answer to a message.

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

// libprocess's answer to a message (tests/data/probe_lp.txt), with this second's Date: the same
// bytes when it is made once a second and reused, and after what the buffer held already.
TEST(AppendAccepted, IsLibprocesssAnswerToAMessageWithTheDateOfNow) {
  // Made within one second (tried again if a second began meanwhile).
  const auto made_in_one_second = [](bool close) {
    std::string date, out;
    for (int attempt = 0; attempt < 3; ++attempt) {
      date = http_date();
      out = "before|";
      append_accepted(out, close);
      if (http_date() == date) break;
    }
    return std::make_pair(out, date);
  };
  for (int round = 0; round < 2; ++round) {
    const auto [out, date] = made_in_one_second(false);
    EXPECT_EQ(out,
              "before|HTTP/1.1 202 Accepted\r\nDate: " + date + "\r\nContent-Length: 0\r\n\r\n");
  }
  const auto [closing, date] = made_in_one_second(true);
  EXPECT_EQ(closing, "before|HTTP/1.1 202 Accepted\r\nDate: " + date +
                         "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace compactor::wire
