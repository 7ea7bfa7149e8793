// SPDX-License-Identifier: Apache-2.0
#include <compactor/authentication.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <map>
#include <stdexcept>

namespace compactor::http {
namespace {

// Standard base64 (OpenSSL's decoder); nothing if it is not.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string decoded(text.size() / 4 * 3, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                   reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && padding < 2; ++it) ++padding;
  decoded.resize(static_cast<std::size_t>(size) - padding);
  return decoded;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Equal secrets take the same time to compare whatever their content.
bool same_secret(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

}  // namespace

BasicAuthenticator::BasicAuthenticator(Check check) : check_(std::move(check)) {}

std::shared_ptr<BasicAuthenticator> BasicAuthenticator::from_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::invalid_argument("cannot read the credentials file '" + path + "'");
  std::map<std::string, std::string, std::less<>> secrets;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find_first_of(" \t");
    const auto secret = line.find_first_not_of(" \t", space);
    if (space == std::string::npos || secret == std::string::npos) {
      throw std::invalid_argument("credentials file '" + path + "', line " +
                                  std::to_string(number) + ": not \"principal secret\"");
    }
    secrets.insert_or_assign(line.substr(0, space), line.substr(secret));
  }
  return std::make_shared<BasicAuthenticator>(
      [secrets = std::move(secrets)](std::string_view principal, std::string_view password) {
        const auto it = secrets.find(principal);
        return it != secrets.end() && same_secret(password, it->second);
      });
}

std::optional<std::string> BasicAuthenticator::authenticate(const Request& request) const {
  std::string_view credentials = request.header("Authorization");
  if (!starts_with_ignoring_case(credentials, "Basic ")) return std::nullopt;
  credentials.remove_prefix(6);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  const auto decoded = base64_decode(credentials);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string principal = decoded->substr(0, colon);
  if (!check_(principal, std::string_view(*decoded).substr(colon + 1))) return std::nullopt;
  return principal;
}

std::string BasicAuthenticator::challenge(std::string_view realm) const {
  return "Basic realm=\"" + std::string(realm) + "\"";
}

}  // namespace compactor::http
