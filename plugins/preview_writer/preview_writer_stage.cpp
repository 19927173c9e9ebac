// Writes <output>/<study>/<name>.png: for each of the map's hottest regions,
// axial, coronal and sagittal views through it, the CT in a window fit for
// where it lies, the map in colour over it, and the score's colour bar.
#include <algorithm>

#include "montage.h"
#include "png_file.h"
#include "screener/screener.h"
#include "text.h"

using namespace screener;

namespace {
preview::VoxelReader reader(const Volume& v, const std::string& what) {
  if (v.voxels.ndim() != 3) throw Error(what + ": expected a one-channel volume");
  switch (v.voxels.dtype()) {
    case DType::float32: return [p = v.voxels.data<float>()](int64_t i) { return p[i]; };
    case DType::int16: return [p = v.voxels.data<int16_t>()](int64_t i) { return float(p[i]); };
    case DType::uint8: return [p = v.voxels.data<uint8_t>()](int64_t i) { return float(p[i]); };
    default: throw Error(what + ": unsupported voxel type " + dtype_name(v.voxels.dtype()));
  }
}

std::optional<preview::Window> forced_window(const Params& p) {
  const auto name = p.get<std::string>("window");
  if (name == "lung") return preview::lung_window();
  if (name == "soft_tissue") return preview::soft_tissue_window();
  if (name == "bone") return preview::bone_window();
  if (name == "custom") return preview::Window{"custom", p.get<double>("window_center"), p.get<double>("window_width")};
  return std::nullopt;  // auto
}
}  // namespace

class PreviewWriter final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("image", payload_type::volume, "CT in HU");
    spec.input("map", payload_type::volume, "Anomaly map on the same grid");
    spec.text("name", "preview", "File name, without .png, inside the study's folder");
    spec.integer("width", 1600, "Width of the picture in pixels").range(1024, 4096);
    spec.integer("regions", 3, "Hot regions shown, a row of three views each").range(1, 6);
    spec.number("region_percentile", 99.5,
                "Regions: connected (26-neighbour) voxels at or above this percentile of the map's values above "
                "its minimum (the Segmentation's default level)")
        .range(0, 100);
    spec.number("region_core_ml", 0.1,
                "Regions are ranked by their mean score over their hottest this many ml (a smaller region counts "
                "its missing volume as the threshold), so neither a one-voxel speck nor a large faint region comes "
                "first")
        .range(0.0001, 1000);
    spec.number("low_percentile", 99, "Map values below this percentile (above the minimum) are not coloured")
        .range(0, 100);
    spec.choice("window", {"auto", "lung", "soft_tissue", "bone", "custom"}, "auto",
                "CT window: auto picks lung (L -600, W 1500) where the median HU around a region is below -400, "
                "soft tissue (L 40, W 400) elsewhere; custom uses window_center and window_width");
    spec.number("window_center", 40, "CT window centre in HU, with window: custom");
    spec.number("window_width", 400, "CT window width in HU, with window: custom").range(1, 10000);
    spec.number("overlay_alpha", 0.6, "Opacity of the coloured map").range(0, 1);
    spec.text("font", preview::default_font.string(), "TrueType font of the labels (Debian: fonts-dejavu-core)");
    spec.concurrency(Concurrency::limited(2));
  }

  explicit PreviewWriter(const StageContext& ctx) : dir_(ctx.output_dir), name_(ctx.params.get<std::string>("name")) {
    options_.width = ctx.params.get<int64_t>("width");
    options_.max_regions = int(ctx.params.get<int64_t>("regions"));
    options_.region_percentile = ctx.params.get<double>("region_percentile");
    options_.core_ml = ctx.params.get<double>("region_core_ml");
    options_.colour_percentile = ctx.params.get<double>("low_percentile");
    options_.overlay_alpha = ctx.params.get<double>("overlay_alpha");
    options_.window = forced_window(ctx.params);
    options_.font = ctx.params.get<std::string>("font");
    preview::TextPainter check_font(options_.font);  // a missing font fails the setup, not every study
  }

  void process(const Inputs& in, Emitter& out) override {
    const auto& image = in.payload<Volume>("image");
    const auto& map = in.payload<Volume>("map");
    if (image.geometry.size != map.geometry.size)
      throw Error("preview: image and map are on different grids (sizes differ); give both on the original grid");
    if (map.voxels.ndim() != 3 || map.voxels.dtype() != DType::float32)
      throw Error("preview: the map must be a one-channel float32 volume");
    const auto montage = preview::make_montage(reader(image, "image"), map.voxels.data<float>(), image.geometry, options_);
    const auto folder = dir_ / sanitize_filename(in.study().id);
    std::filesystem::create_directories(folder);
    const auto file = folder / (sanitize_filename(name_) + ".png");
    preview::write_png(montage.image, file);
    out.record_output(file);
  }

 private:
  std::filesystem::path dir_;
  std::string name_;
  preview::MontageOptions options_;
};

SCREENER_PLUGIN(PreviewWriter, "preview_writer", "2.0.0",
                "PNG of the map's hottest regions (axial, coronal, sagittal views each) over the CT, with a colour bar")
