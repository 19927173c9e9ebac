// A synthetic chest/abdomen CT in Hounsfield units: body with fat layer,
// lungs, mediastinum, aorta, spine, liver, kidneys, a circular field of view
// padded with -2048, scanner noise, and patient-to-patient variation drawn
// from a seed. Optional lesions for demos, tests and benchmarks, cycling through
// four kinds: hypodense liver lesion, solid lung nodule, ground-glass opacity
// (soft-edged), MOOD-style sphere of a uniform random intensity in the body.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "screener/geometry.h"

namespace screener::phantom {

struct PhantomOptions {
  Index3 size{256, 256, 96};
  Vec3 spacing{1.5, 1.5, 2.5};  // a 384 mm field of view, like a body CT
  uint64_t seed = 0;
  int lesions = 0;
  double noise_hu = 12.0;
  double air_hu = -1000;  // outside the body, inside the field of view
  // A curved carbon-fibre table under the patient's back: dense skins around
  // a foam core, cut by the field of view at its sides, 2 to 10 mm below the
  // back (a pad, as dense as air). Not part of the body.
  bool couch = false;
  // Subcutaneous fat under the skin, mm; negative: the classic layer
  // (about 15 mm, a tenth of the body's half-axes).
  double fat_mm = -1;
  // Patient-to-patient variety of what the classic phantom keeps fixed, for
  // training sets: body outline (up to 8% wider or deeper), fat layer (0 to
  // 22 mm unless fat_mm is set), a skin layer (0 to 2.5 mm of 10 to 60 HU),
  // soft tissue (15 to 60 HU), noise (0 to 1.8 times noise_hu), air (-1024
  // to -985 HU), and a table under half of the patients. Drawn after
  // everything else: a seed gives the same organs and lesions with or without it.
  bool variety = false;
};

struct Lesion {
  std::string kind;  // liver_hypodense, lung_nodule, ground_glass, sphere
  Vec3 centre_mm;
  double radius_mm;
  double hu;
  double soft_edge_mm = 0;  // blended into its surroundings over this width
};

struct PhantomCT {
  Geometry geometry;
  std::vector<int16_t> hu;  // C order, axis 2 fastest
  std::vector<uint8_t> lesion_mask;
  std::vector<uint8_t> body_mask;  // the patient (inside the field of view): 1
  std::vector<Lesion> lesions;
};

PhantomCT make_phantom(const PhantomOptions& options);

// Pastes `count` AnatPaste-style anomalies (plugins/anatpaste_support) into
// the body, drawn from `seed`; adds the voxels whose HU changed to lesion_mask.
void paste_anomalies(PhantomCT& ct, int count, uint64_t seed);

}  // namespace screener::phantom
