// What this binary is: the project version and the git commit it was built from
// (embedded at build time by tools/version.cmake; "unknown" outside a checkout, with
// "-dirty" when tracked files had uncommitted changes). Recorded in every run's `run`
// table and printed by `oversight --version`.
#pragma once

namespace oversight {

const char* oversight_version();
const char* oversight_commit();

}  // namespace oversight
