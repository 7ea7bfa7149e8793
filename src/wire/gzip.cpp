// SPDX-License-Identifier: Apache-2.0
#include "wire/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace compactor::wire {

GunzipResult gunzip(std::string_view compressed, std::size_t max_size, std::string& out) {
  out.clear();
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return GunzipResult::corrupt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  char chunk[16 * 1024];
  int status = Z_OK;
  GunzipResult result = GunzipResult::ok;
  while (status != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      result = GunzipResult::corrupt;
      break;
    }
    const std::size_t produced = sizeof chunk - stream.avail_out;
    if (out.size() + produced > max_size) {
      result = GunzipResult::too_large;
      break;
    }
    out.append(chunk, produced);
    if (status == Z_OK && produced == 0 && stream.avail_in == 0) {  // truncated stream
      result = GunzipResult::corrupt;
      break;
    }
  }
  inflateEnd(&stream);
  return result;
}

std::string gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  // deflateBound() leaves room for everything, so one Z_FINISH must end the stream.
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) {
    throw std::runtime_error("deflate did not finish (zlib status " + std::to_string(status) + ")");
  }
  return out;
}

}  // namespace compactor::wire
