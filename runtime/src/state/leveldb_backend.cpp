#include "state/leveldb_backend.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/operator_failure.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/hash.hpp"
#include "state/delta_chain.hpp"
#include "state/kv_timer_index.hpp"

namespace nagare::detail {

namespace {

constexpr char row_tag = 'k';
constexpr char change_tag = 'm';
constexpr char timer_tag = 't';
// Bytes of staged writes after which a restore or a flush commits.
constexpr size_t write_batch_bytes = 1 << 20;

// The store key of a key (key group, codec<K> bytes) under `tag`.
void store_key(char tag, uint32_t kg, std::string_view key, std::string& out) {
  out.clear();
  out.push_back(tag);
  out.push_back(static_cast<char>(kg >> 8));
  out.push_back(static_cast<char>(kg));
  out.append(key);
}

class leveldb_backend final : public keyed_backend {
 public:
  leveldb_backend(std::shared_ptr<kv_store> store, uint32_t capacity)
      : store_(std::move(store)), capacity_(std::max<uint32_t>(capacity, 1)) {}

  bool bounded() const override { return true; }
  uint32_t capacity() const override { return capacity_; }
  owned<timer_index> make_timer_index() override { return make_kv_timer_index(store_, timer_tag); }
  uint64_t keys(const row_cache&) const override { return stored_keys_ + fresh_; }
  // Rows only in the cache count once written (at a checkpoint or eviction).
  uint64_t state_bytes() const override { return stored_bytes_; }

  void touch(uint32_t row) override {
    auto& m = meta_[row];
    m.touched = m.referenced = true;
  }
  bool load(uint32_t kg, std::string_view key, std::string& row) override {
    store_key(row_tag, kg, key, key_);
    return store_->get(key_, row);
  }
  void cached(uint32_t row, size_t key_bytes, const std::string* stored) override {
    if (meta_.size() <= row) meta_.resize(row + 1);
    auto& m = meta_[row];
    m = meta{};
    if (!stored) {
      ++fresh_;
      return;
    }
    m.stored = static_cast<uint32_t>(3 + key_bytes + stored->size());
    m.hash = hash_bytes(stored->data(), stored->size());
  }
  void released(uint32_t kg, std::string_view key, uint32_t row) override {
    auto& m = meta_[row];
    if (m.stored) {
      store_key(row_tag, kg, key, key_);
      store_->stage_erase(key_);
      stage_change(false);
      store_->commit();
      forget_stored(m);
    }
    --fresh_;  // the key leaves the cache, not stored
    m = meta{};
  }

  // When the cache is full: a CLOCK sweep writes back and evicts about an
  // eighth of it, keys not selected since the hand last passed first.
  void make_room(row_cache& cache) override {
    if (cache.cached() < capacity_) return;
    struct sweeper final : cache_visitor {
      leveldb_backend* self;
      size_t target;
      bool visit(const cached_key& k) override {
        auto& m = self->meta_[k.row()];
        if (m.victim) return true;
        if (m.referenced) {
          m.referenced = false;
          return true;
        }
        self->write_back(k, m);
        m.victim = true;
        self->victims_.push_back(k.row());
        k.mark_evicted();
        return self->victims_.size() < target;
      }
    } s;
    s.self = this;
    s.target = cache.cached() - capacity_ + 1 + capacity_ / 8;
    for (int pass = 0; pass < 2 && victims_.size() < s.target; ++pass)
      hand_ = cache.sweep(hand_, s);
    store_->commit();
    for (auto row : victims_) {
      if (meta_[row].stored == 0) --fresh_;
      meta_[row] = meta{};
    }
    victims_.clear();
    cache.evict_marked();
  }

  void for_each_stored(row_cache& cache, stored_key_visitor& v) override {
    flush(cache);
    auto it = store_->iterate();
    for (it->seek(std::string(1, row_tag)); it->valid() && it->key()[0] == row_tag; it->next()) {
      auto key = it->key();
      if (key.size() < 3) malformed("key");
      v.visit(key_group_of_store_key(key), key.substr(3), it->value());
    }
  }

  void prepare_checkpoint(uint64_t id) override { chain_.prepare(id); }
  void checkpoint_complete(uint64_t id) override {
    chain_.complete(id);
    kv_store::trim_heap();  // the snapshot's buffers are freed once it is stored
  }
  void write_snapshot(row_cache& cache, operator_snapshot& out) override {
    kv_store::trim_heap();  // what the previous checkpoint freed
    flush(cache);
    auto plan = chain_.next(stored_bytes_);
    uint64_t bytes = plan.extends == 0 ? write_stored_rows(cache, out)
                                       : write_changes(cache, out, plan.since_epoch);
    out.extends = plan.extends;
    chain_.taken(plan, bytes);
  }
  void write_key_groups(row_cache& cache, key_group_writer& out) override {
    flush(cache);
    operator_snapshot s;
    write_stored_rows(cache, s);
    for (auto& [kg, bytes] : s.key_groups) out.write(kg, std::move(bytes));
  }

  void restore_row(uint32_t kg, std::string_view key, const std::string* row) override {
    store_key(row_tag, kg, key, key_);
    if (row)
      store_->stage_put(key_, *row);
    else
      store_->stage_erase(key_);
    if (store_->staged_bytes() > write_batch_bytes) store_->commit();
  }
  // Counts the keys and bytes in the store.
  void finish_restore() override {
    store_->commit();
    stored_keys_ = 0;
    stored_bytes_ = 0;
    auto it = store_->iterate();
    for (it->seek(std::string(1, row_tag)); it->valid() && it->key()[0] == row_tag; it->next()) {
      ++stored_keys_;
      stored_bytes_ += it->key().size() + it->value().size();
    }
  }
  void restored_own(uint64_t checkpoint, uint64_t chain_bytes, uint32_t length) override {
    chain_.restored(checkpoint, chain_bytes, length);
  }

 private:
  // What the cache knows of a cached key's row, by row number.
  struct meta {
    uint64_t hash = 0;        // of the row's encoding as last read from or written to the store
    uint32_t stored = 0;      // bytes of the key's record in the store; 0: not in the store
    bool touched = false;     // selected since last written back: may differ from the store
    bool referenced = false;  // selected since the CLOCK hand last passed
    bool victim = false;      // chosen for eviction in the current sweep
  };

  static uint32_t key_group_of_store_key(std::string_view key) {
    return (uint32_t{static_cast<unsigned char>(key[1])} << 8) | static_cast<unsigned char>(key[2]);
  }
  [[noreturn]] void malformed(const char* what) const {
    throw operator_failure(
        status(errc::io_error, "state store " + store_->directory() + ": malformed " + what));
  }

  // The store no longer holds the key of `m` (it may stay cached).
  void forget_stored(meta& m) {
    --stored_keys_;
    stored_bytes_ -= m.stored;
    m.stored = 0;
    ++fresh_;
  }

  // Writes a cached key's row to the store if it may have changed and does
  // differ (staged; the caller commits), with its change record.
  void write_back(const cached_key& k, meta& m) {
    if (!m.touched) return;
    m.touched = false;
    store_key(row_tag, k.key_group(), {}, key_);
    k.encode_key(key_);
    if (!k.holds_state()) {
      if (m.stored == 0) return;
      store_->stage_erase(key_);
      stage_change(false);
      forget_stored(m);
      return;
    }
    value_.clear();
    k.encode_row(value_);
    auto h = hash_bytes(value_.data(), value_.size());
    if (m.stored != 0 && m.hash == h) return;  // read, not changed
    store_->stage_put(key_, value_);
    stage_change(true);
    if (m.stored != 0) {
      stored_bytes_ -= m.stored;
    } else {
      ++stored_keys_;
      --fresh_;
    }
    m.stored = static_cast<uint32_t>(key_.size() + value_.size());
    m.hash = h;
    stored_bytes_ += m.stored;
  }
  // Stages the change record of the key in key_ (a row key): the current
  // epoch, then the row in value_ or a deletion.
  void stage_change(bool row) {
    change_key_.assign(key_);
    change_key_[0] = change_tag;
    change_.clear();
    auto epoch = chain_.epoch();
    for (int shift = 56; shift >= 0; shift -= 8)
      change_.push_back(static_cast<char>(epoch >> shift));
    change_.push_back(row ? 1 : 0);
    if (row) change_.append(value_);
    store_->stage_put(change_key_, change_);
  }

  // Writes back every cached key that may have changed: the store then holds
  // all state.
  void flush(row_cache& cache) {
    struct writer final : cache_visitor {
      leveldb_backend* self;
      bool visit(const cached_key& k) override {
        self->write_back(k, self->meta_[k.row()]);
        // In batches: the staged writes are a copy of what they write.
        if (self->store_->staged_bytes() > write_batch_bytes) self->store_->commit();
        return true;
      }
    } w;
    w.self = this;
    cache.for_each_cached(w);
    store_->commit();
    // The current key may still be written through its handles.
    auto current = cache.current_row();
    if (current != UINT32_MAX) meta_[current].touched = true;
  }

  // Groups store entries under `tag` by key group into out's key groups
  // (add_key_group: written out as they come when out streams): a header of
  // format `version`, the count, and what add(entry, body) appended for each
  // entry (false: skip it). Returns the bytes written.
  template <class Add>
  uint64_t write_groups(const row_cache& cache, char tag, uint8_t version, operator_snapshot& out,
                        Add&& add) {
    std::string header;
    cache.write_header(version, header);
    std::string body;
    uint64_t count = 0, bytes = 0;
    uint32_t group = 0;
    auto emit = [&] {
      if (count == 0) return;
      std::string g;
      g.reserve(header.size() + 10 + body.size());
      g = header;
      write_varint(g, count);
      g.append(body);
      bytes += g.size();
      out.add_key_group(group, std::move(g));
      body.clear();
      count = 0;
    };
    auto it = store_->iterate();
    for (it->seek(std::string(1, tag)); it->valid() && it->key()[0] == tag; it->next()) {
      auto key = it->key();
      if (key.size() < 3) malformed("store key");
      uint32_t kg = key_group_of_store_key(key);
      if (kg != group) {
        emit();
        group = kg;
      }
      if (add(key, it->value(), body)) ++count;
    }
    emit();
    return bytes;
  }
  // The complete state from the store's rows.
  uint64_t write_stored_rows(const row_cache& cache, operator_snapshot& out) {
    return write_groups(cache, row_tag, keyed_state_format, out,
                        [](std::string_view key, std::string_view row, std::string& body) {
                          body.append(key.substr(3));
                          body.append(row);
                          return true;
                        });
  }
  // The changes of epochs since_epoch and later, from the change records;
  // drops older records (no later delta needs them).
  uint64_t write_changes(const row_cache& cache, operator_snapshot& out, uint64_t since_epoch) {
    const size_t states = cache.states();
    auto bytes =
        write_groups(cache, change_tag, keyed_state_delta_format, out,
                     [&](std::string_view key, std::string_view change, std::string& body) {
                       if (change.size() < 9) malformed("change record");
                       uint64_t epoch = 0;
                       for (int i = 0; i < 8; ++i)
                         epoch = (epoch << 8) | static_cast<unsigned char>(change[i]);
                       if (epoch < since_epoch) {
                         store_->stage_erase(key);  // the iterator does not see it
                         if (store_->staged_bytes() > write_batch_bytes) store_->commit();
                         return false;
                       }
                       body.append(key.substr(3));
                       if (change[8] == 1)
                         body.append(change.substr(9));
                       else
                         body.append(states, '\0');  // no state: deleted
                       return true;
                     });
    store_->commit();
    return bytes;
  }

  std::shared_ptr<kv_store> store_;
  uint32_t capacity_ = 1;
  std::vector<meta> meta_;     // per row
  uint64_t stored_keys_ = 0;   // keys in the store
  uint64_t stored_bytes_ = 0;  // their keys' and rows' bytes
  uint64_t fresh_ = 0;         // cached keys not in the store
  size_t hand_ = 0;            // CLOCK hand: a slot of the cache
  delta_chain chain_;
  std::vector<uint32_t> victims_;                  // rows marked in the current sweep
  std::string key_, value_, change_key_, change_;  // scratch buffers
};

}  // namespace

owned<keyed_backend> make_leveldb_backend(std::shared_ptr<kv_store> store, uint32_t capacity) {
  return make_owned<leveldb_backend>(std::move(store), capacity);
}

}  // namespace nagare::detail
