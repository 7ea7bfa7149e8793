// SPDX-License-Identifier: Apache-2.0
// The body of a message given on the command line: an argument, a file, or standard input.

#include "commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

namespace compactor::tool {
namespace {

std::string read_all(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

void BodyFlags::add_to(CLI::App& command) {
  command.add_option("body", argument, "message body, or - to read standard input");
  command.add_option("--file", file, "read the body from this file");
}

std::string BodyFlags::read() const {
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + file + "'");
    return read_all(in);
  }
  if (argument == "-") return read_all(std::cin);
  return argument;
}

}  // namespace compactor::tool
