// SPDX-License-Identifier: Apache-2.0
#pragma once
// A group member's value: one msgpack value, as asyncactor's Python peers send and compare it.

#include <compactor/export.hpp>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace compactor::beacon {

/// A value as asyncactor's members exchange them in msgpack (Python's None, bool, int, float, str,
/// bytes, list), compared as Python compares them.
class COMPACTOR_API Value {
 public:
  /// msgpack nil, Python None: "not ready".
  struct Nil {
    friend bool operator==(Nil, Nil) = default;  ///< Every nil equals every nil.
  };
  /// msgpack bin, Python bytes.
  struct Binary {
    std::string bytes;                                               ///< The bytes.
    friend bool operator==(const Binary&, const Binary&) = default;  ///< Byte for byte.
  };
  /// A value carried but not interpreted (a map or an ext): its exact msgpack bytes.
  struct Opaque {
    std::string msgpack;                                             ///< The encoded value.
    friend bool operator==(const Opaque&, const Opaque&) = default;  ///< Byte for byte.
  };
  /// msgpack array, Python list.
  using Array = std::vector<Value>;
  /// One of the kinds above (ints as int64, and as uint64 above its range).
  using Storage = std::variant<Nil, bool, std::int64_t, std::uint64_t, double, std::string, Binary,
                               Array, Opaque>;

  /// Nil, or the value given (implicitly, so that `set_value(7)` and `set_value("a")` read well).
  ///@{
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : storage_(b) {}
  Value(int i) : storage_(std::int64_t{i}) {}
  Value(std::int64_t i) : storage_(i) {}
  ///@}
  /// Stored as int64 when it fits, as msgpack decoders and Python do not distinguish.
  Value(std::uint64_t u);
  /// The value given.
  ///@{
  Value(double d) : storage_(d) {}
  Value(std::string s) : storage_(std::move(s)) {}
  Value(const char* s) : storage_(std::string(s)) {}
  Value(Binary b) : storage_(std::move(b)) {}
  Value(Array a) : storage_(std::move(a)) {}
  Value(Opaque o) : storage_(std::move(o)) {}
  ///@}

  /// True for nil (None).
  bool is_nil() const { return std::holds_alternative<Nil>(storage_); }
  /// The value itself, for std::visit or std::get_if.
  const Storage& storage() const { return storage_; }

  /// The number as a double if this is a bool, an int or a float.
  std::optional<double> as_number() const;

  /// A Python-like rendering for logs and events: None, 1, 1.5, 'text', [1, 'a'].
  std::string to_string() const;

  /// Python's ==: numbers compare by value across bool, int and float; nothing else mixes.
  friend bool operator==(const Value& a, const Value& b);

 private:
  Storage storage_;
};

/// Python's ordering of two values, for the types a peer may send: numbers with numbers (NaN
/// unordered), str with str (code points), bytes with bytes, arrays element by element. nullopt
/// where Python raises TypeError (say int against str, or any map), which asyncactor does not
/// survive and we treat as "no priority".
COMPACTOR_API std::optional<std::partial_ordering> python_compare(const Value& a, const Value& b);

}  // namespace compactor::beacon
