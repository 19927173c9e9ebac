// The stage interface a plugin implements.
//
//   class MyStage : public screener::Stage {
//    public:
//     static void setup(screener::StageSpec& spec);          // ports, params
//     explicit MyStage(const screener::StageContext& ctx);   // checked params
//     void process(const screener::Inputs& in, screener::Emitter& out) override;
//   };
//   SCREENER_PLUGIN(MyStage, "my_stage", "1.0.0", "One line saying what it does")
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "screener/abi.h"
#include "screener/payload.h"
#include "screener/spec.h"

namespace screener {

// One unit of work flowing through the graph (a study, or one series of it).
struct Study {
  std::string id;      // unique in the run; safe to use in file names
  std::string source;  // where it came from (path, URL)
  Json attributes = Json::object();  // UIDs, patient/study descriptors, ...
  uint64_t serial = 0;  // run-local number
  virtual ~Study() = default;
};

// A payload with its place in a study: `index` of `count` items (a patch of a
// study), or index -1 for a whole-study payload.
struct Packet {
  std::shared_ptr<const Study> study;
  PayloadPtr payload;
  int64_t index = -1;
  int64_t count = 1;
  std::shared_ptr<void> ticket;  // runtime bookkeeping for flow control
};

// The packets a stage is invoked with: one per input port, all of the same
// study and item (the runtime joins them by key).
class Inputs {
 public:
  Inputs(const std::vector<PortSpec>& ports, std::vector<Packet> packets);
  const Packet& at(std::size_t port) const { return packets_.at(port); }
  const Packet& operator[](const std::string& port) const;
  const Packet& first() const { return packets_.at(0); }
  const Study& study() const { return *packets_.at(0).study; }
  template <class T> const T& payload(const std::string& port) const {
    return payload_as<T>((*this)[port].payload, "input '" + port + "'");
  }
  std::size_t size() const { return packets_.size(); }

 private:
  const std::vector<PortSpec>* ports_;
  std::vector<Packet> packets_;
};

// Produces the items of an expanding stage on demand (see StageSpec::expands).
class Expansion {
 public:
  virtual ~Expansion() = default;
  virtual int64_t size() const = 0;
  virtual PayloadPtr make(int64_t index) = 0;
};

class Emitter {
 public:
  virtual ~Emitter() = default;
  // Same study and item as the input being processed.
  virtual void emit(const std::string& port, PayloadPtr payload) = 0;
  // Same study, another item (e.g. a whole-study map assembled from patches).
  virtual void emit_item(const std::string& port, PayloadPtr payload, int64_t index, int64_t count) = 0;
  // Items produced lazily by the runtime; only for expanding stages.
  virtual void expand(const std::string& port, std::shared_ptr<Expansion> items) = 0;
  // A file this stage wrote for the study; listed in the run summary.
  virtual void record_output(const std::filesystem::path& path) = 0;
  // A warning about the study (kept in the run summary; the study continues).
  virtual void warn(const std::string& message) = 0;
};

// How the run went, for stages that act once at its end (a trainer saving
// its model, an evaluator writing its report).
struct RunCompletion {
  std::vector<std::string> done, failed;  // study ids
};

struct StageContext {
  std::string stage_id;
  Params params;
  std::filesystem::path output_dir;
  int threads = 1;  // CPU threads the run may use
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual void process(const Inputs& in, Emitter& out) = 0;
  // For stages that declare batches(): one call for several items, each with
  // its own emitter. What is emitted is sent only if the call returns; if it
  // throws, the runtime retries the items one by one through process(), so
  // that only the study at fault fails.
  virtual void process_batch(const std::vector<const Inputs*>& batch, const std::vector<Emitter*>& out) {
    for (std::size_t i = 0; i < batch.size(); ++i) process(*batch[i], *out[i]);
  }
  // The study failed elsewhere or was abandoned: drop whatever is kept for it.
  virtual void abandon(const Study&) {}
  // Called once, after the last study left the graph, unless the run was
  // interrupted (since ABI 1.1). Returns the files it wrote; throwing fails
  // the run (exit 1) with the message.
  virtual std::vector<std::filesystem::path> finish(const RunCompletion&) { return {}; }
};

// A stage without inputs: finds the studies behind --input, then loads each.
struct StudyEntry {
  std::string id;
  std::string source;
  Json attributes = Json::object();
  Json locator;  // whatever load() needs to find the study again
};

class SourceStage : public Stage {
 public:
  // Cheap: list the studies. Unreadable entries are reported through `note`.
  virtual std::vector<StudyEntry> discover(const std::string& input,
                                           const std::function<void(const std::string&)>& note) = 0;
  // Expensive: read one study and emit it. Throwing fails that study only.
  virtual void load(const StudyEntry& entry, Emitter& out) = 0;
  void process(const Inputs&, Emitter&) final { throw Error("a source stage has no inputs"); }
};

class PluginFactory {
 public:
  virtual ~PluginFactory() = default;
  virtual void setup(StageSpec& spec) const = 0;
  virtual std::unique_ptr<Stage> create(const StageContext& ctx) const = 0;
};

template <class S> class StageFactory final : public PluginFactory {
 public:
  void setup(StageSpec& spec) const override { S::setup(spec); }
  std::unique_ptr<Stage> create(const StageContext& ctx) const override { return std::make_unique<S>(ctx); }
};

}  // namespace screener

#define SCREENER_PLUGIN(StageClass, NAME, VERSION, DESCRIPTION)                                            \
  extern "C" SCREENER_EXPORT const ScreenerPluginInfo* screener_plugin_entry() {                            \
    static const screener::StageFactory<StageClass> factory;                                                \
    static const ScreenerPluginInfo info{SCREENER_ABI_MAJOR, SCREENER_ABI_MINOR, NAME, VERSION, DESCRIPTION, \
                                         SCREENER_COMPILER_IDENTITY, &factory};                             \
    return &info;                                                                                           \
  }
