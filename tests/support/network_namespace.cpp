// SPDX-License-Identifier: Apache-2.0
#include "support/network_namespace.hpp"

#include "support/child_process.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace compactor::testing {
namespace {

void run(const std::string& command) {
  if (std::system((command + " 2>&1").c_str()) != 0) {
    throw std::runtime_error("command failed: " + command);
  }
}

// Reserves one of the 64 /30s for this process: its index, and the locked file's descriptor.
std::pair<int, int> reserve_subnet() {
  for (int index = 0; index < 64; ++index) {
    const std::string path = "/tmp/compactor-netns-" + std::to_string(index) + ".lock";
    const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot open " + path);
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return {index, fd};
    ::close(fd);
  }
  throw std::runtime_error("all 64 test subnets of 10.201.0.0/24 are in use");
}

// A test process that died holding subnet `index` (a sanitizer's abort) left its namespace and
// its end of the pair behind, with the /30's address: the lock is ours now, so they go.
void clear_leftovers(int index, const std::string& host_ip) {
  const std::string in_use = std::to_string(index);
  (void)std::system(("for ns in $(ip netns list | awk '$1 ~ /^compactor-[0-9]+-" + in_use +
                     "$/ {print $1}'); do ip netns del $ns; done")
                        .c_str());
  (void)std::system(("for dev in $(ip -o addr show to " + host_ip +
                     "/32 | awk '{print $2}' | cut -d@ -f1); do ip link del $dev; done")
                        .c_str());
}

}  // namespace

std::string NetworkNamespace::unavailable_reason() {
  if (geteuid() != 0) return "needs root (network namespaces and veth pairs)";
  try {
    find_program("ip");
  } catch (const std::exception& error) {
    return error.what();
  }
  return {};
}

NetworkNamespace::NetworkNamespace() {
  const auto [index, lock] = reserve_subnet();
  subnet_lock_ = lock;
  const std::string id = std::to_string(getpid()) + "-" + std::to_string(index);
  name_ = "compactor-" + id;
  host_link_ = "cph" + std::to_string(getpid() % 100000) + "x" + std::to_string(index);
  inside_link_ = "cpi" + std::to_string(getpid() % 100000) + "x" + std::to_string(index);
  host_ip_ = "10.201.0." + std::to_string(index * 4 + 1);
  inside_ip_ = "10.201.0." + std::to_string(index * 4 + 2);
  const std::string in = "ip netns exec " + name_ + " ";
  clear_leftovers(index, host_ip_);
  run("ip netns add " + name_);
  try {
    run("ip link add " + host_link_ + " type veth peer name " + inside_link_);
    run("ip link set " + inside_link_ + " netns " + name_);
    run("ip addr add " + host_ip_ + "/30 dev " + host_link_);
    run("ip link set " + host_link_ + " up");
    run(in + "ip addr add " + inside_ip_ + "/30 dev " + inside_link_);
    run(in + "ip link set " + inside_link_ + " up");
    run(in + "ip link set lo up");
  } catch (...) {
    (void)std::system(("ip link del " + host_link_ + " 2>/dev/null").c_str());
    (void)std::system(("ip netns del " + name_).c_str());
    ::close(subnet_lock_);
    throw;
  }
}

NetworkNamespace::~NetworkNamespace() {
  // Deleting the namespace deletes its end of the pair, and with it ours.
  (void)std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
  (void)std::system(("ip link del " + host_link_ + " 2>/dev/null").c_str());
  ::close(subnet_lock_);  // releases the /30
}

std::vector<std::string> NetworkNamespace::inside(std::vector<std::string> argv) const {
  std::vector<std::string> full{find_program("ip"), "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

void NetworkNamespace::cut() {
  run("ip netns exec " + name_ + " ip link set " + inside_link_ + " down");
}

void NetworkNamespace::heal() {
  run("ip netns exec " + name_ + " ip link set " + inside_link_ + " up");
}

}  // namespace compactor::testing
