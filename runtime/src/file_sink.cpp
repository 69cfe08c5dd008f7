// Two-phase commit of file_sink's part files. The layout of the output
// directory and the transaction entry are described with file_sink in
// nagare/sink.hpp; this file keeps the renames, syncs and clean-ups.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <tuple>

#include "nagare/codec.hpp"
#include "nagare/sink.hpp"
#include "nagare/tuple.hpp"

namespace nagare::detail {

namespace {

// Where in-progress and pending files live: hidden, inside the output directory
// (so that renames never cross file systems).
constexpr const char* work_dir_name = "/_nagare";

using entry_codec = codec<std::tuple<uint32_t, uint64_t, std::string, std::string>>;

std::string errno_text() { return std::strerror(errno); }

std::string padded(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*" PRIu64, width, v);
  return buf;
}

std::string part_name(uint32_t subtask) { return "part-" + padded(subtask, 5); }
std::string part_name(uint32_t subtask, uint64_t checkpoint) {
  return part_name(subtask) + "-" + padded(checkpoint, 10);
}

bool parse_number(const std::string& s, size_t& pos, uint64_t& out) {
  size_t start = pos;
  out = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    auto d = static_cast<uint64_t>(s[pos] - '0');
    if (out > (UINT64_MAX - d) / 10) return false;
    out = out * 10 + d;
    ++pos;
  }
  return pos > start;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What a file name says about the file_sink file it may be.
struct part_file {
  enum kind_t { other, visible, pending, in_progress } kind = other;
  uint64_t subtask = 0;
  uint64_t checkpoint = 0;
};

part_file parse_part(const std::string& name) {
  part_file f;
  if (name.compare(0, 5, "part-") != 0) return f;
  size_t pos = 5;
  if (!parse_number(name, pos, f.subtask)) return f;
  bool has_checkpoint = pos < name.size() && name[pos] == '-';
  if (has_checkpoint && !parse_number(name, ++pos, f.checkpoint)) return f;
  auto rest = name.substr(pos);
  if (has_checkpoint && rest.empty())
    f.kind = part_file::visible;
  else if (has_checkpoint && rest[0] == '.' && ends_with(rest, ".pending"))
    f.kind = part_file::pending;
  else if (!has_checkpoint && !rest.empty() && rest[0] == '.' && ends_with(rest, ".inprogress"))
    f.kind = part_file::in_progress;
  return f;
}

// The names in `dir`; none if it does not exist.
status list_dir(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return {};
    return status::io_error("cannot list '" + dir + "': " + errno_text());
  }
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(std::move(name));
  }
  ::closedir(d);
  return {};
}

// Makes the renames and removals in `dir` durable.
status sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    return status::io_error("cannot open directory '" + dir + "' to sync it: " + errno_text());
  }
  status st;
  if (::fsync(fd) != 0)
    st = status::io_error("cannot sync directory '" + dir + "': " + errno_text());
  ::close(fd);
  return st;
}

status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return status::io_error("cannot remove '" + path + "': " + errno_text());
  return {};
}

// Removes the files in `dir` that `doomed(name, parse_part(name))` picks;
// `removed` tells whether there were any (the caller syncs `dir` then).
template <class Pred>
status remove_parts(const std::string& dir, Pred doomed, bool& removed) {
  std::vector<std::string> names;
  if (auto st = list_dir(dir, names); !st.ok()) return st;
  for (const auto& name : names) {
    if (!doomed(name, parse_part(name))) continue;
    if (auto st = remove_file(dir + "/" + name); !st.ok()) return st;
    removed = true;
  }
  return {};
}

// Renames a pending file to its final name. Idempotent: a pending file gone
// with its final file present was committed before.
status commit_file(const std::string& pending, const std::string& final_path) {
  if (::rename(pending.c_str(), final_path.c_str()) == 0) return {};
  if (errno == ENOENT) {
    struct stat st {};
    if (::stat(final_path.c_str(), &st) == 0) return {};
    return status::io_error("cannot commit '" + final_path + "': its pending file '" + pending +
                            "' is gone (was the output directory changed while the job ran?)");
  }
  return status::io_error("cannot commit '" + pending + "' as '" + final_path +
                          "': " + errno_text());
}

std::string make_tag(uint32_t attempt) {
  std::random_device device;
  auto now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  uint64_t token = (uint64_t{device()} << 32 | device()) ^ now;
  char buf[64];
  std::snprintf(buf, sizeof buf, "a%" PRIu32 "-%ld-%08" PRIx32, attempt,
                static_cast<long>(::getpid()), static_cast<uint32_t>(token ^ (token >> 32)));
  return buf;
}

}  // namespace

status part_writer::open(const subtask_info& info) {
  subtask_ = info.subtask;
  parallelism_ = info.parallelism > 0 ? info.parallelism : 1;
  swept_ = false;
  tag_ = make_tag(info.attempt);
  return {};
}

status part_writer::start_file() {
  file_path_ = dir_ + work_dir_name + "/" + part_name(subtask_) + "." + tag_ + "." +
               std::to_string(++files_) + ".inprogress";
  return file_.open(file_path_);
}

status part_writer::pre_commit(uint64_t checkpoint) {
  if (!file_.is_open()) return {};  // nothing written since the last barrier
  if (auto st = file_.close(); !st.ok()) return st;
  auto work_dir = dir_ + work_dir_name;
  auto pending = work_dir + "/" + part_name(subtask_, checkpoint) + "." + tag_ + ".pending";
  if (::rename(file_path_.c_str(), pending.c_str()) != 0)
    return status::io_error("cannot seal '" + file_path_ + "' for checkpoint " +
                            std::to_string(checkpoint) + ": " + errno_text());
  if (auto st = sync_dir(work_dir); !st.ok()) return st;
  pending_.push_back(
      {subtask_, checkpoint, std::move(pending), dir_ + "/" + part_name(subtask_, checkpoint)});
  return {};
}

void part_writer::pending(std::vector<std::string>& out) const {
  for (const auto& t : pending_) {
    std::string entry;
    entry_codec::encode({t.subtask, t.checkpoint, t.pending_path, t.final_path}, entry);
    out.push_back(std::move(entry));
  }
}

status part_writer::commit(uint64_t checkpoint) {
  size_t done = 0;
  status st;
  for (; done < pending_.size() && pending_[done].checkpoint <= checkpoint; ++done) {
    st = commit_file(pending_[done].pending_path, pending_[done].final_path);
    if (!st.ok()) break;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  if (done > 0 && st.ok()) st = sync_dir(dir_);
  if (done > 0 && st.ok() && !swept_) st = sweep_strays();
  return st;
}

status part_writer::sweep_strays() {
  swept_ = true;
  auto work_dir = dir_ + work_dir_name;
  bool removed = false;
  auto st = remove_parts(
      work_dir,
      [&](const std::string& name, const part_file& f) {
        if ((f.kind != part_file::pending && f.kind != part_file::in_progress) ||
            f.subtask % parallelism_ != subtask_)
          return false;
        // part-S[-C].TAG.(N.inprogress|pending): the writer's tag has no dot.
        auto dot = name.find('.');
        return name.compare(dot + 1, tag_.size() + 1, tag_ + ".") != 0;  // not this writer's
      },
      removed);
  if (!st.ok()) return st;
  return removed ? sync_dir(work_dir) : status{};
}

status part_writer::recover(const std::vector<std::string>& entries, const subtask_info& info) {
  const uint32_t parallelism = info.parallelism > 0 ? info.parallelism : 1;
  const uint64_t restored = info.restored_checkpoint;
  auto mine = [&](uint64_t writer) { return writer % parallelism == info.subtask; };

  // Commit this subtask's share of the restored checkpoint's transactions.
  bool committed = false;
  for (const auto& e : entries) {
    std::tuple<uint32_t, uint64_t, std::string, std::string> t;
    byte_reader in(e.data(), e.size());
    if (!entry_codec::decode(in, t) || in.remaining() != 0)
      return status::io_error("malformed file sink transaction in the snapshot of checkpoint " +
                              std::to_string(restored));
    auto& [writer, checkpoint, pending_path, final_path] = t;
    if (checkpoint > restored)
      return status::io_error("the snapshot of checkpoint " + std::to_string(restored) +
                              " holds a file sink transaction of the later checkpoint " +
                              std::to_string(checkpoint));
    if (!mine(writer)) continue;
    if (auto st = commit_file(pending_path, final_path); !st.ok()) return st;
    committed = true;
  }

  // Discard what the writers this subtask answers for left behind: unsealed
  // and uncommitted files, and results of checkpoints after the restored one.
  auto work_dir = dir_ + work_dir_name;
  bool removed_hidden = false, removed_visible = false;
  auto st = remove_parts(
      work_dir,
      [&](const std::string&, const part_file& f) {
        return (f.kind == part_file::pending || f.kind == part_file::in_progress) &&
               mine(f.subtask);
      },
      removed_hidden);
  if (!st.ok()) return st;
  st = remove_parts(
      dir_,
      [&](const std::string&, const part_file& f) {
        return f.kind == part_file::visible && mine(f.subtask) && f.checkpoint > restored;
      },
      removed_visible);
  if (!st.ok()) return st;
  if (removed_hidden)
    if (auto st = sync_dir(work_dir); !st.ok()) return st;
  if (committed || removed_visible) return sync_dir(dir_);
  return {};
}

status part_writer::close() {
  // A job closes its sinks after its last checkpoint committed everything
  // before it. What was written after that barrier (a stopped job's sources
  // may have read on until the stop savepoint completed) is never committed
  // by this writer: a job started from the savepoint writes it again. So the
  // work file goes rather than linger in the output directory.
  if (!file_.is_open()) return {};
  auto st = file_.close();
  if (auto removed = remove_file(file_path_); st.ok()) st = removed;
  return st;
}

}  // namespace nagare::detail
