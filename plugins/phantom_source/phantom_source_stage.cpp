// A source of synthetic CT studies: --input phantom:N[:SEED] gives N studies.
#include <cstring>

#include "phantom.h"
#include "screener/screener.h"

using namespace screener;

namespace {
std::shared_ptr<Volume> as_volume(const Geometry& g, const void* data, DType dtype) {
  auto v = std::make_shared<Volume>();
  v->geometry = g;
  v->voxels = Tensor::zeros({g.size[0], g.size[1], g.size[2]}, dtype);
  std::memcpy(v->voxels.raw(), data, v->voxels.nbytes());
  v->history.push_back({"", "read", g});
  return v;
}
}  // namespace

class PhantomSource final : public SourceStage {
 public:
  static void setup(StageSpec& spec) {
    spec.output("volume", payload_type::volume, "CT in HU (int16), padding -2048 outside the field of view");
    spec.output("lesion_mask", payload_type::volume,
                "Ground truth (uint8): the inserted lesions and the voxels the AnatPaste anomalies changed");
    spec.param("size", ParamType::integer_list, Json{256, 256, 96}, "Voxels (H, W, S)").length(3).range(8, 1024);
    spec.param("spacing", ParamType::number_list, Json{1.5, 1.5, 2.5}, "Nominal spacing in mm; in-plane varies ±10%")
        .length(3)
        .range(0.1, 10);
    spec.integer("lesions", 0, "Lesions per study (liver and lung, alternating)").range(0, 50);
    spec.number("noise_hu", 12.0, "Standard deviation of the scanner noise in HU").range(0, 200);
    spec.flag("couch", false, "A carbon-fibre table under the patient's back (not part of the body)");
    spec.flag("variety", false,
              "Patient-to-patient variety of body outline, fat and skin layers, soft tissue, noise, air and table "
              "(training sets); the same seed keeps its organs and lesions");
    spec.integer("anatpaste", 0,
                 "AnatPaste-style anomalies pasted per study after the lesions (plugins/anatpaste_support: a 10-40 mm "
                 "box of the study itself, jittered, pasted through a blurred ellipsoid or box of random opacity "
                 "inside the body); their mask is exactly the voxels whose HU changed")
        .range(0, 50);
    spec.concurrency(Concurrency::limited(2));
  }

  explicit PhantomSource(const StageContext& ctx) {
    const auto size = ctx.params.get<std::vector<int64_t>>("size");
    const auto spacing = ctx.params.get<std::vector<double>>("spacing");
    options_.size = {size[0], size[1], size[2]};
    options_.spacing = {spacing[0], spacing[1], spacing[2]};
    options_.lesions = int(ctx.params.get<int64_t>("lesions"));
    options_.noise_hu = ctx.params.get<double>("noise_hu");
    options_.couch = ctx.params.get<bool>("couch");
    options_.variety = ctx.params.get<bool>("variety");
    anatpaste_ = int(ctx.params.get<int64_t>("anatpaste"));
  }

  std::vector<StudyEntry> discover(const std::string& input, const std::function<void(const std::string&)>&) override {
    const std::string prefix = "phantom:";
    if (input.rfind(prefix, 0) != 0) throw Error("expected phantom:N or phantom:N:SEED");
    const std::string rest = input.substr(prefix.size());
    const auto colon = rest.find(':');
    int64_t count = 0;
    uint64_t seed = 0;
    try {
      count = std::stoll(rest.substr(0, colon));
      if (colon != std::string::npos) seed = std::stoull(rest.substr(colon + 1));
    } catch (const std::exception&) {
      throw Error("expected phantom:N or phantom:N:SEED, got '" + input + "'");
    }
    if (count < 1 || count > 1000000) throw Error("phantom: the number of studies must be in [1, 1000000]");
    std::vector<StudyEntry> out;
    for (int64_t i = 0; i < count; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "phantom-%04lld", static_cast<long long>(i));
      out.push_back({id, input, Json{{"PatientID", id}, {"seed", seed + uint64_t(i)}}, Json(seed + uint64_t(i))});
    }
    return out;
  }

  void load(const StudyEntry& entry, Emitter& out) override {
    auto options = options_;
    options.seed = entry.locator.get<uint64_t>();
    auto ct = phantom::make_phantom(options);
    if (anatpaste_ > 0) paste_anomalies(ct, anatpaste_, options.seed);
    out.emit("volume", as_volume(ct.geometry, ct.hu.data(), DType::int16));
    out.emit("lesion_mask", as_volume(ct.geometry, ct.lesion_mask.data(), DType::uint8));
  }

 private:
  phantom::PhantomOptions options_;
  int anatpaste_ = 0;
};

SCREENER_PLUGIN(PhantomSource, "phantom_source", "1.0.0",
                "Synthetic CT studies (body, lungs, organs, noise, optional lesions) for demos and tests")
