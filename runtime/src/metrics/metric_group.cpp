// nagare/metrics.hpp: registration, histogram readings and meter rates.
#include <algorithm>

#include "nagare/metrics.hpp"

namespace nagare {

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.upper_bounds = bounds_;
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> histogram::exponential(double start, double factor, size_t n) {
  std::vector<double> b;
  for (double v = start; b.size() < n; v *= factor) b.push_back(v);
  return b;
}

void meter::refresh(double now) {
  uint64_t c = count();
  if (held_ > 0) {
    const auto& last = samples_[(next_ + window_s) % (window_s + 1)];
    if (now - last.first < 1.0) {  // more often than a second: no new sample
      const auto& oldest = samples_[(next_ + window_s + 1 - held_) % (window_s + 1)];
      if (now > oldest.first)
        rate_.set(static_cast<double>(c - oldest.second) / (now - oldest.first));
      return;
    }
  }
  samples_[next_] = {now, c};
  next_ = (next_ + 1) % (window_s + 1);
  held_ = std::min(held_ + 1, window_s + 1);
  if (held_ < 2) return;
  const auto& oldest = samples_[(next_ + window_s + 1 - held_) % (window_s + 1)];
  if (now > oldest.first) rate_.set(static_cast<double>(c - oldest.second) / (now - oldest.first));
}

namespace {

std::string sanitized(const std::string& name) {
  std::string out = name.empty() ? "_" : name;
  for (auto& ch : out) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_';
    if (!ok) ch = '_';
  }
  if (out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

const char* kind_suffix(metric_kind k) {
  switch (k) {
    case metric_kind::counter:
      return "_counter";
    case metric_kind::gauge:
      return "_gauge";
    case metric_kind::histogram:
      return "_histogram";
    case metric_kind::meter:
      return "_meter";
  }
  return "_metric";
}

template <class M>
std::deque<M>& store_of(std::deque<counter>& c, std::deque<gauge>& g, std::deque<histogram>& h,
                        std::deque<meter>& m) {
  if constexpr (std::is_same_v<M, counter>)
    return c;
  else if constexpr (std::is_same_v<M, gauge>)
    return g;
  else if constexpr (std::is_same_v<M, histogram>)
    return h;
  else
    return m;
}

}  // namespace

metric_group::metric_group(labels l, std::string prefix)
    : labels_(std::move(l)), prefix_(std::move(prefix)) {}

template <class M, class... Args>
M& metric_group::add(metric_kind kind, const std::string& raw, const std::string& help,
                     Args&&... args) {
  std::lock_guard<std::mutex> lock(mu_);
  auto name = sanitized(raw);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const entry& e) { return e.name == name; });
    if (it == entries_.end()) break;
    if (it->kind == kind) return *static_cast<M*>(const_cast<void*>(it->metric));
    name += kind_suffix(kind);
  }
  auto& store = store_of<M>(counters_, gauges_, histograms_, meters_);
  store.emplace_back(std::forward<Args>(args)...);
  entries_.push_back(entry{name, help, kind, &store.back()});
  return store.back();
}

counter& metric_group::counter(const std::string& name, const std::string& help, double scale) {
  auto& c = add<nagare::counter>(metric_kind::counter, name, help);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_)
    if (e.metric == &c) e.scale = scale;
  return c;
}

gauge& metric_group::gauge(const std::string& name, const std::string& help) {
  return add<nagare::gauge>(metric_kind::gauge, name, help);
}

histogram& metric_group::histogram(const std::string& name, const std::string& help,
                                   std::vector<double> upper_bounds) {
  return add<nagare::histogram>(metric_kind::histogram, name, help, std::move(upper_bounds));
}

meter& metric_group::meter(const std::string& name, const std::string& help) {
  return add<nagare::meter>(metric_kind::meter, name, help);
}

std::vector<metric_group::entry> metric_group::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

metric_group& metric_group::scope(const std::string& prefix, const labels& extra) {
  auto l = labels_;
  l.insert(l.end(), extra.begin(), extra.end());
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : scopes_)
    if (s->prefix_ == prefix && s->labels_ == l) return *s;
  scopes_.push_back(std::make_shared<metric_group>(std::move(l), prefix));
  return *scopes_.back();
}

std::vector<std::shared_ptr<metric_group>> metric_group::scopes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return scopes_;
}

void metric_group::on_refresh(std::function<void(double)> f) {
  std::lock_guard<std::mutex> lock(mu_);
  refreshers_.push_back(std::move(f));
}

void metric_group::refresh(double now) {
  std::vector<std::function<void(double)>> fs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& m : meters_) m.refresh(now);
    fs = refreshers_;
  }
  for (auto& f : fs) f(now);
}

}  // namespace nagare
