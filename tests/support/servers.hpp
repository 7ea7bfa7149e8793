// SPDX-License-Identifier: Apache-2.0
#pragma once
// Real servers for the channel tests, started by the test on 127.0.0.1 with free ports and
// stopped by PID at the end: a mosquitto broker and serf agents (Debian packages).

#include "support/child_process.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace compactor::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released).
std::uint16_t free_port();

// True once `ip`:`port` accepts connections; false after `timeout`.
bool wait_until_accepting(std::uint16_t port, std::chrono::milliseconds timeout,
                          const std::string& ip = "127.0.0.1");

// A server process that can be stopped (kill -9) and started again on the same ports.
class Server {
 public:
  virtual ~Server() = default;
  void start();
  void stop();
  bool running() const { return process_ != nullptr; }

 protected:
  virtual std::vector<std::string> command() const = 0;
  virtual std::uint16_t ready_port() const = 0;
  virtual std::string ready_ip() const { return "127.0.0.1"; }
  virtual std::string what() const = 0;

 private:
  std::unique_ptr<ChildProcess> process_;
};

class MosquittoBroker final : public Server {
 public:
  struct Options {
    std::string user{};  // set: only this user (and password) may connect
    std::string password{};
    std::string ip = "127.0.0.1";  // where it listens
    // Set: a TLS listener with this certificate and key (PEM), trusting ca_file for clients;
    // require_certificate: clients must present one it trusts.
    std::string ca_file{};
    std::string cert_file{};
    std::string key_file{};
    bool require_certificate = false;
  };
  // Started.
  MosquittoBroker();
  explicit MosquittoBroker(Options options);
  ~MosquittoBroker() override;
  std::uint16_t port() const { return port_; }
  // "IP:PORT", as `compactor group --mqtt` takes it.
  std::string address() const { return options_.ip + ":" + std::to_string(port_); }

 private:
  std::vector<std::string> command() const override;
  std::uint16_t ready_port() const override { return port_; }
  std::string ready_ip() const override { return options_.ip; }
  std::string what() const override { return "mosquitto"; }

  Options options_;
  std::uint16_t port_;
  std::string config_;
  std::string password_file_;
};

class SerfAgent final : public Server {
 public:
  // Started; joins the cluster of `join` if given; wants `rpc_auth` from RPC clients if set.
  explicit SerfAgent(std::string node, const SerfAgent* join = nullptr, std::string rpc_auth = "");
  ~SerfAgent() override;
  std::uint16_t rpc_port() const { return rpc_port_; }
  std::uint16_t bind_port() const { return bind_port_; }
  // How many members this agent sees alive (asks `serf members`).
  int alive_members() const;

 private:
  std::vector<std::string> command() const override;
  std::uint16_t ready_port() const override { return rpc_port_; }
  std::string what() const override { return "serf agent " + node_; }

  std::string node_;
  std::uint16_t bind_port_;
  std::uint16_t rpc_port_;
  std::optional<std::uint16_t> join_port_;
  std::string rpc_auth_;
  std::string config_;  // the agent takes its RPC key only from a config file
};

}  // namespace compactor::testing
