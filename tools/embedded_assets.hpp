// Files of the report page compiled into the binary (tools/embed.cmake generates the
// definitions at build time), so that reports are self-contained wherever `oversight`
// runs. Each view covers the file's exact bytes and lives as long as the program.
#pragma once

#include <string_view>

namespace oversight::assets {

/// uPlot's minified browser build (tools/vendor/uplot/uPlot.iife.min.js).
std::string_view uplot_js();
/// uPlot's stylesheet (tools/vendor/uplot/uPlot.min.css).
std::string_view uplot_css();
/// The script that draws a report's charts (tools/report.js).
std::string_view report_js();
/// The report page's stylesheet (tools/report.css).
std::string_view report_css();

}  // namespace oversight::assets
