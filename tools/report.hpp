// Turning a run's metric rows into what a person reads: the summary table printed at
// the end of `oversight run`, and report.html (one SVG line chart per metric, no
// scripts, no network: it opens from disk anywhere).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"

namespace oversight {

/// One line per (actor, metric): first, last, min and max over ticks.
void print_summary(std::ostream& os, const std::vector<metric_row>& rows);

/// Writes `file` atomically (a temporary, then a rename).
void write_report_html(const std::filesystem::path& file, const std::string& title,
                       const std::vector<metric_row>& rows);

}  // namespace oversight
