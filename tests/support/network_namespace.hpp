// SPDX-License-Identifier: Apache-2.0
#pragma once
// A network namespace joined to this one by a veth pair, for tests that cut a link the way a
// partition does (no RST, no FIN: packets just stop). Needs root and `ip` (iproute2).

#include <string>
#include <vector>

namespace compactor::testing {

class NetworkNamespace {
 public:
  // Why such a namespace cannot be made here (not root, no `ip`), or empty if it can.
  static std::string unavailable_reason();

  // Creates the namespace and the pair: `host_ip()` on this side, `inside_ip()` in the
  // namespace, both up, on a /30 of 10.201.0.0/24 that no other test holds at the moment (test
  // processes run side by side; each /30 is reserved by a lock file). Throws std::runtime_error
  // naming the command that failed, or when all 64 are taken.
  NetworkNamespace();
  ~NetworkNamespace();  // deletes the namespace and with it the pair

  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;

  const std::string& host_ip() const { return host_ip_; }
  const std::string& inside_ip() const { return inside_ip_; }

  // `argv` run inside the namespace (prefixed with `ip netns exec NAME`).
  std::vector<std::string> inside(std::vector<std::string> argv) const;

  // Takes the namespace's end of the link down (a silent partition), or up again.
  void cut();
  void heal();

 private:
  std::string name_, host_link_, inside_link_, host_ip_, inside_ip_;
  int subnet_lock_ = -1;  // held (flock) while this namespace uses its /30
};

}  // namespace compactor::testing
