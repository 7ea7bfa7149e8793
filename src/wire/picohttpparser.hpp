// SPDX-License-Identifier: Apache-2.0
#pragma once
// picohttpparser, the HTTP/1.x parser of the h2o server (https://github.com/h2o/picohttpparser):
// a request head in one pass over a contiguous buffer, and chunked bodies decoded in place.
// Debian ships it compiled into libh2o (libh2o-dev), whose exports include its C API, but not its
// header: these are the declarations of the part we call, an API unchanged since 2015.
// cmake/FindPicoHttpParser.cmake checks that the library exports it.

#include <sys/types.h>
#include <cstddef>

extern "C" {

// One header field of a parsed head: pointers into the parsed buffer. `name` is null for a
// continuation line (obsolete line folding) of the field before.
struct phr_header {
  const char* name;
  std::size_t name_len;
  const char* value;
  std::size_t value_len;
};

// Parses the request head at the start of `buf`: the head's length once it is complete, -2 while
// it is not, -1 if it is not an HTTP/1.x request head or has more than `*num_headers` fields.
// `last_len` is how much of `buf` an earlier call saw incomplete (0 for the first call).
int phr_parse_request(const char* buf, std::size_t len, const char** method,
                      std::size_t* method_len, const char** path, std::size_t* path_len,
                      int* minor_version, phr_header* headers, std::size_t* num_headers,
                      std::size_t last_len);

// The state of a chunked body being decoded; zero it before the first call. The layout libh2o's
// copy uses (its first four fields in every version since).
struct phr_chunked_decoder {
  std::size_t bytes_left_in_chunk;  // of the chunk whose data is being read
  char consume_trailer;             // non-zero: the trailer section is read (and dropped) too
  char hex_count_;
  char state_;
};

// Decodes the `*bufsz` bytes at `buf` in place: on return `*bufsz` is the size of the data
// decoded to the start of `buf`. Returns -2 if the body goes on, -1 if it is not chunked coding,
// or else how many bytes after the body's end were not part of it (moved to buf + *bufsz).
ssize_t phr_decode_chunked(phr_chunked_decoder* decoder, char* buf, std::size_t* bufsz);
}
