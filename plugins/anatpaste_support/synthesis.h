// AnatPaste-style synthetic anomalies in 3D (Sato et al., the authors'
// anatpaste.py, adapted to CT): a box cut from the volume itself, its
// brightness and contrast jittered, pasted centred on a random voxel of the
// body through an ellipsoid or a box, Gaussian-blurred, of random opacity,
// multiplied by the body mask. Deterministic: the same (volume, seed, options)
// gives the same result on any machine and thread count. No Torch, no ITK.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "screener/error.h"
#include "screener/geometry.h"

namespace screener::anatpaste {

struct SynthesisOptions {
  int patches = 1;  // anomalies pasted, one after the other
  // Side of the pasted box, mm: the cube root of its volume, drawn uniformly.
  // (The paper draws an area of 2-15 % of the radiograph; a CT study has no
  // fixed field, so sizes are absolute here.)
  std::array<double, 2> side_mm{7, 19};
  // Each axis's side is side × a factor; the factors' ratios lie in
  // [aspect, 1/aspect] (the paper's aspect_ratio 0.3, drawn in log space).
  double aspect = 0.3;
  // Peak opacity of the paste, uniform (the paper's mask value 150-254 / 255).
  std::array<double, 2> opacity{150.0 / 255.0, 1.0};
  // Gaussian blur of the shape's edge, σ as a fraction of the box's side per
  // axis, uniform (the paper: radius 0-14 px for 36-100 px patches).
  std::array<double, 2> blur{0.0, 0.15};
  // Brightness and contrast jitter of the patch (torchvision ColorJitter(0.1)
  // in the paper): factors uniform in [1 - jitter, 1 + jitter], applied to
  // intensities mapped from `intensity_range` to [0, 1] and clamped there.
  double jitter = 0.1;
  std::array<double, 2> intensity_range{0.0, 1.0};
};

struct PastedAnomaly {
  std::string shape;                   // "ellipsoid" or "box"
  Index3 source{}, centre{}, extent{};  // voxels: the source box's corner, the paste's centre, the box's sides
  double opacity = 0, blur = 0, brightness = 1, contrast = 1;
};

struct SynthesisResult {
  std::vector<float> volume;
  // 1 exactly where `volume` differs from the input (bit for bit); 0 elsewhere.
  std::vector<uint8_t> mask;
  std::vector<PastedAnomaly> anomalies;
};

// `volume` and `body` (nonzero inside the body) are C-order grids of `size`
// (axis 2 fastest) with voxel `spacing` in mm. Only voxels of the body change.
// A body with no voxel gives the volume back unchanged. Throws on a size that
// does not match the arrays or on invalid options.
SynthesisResult synthesise(const std::vector<float>& volume, const std::vector<uint8_t>& body, const Index3& size,
                           const Vec3& spacing, const SynthesisOptions& options, uint64_t seed);

// Rounds a synthesised HU volume back to int16 and recomputes the mask as the
// voxels whose int16 value changed (what a DICOM series of the result holds).
struct SynthesisHU {
  std::vector<int16_t> hu;
  std::vector<uint8_t> mask;
  std::vector<PastedAnomaly> anomalies;
};
// What test sets of whole CT studies use: boxes of 10-40 mm, jitter in the
// window [-1000, 300] HU.
SynthesisOptions study_options(int patches);

SynthesisHU synthesise_hu(const std::vector<int16_t>& hu, const std::vector<uint8_t>& body, const Index3& size,
                          const Vec3& spacing, const SynthesisOptions& options, uint64_t seed);

}  // namespace screener::anatpaste
