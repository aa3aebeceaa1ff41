// Logging: one spdlog logger, "oversight", on stderr. Diagnostics only: metrics go to
// the recorder, never to the log, and nothing in a simulation depends on the log level.
#pragma once

#include <spdlog/spdlog.h>
#include <string>

namespace oversight {

/// The project's logger (created on first use, level "warn" unless set).
spdlog::logger& log();

/// Sets the level by name (trace, debug, info, warn, error, off). Throws user_error on
/// an unknown name.
void set_log_level(const std::string& level);

}  // namespace oversight
