#include "runner.h"

#include <spdlog/spdlog.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "screener/files.h"

namespace screener::runtime {
namespace tf = tbb::flow;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Bundle = std::vector<Packet>;

namespace {

void update_peak(std::atomic<int>& peak, int value) {
  int seen = peak.load();
  while (value > seen && !peak.compare_exchange_weak(seen, value)) {
  }
}

// Packets of a multi-input stage wait here until every port has delivered the
// one with the same (study, item) key.
class KeyJoin {
 public:
  explicit KeyJoin(std::size_t ports) : ports_(ports) {}

  std::optional<Bundle> offer(std::size_t port, const Packet& packet) {
    std::lock_guard lock(mu_);
    auto& slot = pending_[{packet.study->serial, packet.index}];
    if (slot.packets.empty()) slot.packets.resize(ports_);
    if (!slot.packets[port].payload) ++slot.filled;
    slot.packets[port] = packet;
    if (slot.filled < ports_) return std::nullopt;
    Bundle done = std::move(slot.packets);
    pending_.erase({packet.study->serial, packet.index});
    return done;
  }

  // Returns the dropped packets so that they are released outside the lock.
  std::vector<Bundle> drop(uint64_t serial) {
    std::vector<Bundle> dropped;
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->first.serial == serial || serial == kAll) {
        dropped.push_back(std::move(it->second.packets));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    return dropped;
  }
  static constexpr uint64_t kAll = ~uint64_t{0};

 private:
  struct Key {
    uint64_t serial;
    int64_t index;
    bool operator==(const Key& o) const { return serial == o.serial && index == o.index; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.serial * 1000003u ^ uint64_t(k.index)); }
  };
  struct Slot {
    Bundle packets;
    std::size_t filled = 0;
  };
  std::size_t ports_;
  std::mutex mu_;
  std::unordered_map<Key, Slot, KeyHash> pending_;
};

// The items of one expansion not yet emitted or not yet finished.
struct Pending {
  Packet parent;
  std::shared_ptr<Expansion> items;
  std::size_t port = 0;
  int64_t next = 0, total = 0, outstanding = 0;
};

// Items waiting for a batching stage. `oldest_ns` (0 when empty) lets the
// monitor thread see when a partial batch has waited long enough.
struct BatchState {
  std::vector<Bundle> held;
  std::atomic<int64_t> oldest_ns{0};
  std::size_t size = 1;
  int64_t timeout_ns = 0;
};

struct PumpMsg {
  std::shared_ptr<Pending> start;  // a new expansion, or
  uint64_t credit = 0;             // an item of expansion `credit` is finished
};

}  // namespace

class Runner::Impl {
 public:
  Impl(const Pipeline& pipeline, RunOptions options) : pipeline_(pipeline), opt_(std::move(options)) {}
  RunReport run();

 private:
  struct StudyContext final : Study {
    Impl* run = nullptr;
    StudyEntry entry;
    mutable std::mutex mu;
    mutable StudyRecord record;
    mutable std::atomic<bool> failed{false}, released{false};
    // Items through each stage (index: stage), under `mu`; items_began is
    // the run's clock when the first item was counted.
    mutable std::vector<StageItems> items;
    mutable double items_began = -1;
    mutable std::atomic<int> whole_study_stage{-1};  // the last stage given the whole study
    ~StudyContext() override { run->finish(*this); }
  };

  // Returns the item's credit to the pump when the last packet derived from it is gone.
  struct ItemTicket {
    ItemTicket(Impl* r, std::size_t s, uint64_t e) : run(r), stage(s), expansion(e) {}
    ItemTicket(const ItemTicket&) = delete;
    ItemTicket& operator=(const ItemTicket&) = delete;
    ~ItemTicket() { run->return_credit(stage, expansion); }
    Impl* run;
    std::size_t stage;
    uint64_t expansion;
  };

  class PacketEmitter;
  using PortNode = tf::multifunction_node<Packet, std::tuple<Bundle>>;
  using WorkNode = tf::function_node<Bundle, tf::continue_msg>;
  using PumpNode = tf::function_node<PumpMsg, tf::continue_msg>;
  using BatchNode = tf::function_node<std::vector<Bundle>, tf::continue_msg>;

  static const StudyContext& context(const Packet& p) { return static_cast<const StudyContext&>(*p.study); }
  const std::string& stage_id(std::size_t s) const { return pipeline_.stages[s].id; }
  const StageSpec& spec(std::size_t s) const { return pipeline_.stages[s].plugin->spec; }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void construct_stages();
  void finish_stages();
  void discover();
  void skip_finished();
  void record_in_manifest(const StudyRecord& record, std::size_t entry);
  void build_graph();
  void clean_stale_temp_files() const;

  void load(std::size_t entry);
  void invoke(std::size_t s, Bundle bundle);
  void invoke_batch(std::size_t s, std::vector<Bundle> batch);
  void batch(std::size_t s, Bundle bundle);
  int64_t now_ns() const { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count() + 1; }
  void pump(std::size_t s, const PumpMsg& msg);
  void fill(std::size_t s, uint64_t id);
  void return_credit(std::size_t s, uint64_t id);
  void account(const StudyContext& ctx, std::size_t s, Clock::time_point t0, double share = 1.0);
  void count_item(const StudyContext& ctx, std::size_t s, const Packet& item);
  std::vector<StudyProgress> active_studies();
  void fail(const StudyContext& ctx, std::size_t s, const std::string& message);
  void release(const StudyContext& ctx);
  void finish(StudyContext& ctx);
  void monitor();

  const Pipeline& pipeline_;
  RunOptions opt_;
  Clock::time_point start_ = Clock::now();
  std::vector<std::unique_ptr<Stage>> stages_;
  std::size_t source_index_ = 0;
  SourceStage* source_ = nullptr;
  std::vector<StudyEntry> entries_;  // the studies this run processes
  std::vector<std::string> discovered_;  // every study id found, in order
  std::size_t total_ = 0;  // studies of this run, those skipped as done included
  std::string pipeline_fingerprint_;
  std::unique_ptr<ManifestWriter> manifest_;
  std::size_t next_entry_ = 0;

  std::atomic<bool> stopping_{false}, closing_{false};
  std::atomic<int> in_flight_{0}, peak_studies_{0}, peak_items_{0};
  std::mutex report_mu_;
  RunReport report_;
  std::mutex active_mu_;
  std::map<uint64_t, const StudyContext*> active_;  // admitted, not yet finished
  std::vector<double> busy_;
  std::mutex monitor_mu_;
  std::condition_variable monitor_cv_;
  bool monitor_done_ = false;

  tf::graph graph_;
  std::unique_ptr<tf::input_node<std::size_t>> feed_;
  std::unique_ptr<tf::limiter_node<std::size_t>> admission_;
  std::unique_ptr<tf::function_node<std::size_t, tf::continue_msg>> loader_;
  std::vector<std::vector<std::unique_ptr<tf::broadcast_node<Packet>>>> out_ports_;
  std::vector<std::vector<std::unique_ptr<PortNode>>> in_ports_;
  std::vector<std::unique_ptr<WorkNode>> workers_;
  std::vector<std::unique_ptr<KeyJoin>> joins_;
  std::vector<std::unique_ptr<PumpNode>> pump_nodes_;
  std::vector<std::unique_ptr<BatchState>> batches_;
  std::vector<std::unique_ptr<WorkNode>> batchers_;  // serial: collects bundles into batches
  std::vector<std::unique_ptr<BatchNode>> batch_workers_;
  // Touched only inside the serial pump node of the stage.
  std::vector<std::unordered_map<uint64_t, std::shared_ptr<Pending>>> pending_;
  std::vector<uint64_t> next_expansion_;
};

class Runner::Impl::PacketEmitter final : public Emitter {
 public:
  // A deferred emitter keeps what is emitted until commit().
  PacketEmitter(Impl& run, std::size_t stage, Packet parent, bool deferred = false)
      : run_(run), stage_(stage), parent_(std::move(parent)), deferred_(deferred) {}

  void commit() {
    for (auto& [port, packet] : held_) run_.out_ports_[stage_][port]->try_put(packet);
    for (auto& pending : held_expansions_) run_.pump_nodes_[stage_]->try_put(PumpMsg{std::move(pending), 0});
    held_.clear();
    held_expansions_.clear();
  }

  void emit(const std::string& port, PayloadPtr payload) override {
    send(port, std::move(payload), parent_.index, parent_.count);
  }
  void emit_item(const std::string& port, PayloadPtr payload, int64_t index, int64_t count) override {
    send(port, std::move(payload), index, count);
  }
  void expand(const std::string& port, std::shared_ptr<Expansion> items) override {
    if (!run_.spec(stage_).is_expanding()) throw Error("expand() called by a stage that does not declare expands()");
    if (!items) throw Error("expand() was given no items");
    auto pending = std::make_shared<Pending>();
    pending->parent = parent_;
    pending->items = std::move(items);
    pending->port = port_index(port);
    pending->total = pending->items->size();
    if (deferred_) held_expansions_.push_back(std::move(pending));
    else run_.pump_nodes_[stage_]->try_put(PumpMsg{std::move(pending), 0});
  }
  void record_output(const fs::path& path) override {
    const auto& ctx = context(parent_);
    std::lock_guard lock(ctx.mu);
    ctx.record.outputs.push_back(path.string());
  }
  void warn(const std::string& message) override {
    const auto& ctx = context(parent_);
    spdlog::warn("study {}: {}: {}", ctx.id, run_.stage_id(stage_), message);
    std::lock_guard lock(ctx.mu);
    ctx.record.warnings.push_back(run_.stage_id(stage_) + ": " + message);
  }

 private:
  std::size_t port_index(const std::string& port) const {
    const auto& outs = run_.spec(stage_).outputs();
    for (std::size_t i = 0; i < outs.size(); ++i)
      if (outs[i].name == port) return i;
    throw Error("emitted on '" + port + "', which is not an output port of this stage");
  }
  void send(const std::string& port, PayloadPtr payload, int64_t index, int64_t count) {
    const std::size_t p = port_index(port);
    const auto& declared = run_.spec(stage_).outputs()[p].payload;
    if (!payload) throw Error("emitted nothing on port '" + port + "'");
    if (declared != payload_type::any && payload->type() != declared)
      throw Error("emitted a " + std::string(payload->type()) + " on port '" + port + "', which carries " + declared);
    Packet packet{parent_.study, std::move(payload), index, count, parent_.ticket};
    if (deferred_) held_.emplace_back(p, std::move(packet));
    else run_.out_ports_[stage_][p]->try_put(packet);
  }

  Impl& run_;
  std::size_t stage_;
  Packet parent_;
  bool deferred_;
  std::vector<std::pair<std::size_t, Packet>> held_;
  std::vector<std::shared_ptr<Pending>> held_expansions_;
};

void Runner::Impl::finish_stages() {
  RunCompletion completion;
  for (const auto& r : report_.studies) {
    if (r.status == "done" || r.status == "skipped") completion.done.push_back(r.id);
    else completion.failed.push_back(r.id);
  }
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    if (pipeline_.stages[s].plugin->abi_minor < 1) continue;  // built before Stage::finish existed
    try {
      for (const auto& f : stages_[s]->finish(completion)) report_.finish_outputs[stage_id(s)].push_back(f.string());
    } catch (const std::exception& e) {
      report_.finish_errors[stage_id(s)] = e.what();
      spdlog::error("{}: {}", stage_id(s), e.what());
    }
  }
}

void Runner::Impl::construct_stages() {
  const int threads = opt_.threads > 0 ? opt_.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  for (std::size_t s = 0; s < pipeline_.stages.size(); ++s) {
    const auto& st = pipeline_.stages[s];
    StageContext ctx;
    ctx.stage_id = st.id;
    ctx.params = Params(st.params);
    ctx.output_dir = opt_.output_dir;
    ctx.threads = threads;
    ctx.log = [id = st.id](const std::string& msg) { spdlog::info("{}: {}", id, msg); };
    try {
      stages_.push_back(st.plugin->factory->create(ctx));
    } catch (const std::exception& e) {
      throw Error("stages[" + std::to_string(st.json_index) + "] ('" + st.id + "', plugin " + st.plugin->name +
                  "): construction failed: " + e.what());
    }
  }
  source_index_ = pipeline_.source();
  source_ = dynamic_cast<SourceStage*>(stages_[source_index_].get());
  if (!source_)
    throw Error("stage '" + stage_id(source_index_) + "' has no inputs but its plugin is not a SourceStage");
}

void Runner::Impl::discover() {
  auto note = [this](const std::string& msg) {
    spdlog::info("{}: {}", stage_id(source_index_), msg);
    std::lock_guard lock(report_mu_);
    report_.notes.push_back(msg);
  };
  try {
    entries_ = source_->discover(opt_.input, note);
  } catch (const std::exception& e) {
    throw Error("input '" + opt_.input + "': " + e.what());
  }
  // Study ids name output files: they must be unique within the run.
  std::map<std::string, int> seen;
  for (auto& e : entries_) {
    if (e.id.empty()) e.id = "study";
    if (int n = seen[e.id]++; n > 0) e.id += "-" + std::to_string(n + 1);
  }
  std::vector<StudyEntry> mine;
  for (auto& e : entries_) {
    discovered_.push_back(e.id);
    if (opt_.shard.contains(e.id)) mine.push_back(std::move(e));
  }
  entries_ = std::move(mine);
}

// Studies an earlier run finished with the same input and pipeline are not
// run again (failed ones are, with --retry-failed); a done study whose
// outputs have gone missing is.
static std::string input_fingerprint(const StudyEntry& e) {
  return fingerprint(e.source + "\n" + e.locator.dump() + "\n" + e.attributes.dump());
}

void Runner::Impl::skip_finished() {
  pipeline_fingerprint_ = pipeline_fingerprint(pipeline_);
  const auto previous = read_manifests({opt_.output_dir});
  std::vector<StudyEntry> todo;
  for (auto& e : entries_) {
    const std::string fp = input_fingerprint(e);
    auto it = previous.find(e.id);
    if (it != previous.end() && it->second.fingerprint == fp && it->second.pipeline == pipeline_fingerprint_) {
      const auto& r = it->second;
      bool outputs_exist = true;
      for (const auto& f : r.outputs) outputs_exist = outputs_exist && fs::exists(opt_.output_dir / f);
      if ((r.status == "done" && outputs_exist) || (r.status == "failed" && !opt_.retry_failed)) {
        StudyRecord rec;
        rec.id = e.id;
        rec.source = e.source;
        rec.status = r.status == "done" ? "skipped" : "failed";
        rec.error = r.error;
        if (r.status == "failed") rec.warnings.push_back("failed in an earlier run; not retried without --retry-failed");
        for (const auto& f : r.outputs) rec.outputs.push_back((opt_.output_dir / f).string());
        report_.studies.push_back(std::move(rec));
        continue;
      }
    }
    todo.push_back(std::move(e));
  }
  entries_ = std::move(todo);
  total_ = entries_.size() + report_.studies.size();
}

void Runner::Impl::record_in_manifest(const StudyRecord& record, std::size_t entry) {
  if (!manifest_ || (record.status != "done" && record.status != "failed")) return;
  ManifestRecord m;
  m.study = record.id;
  m.fingerprint = input_fingerprint(entries_.at(entry));
  m.pipeline = pipeline_fingerprint_;
  m.status = record.status;
  m.error = record.error.empty() ? "" : record.failed_stage + ": " + record.error;
  // Relative to the output directory, which may be reached by another path next time.
  for (const auto& f : record.outputs) m.outputs.push_back(fs::path(f).lexically_relative(opt_.output_dir).string());
  m.finished_unix = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  try {
    manifest_->append(m);
  } catch (const std::exception& e) {
    spdlog::error("study {}: {}", record.id, e.what());
  }
}

void Runner::Impl::clean_stale_temp_files() const {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(opt_.output_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && is_stale_temp_file(it->path())) fs::remove(it->path(), ec);
}

void Runner::Impl::build_graph() {
  const std::size_t n = pipeline_.stages.size();
  auto concurrency = [](const Concurrency& c) -> std::size_t {
    switch (c.mode) {
      case Concurrency::Mode::unlimited: return tf::unlimited;
      case Concurrency::Mode::limited: return std::size_t(std::max(1, c.limit));
      default: return tf::serial;
    }
  };
  out_ports_.resize(n);
  in_ports_.resize(n);
  workers_.resize(n);
  joins_.resize(n);
  pump_nodes_.resize(n);
  batches_.resize(n);
  batchers_.resize(n);
  batch_workers_.resize(n);
  pending_.resize(n);
  next_expansion_.assign(n, 0);
  busy_.assign(n, 0.0);

  // The feed carries entry numbers, not studies: input_node keeps a copy of
  // the last item it made, which must not keep a study alive.
  feed_ = std::make_unique<tf::input_node<std::size_t>>(graph_, [this](tbb::flow_control& fc) -> std::size_t {
    if (stopping_ || next_entry_ >= entries_.size()) {
      fc.stop();
      return 0;
    }
    return next_entry_++;
  });
  admission_ = std::make_unique<tf::limiter_node<std::size_t>>(graph_, std::size_t(opt_.max_studies_in_flight));
  loader_ = std::make_unique<tf::function_node<std::size_t, tf::continue_msg>>(
      graph_, concurrency(spec(source_index_).concurrency()), [this](std::size_t entry) {
        load(entry);
        return tf::continue_msg();
      });
  tf::make_edge(*feed_, *admission_);
  tf::make_edge(*admission_, *loader_);

  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t p = 0; p < spec(s).outputs().size(); ++p)
      out_ports_[s].push_back(std::make_unique<tf::broadcast_node<Packet>>(graph_));
    if (spec(s).is_expanding())
      pump_nodes_[s] = std::make_unique<PumpNode>(graph_, tf::serial, [this, s](const PumpMsg& msg) {
        pump(s, msg);
        return tf::continue_msg();
      });
    if (spec(s).is_source()) continue;
    if (spec(s).is_batching()) {
      auto state = std::make_unique<BatchState>();
      state->size = std::size_t(pipeline_.stages[s].params.at("batch_size").get<int64_t>());
      state->timeout_ns = int64_t(pipeline_.stages[s].params.at("batch_timeout_ms").get<double>() * 1e6);
      batches_[s] = std::move(state);
      batch_workers_[s] = std::make_unique<BatchNode>(graph_, concurrency(spec(s).concurrency()),
                                                      [this, s](const std::vector<Bundle>& b) {
                                                        invoke_batch(s, b);
                                                        return tf::continue_msg();
                                                      });
    }
    // A batching stage's ports feed its batcher; the others' feed the worker.
    workers_[s] = spec(s).is_batching()
                      ? std::make_unique<WorkNode>(graph_, tf::serial,
                                                   [this, s](const Bundle& b) {
                                                     batch(s, b);
                                                     return tf::continue_msg();
                                                   })
                      : std::make_unique<WorkNode>(graph_, concurrency(spec(s).concurrency()), [this, s](const Bundle& b) {
                          invoke(s, b);
                          return tf::continue_msg();
                        });
    const std::size_t ports = spec(s).inputs().size();
    if (ports > 1) joins_[s] = std::make_unique<KeyJoin>(ports);
    for (std::size_t p = 0; p < ports; ++p) {
      auto node = std::make_unique<PortNode>(graph_, tf::unlimited,
                                             [this, s, p](const Packet& packet, PortNode::output_ports_type& out) {
                                               if (!joins_[s]) {
                                                 std::get<0>(out).try_put(Bundle{packet});
                                               } else if (auto bundle = joins_[s]->offer(p, packet)) {
                                                 std::get<0>(out).try_put(*bundle);
                                               }
                                             });
      tf::make_edge(tf::output_port<0>(*node), *workers_[s]);
      in_ports_[s].push_back(std::move(node));
    }
  }
  for (const auto& e : pipeline_.edges) tf::make_edge(*out_ports_[e.from_stage][e.from_port], *in_ports_[e.to_stage][e.to_port]);
}

void Runner::Impl::load(std::size_t entry) {
  if (stopping_) return;  // recorded as not started
  auto study = std::make_shared<StudyContext>();
  study->run = this;
  study->entry = entries_[entry];
  study->id = study->entry.id;
  study->source = study->entry.source;
  study->attributes = study->entry.attributes;
  study->serial = entry;
  study->record.id = study->id;
  study->record.source = study->source;
  study->record.admitted = elapsed();
  study->items.resize(stages_.size());
  {
    std::lock_guard lock(active_mu_);
    active_[study->serial] = study.get();
  }
  update_peak(peak_studies_, ++in_flight_);
  study->whole_study_stage = int(source_index_);
  const auto t0 = Clock::now();
  try {
    PacketEmitter out(*this, source_index_, Packet{study, nullptr, -1, 1, nullptr});
    source_->load(study->entry, out);
  } catch (const std::exception& e) {
    fail(*study, source_index_, e.what());
  } catch (...) {
    fail(*study, source_index_, "unknown exception");
  }
  account(*study, source_index_, t0);
}

void Runner::Impl::invoke(std::size_t s, Bundle bundle) {
  // Keeps the study alive until its timing is accounted for.
  const std::shared_ptr<const Study> keep = bundle.at(0).study;
  const auto& ctx = context(bundle[0]);
  if (ctx.failed || stopping_) return;
  if (bundle[0].index < 0) ctx.whole_study_stage = int(s);
  const auto t0 = Clock::now();
  try {
    Packet parent = bundle[0];
    Inputs in(spec(s).inputs(), std::move(bundle));
    PacketEmitter out(*this, s, parent);
    stages_[s]->process(in, out);
    count_item(ctx, s, parent);
  } catch (const std::exception& e) {
    fail(ctx, s, e.what());
  } catch (...) {
    fail(ctx, s, "unknown exception");
  }
  account(ctx, s, t0);
}

// Runs in the stage's serial batcher node. An empty bundle is the monitor's
// nudge to send a partial batch that has waited long enough. While items are
// held, a graph wait is reserved so that wait_for_all cannot return under them.
void Runner::Impl::batch(std::size_t s, Bundle bundle) {
  auto& state = *batches_[s];
  if (!bundle.empty()) {
    if (state.held.empty()) {
      graph_.reserve_wait();
      state.oldest_ns = now_ns();
    }
    state.held.push_back(std::move(bundle));
  }
  if (state.held.empty()) return;
  const bool stale = now_ns() - state.oldest_ns >= state.timeout_ns;
  if (state.held.size() < state.size && !stale && !stopping_) return;
  std::vector<Bundle> full;
  full.swap(state.held);
  state.oldest_ns = 0;
  batch_workers_[s]->try_put(std::move(full));
  graph_.release_wait();
}

void Runner::Impl::invoke_batch(std::size_t s, std::vector<Bundle> batch) {
  std::vector<std::shared_ptr<const Study>> keep;
  std::vector<Bundle> live;
  for (auto& b : batch)
    if (!context(b.at(0)).failed && !stopping_) {
      keep.push_back(b[0].study);
      live.push_back(std::move(b));
    }
  if (live.empty()) return;
  const auto t0 = Clock::now();
  std::vector<Inputs> inputs;
  std::vector<PacketEmitter> emitters;
  inputs.reserve(live.size());
  emitters.reserve(live.size());
  for (auto& b : live) {
    emitters.emplace_back(*this, s, b[0], true);
    inputs.emplace_back(spec(s).inputs(), b);
  }
  std::vector<const Inputs*> in;
  std::vector<Emitter*> out;
  for (std::size_t i = 0; i < live.size(); ++i) {
    in.push_back(&inputs[i]);
    out.push_back(&emitters[i]);
  }
  bool ok = true;
  try {
    stages_[s]->process_batch(in, out);
  } catch (...) {
    ok = false;
  }
  if (ok) {
    for (auto& e : emitters) e.commit();
    for (const auto& b : live) count_item(context(b[0]), s, b[0]);
    for (const auto& study : keep) account(static_cast<const StudyContext&>(*study), s, t0, 1.0 / double(live.size()));
    return;
  }
  // Find the item at fault: one by one, each failure charged to its own study.
  for (auto& b : live) invoke(s, std::move(b));
}

void Runner::Impl::pump(std::size_t s, const PumpMsg& msg) {
  if (msg.start) {
    const uint64_t id = ++next_expansion_[s];
    pending_[s][id] = msg.start;
    fill(s, id);
    return;
  }
  auto it = pending_[s].find(msg.credit);
  if (it == pending_[s].end()) return;  // its study failed or stopped
  --it->second->outstanding;
  fill(s, msg.credit);
}

void Runner::Impl::fill(std::size_t s, uint64_t id) {
  auto pending = pending_[s].at(id);
  const auto& ctx = context(pending->parent);
  while (!ctx.failed && !stopping_ && pending->outstanding < opt_.max_items_per_study &&
         pending->next < pending->total) {
    const auto t0 = Clock::now();
    PayloadPtr payload;
    try {
      payload = pending->items->make(pending->next);
      if (!payload) throw Error("expansion produced no item " + std::to_string(pending->next));
    } catch (const std::exception& e) {
      fail(ctx, s, e.what());
      break;
    }
    account(ctx, s, t0);
    count_item(ctx, s, Packet{nullptr, nullptr, pending->next, pending->total, nullptr});
    auto ticket = std::make_shared<ItemTicket>(this, s, id);
    update_peak(peak_items_, int(++pending->outstanding));
    Packet item{pending->parent.study, std::move(payload), pending->next++, pending->total, std::move(ticket)};
    out_ports_[s][pending->port]->try_put(item);
  }
  if (ctx.failed || stopping_ || (pending->next >= pending->total && pending->outstanding == 0))
    pending_[s].erase(id);
}

void Runner::Impl::return_credit(std::size_t s, uint64_t id) {
  if (!closing_) pump_nodes_[s]->try_put(PumpMsg{nullptr, id});
}

void Runner::Impl::account(const StudyContext& ctx, std::size_t s, Clock::time_point t0, double share) {
  const auto t1 = Clock::now();
  const double a = std::chrono::duration<double>(t0 - start_).count();
  const double b = std::chrono::duration<double>(t1 - start_).count();
  {
    std::lock_guard lock(ctx.mu);
    auto& t = ctx.record.timings[stage_id(s)];
    t.seconds += (b - a) * share;
    ++t.calls;
    t.first_start = t.first_start < 0 ? a : std::min(t.first_start, a);
    t.last_end = std::max(t.last_end, b);
  }
  std::lock_guard lock(report_mu_);
  busy_[s] += (b - a) * share;
}

// Only items (index >= 0) count: a whole-study payload is not progress within a study.
void Runner::Impl::count_item(const StudyContext& ctx, std::size_t s, const Packet& item) {
  if (item.index < 0) return;
  std::lock_guard lock(ctx.mu);
  auto& c = ctx.items[s];
  c.total = std::max(c.total, item.count);
  ++c.done;
  if (ctx.items_began < 0) ctx.items_began = elapsed();
}

std::vector<StudyProgress> Runner::Impl::active_studies() {
  std::vector<StudyProgress> out;
  const double now = elapsed();
  std::lock_guard lock(active_mu_);
  for (const auto& [serial, ctx] : active_) {
    StudyProgress p;
    p.id = ctx->id;
    if (const int s = ctx->whole_study_stage; s >= 0) p.stage = stage_id(std::size_t(s));
    std::lock_guard study_lock(ctx->mu);
    p.seconds = now - ctx->record.admitted;
    p.seconds_in_items = ctx->items_began < 0 ? 0 : now - ctx->items_began;
    for (std::size_t s = 0; s < ctx->items.size(); ++s)
      if (ctx->items[s].total > 0) {
        p.items.push_back(ctx->items[s]);
        p.items.back().stage = stage_id(s);
      }
    out.push_back(std::move(p));
  }
  return out;
}

void Runner::Impl::fail(const StudyContext& ctx, std::size_t s, const std::string& message) {
  if (ctx.failed.exchange(true)) return;
  spdlog::error("study {} failed in stage '{}': {}", ctx.id, stage_id(s), message);
  {
    std::lock_guard lock(ctx.mu);
    ctx.record.failed_stage = stage_id(s);
    ctx.record.error = message;
  }
  for (auto& stage : stages_) {
    try {
      stage->abandon(ctx);
    } catch (...) {
    }
  }
  std::vector<Bundle> dropped;
  for (auto& join : joins_)
    if (join)
      for (auto& b : join->drop(ctx.serial)) dropped.push_back(std::move(b));
  release(ctx);
}

void Runner::Impl::release(const StudyContext& ctx) {
  if (ctx.released.exchange(true)) return;
  --in_flight_;
  if (!closing_) admission_->decrementer().try_put(tf::continue_msg());
}

void Runner::Impl::finish(StudyContext& ctx) {
  {
    std::lock_guard lock(active_mu_);
    active_.erase(ctx.serial);
  }
  release(ctx);
  StudyRecord record;
  {
    std::lock_guard lock(ctx.mu);
    record = std::move(ctx.record);
    for (std::size_t s = 0; s < ctx.items.size(); ++s)
      if (ctx.items[s].total > 0) {
        record.items.push_back(ctx.items[s]);
        record.items.back().stage = stage_id(s);
      }
  }
  if (ctx.failed) record.status = "failed";
  else if (stopping_) record.status = "abandoned";
  else if (closing_) {
    record.status = "incomplete";
    record.error = "some of its items never reached the end of the pipeline";
  } else {
    record.status = "done";
  }
  record.finished = elapsed();
  // Outputs were published (renamed) before the study finished, so a "done"
  // line never points at a file that is not there.
  record_in_manifest(record, std::size_t(ctx.serial));
  std::lock_guard lock(report_mu_);
  report_.studies.push_back(std::move(record));
  if (opt_.on_progress) opt_.on_progress(report_, &report_.studies.back(), total_);
}

void Runner::Impl::monitor() {
  // Ticks fast enough to send partial batches on time.
  int64_t tick_ns = 100'000'000;
  for (const auto& b : batches_)
    if (b) tick_ns = std::min(tick_ns, std::max<int64_t>(b->timeout_ns / 2, 500'000));
  int64_t last_progress = 0;
  std::unique_lock wait_lock(monitor_mu_);
  while (!monitor_cv_.wait_for(wait_lock, std::chrono::nanoseconds(tick_ns), [this] { return monitor_done_; })) {
    const int64_t now = now_ns();
    for (std::size_t s = 0; s < batches_.size(); ++s) {
      if (!batches_[s]) continue;
      const int64_t oldest = batches_[s]->oldest_ns;
      if (oldest != 0 && (now - oldest >= batches_[s]->timeout_ns || stopping_)) workers_[s]->try_put(Bundle{});
    }
    if (now - last_progress < 100'000'000) continue;
    last_progress = now;
    if (opt_.stop && *opt_.stop && !stopping_.exchange(true))
      spdlog::warn("stop requested: abandoning the studies in progress");
    if (opt_.on_progress) {
      auto active = active_studies();
      std::lock_guard lock(report_mu_);
      report_.active = std::move(active);
      opt_.on_progress(report_, nullptr, total_);
    }
  }
}

RunReport Runner::Impl::run() {
  if (opt_.max_studies_in_flight < 1 || opt_.max_items_per_study < 1)
    throw Error("--max-in-flight and --max-patches-in-flight must be at least 1");
  // Stages may open files in the output directory as they are constructed (a
  // trainer's loss log), so it is made first; but a run that cannot start
  // (bad --input, a stage refusing its parameters) leaves nothing behind.
  fs::path made;  // the outermost directory this run creates, if any
  for (fs::path p = opt_.output_dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    std::error_code ec;
    if (fs::exists(p, ec) || ec) break;
    made = p;
  }
  std::error_code ec;
  fs::create_directories(opt_.output_dir, ec);
  if (ec) throw Error("cannot create output directory '" + opt_.output_dir.string() + "': " + ec.message());
  std::optional<tbb::global_control> threads;
  if (opt_.threads > 0) threads.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(opt_.threads));
  try {
    construct_stages();
    discover();
  } catch (...) {
    stages_.clear();  // closes what they opened in it
    if (!made.empty()) fs::remove_all(made, ec);
    throw;
  }
  clean_stale_temp_files();
  if (opt_.use_manifest) {
    skip_finished();
    manifest_ = std::make_unique<ManifestWriter>(opt_.output_dir / ("manifest" + opt_.shard.suffix() + ".jsonl"));
  } else {
    total_ = entries_.size();
  }
  report_.allow_empty = opt_.allow_empty;
  report_.pipeline = pipeline_.name;
  report_.shard = std::to_string(opt_.shard.index) + "/" + std::to_string(opt_.shard.count);
  report_.archive_studies = int(discovered_.size());
  report_.max_studies_in_flight = opt_.max_studies_in_flight;
  report_.max_items_per_study = opt_.max_items_per_study;
  build_graph();
  start_ = Clock::now();
  std::thread watcher([this] { monitor(); });
  feed_->activate();
  graph_.wait_for_all();
  closing_ = true;
  for (auto& join : joins_)
    if (join) join->drop(KeyJoin::kAll);
  for (auto& p : pending_) p.clear();
  {
    std::lock_guard lock(monitor_mu_);
    monitor_done_ = true;
  }
  monitor_cv_.notify_all();
  watcher.join();

  std::lock_guard lock(report_mu_);
  // Studies never admitted (stopped early) have no record yet.
  std::set<std::string> recorded;
  for (const auto& r : report_.studies) recorded.insert(r.id);
  for (const auto& e : entries_)
    if (!recorded.count(e.id)) {
      StudyRecord r;
      r.id = e.id;
      r.source = e.source;
      report_.studies.push_back(std::move(r));
    }
  std::map<std::string, std::size_t> order;
  for (std::size_t i = 0; i < discovered_.size(); ++i) order[discovered_[i]] = i;
  std::sort(report_.studies.begin(), report_.studies.end(),
            [&](const StudyRecord& a, const StudyRecord& b) { return order[a.id] < order[b.id]; });
  report_.active.clear();
  report_.wall_seconds = elapsed();
  report_.interrupted = stopping_;
  report_.peak_studies_in_flight = peak_studies_;
  report_.peak_items_per_study = peak_items_;
  for (std::size_t s = 0; s < stages_.size(); ++s) report_.stage_busy_seconds[stage_id(s)] = busy_[s];
  if (!stopping_) finish_stages();
  write_file_atomic(opt_.output_dir / ("run_summary" + opt_.shard.suffix() + ".json"), report_.to_json().dump(2) + "\n");
  return report_;
}

Runner::Runner(const Pipeline& pipeline, RunOptions options)
    : impl_(std::make_unique<Impl>(pipeline, std::move(options))) {}
Runner::~Runner() = default;
RunReport Runner::run() { return impl_->run(); }

}  // namespace screener::runtime
