// Writes each study's score map as a DICOM Parametric Map beside the other
// results: <output>/<study>/<name>.dcm, in the source series' study.
#include "dicom_results.h"
#include "screener/screener.h"

using namespace screener;

class DicomPmapWriter final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("map", payload_type::volume, "Score map, float32, one channel, usually on the source grid");
    spec.text("name", "score_pmap", "File name, without .dcm, inside the study's folder");
    spec.text("series_description", "Screener anomaly score", "SeriesDescription of the new series");
    spec.integer("series_number", 9001, "SeriesNumber of the new series").range(0, 2147483647);
    spec.text("quantity", "anomaly score", "What the values are (LUT label and explanation of the value mapping)");
    dicom_results::declare_parametric_map_params(spec);
    spec.concurrency(Concurrency::limited(2));
  }
  explicit DicomPmapWriter(const StageContext& ctx)
      : dir_(ctx.output_dir), name_(ctx.params.get<std::string>("name")) {
    options_.series.series_description = ctx.params.get<std::string>("series_description");
    options_.series.series_number = int(ctx.params.get<int64_t>("series_number"));
    options_.quantity = ctx.params.get<std::string>("quantity");
    dicom_results::apply_parametric_map_params(ctx.params, options_);
  }

  void process(const Inputs& in, Emitter& out) override {
    const auto encoded = dicom_results::encode_parametric_map(in.payload<Volume>("map"), in.study(), options_);
    out.record_output(dicom_results::write_object(encoded, dir_, in.study(), name_));
  }

 private:
  std::filesystem::path dir_;
  std::string name_;
  dicom_results::ParametricMapOptions options_;
};

SCREENER_PLUGIN(DicomPmapWriter, "dicom_pmap_writer", "1.1.0",
                "Writes score maps as DICOM Parametric Maps (16-bit or float, real-world value mapping, deflated or not) "
                "in the source study")
