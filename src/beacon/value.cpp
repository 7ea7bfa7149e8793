// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/value.hpp>

#include <cmath>
#include <limits>
#include <sstream>

namespace compactor::beacon {

Value::Value(std::uint64_t u) {
  if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    storage_ = static_cast<std::int64_t>(u);
  } else {
    storage_ = u;
  }
}

std::optional<double> Value::as_number() const {
  return std::visit(
      [](const auto& v) -> std::optional<double> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                      std::is_same_v<T, std::uint64_t> || std::is_same_v<T, double>) {
          return static_cast<double>(v);
        } else {
          return std::nullopt;
        }
      },
      storage_);
}

namespace {

bool is_number(const Value::Storage& s) {
  return std::holds_alternative<bool>(s) || std::holds_alternative<std::int64_t>(s) ||
         std::holds_alternative<std::uint64_t>(s) || std::holds_alternative<double>(s);
}

bool is_integral(const Value::Storage& s) {
  return is_number(s) && !std::holds_alternative<double>(s);
}

// Exact comparison of two integers held as bool/int64/uint64.
std::strong_ordering compare_integers(const Value::Storage& a, const Value::Storage& b) {
  auto widen =
      [](const Value::Storage& s) -> std::pair<bool, std::uint64_t> {  // (negative, magnitude)
    if (const auto* u = std::get_if<std::uint64_t>(&s)) return {false, *u};
    if (const auto* b = std::get_if<bool>(&s)) return {false, *b ? 1u : 0u};
    const auto i = std::get<std::int64_t>(s);
    if (i < 0) return {true, static_cast<std::uint64_t>(-(i + 1)) + 1};
    return {false, static_cast<std::uint64_t>(i)};
  };
  const auto [a_negative, a_magnitude] = widen(a);
  const auto [b_negative, b_magnitude] = widen(b);
  if (a_negative != b_negative)
    return a_negative ? std::strong_ordering::less : std::strong_ordering::greater;
  return a_negative ? b_magnitude <=> a_magnitude : a_magnitude <=> b_magnitude;
}

}  // namespace

std::optional<std::partial_ordering> python_compare(const Value& a, const Value& b) {
  const auto& x = a.storage();
  const auto& y = b.storage();
  if (is_number(x) && is_number(y)) {
    if (is_integral(x) && is_integral(y)) return compare_integers(x, y);
    return *a.as_number() <=> *b.as_number();
  }
  if (x.index() != y.index()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&x)) {
    // UTF-8 byte order is code-point order.
    const int c = s->compare(std::get<std::string>(y));
    return c < 0 ? std::partial_ordering::less
                 : (c > 0 ? std::partial_ordering::greater : std::partial_ordering::equivalent);
  }
  if (const auto* bin = std::get_if<Value::Binary>(&x)) {
    const int c = bin->bytes.compare(std::get<Value::Binary>(y).bytes);
    return c < 0 ? std::partial_ordering::less
                 : (c > 0 ? std::partial_ordering::greater : std::partial_ordering::equivalent);
  }
  if (const auto* array = std::get_if<Value::Array>(&x)) {
    const auto& other = std::get<Value::Array>(y);
    // As Python's tuple comparison: the first pair that is not equal decides.
    for (std::size_t i = 0; i < array->size() && i < other.size(); ++i) {
      if ((*array)[i] == other[i]) continue;
      return python_compare((*array)[i], other[i]);
    }
    return array->size() <=> other.size();
  }
  return std::nullopt;  // None, maps and ext: Python has no order for them
}

bool operator==(const Value& a, const Value& b) {
  const auto& x = a.storage();
  const auto& y = b.storage();
  if (is_number(x) && is_number(y)) {
    const auto order = python_compare(a, b);
    return order && *order == std::partial_ordering::equivalent;
  }
  return x == y;
}

std::string Value::to_string() const {
  std::ostringstream out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Nil>) {
          out << "None";
        } else if constexpr (std::is_same_v<T, bool>) {
          out << (v ? "True" : "False");
        } else if constexpr (std::is_same_v<T, std::string>) {
          out << '\'' << v << '\'';
        } else if constexpr (std::is_same_v<T, Binary>) {
          out << "b'<" << v.bytes.size() << " bytes>'";
        } else if constexpr (std::is_same_v<T, Opaque>) {
          out << "<msgpack " << v.msgpack.size() << " bytes>";
        } else if constexpr (std::is_same_v<T, Array>) {
          out << '[';
          for (std::size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << v[i].to_string();
          out << ']';
        } else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream number;
          number.precision(17);
          number << v;
          const std::string text = number.str();
          // Python shows floats with a decimal point: 2.0, not 2.
          out << text << (text.find_first_of(".eEn") == std::string::npos ? ".0" : "");
        } else {
          out << v;
        }
      },
      storage_);
  return out.str();
}

}  // namespace compactor::beacon
