// SPDX-License-Identifier: Apache-2.0
#pragma once
// A member's names, kept to the holders its context can reach: libprocess links to each holder.

#include <compactor/export.hpp>

#include <cstdint>
#include <memory>

namespace compactor {
class Context;
}

namespace compactor::beacon {

class Names;

/// Links a process of `context` to every holder `names` knows (libprocess's link): when the
/// connection to one breaks, or a local holder terminates (exited), `names` forgets its names
/// on this member (Names::forget) until the holder says them again. So a name disappears here
/// as soon as this member cannot reach its holder, not only when the group reports its member
/// gone. Follows at most 10,000 holders at once.
///
/// @note `names` and `context` must outlive this object; thread-safe.
class COMPACTOR_API NameLinks {
 public:
  /// Starts following `names`' holders from `context`.
  NameLinks(Names& names, Context& context);
  ~NameLinks();  ///< stops following (the linking process terminates)

  /// Not copyable: it owns a process.
  NameLinks(const NameLinks&) = delete;
  NameLinks& operator=(const NameLinks&) = delete;

 private:
  class COMPACTOR_NO_EXPORT Linker;
  std::unique_ptr<Linker> linker_;
  std::uint64_t watch_ = 0;
  Names& names_;
  Context& context_;
};

}  // namespace compactor::beacon
