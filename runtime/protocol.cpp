#include "runtime/protocol.hpp"

#include "runtime/scenario_registry.hpp"

namespace oversight {

void register_protocol(caf::actor_system_config& cfg) {
  cfg.add_message_type<query_batch>("query_batch");
  cfg.add_message_type<response_batch>("response_batch");
  cfg.add_message_type<judgment_batch>("judgment_batch");
  cfg.add_message_type<label_request>("label_request");
  cfg.add_message_type<expert_label>("expert_label");
  cfg.add_message_type<label_batch>("label_batch");
  cfg.add_message_type<train_batch>("train_batch");
  cfg.add_message_type<param_blob>("param_blob");
  cfg.add_message_type<metric_row>("metric_row");
  cfg.add_message_type<metric_batch>("metric_batch");
  cfg.add_message_type<role_state>("role_state");
  cfg.add_message_type<checkpoint_blob>("checkpoint_blob");
  cfg.add_message_type<node_facts>("node_facts");
  cfg.add_message_type<host_request>("host_request");
  cfg.add_message_type<hosted_roles>("hosted_roles");
  cfg.add_message_type<std::vector<int64_t>>("int64_vector");
  cfg.add_message_type<std::vector<float>>("float_vector");
  cfg.add_message_type<std::vector<int8_t>>("int8_vector");
  cfg.add_message_type<std::vector<int32_t>>("int32_vector");
  for (const auto* s : all_scenarios())
    if (s->messages) s->messages(cfg);
}

}  // namespace oversight
