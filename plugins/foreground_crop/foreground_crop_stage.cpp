// Crops a CT volume to the bounding box of its foreground blocks (SPEC §1.1)
// and optionally emits the body mask on the cropped grid (SPEC §1.5).
#include "crop_volume.h"
#include "screener/screener.h"

using namespace screener;
using namespace screener::foreground_crop;

class ForegroundCropStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("volume", payload_type::volume, "CT in HU, float32 or int16, one channel");
    spec.output("volume", payload_type::volume, "The foreground box of the volume, same dtype");
    spec.output("body_mask", payload_type::volume,
                "uint8 on the cropped grid: 1 inside the body (not air connected to the border, then opened and "
                "reduced to its largest part); only emitted when body_mask is true");
    spec.number("block_mm", 5.0, "Block edge in mm; blocks are ceil(block_mm / spacing) voxels per axis")
        .range(0.001, 1000);
    spec.number("threshold_hu", -500.0, "Foreground: HU >= threshold; air: HU < threshold");
    spec.flag("body_mask", false, "Also emit the body mask on the 'body_mask' port");
    spec.choice("body_border", {"volume", "sides"}, "volume",
                "Air connected to which faces is outside the body: all six (SPEC), or only the sides of the slices "
                "(a lung cut by the scan range stays body)");
    spec.number("body_opening_mm", 5.0,
                "Body mask: opening with a ball of this radius (mm), removing objects thinner than its diameter "
                "(the table's skins, pads); 0: none (SPEC)")
        .range(0, 50);
    spec.choice("body_parts", {"largest", "all"}, "largest",
                "Body mask: only the largest connected part after the opening (the patient, not the table), or all "
                "(SPEC)");
    spec.choice("outside_body", {"keep", "air"}, "keep",
                "Voxels of the crop outside the body mask: kept (SPEC), or set to air_hu so that nothing outside the "
                "patient (table, pads, clothes, scanner noise in air) reaches the models");
    spec.number("air_hu", -1000.0, "The value outside the body with outside_body 'air'");
    spec.concurrency(Concurrency::unlimited());
  }

  explicit ForegroundCropStage(const StageContext& ctx) : stage_id_(ctx.stage_id) {
    options_.block_mm = ctx.params.get<double>("block_mm");
    options_.threshold_hu = ctx.params.get<double>("threshold_hu");
    options_.body_mask = ctx.params.get<bool>("body_mask");
    options_.body_border =
        ctx.params.get<std::string>("body_border") == "sides" ? BodyBorder::sides : BodyBorder::volume;
    options_.outline.opening_mm = ctx.params.get<double>("body_opening_mm");
    options_.outline.largest_only = ctx.params.get<std::string>("body_parts") == "largest";
    options_.air_outside_body = ctx.params.get<std::string>("outside_body") == "air";
    options_.air_hu = ctx.params.get<double>("air_hu");
  }

  void process(const Inputs& in, Emitter& out) override {
    auto result = crop_to_foreground(in.payload<Volume>("volume"), options_, stage_id_, in.study().id);
    out.emit("volume", std::move(result.volume));
    if (result.body_mask) out.emit("body_mask", std::move(result.body_mask));
  }

 private:
  std::string stage_id_;
  CropOptions options_;
};

SCREENER_PLUGIN(ForegroundCropStage, "foreground_crop", "1.0.0",
                "Crops a CT to the bounding box of its 5 mm foreground blocks; optional body mask")
