#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "nifti_io.h"
#include "npy.h"
#include "temp_dir.h"

using namespace screener;
namespace fs = std::filesystem;

namespace {
Volume oblique_volume() {
  Volume v;
  auto& g = v.geometry;
  g.size = {7, 5, 4};
  g.spacing = {0.7, 0.8, 2.5};
  g.origin = {-120.5, 33.25, 410};
  const double c = std::cos(0.2), s = std::sin(0.2);
  g.direction = {{{c, 0, s}, {0, 1, 0}, {-s, 0, c}}};  // gantry-tilt-like
  v.voxels = Tensor::zeros({7, 5, 4}, DType::float32);
  float* p = v.voxels.data<float>();
  for (int i = 0; i < 140; ++i) p[i] = float(i) * 0.5f - 3.0f;
  return v;
}

using screener::test::TempDir;
}  // namespace

TEST(Nifti, NibabelReadsTheSameAffineAndArray) {
  TempDir dir;
  const Volume v = oblique_volume();
  nifti::write_volume(v, dir.path() / "v.nii.gz");
  test::run_python(PLUGIN_TEST_DIR "/nibabel_oracle.py", {(dir.path() / "v.nii.gz").string(),
                                                          (dir.path() / "a.npy").string(), (dir.path() / "d.npy").string()});
  const auto affine = test::load_npy(dir.path() / "a.npy").as_double();
  const auto data = test::load_npy(dir.path() / "d.npy");
  // nibabel's affine is RAS: LPS rows x and y change sign.
  const auto& g = v.geometry;
  for (int r = 0; r < 3; ++r) {
    const double flip = r < 2 ? -1.0 : 1.0;
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(affine[std::size_t(r * 4 + k)], flip * g.direction[r][k] * g.spacing[k], 1e-5);
    EXPECT_NEAR(affine[std::size_t(r * 4 + 3)], flip * g.origin[r], 1e-4);
  }
  ASSERT_EQ(data.shape, (std::vector<int64_t>{7, 5, 4}));
  const auto values = data.as_double();
  const float* ours = v.voxels.data<float>();
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_FLOAT_EQ(float(values[i]), ours[i]) << i;
}

TEST(Nifti, ItkReadsBackTheGeometry) {
  TempDir dir;
  const Volume v = oblique_volume();
  nifti::write_volume(v, dir.path() / "v.nii.gz");
  const Volume back = nifti::read_volume(dir.path() / "v.nii.gz");
  EXPECT_EQ(back.geometry.size, v.geometry.size);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(back.geometry.spacing[k], v.geometry.spacing[k], 1e-5);
    EXPECT_NEAR(back.geometry.origin[k], v.geometry.origin[k], 1e-4);
    for (int r = 0; r < 3; ++r) EXPECT_NEAR(back.geometry.direction[r][k], v.geometry.direction[r][k], 1e-5);
  }
  for (int i = 0; i < 140; ++i) ASSERT_FLOAT_EQ(back.voxels.data<float>()[i], v.voxels.data<float>()[i]);
  for (auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path().filename(), "v.nii.gz");
}

TEST(Nifti, UnwritableTargetLeavesNothingBehind) {
  TempDir dir;
  EXPECT_THROW(nifti::write_volume(oblique_volume(), dir.path() / "no-such-dir" / "v.nii.gz"), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}
