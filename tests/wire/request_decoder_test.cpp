// SPDX-License-Identifier: Apache-2.0
#include "wire/request_decoder.hpp"

#include "wire/gzip.hpp"
#include "wire/message_head.hpp"

#include <gtest/gtest.h>

namespace compactor::wire {
namespace {

// What the tests look at of each request, copied out of the decoder's views.
struct Seen {
  std::string method, target, from, body;
  bool keep_alive = false;
  bool is_message = false;
};

class CollectingSink : public RequestSink {
 public:
  bool on_request(Request& request) override {
    Seen seen{std::string(request.method),
              std::string(request.target),
              {},
              request.body,
              request.keep_alive,
              false};
    if (auto from = message_sender(request)) {
      seen.is_message = true;
      seen.from = std::string(*from);
    }
    requests.push_back(std::move(seen));
    return !stop_after_each;
  }
  std::vector<Seen> requests;
  bool stop_after_each = false;
};

constexpr std::size_t kLimit = 1024;

TEST(RequestDecoder, ContentLengthBody) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "POST /pong/hello HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\n"
      "Libprocess-From: probe@127.0.0.1:1\r\n\r\nhello";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].body, "hello");
  EXPECT_EQ(sink.requests[0].from, "probe@127.0.0.1:1");
  EXPECT_TRUE(sink.requests[0].keep_alive);
}

// A read that opened no TLS record gives the decoder no bytes, in the middle of a request.
TEST(RequestDecoder, NoBytesInTheMiddleOfARequestAreNotTheEndOfTheStream) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string head = "POST /a/b HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
  EXPECT_EQ(decoder.feed(head.data(), head.size()), DecodeStatus::ok);
  EXPECT_EQ(decoder.feed(head.data(), 0), DecodeStatus::ok);
  EXPECT_EQ(decoder.feed("hi", 2), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].body, "hi");
}

TEST(RequestDecoder, AProtocolUpgradeIsMalformed) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "GET /chat HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::malformed);
  EXPECT_EQ(decoder.error_detail(), "protocol upgrade not supported");
}

TEST(RequestDecoder, ABudgetSharedByDecodersBoundsTheirBodiesTogether) {
  CollectingSink sink;
  ByteBudget budget(1500);
  auto head = [](std::size_t size) {
    return "POST /p/m HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
  };
  {
    RequestDecoder first(sink, kLimit, &budget);
    const std::string partial = head(1000) + "abc";
    EXPECT_EQ(first.feed(partial.data(), partial.size()), DecodeStatus::ok);
    EXPECT_EQ(budget.used(), 1000u) << "the declared length is charged at once";
    RequestDecoder second(sink, kLimit, &budget);
    const std::string too_much = head(600);
    EXPECT_EQ(second.feed(too_much.data(), too_much.size()), DecodeStatus::over_budget);
    const std::string rest(997, 'x');
    EXPECT_EQ(first.feed(rest.data(), rest.size()), DecodeStatus::ok);
    EXPECT_EQ(budget.used(), 0u) << "a complete request gives its charge back";
    const std::string chunked =
        "POST /p/m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
    RequestDecoder third(sink, kLimit, &budget);
    EXPECT_EQ(third.feed(chunked.data(), chunked.size()), DecodeStatus::ok);
    EXPECT_EQ(budget.used(), 3u) << "chunked bodies are charged as they grow";
    const std::string announced = "20\r\n";
    EXPECT_EQ(third.feed(announced.data(), announced.size()), DecodeStatus::ok);
    EXPECT_EQ(budget.used(), 3u + 32u) << "each chunk from its size line";
  }
  EXPECT_EQ(budget.used(), 0u) << "a destroyed decoder gives its charge back";
}

TEST(RequestDecoder, AChunkOverTheLimitIsRefusedFromItsSizeLine) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "POST /p/m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n400\r\n";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::body_too_large);
  EXPECT_EQ(decoder.error_detail(),
            "a chunk announced makes the body 1027 bytes, over max_body_size 1024");
}

TEST(RequestDecoder, ChunkedBodyFedOneByteAtATime) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "POST /pong/hello HTTP/1.1\r\nUser-Agent: libprocess/probe@127.0.0.1:1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3\r\n th\r\n0\r\n\r\n";
  for (const char c : bytes) ASSERT_EQ(decoder.feed(&c, 1), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].body, "hi th");
  EXPECT_EQ(sink.requests[0].from, "probe@127.0.0.1:1");  // legacy User-Agent only
}

TEST(RequestDecoder, PipelinedRequestsInOneRead) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  std::string bytes;
  for (int i = 0; i < 3; ++i) {
    bytes += "POST /pong/m" + std::to_string(i) +
             " HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nContent-Length: 1\r\n\r\n" +
             std::to_string(i);
  }
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sink.requests[i].target, "/pong/m" + std::to_string(i));
    EXPECT_EQ(sink.requests[i].body, std::to_string(i));
  }
}

// libprocess sends every message chunked: several in one read, each body decoded and the next
// request left whole, a trailer field and an empty line between requests taken too.
TEST(RequestDecoder, PipelinedChunkedRequestsInOneRead) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string big(300, 'b');
  const std::string bytes =
      "POST /pong/m0 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n12c\r\n" + big +
      "\r\n0\r\n\r\n"
      "POST /pong/m1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nhi\r\n"
      "1\r\n!\r\n0\r\nTrailer-Field: x\r\n\r\n"
      "\r\nPOST /pong/m2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
  for (const std::size_t split : {bytes.size(), std::size_t{40}, std::size_t{380}}) {
    sink.requests.clear();
    RequestDecoder fresh(sink, kLimit);
    ASSERT_EQ(fresh.feed(bytes.data(), split), DecodeStatus::ok);
    ASSERT_EQ(fresh.feed(bytes.data() + split, bytes.size() - split), DecodeStatus::ok);
    ASSERT_EQ(sink.requests.size(), 3u) << "split at " << split;
    EXPECT_EQ(sink.requests[0].body, big);
    EXPECT_EQ(sink.requests[1].target, "/pong/m1");
    EXPECT_EQ(sink.requests[1].body, "hi!");
    EXPECT_EQ(sink.requests[2].body, "ok");
    EXPECT_FALSE(fresh.in_request());
  }
}

// What HTTP/1.x leaves to the reader of the head: the framing of the body and the connection.
TEST(RequestDecoder, KeepAliveFollowsTheVersionAndConnection) {
  auto keep_alive = [](const std::string& version, const std::string& connection) {
    CollectingSink sink;
    RequestDecoder decoder(sink, kLimit);
    const std::string bytes = "GET /a " + version + "\r\n" + connection + "\r\n";
    EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::ok);
    return !sink.requests.empty() && sink.requests[0].keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1", ""));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "Connection: Close\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "Connection: TE, close\r\n"));
  EXPECT_FALSE(keep_alive("HTTP/1.0", ""));
  EXPECT_TRUE(keep_alive("HTTP/1.0", "Connection: keep-alive\r\n"));
}

TEST(RequestDecoder, AmbiguousFramingAndHeadsOverTheBoundsAreMalformed) {
  const std::string too_many_fields = [] {
    std::string fields;
    for (std::size_t i = 0; i <= RequestDecoder::kMaxHeaderFields; ++i) fields += "X: y\r\n";
    return fields;
  }();
  const std::string heads[] = {
      "POST /a HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
      "POST /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST /a HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
      "POST /a HTTP/2.0\r\n\r\n",
      "GET /a HTTP/1.1\r\n" + too_many_fields + "\r\n",
      "GET /a HTTP/1.1\r\nX: " + std::string(RequestDecoder::kMaxHeadSize, 'x'),
  };
  for (const auto& head : heads) {
    CollectingSink sink;
    RequestDecoder decoder(sink, kLimit);
    EXPECT_EQ(decoder.feed(head.data(), head.size()), DecodeStatus::malformed) << head;
    EXPECT_TRUE(sink.requests.empty());
    EXPECT_FALSE(decoder.error_detail().empty());
  }
  // A duplicate that agrees is harmless; a head at the bound split over reads still decodes.
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string agreeing =
      "POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(decoder.feed(agreeing.data(), agreeing.size()), DecodeStatus::ok);
  const std::string long_head =
      "GET /b HTTP/1.1\r\nX: " + std::string(RequestDecoder::kMaxHeadSize - 40, 'x') + "\r\n\r\n";
  for (std::size_t at = 0; at < long_head.size(); at += 4096) {
    const auto piece = std::string_view(long_head).substr(at, 4096);
    ASSERT_EQ(decoder.feed(piece.data(), piece.size()), DecodeStatus::ok);
  }
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_EQ(sink.requests[1].target, "/b");
}

TEST(RequestDecoder, DecodeHandsOutOneRequestAtATimeWithViewsValidUntilTheNext) {
  RequestDecoder decoder(kLimit);
  const std::string bytes =
      "POST /a/one HTTP/1.1\r\nLibprocess-From: x@1.2.3.4:5\r\nContent-Length: 1\r\n\r\n1"
      "GET /b/two HTTP/1.1\r\n\r\n"
      "GET /c/thr";
  std::string_view rest = bytes;
  auto decoded = decoder.decode(rest);
  ASSERT_TRUE(decoded.request);
  EXPECT_EQ(decoder.request().target, "/a/one");
  EXPECT_EQ(decoder.request().header("Libprocess-From"), "x@1.2.3.4:5");
  EXPECT_EQ(decoder.request().body, "1");
  rest.remove_prefix(decoded.consumed);
  EXPECT_TRUE(rest.starts_with("GET /b/two")) << "it stops right after the request";
  decoded = decoder.decode(rest);
  ASSERT_TRUE(decoded.request);
  EXPECT_EQ(decoder.request().target, "/b/two");
  EXPECT_EQ(decoder.request().method, "GET");
  rest.remove_prefix(decoded.consumed);
  decoded = decoder.decode(rest);
  EXPECT_FALSE(decoded.request) << "the third is not whole";
  EXPECT_EQ(decoded.status, DecodeStatus::ok);
  EXPECT_EQ(decoded.consumed, rest.size());
  EXPECT_TRUE(decoder.in_request());
  decoded = decoder.decode("ee HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(decoded.request);
  EXPECT_EQ(decoder.request().target, "/c/three");
  EXPECT_FALSE(decoder.decode("").request);
}

TEST(RequestDecoder, HeaderNamesInAnyCaseAndLibprocessFromWins) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "POST /pong/x HTTP/1.1\r\nuser-agent: libprocess/ua@127.0.0.1:1\r\n"
      "LIBPROCESS-FROM: lf@127.0.0.1:2\r\n\r\n";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].from, "lf@127.0.0.1:2");
}

TEST(RequestDecoder, PlainHttpIsNotAMessage) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "GET /pong/stats HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /pong/hello HTTP/1.1\r\nUser-Agent: curl/8\r\n\r\n";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_FALSE(sink.requests[0].is_message);
  EXPECT_FALSE(sink.requests[1].is_message);
}

TEST(RequestDecoder, GzipBodyIsInflated) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string zipped = gzip("zipped payload");
  const std::string bytes =
      "POST /pong/hello HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
      "Content-Encoding: gzip\r\nContent-Length: " +
      std::to_string(zipped.size()) + "\r\n\r\n" + zipped;
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::ok);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].body, "zipped payload");
}

TEST(RequestDecoder, GzipBombStopsAtTheLimit) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string zipped =
      gzip(std::string(256 * 1024, 'a'));  // 256 KiB inflate from a few hundred bytes
  ASSERT_LT(zipped.size(), kLimit);
  const std::string bytes =
      "POST /p/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
      "Content-Encoding: gzip\r\nContent-Length: " +
      std::to_string(zipped.size()) + "\r\n\r\n" + zipped;
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::body_too_large);
  EXPECT_TRUE(sink.requests.empty());
}

TEST(RequestDecoder, CorruptGzipIsMalformed) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes =
      "POST /p/m HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::malformed);
  EXPECT_EQ(decoder.error_detail(), "corrupt gzip body");
}

TEST(RequestDecoder, OversizedContentLengthIsRejectedFromTheHeaders) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  // No body bytes at all: the decision is made before anything is buffered.
  const std::string head = "POST /p/m HTTP/1.1\r\nContent-Length: 9437184\r\n\r\n";
  EXPECT_EQ(decoder.feed(head.data(), head.size()), DecodeStatus::body_too_large);
  EXPECT_EQ(decoder.error_detail(), "body of 9437184 bytes exceeds max_body_size 1024");
}

TEST(RequestDecoder, OversizedChunkedBodyIsRejectedWhileStreaming) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string head = "POST /p/m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(decoder.feed(head.data(), head.size()), DecodeStatus::ok);
  const std::string chunk = "400\r\n" + std::string(1024, 'c') + "\r\n";
  EXPECT_EQ(decoder.feed(chunk.data(), chunk.size()), DecodeStatus::ok);
  EXPECT_EQ(decoder.feed("1\r\nc", 4), DecodeStatus::body_too_large);
}

TEST(RequestDecoder, GarbageIsMalformedAndStaysSo) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string garbage = "\x16\x03\x01garbage\r\n\r\n";
  EXPECT_EQ(decoder.feed(garbage.data(), garbage.size()), DecodeStatus::malformed);
  EXPECT_FALSE(decoder.error_detail().empty());
  EXPECT_EQ(decoder.feed("GET / HTTP/1.1\r\n\r\n", 18), DecodeStatus::malformed);
}

TEST(RequestDecoder, PathWithoutLeadingSlashIsMalformed) {
  CollectingSink sink;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes = "POST pong/hello HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::malformed);
}

TEST(RequestDecoder, SinkCanStopAfterARequest) {
  CollectingSink sink;
  sink.stop_after_each = true;
  RequestDecoder decoder(sink, kLimit);
  const std::string bytes = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  EXPECT_EQ(decoder.feed(bytes.data(), bytes.size()), DecodeStatus::stopped);
  EXPECT_EQ(sink.requests.size(), 1u);
}

TEST(MessageHead, SplitsAndDecodesTargets) {
  std::string decoded;  // what a result views when its target had escapes
  const auto split = [&](std::string_view target) { return split_target(target, decoded); };
  auto t = split("/%70ong/a/b?x=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->process_id, "pong");
  EXPECT_EQ(t->rest, "a/b");
  t = split("/pong");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rest, "");
  t = split("/__req_res__(7)/pong");  // no escape: split without decoding
  ASSERT_TRUE(t);
  EXPECT_EQ(t->process_id, "__req_res__(7)");
  EXPECT_EQ(t->rest, "pong");
  t = split("/a%2Fb/c");  // decoded, then split (as libprocess reads a path)
  ASSERT_TRUE(t);
  EXPECT_EQ(t->process_id, "a");
  EXPECT_EQ(t->rest, "b/c");
  EXPECT_FALSE(split("/%2Fx"));
  EXPECT_FALSE(split("/"));
  EXPECT_FALSE(split("//x"));
  EXPECT_FALSE(split("/po%zzng/x"));
  EXPECT_FALSE(split("/po%7"));
}

}  // namespace
}  // namespace compactor::wire
