// SPDX-License-Identifier: Apache-2.0
#include "support/servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace compactor::testing {
namespace {

sockaddr_in ipv4(const std::string& ip, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    throw std::invalid_argument("not an IPv4 address: " + ip);
  }
  return address;
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = ipv4("127.0.0.1", 0);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool wait_until_accepting(std::uint16_t port, std::chrono::milliseconds timeout,
                          const std::string& ip) {
  const auto address = ipv4(ip, port);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool accepted =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    if (accepted) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Server::start() {
  if (process_) return;
  process_ = std::make_unique<ChildProcess>(command(), std::vector<std::string>{},
                                            /*capture_output=*/false);
  if (!wait_until_accepting(ready_port(), std::chrono::seconds(10), ready_ip())) {
    process_.reset();
    throw std::runtime_error(what() + " did not accept connections within 10 s");
  }
}

void Server::stop() {
  if (!process_) return;
  process_->kill(SIGKILL);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

MosquittoBroker::MosquittoBroker() : MosquittoBroker(Options{}) {}

MosquittoBroker::MosquittoBroker(Options options)
    : options_(std::move(options)), port_(free_port()) {
  const std::string base =
      (std::filesystem::temp_directory_path() /
       ("compactor-mosquitto-" + std::to_string(getpid()) + "-" + std::to_string(port_)))
          .string();
  config_ = base + ".conf";
  std::ofstream config(config_);
  config << "listener " << port_ << " " << options_.ip << "\n"
         << "persistence false\n"
         << "log_type error\nlog_type warning\n";
  if (!options_.cert_file.empty()) {
    config << "cafile " << options_.ca_file << "\ncertfile " << options_.cert_file << "\nkeyfile "
           << options_.key_file << "\nrequire_certificate "
           << (options_.require_certificate ? "true" : "false") << "\n";
  }
  if (options_.user.empty()) {
    config << "allow_anonymous true\n";
  } else {
    password_file_ = base + ".passwd";
    ChildProcess passwd({find_program("mosquitto_passwd"), "-c", "-b", password_file_,
                         options_.user, options_.password},
                        {},
                        /*capture_output=*/false);
    if (passwd.wait(std::chrono::seconds(10)) != 0) {
      throw std::runtime_error("mosquitto_passwd failed");
    }
    config << "allow_anonymous false\npassword_file " << password_file_ << "\n";
  }
  config.close();
  start();
}

MosquittoBroker::~MosquittoBroker() {
  stop();
  std::filesystem::remove(config_);
  if (!password_file_.empty()) std::filesystem::remove(password_file_);
}

std::vector<std::string> MosquittoBroker::command() const {
  return {find_program("mosquitto"), "-c", config_};
}

SerfAgent::SerfAgent(std::string node, const SerfAgent* join, std::string rpc_auth)
    : node_(std::move(node)),
      bind_port_(free_port()),
      rpc_port_(free_port()),
      rpc_auth_(std::move(rpc_auth)) {
  if (join != nullptr) join_port_ = join->bind_port();
  if (!rpc_auth_.empty()) {
    config_ = (std::filesystem::temp_directory_path() /
               ("compactor-serf-" + std::to_string(getpid()) + "-" + node_ + ".json"))
                  .string();
    std::ofstream(config_) << "{\"rpc_auth\": \"" << rpc_auth_ << "\"}\n";
  }
  start();
}

SerfAgent::~SerfAgent() {
  stop();
  if (!config_.empty()) std::filesystem::remove(config_);
}

std::vector<std::string> SerfAgent::command() const {
  std::vector<std::string> command{find_program("serf"),
                                   "agent",
                                   "-node=" + node_,
                                   "-bind=127.0.0.1:" + std::to_string(bind_port_),
                                   "-rpc-addr=127.0.0.1:" + std::to_string(rpc_port_),
                                   "-log-level=warn"};
  if (join_port_) command.push_back("-join=127.0.0.1:" + std::to_string(*join_port_));
  if (!config_.empty()) command.push_back("-config-file=" + config_);
  return command;
}

int SerfAgent::alive_members() const {
  std::vector<std::string> argv{find_program("serf"), "members",
                                "-rpc-addr=127.0.0.1:" + std::to_string(rpc_port_),
                                "-status=alive"};
  if (!rpc_auth_.empty()) argv.push_back("-rpc-auth=" + rpc_auth_);
  ChildProcess members(std::move(argv));
  int alive = 0;
  while (auto line = members.read_line(std::chrono::seconds(5))) alive += !line->empty();
  members.wait(std::chrono::seconds(5));
  return alive;
}

}  // namespace compactor::testing
