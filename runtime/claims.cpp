#include "runtime/claims.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/json.hpp"
#include "runtime/spec_detail.hpp"
#include "runtime/stats.hpp"

namespace oversight {

namespace fs = std::filesystem;
using namespace spec_detail;

namespace {

std::string json_of(const param_value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return json_quote(*s);
  if (auto* d = std::get_if<double>(&v)) return json_number(*d);
  return to_string(v);
}

/// Whether the arm `arm` has every value `want` names.
bool matches(const arm_params& arm, const arm_params& want) {
  for (auto& [k, v] : want) {
    auto it = arm.find(k);
    if (it == arm.end() || !json_scalar_equal(it->second, v)) return false;
  }
  return true;
}

std::string fmt(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

claim load_claim(const fs::path& file) {
  const std::string name = file.string();
  const toml::table tbl = parse_scenario_file(file);
  const scenario_info& info = scenario_of(tbl, name);
  auto* node = tbl.get("claim");
  if (!node || !node->is_table())
    throw user_error(name + ": no [claim] table (a claim file is a sweep file with a [claim] table)");
  const toml::table& t = *node->as_table();
  claim c;
  c.file = file;
  auto at_of = [&](const char* key) { return where(name, t.get(key)->source()); };
  auto text = [&](const char* key, bool required) -> std::string {
    auto* n = t.get(key);
    if (!n) {
      if (required) throw user_error(name + ": [claim] needs '" + key + "'");
      return "";
    }
    if (!n->is_string()) throw user_error(at_of(key) + ": claim." + key + " must be a string");
    return *n->value<std::string>();
  };
  // The arms named by the claim: inline tables of grid values, validated as parameters.
  auto arm_of = [&](const toml::node& n, const std::string& what) {
    auto* tab = n.as_table();
    if (!tab || tab->empty())
      throw user_error(where(name, n.source()) + ": claim." + what + " must be an inline table of parameter values");
    arm_params arm;
    std::function<void(const toml::table&, const std::string&)> flatten = [&](const toml::table& tt,
                                                                               const std::string& prefix) {
      for (auto&& [k, v] : tt) {
        const std::string key = prefix + std::string(k.str());
        auto* d = find_decl(info.params, key);
        if (!d && v.is_table()) {
          flatten(*v.as_table(), key + ".");
          continue;
        }
        if (!d) throw unknown_key(where(name, k.source()) + ": claim." + what, key, info);
        arm[key] = json_of(convert(v, *d, where(name, v.source()) + ": claim." + what));
      }
    };
    flatten(*tab, "");
    return arm;
  };

  c.statement = text("statement", true);
  c.paper = text("paper", false);
  auto declared_metric = [&](const std::string& metric, const std::string& origin, const std::string& what) {
    const auto dot = metric.find('.');
    bool declared = false;
    if (dot != std::string::npos)
      for (auto& m : info.metrics) declared = declared || m.name == metric.substr(dot + 1);
    if (!declared)
      throw user_error(origin + ": claim." + what + " '" + metric + "' is not actor.metric with a metric " + info.name +
                       " declares (`oversight list " + info.name + "`)");
  };
  c.metric = text("metric", true);
  declared_metric(c.metric, at_of("metric"), "metric");
  const std::string at = text("at", false);
  if (!at.empty()) {
    try {
      c.at = value_at::parse(at);
    } catch (const user_error& e) {
      throw user_error(at_of("at") + ": claim.at: " + e.what());
    }
  }
  const std::string direction = text("direction", true);
  if (direction != "greater" && direction != "less")
    throw user_error(at_of("direction") + ": claim.direction = \"" + direction + "\" is not one of: greater, less");
  c.greater = direction == "greater";
  if (auto* m = t.get("margin")) {
    if (!m->is_number() || *m->value<double>() < 0 || !std::isfinite(*m->value<double>()))
      throw user_error(at_of("margin") + ": claim.margin must be a number >= 0");
    c.margin = *m->value<double>();
  }
  if (auto* m = t.get("min_seeds")) {
    if (!m->is_integer() || *m->value<int64_t>() < 2 || *m->value<int64_t>() > 100000)
      throw user_error(at_of("min_seeds") + ": claim.min_seeds must be an integer in [2, 100000]");
    c.min_seeds = int(*m->value<int64_t>());
  }
  auto* treatment = t.get("treatment");
  if (!treatment) throw user_error(name + ": [claim] needs 'treatment'");
  c.treatment = arm_of(*treatment, "treatment");
  if (auto* controls = t.get("controls")) {
    if (!controls->is_array() || controls->as_array()->empty())
      throw user_error(at_of("controls") + ": claim.controls must be a non-empty array of inline tables");
    for (auto& n : *controls->as_array()) c.controls.push_back(arm_of(n, "controls"));
  }
  if (auto* versus = t.get("versus")) {
    if (!versus->is_array() || versus->as_array()->empty())
      throw user_error(at_of("versus") + ": claim.versus must be a non-empty array of metric names");
    for (auto& n : *versus->as_array()) {
      if (!n.is_string()) throw user_error(where(name, n.source()) + ": claim.versus: every entry must be a string");
      const std::string m = *n.value<std::string>();
      declared_metric(m, where(name, n.source()), "versus");
      if (m == c.metric) throw user_error(where(name, n.source()) + ": claim.versus repeats claim.metric");
      c.versus.push_back(m);
    }
  }
  if (!c.controls.empty() && !c.versus.empty())
    throw user_error(name + ": [claim] gives both 'controls' and 'versus'; state them as two claims");
  for (auto&& [k, v] : t) {
    static const char* known[] = {"statement", "paper",     "metric",   "at",      "direction",
                                  "margin",    "min_seeds", "treatment", "controls", "versus"};
    if (std::find_if(std::begin(known), std::end(known), [key = k.str()](const char* x) { return key == x; }) ==
        std::end(known))
      throw user_error(where(name, k.source()) + ": unknown key 'claim." + std::string(k.str()) + "'");
  }

  // Every arm the claim names must be a point of the sweep.
  const auto plan = make_sweep_plan(file, {}, std::string("1"));
  auto in_plan = [&](const arm_params& arm, const std::string& what) {
    for (auto& p : plan.points)
      if (matches(parse_json_object(p.params_json), arm)) return;
    throw user_error(name + ": claim." + what + " " + arm_label(arm) + " is not a point of the file's sweep");
  };
  in_plan(c.treatment, "treatment");
  for (auto& a : c.controls) in_plan(a, "controls");
  return c;
}

claim_verdict check_claim(const claim& c, const experiment& ex) {
  claim_verdict v;
  v.what = c;
  const auto arms = ex.arms();
  auto find_arm = [&](const arm_params& want) -> const arm_params* {
    for (auto& a : arms)
      if (matches(a, want)) return &a;
    return nullptr;
  };
  auto not_hold = [&](const std::string& why) {
    if (v.why_not.empty()) v.why_not = why;
  };
  const arm_params* treatment = find_arm(c.treatment);
  v.holds = treatment != nullptr;
  if (!treatment) not_hold("no runs of the treatment arm " + arm_label(c.treatment));
  for (auto& control : c.controls) {
    claim_check check;
    check.control = control;
    const arm_params* arm = find_arm(control);
    metric_stats control_stats;
    control_stats.n = 0;
    control_stats.mean = control_stats.sd = control_stats.ci_lo = control_stats.ci_hi = NAN;
    if (treatment && arm) {
      summary_options opt;
      opt.metrics = {c.metric};
      opt.at = c.at;
      for (auto& [k, val] : *arm) opt.baseline.push_back(k + "=" + json_display(val));
      const summary s = summarize(ex, opt);
      for (auto& a : s.arms) {
        if (a.params == *treatment) v.treatment = a.metrics.at(c.metric);
        if (a.params == *arm) control_stats = a.metrics.at(c.metric);
      }
      for (auto& p : s.paired)
        if (p.params == *treatment) check.diff = p;
      const auto& d = check.diff;
      check.holds = d.n >= size_t(c.min_seeds) && !std::isnan(d.ci_lo) &&
                    (c.greater ? d.ci_lo > c.margin : d.ci_hi < -c.margin);
      if (d.n < size_t(c.min_seeds))
        not_hold("only " + std::to_string(d.n) + " paired seeds against " + arm_label(control) + " (at least " +
                 std::to_string(c.min_seeds) + " needed)");
      else if (!check.holds)
        not_hold("against " + arm_label(control) + " the 95% CI [" + fmt(d.ci_lo) + ", " + fmt(d.ci_hi) +
                 "] is not " + (c.greater ? "above " : "below ") + fmt(c.greater ? c.margin : -c.margin));
    } else if (!arm) {
      not_hold("no runs of the control arm " + arm_label(control));
    }
    v.holds = v.holds && check.holds;
    v.control_stats.push_back(control_stats);
    v.checks.push_back(std::move(check));
  }
  // Comparisons within the treatment's own runs: other metrics, or the margin itself.
  if (c.controls.empty()) {
    std::vector<double> mine;
    std::map<std::string, std::vector<double>> theirs, diffs;
    for (auto& run : ex.runs) {
      if (!treatment || run.status != "done" || run.params != *treatment) continue;
      const auto values = run_values(run, c.at);
      auto it = values.find(c.metric);
      if (it == values.end()) continue;
      mine.push_back(it->second);
      for (auto& m : c.versus) {
        auto other = values.find(m);
        if (other == values.end()) continue;
        theirs[m].push_back(other->second);
        diffs[m].push_back(it->second - other->second);
      }
    }
    auto stats_of = [](const std::vector<double>& x) {
      metric_stats st;
      st.n = x.size();
      st.mean = stats::mean(x);
      st.sd = stats::sample_sd(x);
      const auto ci = stats::mean_ci95(x);
      st.ci_lo = ci.lo;
      st.ci_hi = ci.hi;
      return st;
    };
    if (treatment) v.treatment = stats_of(mine);
    auto judge = [&](claim_check& check, const std::vector<double>& d, double against, const std::string& what) {
      const auto st = stats_of(d);
      check.diff.metric = c.metric;
      check.diff.params = c.treatment;
      check.diff.n = st.n;
      check.diff.mean_diff = st.mean;
      check.diff.ci_lo = st.ci_lo;
      check.diff.ci_hi = st.ci_hi;
      std::vector<double> centred;
      for (double x : d) centred.push_back(x - against);
      check.diff.p_t = stats::t_test_p(centred);
      check.diff.p_wilcoxon = centred.size() >= 6 ? stats::wilcoxon_signed_rank_p(centred) : NAN;
      check.holds = st.n >= size_t(c.min_seeds) && !std::isnan(st.ci_lo) &&
                    (c.greater ? st.ci_lo > against : st.ci_hi < against);
      if (st.n < size_t(c.min_seeds))
        not_hold("only " + std::to_string(st.n) + " seeds " + what + " (at least " + std::to_string(c.min_seeds) +
                 " needed)");
      else if (!check.holds)
        not_hold(what + ": the 95% CI [" + fmt(st.ci_lo) + ", " + fmt(st.ci_hi) + "] is not " +
                 (c.greater ? "above " : "below ") + fmt(against));
      v.holds = v.holds && check.holds;
    };
    if (c.versus.empty()) {
      claim_check check;
      judge(check, mine, c.margin, "of " + c.metric);
      v.control_stats.push_back(metric_stats{0, NAN, NAN, NAN, NAN});
      v.checks.push_back(std::move(check));
    }
    for (auto& m : c.versus) {
      claim_check check;
      check.versus = m;
      judge(check, diffs[m], c.greater ? c.margin : -c.margin, "against " + m);
      v.control_stats.push_back(stats_of(theirs[m]));
      v.checks.push_back(std::move(check));
    }
  }
  return v;
}

namespace {
/// What a check compares the treatment with, for people.
std::string against(const claim& c, const claim_check& check) {
  if (!check.versus.empty()) return check.versus + " (same runs)";
  if (!check.control.empty()) return arm_label(check.control);
  return "the margin " + fmt(c.margin);
}
std::string with_ci(double mean, double lo, double hi) { return fmt(mean) + " [" + fmt(lo) + ", " + fmt(hi) + "]"; }
}  // namespace

void print_verdict(std::ostream& os, const claim_verdict& v) {
  const auto& c = v.what;
  os << c.file.filename().string() << ": " << c.statement << "\n  " << (v.holds ? "HOLDS" : "DOES NOT HOLD");
  if (!v.holds) os << " (" << v.why_not << ")";
  os << "\n  " << c.metric << " at "
     << (c.at.last_k == 1 ? "the last tick" : "the mean of the last " + std::to_string(c.at.last_k) + " ticks")
     << ", treatment " << arm_label(c.treatment) << ": " << with_ci(v.treatment.mean, v.treatment.ci_lo, v.treatment.ci_hi)
     << ", n " << v.treatment.n << "\n";
  for (size_t i = 0; i < v.checks.size(); ++i) {
    const auto& check = v.checks[i];
    const auto& d = check.diff;
    const auto& cs = v.control_stats[i];
    if (check.control.empty() && check.versus.empty()) {
      os << "  against " << against(c, check) << ": must be " << (c.greater ? "above" : "below");
    } else {
      os << "  against " << against(c, check) << ": " << with_ci(cs.mean, cs.ci_lo, cs.ci_hi) << ", n " << cs.n
         << "\n    difference " << with_ci(d.mean_diff, d.ci_lo, d.ci_hi) << ", n " << d.n << ", must be "
         << (c.greater ? "> " : "< ") << (c.margin == 0 ? std::string("0") : fmt(c.greater ? c.margin : -c.margin));
    }
    os << "; p_t " << fmt(d.p_t) << ", p_wilcoxon " << fmt(d.p_wilcoxon) << (check.holds ? "; holds" : "; fails")
       << "\n";
  }
  if (!c.paper.empty()) os << "  paper: " << c.paper << "\n";
}

void print_verdict_markdown(std::ostream& os, const claim_verdict& v) {
  const auto& c = v.what;
  for (size_t i = 0; i < v.checks.size(); ++i) {
    const auto& check = v.checks[i];
    const auto& d = check.diff;
    const auto& cs = v.control_stats[i];
    const bool one_sample = check.control.empty() && check.versus.empty();
    os << "| " << (i == 0 ? c.statement : "") << " | " << arm_label(c.treatment) << ": "
       << with_ci(v.treatment.mean, v.treatment.ci_lo, v.treatment.ci_hi) << " | " << against(c, check)
       << (one_sample ? "" : ": " + with_ci(cs.mean, cs.ci_lo, cs.ci_hi)) << " | "
       << (one_sample ? "-" : with_ci(d.mean_diff, d.ci_lo, d.ci_hi)) << " | " << d.n << " | "
       << (check.holds ? "holds" : "does not hold") << " | " << (i == 0 ? c.paper : "") << " |\n";
  }
}

claim_verdict run_claim(const fs::path& file, const std::vector<std::string>& sets,
                        const std::optional<std::string>& seeds, const sweep_options& opt) {
  const claim c = load_claim(file);
  const sweep_plan plan = make_sweep_plan(file, sets, seeds);
  const sweep_result res = run_sweep(plan, opt);
  return check_claim(c, load_experiment({res.dir}));
}

}  // namespace oversight
