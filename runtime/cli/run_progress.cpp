#include "run_progress.hpp"

#include <sstream>

#include "metrics/metric_registry.hpp"
#include "shell/coordinator_client.hpp"
#include "table.hpp"

namespace nagare::cli {

std::string progress_line(const job_info& job, const job_graph& graph, const job_sample* rates,
                          const checkpoint_info* last_checkpoint, size_t restarts,
                          double now_unix_s) {
  std::string line = job.name + " " + to_string(job.state) + " " + format_duration(job.uptime_s);
  auto t = rates ? throughput_of(graph, *rates) : job_throughput{};
  line += " | in " + (rates ? format_rate(t.in_per_s) : "-");
  line += " | out " + (rates ? format_rate(t.out_per_s) : "-");
  if (t.watermark_lag_ms) line += " | watermark lag " + format_ms(*t.watermark_lag_ms);
  if (last_checkpoint) {
    double ended = last_checkpoint->started_unix_s + last_checkpoint->duration_ms / 1000.0;
    line += " | checkpoint " + std::to_string(last_checkpoint->id) + " " +
            format_duration(std::max(0.0, now_unix_s - ended)) + " ago (" +
            format_ms(last_checkpoint->duration_ms) + ")";
  }
  line += " | restarts " + std::to_string(restarts);
  return line;
}

run_progress::run_progress(std::FILE* out, bool terminal, std::chrono::milliseconds interval)
    : out_(out), terminal_(terminal), interval_(terminal ? std::chrono::seconds(1) : interval) {}

run_progress::~run_progress() { stopped(); }

void run_progress::started(caf::actor_system& sys, caf::actor coordinator) {
  history_ = std::make_unique<web::job_history>(sys, coordinator, nullptr,
                                                std::chrono::milliseconds(1000), 2);
  history_->start();
  thread_ = std::thread([this, &sys, coordinator] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      report(sys, coordinator);
      lock.lock();
    }
  });
}

void run_progress::stopped() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  history_.reset();
  if (terminal_ && last_width_ > 0) {  // the summary line takes its place
    std::fprintf(out_, "\r%*s\r", static_cast<int>(last_width_), "");
    std::fflush(out_);
    last_width_ = 0;
  }
}

void run_progress::report(caf::actor_system& sys, const caf::actor& coordinator) {
  std::ostringstream notices;
  shell::coordinator_client client(sys, coordinator, notices);
  const auto timeout = std::chrono::seconds(2);
  auto jobs = client.jobs(timeout);
  if (!jobs.ok() || jobs->empty()) return;
  const auto& job = jobs->back();  // an embedded run has one job
  auto graph = client.graph(job.id, timeout);
  if (!graph.ok()) return;
  auto checkpoints = client.checkpoints(job.id, timeout);
  const checkpoint_info* last = nullptr;
  if (checkpoints.ok())
    for (auto it = checkpoints->rbegin(); it != checkpoints->rend() && !last; ++it)
      if (it->status == checkpoint_status::completed) last = &*it;
  auto restarts = client.restarts(job.id, timeout);
  auto rates = history_->latest(job.id);
  auto line = progress_line(job, graph.value(), rates ? &*rates : nullptr, last,
                            restarts.ok() ? restarts->size() : 0, unix_now_s());
  if (terminal_) {
    std::fprintf(out_, "\r%s%*s", line.c_str(),
                 static_cast<int>(last_width_ > line.size() ? last_width_ - line.size() : 0), "");
    last_width_ = line.size();
  } else {
    std::fprintf(out_, "nagare: %s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace nagare::cli
