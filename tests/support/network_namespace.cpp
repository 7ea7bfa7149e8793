#include "support/network_namespace.hpp"

#include "support/child_process.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace compactor::testing {
namespace {

void run(const std::string& command) {
  if (std::system((command + " 2>&1").c_str()) != 0) {
    throw std::runtime_error("command failed: " + command);
  }
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

NetworkNamespace::NetworkNamespace(int index) {
  const std::string id = std::to_string(getpid()) + "-" + std::to_string(index);
  name_ = "compactor-" + id;
  host_link_ = "cph" + std::to_string(getpid() % 100000) + "x" + std::to_string(index);
  inside_link_ = "cpi" + std::to_string(getpid() % 100000) + "x" + std::to_string(index);
  host_ip_ = "10.201.0." + std::to_string(index * 4 + 1);
  inside_ip_ = "10.201.0." + std::to_string(index * 4 + 2);
  const std::string in = "ip netns exec " + name_ + " ";
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
    throw;
  }
}

NetworkNamespace::~NetworkNamespace() {
  // Deleting the namespace deletes its end of the pair, and with it ours.
  (void)std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
  (void)std::system(("ip link del " + host_link_ + " 2>/dev/null").c_str());
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
