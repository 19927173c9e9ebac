// Source stage of `screener eval`: pairs each study's anomaly map (a folder of
// a run's output) with its ground-truth mask and emits both, on one grid.
#include <algorithm>

#include "grid_match.h"
#include "screener/screener.h"
#include "seg_reading.h"
#include "truth_matching.h"
#include "volume_reading.h"

using namespace screener;
namespace fs = std::filesystem;

namespace {

const char* const kMapExtensions[] = {".nii.gz", ".nii", ".nrrd", ".mha"};

}  // namespace

class EvalPairs final : public SourceStage {
 public:
  static void setup(StageSpec& spec) {
    spec.output("map", payload_type::volume, "The study's anomaly map, float32, on its file's grid");
    spec.output("truth", payload_type::volume, "Its ground-truth mask, uint8 (1 = positive), on the same grid");
    spec.text("truth", "", "Directory of ground-truth masks (NIfTI/NRRD/MetaImage or DICOM Segmentation)");
    spec.text("map", "score", "File name stem of the map in each study folder (<study>/<map>.nii.gz)");
    // Reading is I/O and decompression; two studies at a time keep memory flat.
    spec.concurrency(Concurrency::limited(2));
  }

  explicit EvalPairs(const StageContext& ctx)
      : truth_dir_(ctx.params.get<std::string>("truth")), map_(ctx.params.get<std::string>("map")) {
    if (truth_dir_.empty()) throw Error("eval_pairs: the parameter 'truth' (ground-truth directory) is required");
    if (map_.empty() || map_.find('/') != std::string::npos)
      throw Error("eval_pairs: 'map' must be a file name stem, got '" + map_ + "'");
  }

  std::vector<StudyEntry> discover(const std::string& input,
                                   const std::function<void(const std::string&)>& note) override {
    const fs::path maps(input);
    std::error_code ec;
    if (!fs::is_directory(maps, ec)) throw Error("the maps directory '" + input + "' does not exist");
    const eval_pairs::TruthIndex truth(truth_dir_);
    std::vector<fs::path> folders;
    for (const auto& e : fs::directory_iterator(maps, ec))
      if (e.is_directory(ec) && e.path().filename().string()[0] != '.') folders.push_back(e.path());
    if (ec) throw Error("cannot list the maps directory '" + input + "': " + ec.message());
    std::sort(folders.begin(), folders.end());
    std::vector<StudyEntry> entries;
    for (const auto& folder : folders) {
      const std::string id = folder.filename().string();
      fs::path map_file;
      for (const char* ext : kMapExtensions)
        if (fs::is_regular_file(folder / (map_ + ext), ec)) {
          map_file = folder / (map_ + ext);
          break;
        }
      if (map_file.empty()) {
        note("folder '" + folder.string() + "' has no " + map_ + ".nii.gz (.nii, .nrrd, .mha): not a study");
        continue;
      }
      std::string why;
      const auto mask = truth.find(id, why);
      if (!mask) {
        note("study " + id + ": " + why + "; not evaluated and not counted in the metrics");
        continue;
      }
      StudyEntry entry;
      entry.id = id;
      entry.source = map_file.string();
      entry.attributes = {{"map", map_file.string()},
                          {"truth", mask->path.string()},
                          {"truth_format", mask->segmentation ? "dicom-seg" : "image"},
                          {"truth_rule", mask->rule}};
      entry.locator = entry.attributes;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  void load(const StudyEntry& entry, Emitter& out) override {
    const fs::path map_file = entry.locator.at("map").get<std::string>();
    const fs::path truth_file = entry.locator.at("truth").get<std::string>();
    const bool seg = entry.locator.at("truth_format").get<std::string>() == "dicom-seg";
    const std::string both = "the map '" + map_file.string() + "' and the ground-truth mask '" + truth_file.string() + "'";
    std::shared_ptr<Volume> map = eval_pairs::read_map(map_file);
    std::shared_ptr<Volume> truth;
    try {
      truth = seg ? eval_pairs::read_seg_mask(truth_file, map->geometry) : eval_pairs::read_mask(truth_file);
    } catch (const InputError& e) {
      throw InputError("study " + entry.id + ": " + both + " do not fit: " + e.what());
    }
    const std::string mismatch = eval::grid_mismatch(map->geometry, truth->geometry);
    if (!mismatch.empty())
      throw InputError("study " + entry.id + ": " + mismatch + " between " + both + " (map: " +
                       eval::grid_text(map->geometry) + "; mask: " + eval::grid_text(truth->geometry) + ")");
    out.emit("map", map);
    out.emit("truth", truth);
  }

 private:
  fs::path truth_dir_;
  std::string map_;
};

SCREENER_PLUGIN(EvalPairs, "eval_pairs", "1.0.0",
                "Pairs each study's anomaly map (<maps>/<study>/<map>.nii.gz) with its ground-truth mask "
                "(NIfTI/NRRD/MetaImage or DICOM Segmentation) for the evaluator")
