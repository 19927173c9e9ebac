// Writes each study's thresholded score map as a binary DICOM Segmentation
// beside the other results: <output>/<study>/<name>.dcm, in the source study.
#include "dicom_results.h"
#include "screener/screener.h"

using namespace screener;

class DicomSegWriter final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("map", payload_type::volume, "Score map, float32, one channel, usually on the source grid");
    spec.text("name", "score_seg", "File name, without .dcm, inside the study's folder");
    dicom_results::declare_segment_params(spec);
    spec.text("series_description", "Screener anomalies", "SeriesDescription of the new series");
    spec.integer("series_number", 9002, "SeriesNumber of the new series").range(0, 2147483647);
    spec.concurrency(Concurrency::limited(2));
  }
  explicit DicomSegWriter(const StageContext& ctx)
      : dir_(ctx.output_dir), name_(ctx.params.get<std::string>("name")), rule_(ctx.params) {
    options_.series.series_description = ctx.params.get<std::string>("series_description");
    options_.series.series_number = int(ctx.params.get<int64_t>("series_number"));
  }

  void process(const Inputs& in, Emitter& out) override {
    const auto& map = in.payload<Volume>("map");
    const auto encoded = dicom_results::encode_segmentation(map, in.study(), rule_.for_map(map, options_));
    out.record_output(dicom_results::write_object(encoded, dir_, in.study(), name_));
  }

 private:
  std::filesystem::path dir_;
  std::string name_;
  dicom_results::SegmentRule rule_;
  dicom_results::SegmentationOptions options_;
};

SCREENER_PLUGIN(DicomSegWriter, "dicom_seg_writer", "1.0.0",
                "Writes thresholded score maps as binary DICOM Segmentations (SCT codes) in the source study")
