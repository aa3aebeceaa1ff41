// The frozen "pretrained" feature pipeline of the weak-to-strong scenarios: what each
// size of the ladder perceives of every split (see w2s_program.hpp for the design).
#pragma once

#include <cstdint>
#include <map>

#include "policies/classifier.hpp"
#include "runtime/protocol.hpp"
#include "scenarios/weak_to_strong/w2s_data.hpp"

namespace oversight {

/// A size's representation of each split (indexed by split_id); the helpful split is
/// empty unless the implicit conflict is in effect.
struct rep {
  int width = 0;
  query_batch split[split_count];
  const query_batch& of(split_id s) const { return split[int(s)]; }
};

/// Builds each size's representation on first use and keeps it. Holds references to
/// the data and ladder, which must outlive it.
class w2s_representations {
 public:
  w2s_representations(const w2s_params& p, const w2s_ladder& ladder, const w2s_data& data, uint64_t seed)
      : world_(p.world), bandwidth_(p.bandwidth), ladder_(ladder), data_(data), seed_(seed) {}

  const rep& of(int size);

 private:
  rep principal_components(size_t i);
  rep value_world_features(int size);

  w2s_world world_;
  double bandwidth_;
  const w2s_ladder& ladder_;
  const w2s_data& data_;
  uint64_t seed_;
  std::map<int, rep> reps_;
  std::map<int, pca> pca_;  // by perceived resolution
};

}  // namespace oversight
