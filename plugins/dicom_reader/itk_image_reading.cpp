#include "itk_image_reading.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "itk_images.h"

namespace screener::dicom {

namespace {

bool fits_int16(const float* values, std::size_t count) {
  return std::all_of(values, values + count, [](float v) {
    return v == std::nearbyint(v) && v >= std::numeric_limits<int16_t>::min() &&
           v <= std::numeric_limits<int16_t>::max();
  });
}

}  // namespace

std::shared_ptr<Volume> read_itk_image(const std::filesystem::path& file) {
  using Image = itk::Image<float, 3>;
  const auto image = itk_support::read_image<Image>(file, itk_support::read_image_information(file));
  const Geometry g = itk_support::geometry_of(*image);
  auto volume = std::make_shared<Volume>();
  volume->geometry = g;
  const float* src = image->GetBufferPointer();
  if (fits_int16(src, std::size_t(g.voxel_count()))) {
    volume->voxels = Tensor::zeros({g.size[0], g.size[1], g.size[2]}, DType::int16);
    itk_support::from_itk_order(src, volume->voxels.data<int16_t>(), g.size, [](float v) { return int16_t(v); });
  } else {
    volume->voxels = Tensor::zeros({g.size[0], g.size[1], g.size[2]}, DType::float32);
    itk_support::from_itk_order(src, volume->voxels.data<float>(), g.size, [](float v) { return v; });
  }
  volume->history = {{"", "read", g}};
  return volume;
}

}  // namespace screener::dicom
