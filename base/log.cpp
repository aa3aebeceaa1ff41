#include "base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "base/error.hpp"

namespace oversight {

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("oversight");
    l->set_pattern("[%H:%M:%S.%e %^%l%$] %v");
    l->set_level(spdlog::level::warn);
    return l;
  }();
  return *logger;
}

void set_log_level(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw user_error("--log-level " + level + ": unknown level (trace, debug, info, warn, error, off)");
  log().set_level(lvl);
}

}  // namespace oversight
