// Source stage: CT series from DICOM files (and NIfTI/NRRD/MetaImage volumes).
#include "discovery.h"
#include "itk_image_reading.h"
#include "screener/screener.h"
#include "series_loading.h"
#include "series_params.h"

using namespace screener;

class DicomReader final : public SourceStage {
 public:
  static void setup(StageSpec& spec) {
    spec.output("volume", payload_type::volume,
                "HU, int16 when exact else float32; axis 0 = DICOM column, 1 = row, 2 = slice (LPS geometry)");
    dicom::declare_series_params(spec);
    spec.concurrency(Concurrency::limited(2));
  }

  explicit DicomReader(const StageContext& ctx) {
    const auto series = dicom::read_series_params(ctx.params);
    rules_ = series.rules;
    load_ = series.load;
  }

  std::vector<StudyEntry> discover(const std::string& input,
                                   const std::function<void(const std::string&)>& note) override {
    return dicom::discover_entries(input, rules_, note);
  }

  void load(const StudyEntry& entry, Emitter& out) override {
    const Json& locator = entry.locator;
    // What discovery decided about the series from its headers alone.
    for (const auto& warning : locator.value("warnings", Json::array())) out.warn(warning.get<std::string>());
    if (locator.contains("error"))
      throw InputError("series " + entry.id + ": refused: " + locator.at("error").get<std::string>());
    if (locator.value("format", "") == "image") {
      out.emit("volume", dicom::read_itk_image(locator.at("file").get<std::string>(), load_.max_voxels));
      return;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& f : locator.at("files")) files.emplace_back(f.get<std::string>());
    const std::string series = "series " + entry.id + " (" + entry.attributes.value("SeriesInstanceUID", "?") + ")";
    // Files beside the series that could not be opened (discovery): perhaps its slices.
    std::string unopenable;
    for (const auto& why : locator.value("unopenable", Json::array()))
      unopenable += (unopenable.empty() ? "" : "; ") + why.get<std::string>();
    std::shared_ptr<Volume> volume;
    try {
      volume = dicom::load_dicom_series(files, load_);
    } catch (const InputError& e) {
      if (!unopenable.empty()) throw InputError(series + ": " + unopenable + " in its folder, and without it: " + e.what());
      throw InputError(series + ": " + e.what());
    }
    if (!unopenable.empty()) out.warn(unopenable + " in the series' folder; the series is complete without it");
    out.emit("volume", volume);
  }

 private:
  dicom::SelectionRules rules_;
  dicom::LoadOptions load_;
};

SCREENER_PLUGIN(DicomReader, "dicom_reader", "1.0.0",
                "CT series from DICOM (directory, file list, DICOMDIR) and NIfTI/NRRD/MetaImage volumes")
