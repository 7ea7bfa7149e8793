// SPDX-License-Identifier: Apache-2.0
#include "beacon/messages.hpp"

#include <msgpack.hpp>

#include <array>
#include <cstring>

namespace compactor::beacon {
namespace {

// Bounds for what a peer may send; a beacon payload is a few hundred bytes.
const msgpack::unpack_limit kLimits(/*array=*/256, /*map=*/64, /*str=*/4096, /*bin=*/4096,
                                    /*ext=*/4096, /*depth=*/8);

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_str(Packer& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

// Always float64 (0xcb), as Python writes floats: msgpack-cxx's pack_double writes an integral
// double such as 2.0 as an int, which a Python peer would then read back as int.
void pack_float64(msgpack::sbuffer& buffer, double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char bytes[9] = {static_cast<char>(0xcb)};
  for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
  buffer.write(bytes, sizeof bytes);
}

void pack_value(Packer& packer, msgpack::sbuffer& buffer, const Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Value::Nil>) {
          packer.pack_nil();
        } else if constexpr (std::is_same_v<T, bool>) {
          v ? packer.pack_true() : packer.pack_false();
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          packer.pack_int64(v);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          packer.pack_uint64(v);
        } else if constexpr (std::is_same_v<T, double>) {
          pack_float64(buffer, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          pack_str(packer, v);
        } else if constexpr (std::is_same_v<T, Value::Binary>) {
          packer.pack_bin(static_cast<std::uint32_t>(v.bytes.size()));
          packer.pack_bin_body(v.bytes.data(), static_cast<std::uint32_t>(v.bytes.size()));
        } else if constexpr (std::is_same_v<T, Value::Array>) {
          packer.pack_array(static_cast<std::uint32_t>(v.size()));
          for (const auto& element : v) pack_value(packer, buffer, element);
        } else {
          buffer.write(v.msgpack.data(), v.msgpack.size());
        }
      },
      value.storage());
}

void pack_history(Packer& packer, const std::vector<std::string>& history) {
  packer.pack_array(static_cast<std::uint32_t>(history.size()));
  for (const auto& name : history) pack_str(packer, name);
}

// Writes a message map entry by entry, keys as msgpack str.
class MapWriter {
 public:
  explicit MapWriter(msgpack::sbuffer& buffer) : buffer_(buffer), packer_(buffer) {}

  // The map header and its first entry, `t`.
  void begin(std::uint32_t entries, std::string_view type) {
    packer_.pack_map(entries);
    text("t", type);
  }
  void text(std::string_view key, std::string_view text) {
    pack_str(packer_, key);
    pack_str(packer_, text);
  }
  void value(std::string_view key, const Value& value) {
    pack_str(packer_, key);
    pack_value(packer_, buffer_, value);
  }
  void names(std::string_view key, const std::vector<std::string>& names) {
    pack_str(packer_, key);
    pack_history(packer_, names);
  }

 private:
  msgpack::sbuffer& buffer_;
  Packer packer_;
};

// The seven fields of `vers` after `t` and `node`, in wire order (asyncactor's DEFAULTS order).
template <class ConfigT>
auto config_fields(ConfigT& c) {
  return std::array{std::pair{"cycle", &c.cycle},      std::pair{"gap", &c.gap},
                    std::pair{"nodes", &c.nodes},      std::pair{"splits", &c.splits},
                    std::pair{"n_hosts", &c.n_hosts},  std::pair{"version", &c.version},
                    std::pair{"force_in", &c.force_in}};
}

// A decoded msgpack object as a Value; maps and ext are kept as their bytes.
Value value_of(const msgpack::object& object) {
  switch (object.type) {
    case msgpack::type::NIL:
      return Value();
    case msgpack::type::BOOLEAN:
      return Value(object.via.boolean);
    case msgpack::type::POSITIVE_INTEGER:
      return Value(static_cast<std::uint64_t>(object.via.u64));
    case msgpack::type::NEGATIVE_INTEGER:
      return Value(static_cast<std::int64_t>(object.via.i64));
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return Value(object.via.f64);
    case msgpack::type::STR:
      return Value(std::string(object.via.str.ptr, object.via.str.size));
    case msgpack::type::BIN:
      return Value(Value::Binary{std::string(object.via.bin.ptr, object.via.bin.size)});
    case msgpack::type::ARRAY: {
      Value::Array array;
      array.reserve(object.via.array.size);
      for (std::uint32_t i = 0; i < object.via.array.size; ++i) {
        array.push_back(value_of(object.via.array.ptr[i]));
      }
      return Value(std::move(array));
    }
    default: {
      msgpack::sbuffer bytes;
      msgpack::pack(bytes, object);
      return Value(Value::Opaque{std::string(bytes.data(), bytes.size())});
    }
  }
}

// The fields of a message map, by key, checked as they are read.
class Fields {
 public:
  explicit Fields(const msgpack::object_map& map) : map_(map) {}

  const msgpack::object* find(std::string_view key) const {
    for (std::uint32_t i = 0; i < map_.size; ++i) {
      const auto& k = map_.ptr[i].key;
      if (std::string_view(k.via.str.ptr, k.via.str.size) == key) return &map_.ptr[i].val;
    }
    return nullptr;
  }

  std::optional<std::string> string(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || v->type != msgpack::type::STR) return std::nullopt;
    return std::string(v->via.str.ptr, v->via.str.size);
  }

  std::optional<std::vector<std::string>> names(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || v->type != msgpack::type::ARRAY) return std::nullopt;
    std::vector<std::string> result;
    for (std::uint32_t i = 0; i < v->via.array.size; ++i) {
      const auto& item = v->via.array.ptr[i];
      if (item.type != msgpack::type::STR) return std::nullopt;
      result.emplace_back(item.via.str.ptr, item.via.str.size);
    }
    return result;
  }

  std::optional<Value> number(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr) return std::nullopt;
    Value value = value_of(*v);
    if (!value.as_number()) return std::nullopt;
    return value;
  }

 private:
  const msgpack::object_map& map_;
};

std::variant<Message, DecodeError> decode_fields(const Fields& fields, std::string_view type) {
  auto error = [](std::string reason) { return DecodeError{std::move(reason)}; };
  if (type == "init") {
    auto node = fields.string("node");
    if (!node) return error("init without a str 'node'");
    return InitMessage{std::move(*node)};
  }
  if (type == "vers") {
    SetupMessage message;
    if (fields.find("node") != nullptr) {
      message.node = fields.string("node");
      if (!message.node) return error("vers with a 'node' that is not a str");
    }
    for (const auto& [key, slot] : config_fields(message.config)) {
      auto number = fields.number(key);
      if (!number) return error(std::string("vers without a number '") + key + "'");
      *slot = std::move(*number);
    }
    return message;
  }
  if (type == "ping") {
    auto node = fields.string("node");
    auto history = fields.names("history");
    const auto* value = fields.find("value");
    if (!node || !history || value == nullptr) {
      return error("ping needs a str 'node', a 'value' and a 'history' of str");
    }
    return PingMessage{std::move(*node), value_of(*value), std::move(*history)};
  }
  if (type == "hist") {
    if (fields.find("node") != nullptr) return error("hist with a 'node' key");
    auto history = fields.names("history");
    const auto* value = fields.find("value");
    if (!history || history->empty() || value == nullptr) {
      return error("hist needs a 'value' and a non-empty 'history' of str");
    }
    return HistoryMessage{value_of(*value), std::move(*history)};
  }
  return error("unknown message type '" + std::string(type) + "'");
}

}  // namespace

std::string_view node_of(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::string_view {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, HistoryMessage>) {
          return m.history.front();
        } else if constexpr (std::is_same_v<T, SetupMessage>) {
          return m.node ? std::string_view(*m.node) : std::string_view();
        } else {
          return m.node;
        }
      },
      message);
}

std::string encode(const Message& message) {
  msgpack::sbuffer buffer;
  MapWriter out(buffer);
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, InitMessage>) {
          out.begin(2, "init");
          out.text("node", m.node);
        } else if constexpr (std::is_same_v<T, SetupMessage>) {
          out.begin(m.node ? 9 : 8, "vers");
          if (m.node) out.text("node", *m.node);
          for (const auto& [key, value] : config_fields(m.config)) out.value(key, *value);
        } else if constexpr (std::is_same_v<T, PingMessage>) {
          out.begin(4, "ping");
          out.text("node", m.node);
          out.value("value", m.value);
          out.names("history", m.history);
        } else {
          out.begin(3, "hist");
          out.value("value", m.value);
          out.names("history", m.history);
        }
      },
      message);
  return std::string(buffer.data(), buffer.size());
}

std::variant<Message, DecodeError> decode(std::string_view payload) {
  msgpack::object_handle handle;
  std::size_t offset = 0;
  try {
    handle = msgpack::unpack(payload.data(), payload.size(), offset, nullptr, nullptr, kLimits);
  } catch (const std::exception& error) {
    return DecodeError{std::string("not msgpack: ") + error.what()};
  }
  if (offset != payload.size()) return DecodeError{"trailing bytes after the message"};
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::MAP) return DecodeError{"not a map"};
  for (std::uint32_t i = 0; i < root.via.map.size; ++i) {
    if (root.via.map.ptr[i].key.type != msgpack::type::STR)
      return DecodeError{"a key that is not a str"};
  }
  const Fields fields(root.via.map);
  const auto type = fields.string("t");
  if (!type) return DecodeError{"no str 't'"};
  return decode_fields(fields, *type);
}

}  // namespace compactor::beacon
