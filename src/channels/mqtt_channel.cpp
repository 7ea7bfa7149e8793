// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/mqtt_channel.hpp>

#include "core/logging.hpp"

#include <mosquitto.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace compactor::beacon {
namespace {

void initialize_library_once() {
  static const int initialized = mosquitto_lib_init();
  (void)initialized;
}

std::string error_text(int code) { return mosquitto_strerror(code); }

// libmosquitto in threaded mode: its thread connects, reconnects with back-off and runs the
// callbacks; this class turns them into the Channel contract.
class MqttChannel final : public Channel {
 public:
  explicit MqttChannel(MqttOptions options) : options_(std::move(options)) {
    if (options_.topic.empty()) throw std::invalid_argument("MQTT channel: empty topic");
    initialize_library_once();
    client_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(),
                            /*clean_session=*/true, this);
    if (client_ == nullptr) throw std::runtime_error("MQTT channel: cannot create a client");
    mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(client_, &MqttChannel::on_connect);
    mosquitto_disconnect_callback_set(client_, &MqttChannel::on_disconnect);
    mosquitto_subscribe_callback_set(client_, &MqttChannel::on_subscribe);
    mosquitto_message_callback_set(client_, &MqttChannel::on_message);
    if (!options_.username.empty()) {
      check("credentials", mosquitto_username_pw_set(client_, options_.username.c_str(),
                                                     options_.password.c_str()));
    }
    if (!options_.ca_file.empty()) {
      const auto optional = [](const std::string& path) {
        return path.empty() ? nullptr : path.c_str();
      };
      check("TLS (ca_file " + options_.ca_file + ", cert_file " + options_.cert_file +
                ", key_file " + options_.key_file + ")",
            mosquitto_tls_set(client_, options_.ca_file.c_str(), nullptr,
                              optional(options_.cert_file), optional(options_.key_file), nullptr));
    } else if (!options_.cert_file.empty()) {
      throw std::invalid_argument("MQTT: a client certificate needs TLS: set ca_file as well");
    }
  }

  ~MqttChannel() override {
    close();
    mosquitto_destroy(client_);
  }

  void open(Receiver receiver, StatusListener status) override {
    {
      std::lock_guard lock(mutex_);
      if (opened_) return;
      opened_ = true;
      receiver_ = std::move(receiver);
      status_ = std::move(status);
    }
    mosquitto_reconnect_delay_set(client_, static_cast<unsigned>(options_.reconnect_min.count()),
                                  static_cast<unsigned>(reconnect_max_.count()), true);
    check("connect", mosquitto_connect_async(client_, options_.host.c_str(), options_.port,
                                             static_cast<int>(keepalive_.count())));
    check("start", mosquitto_loop_start(client_));
    std::unique_lock lock(mutex_);
    if (!subscribed_changed_.wait_for(lock, options_.open_timeout,
                                      [this] { return subscribed_; })) {
      lock.unlock();
      close();
      throw std::runtime_error(describe() + ": no subscription within " +
                               std::to_string(options_.open_timeout.count()) + " ms (" +
                               last_problem_ + ")");
    }
  }

  void send(std::string_view payload) override {
    {
      std::lock_guard lock(mutex_);
      if (!subscribed_) throw std::runtime_error(describe() + " is not connected");
    }
    const int result = mosquitto_publish(client_, nullptr, options_.topic.c_str(),
                                         static_cast<int>(payload.size()), payload.data(),
                                         /*qos=*/0, /*retain=*/false);
    if (result == MOSQ_ERR_PAYLOAD_SIZE) {
      throw std::length_error(describe() + ": payload of " + std::to_string(payload.size()) +
                              " bytes is over the MQTT limit");
    }
    if (result != MOSQ_ERR_SUCCESS)
      throw std::runtime_error(describe() + ": " + error_text(result));
  }

  void close() override {
    bool connected;
    {
      std::lock_guard lock(mutex_);
      if (!opened_ || closed_) return;
      closed_ = true;
      connected = subscribed_;
    }
    mosquitto_disconnect(client_);
    // Joins libmosquitto's thread. Connected, it ends once the DISCONNECT is sent. Otherwise it
    // may be reconnecting, which resets the state our disconnect set, and would go on for ever
    // (a TSan run hung so after a refused login): it is cancelled, as libmosquitto allows.
    mosquitto_loop_stop(client_, /*force=*/!connected);
  }

  void expect_cycle(std::chrono::milliseconds longest) override {
    const auto cycle = std::chrono::ceil<std::chrono::seconds>(longest);
    if (!options_.keepalive) keepalive_ = std::max(cycle, kLeastKeepalive);
    if (!options_.reconnect_max) reconnect_max_ = std::max(cycle, options_.reconnect_min);
  }

  std::string describe() const override {
    return "mqtt://" + options_.host + ":" + std::to_string(options_.port) + "/" + options_.topic;
  }

  std::unique_ptr<Channel> sibling(std::string_view suffix) const override {
    MqttOptions options = options_;
    options.topic += "/" + std::string(suffix);
    options.client_id.clear();  // two connections cannot share one
    return std::make_unique<MqttChannel>(std::move(options));
  }

  // The broker publishes it on our topic when it loses us without a DISCONNECT (MQTT's will).
  void set_farewell(std::string payload) override {
    check("will", mosquitto_will_set(client_, options_.topic.c_str(),
                                     static_cast<int>(payload.size()), payload.data(), /*qos=*/0,
                                     /*retain=*/false));
  }

 private:
  void check(const std::string& what, int result) {
    if (result != MOSQ_ERR_SUCCESS) {
      throw std::runtime_error(describe() + ": " + what + ": " + error_text(result));
    }
  }

  static MqttChannel& self(void* user) { return *static_cast<MqttChannel*>(user); }

  static void on_connect(mosquitto* client, void* user, int code) {
    auto& channel = self(user);
    if (code != 0) {
      channel.problem(std::string("broker refused: ") + mosquitto_connack_string(code));
      return;
    }
    // A clean session forgets subscriptions: subscribe on every (re)connection.
    const int result =
        mosquitto_subscribe(client, &channel.subscribe_id_, channel.options_.topic.c_str(), 0);
    if (result != MOSQ_ERR_SUCCESS) channel.problem("subscribe: " + error_text(result));
  }

  static void on_subscribe(mosquitto*, void* user, int id, int count, const int* granted) {
    auto& channel = self(user);
    if (id != channel.subscribe_id_) return;
    if (count < 1 || granted[0] > 2) {  // 0x80: the broker refused the subscription
      channel.problem("the broker refused the subscription to " + channel.options_.topic);
      return;
    }
    StatusListener status;
    {
      std::lock_guard lock(channel.mutex_);
      channel.subscribed_ = true;
      status = channel.status_;
    }
    channel.subscribed_changed_.notify_all();
    if (status) status(true, "subscribed to " + channel.options_.topic);
  }

  static void on_disconnect(mosquitto*, void* user, int code) {
    auto& channel = self(user);
    StatusListener status;
    bool was_up;
    {
      std::lock_guard lock(channel.mutex_);
      was_up = std::exchange(channel.subscribed_, false);
      status = channel.status_;
      if (channel.closed_) return;  // our own disconnect
    }
    const std::string why = code == 0 ? "disconnected" : "connection lost: " + error_text(code);
    channel.problem(why);
    if (was_up && status) status(false, why + "; reconnecting");
  }

  static void on_message(mosquitto*, void* user, const mosquitto_message* message) {
    auto& channel = self(user);
    if (message->topic == nullptr || channel.options_.topic != message->topic) return;
    channel.receiver_(std::string_view(static_cast<const char*>(message->payload),
                                       static_cast<std::size_t>(message->payloadlen)));
  }

  void problem(std::string what) {
    std::lock_guard lock(mutex_);
    if (what != last_problem_) {
      core::log().warn("{}: {}", describe(), what);
      last_problem_ = std::move(what);
    }
  }

  static constexpr std::chrono::seconds kLeastKeepalive{5};  // libmosquitto refuses less

  const MqttOptions options_;
  std::chrono::seconds keepalive_ = options_.keepalive.value_or(std::chrono::seconds(60));
  std::chrono::seconds reconnect_max_ = options_.reconnect_max.value_or(std::chrono::seconds(30));
  mosquitto* client_ = nullptr;
  int subscribe_id_ = 0;
  Receiver receiver_;
  StatusListener status_;
  std::mutex mutex_;  // guards the flags, status_ and last_problem_
  std::condition_variable subscribed_changed_;
  bool opened_ = false;
  bool closed_ = false;
  bool subscribed_ = false;
  std::string last_problem_ = "no answer from the broker";
};

}  // namespace

std::unique_ptr<Channel> mqtt_channel(MqttOptions options) {
  return std::make_unique<MqttChannel>(std::move(options));
}

}  // namespace compactor::beacon
