// SPDX-License-Identifier: Apache-2.0
#pragma once
// What Process::ask gives back: a reply, or why there is none.

#include <compactor/export.hpp>
#include <compactor/future.hpp>
#include <compactor/pid.hpp>

#include <string>
#include <string_view>

namespace compactor {

/// A message as a handler gets it, kept: the reply to an ask.
struct Message {
  PID from;          ///< who sent it
  std::string name;  ///< its name
  std::string body;  ///< its body
};

namespace detail {
inline constexpr std::string_view ask_id_prefix = "__req_res__(";
}

/// True for the PID an ask's request comes from, `__req_res__(N)` as libprocess's
/// ReqResProcess names it: it lives for one reply, so a server need not link to it or keep it.
/// No process may be spawned with such an id.
inline bool is_asker(const PID& pid) { return pid.id.starts_with(detail::ask_id_prefix); }

/// No reply came within the ask's timeout (a reply after it is dropped and counted as
/// ContextStats::late_replies).
class COMPACTOR_API AskTimeout : public FutureFailed {
 public:
  using FutureFailed::FutureFailed;
};

/// The asked process is known to be gone: a local PID that names no running process, a local
/// process that terminated during the ask, or a remote one whose context could not be reached or
/// whose connection broke during the ask.
class COMPACTOR_API PeerExited : public FutureFailed {
 public:
  using FutureFailed::FutureFailed;
};

}  // namespace compactor
