#include "messages.hpp"

#include <cstring>

#include "batch_generated.h"

namespace nagare {

std::string encode_batch(const detail::record_batch& records) {
  std::string payload;
  records.encode(payload);
  flatbuffers::FlatBufferBuilder b(64);
  b.Finish(fb::CreateBatchHeader(b, static_cast<uint32_t>(records.size()),
                                 static_cast<uint32_t>(payload.size())));
  std::string wire;
  uint32_t header_size = b.GetSize();
  wire.reserve(4 + header_size + payload.size());
  wire.append(reinterpret_cast<const char*>(&header_size), 4);
  wire.append(reinterpret_cast<const char*>(b.GetBufferPointer()), header_size);
  wire += payload;
  return wire;
}

result<wire_payload> decode_batch_header(const std::string& wire) {
  uint32_t header_size = 0;
  if (wire.size() < 4) return status(errc::io_error, "batch shorter than its header");
  std::memcpy(&header_size, wire.data(), 4);
  if (header_size > wire.size() - 4)
    return status(errc::io_error, "batch header overruns the batch");
  auto* h = reinterpret_cast<const uint8_t*>(wire.data() + 4);
  flatbuffers::Verifier v(h, header_size);
  if (!v.VerifyBuffer<fb::BatchHeader>(nullptr))
    return status(errc::io_error, "malformed batch header");
  auto* header = flatbuffers::GetRoot<fb::BatchHeader>(h);
  size_t payload_at = 4 + size_t{header_size};
  if (header->payload_bytes() != wire.size() - payload_at)
    return status(errc::io_error, "batch payload size differs from its header");
  if (header->record_count() > header->payload_bytes())
    return status(errc::io_error, "batch claims more records than it has bytes");
  return wire_payload{header->record_count(), wire.data() + payload_at, header->payload_bytes()};
}

status status_of(const caf::error& e, const std::string& prefix) {
  auto code = errc::internal;
  if (e == caf::sec::request_timeout)
    code = errc::timeout;
  else if (e == caf::sec::request_receiver_down || e == caf::exit_reason::remote_link_unreachable)
    code = errc::unavailable;
  return status(code, prefix + to_string(e));
}

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<status>("nagare.status");
  cfg.add_message_type<damaged_snapshot>("nagare.damaged_snapshot");
  cfg.add_message_type<job_submission>("nagare.job_submission");
  cfg.add_message_type<task_ref>("nagare.task_ref");
  cfg.add_message_type<deploy_request>("nagare.deploy_request");
  cfg.add_message_type<task_wiring>("nagare.task_wiring");
  cfg.add_message_type<task_stats>("nagare.task_stats");
  cfg.add_message_type<job_outcome>("nagare.job_outcome");
  cfg.add_message_type<node_usage>("nagare.node_usage");
  cfg.add_message_type<node_info>("nagare.node_info");
  cfg.add_message_type<job_progress>("nagare.job_progress");
  cfg.add_message_type<job_info>("nagare.job_info");
  cfg.add_message_type<job_graph>("nagare.job_graph");
  cfg.add_message_type<task_info>("nagare.task_info");
  cfg.add_message_type<batch_message>("nagare.batch");
  cfg.add_message_type<std::vector<uint32_t>>("nagare.u32s");
  cfg.add_message_type<restore_task>("nagare.restore_task");
  cfg.add_message_type<restore_source>("nagare.restore_source");
  cfg.add_message_type<restore_spec>("nagare.restore_spec");
  cfg.add_message_type<source_split>("nagare.source_split");
  cfg.add_message_type<checkpoint_ack>("nagare.checkpoint_ack");
  cfg.add_message_type<snapshot_upload>("nagare.snapshot_upload");
  cfg.add_message_type<task_checkpoint_info>("nagare.task_checkpoint_info");
  cfg.add_message_type<checkpoint_info>("nagare.checkpoint_info");
  cfg.add_message_type<restart_info>("nagare.restart_info");
  cfg.add_message_type<slot_assignment>("nagare.slot_assignment");
  cfg.add_message_type<checkpoint_record>("nagare.checkpoint_record");
}

}  // namespace nagare
