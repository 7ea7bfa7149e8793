// SPDX-License-Identifier: Apache-2.0
#include "ops/prometheus.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace compactor::ops {
namespace {

std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void escape_into(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

using Labels = std::vector<std::pair<std::string, std::string>>;

void sample(std::string& out, std::string_view name, const Labels& labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out += ',';
      out += labels[i].first + "=\"";
      escape_into(out, labels[i].second, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ' + number(value) + '\n';
}

void timer_samples(std::string& out, const std::string& family, const metrics::Reading& reading) {
  const double scale = reading.seconds_per_unit;
  const auto& statistics = reading.statistics;
  if (statistics.count > 0) {
    const std::pair<const char*, double> quantiles[] = {
        {"0.5", statistics.p50},  {"0.9", statistics.p90},    {"0.95", statistics.p95},
        {"0.99", statistics.p99}, {"0.999", statistics.p999}, {"0.9999", statistics.p9999}};
    for (const auto& [quantile, value] : quantiles) {
      auto labels = reading.labels;
      labels.emplace_back("quantile", quantile);
      sample(out, family, labels, value * scale);
    }
  }
  sample(out, family + "_sum", reading.labels, reading.total_sum * scale);
  sample(out, family + "_count", reading.labels, static_cast<double>(reading.total_count));
}

}  // namespace

std::string prometheus_text(const metrics::Readings& readings) {
  // Prometheus wants each family's samples together, under one HELP and TYPE.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const metrics::Reading*>> families;
  for (const auto& reading : readings) {
    auto family = prometheus_family(reading);
    auto& members = families[family];
    if (members.empty()) order.push_back(family);
    members.push_back(&reading);
  }
  std::string out;
  for (const auto& family : order) {
    const auto& members = families[family];
    const metrics::Reading& first = *members.front();
    static constexpr const char* kTypes[] = {"counter", "gauge", "summary"};
    out += "# HELP " + family + ' ';
    escape_into(out, first.help, false);
    out += fmt::format("\n# TYPE {} {}\n", family, kTypes[static_cast<int>(first.kind)]);
    for (const metrics::Reading* reading : members) {
      if (reading->kind == metrics::Reading::Kind::timer) {
        timer_samples(out, family, *reading);
      } else {
        sample(out, family, reading->labels, reading->value);
      }
    }
  }
  return out;
}

}  // namespace compactor::ops
