#include "runtime/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace compactor::runtime {

spdlog::logger& log() {
  // Never destroyed: the global context may still log while static objects are torn down at exit.
  static const auto* logger = new std::shared_ptr<spdlog::logger>([] {
    auto existing = spdlog::get("compactor");
    if (existing) return existing;
    auto created = spdlog::stderr_color_mt("compactor");
    created->set_level(spdlog::level::info);
    return created;
  }());
  return **logger;
}

}  // namespace compactor::runtime
