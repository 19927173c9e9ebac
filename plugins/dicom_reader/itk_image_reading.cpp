#include "itk_image_reading.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attribute_checks.h"
#include "itk_images.h"
#include "screener/error.h"

namespace screener::dicom {

namespace {

bool fits_int16(const float* values, std::size_t count) {
  return std::all_of(values, values + count, [](float v) {
    return v == std::nearbyint(v) && v >= std::numeric_limits<int16_t>::min() &&
           v <= std::numeric_limits<int16_t>::max();
  });
}

}  // namespace

std::shared_ptr<Volume> read_itk_image(const std::filesystem::path& file, int64_t max_voxels) {
  using Image = itk::Image<float, 3>;
  // The header's grid is checked before the voxels are allocated and read.
  const auto io = itk_support::read_image_information(file);
  const Geometry claimed = itk_support::geometry_of(*io);
  if (const std::string problem = geometry_problem(claimed); !problem.empty())
    throw InputError("'" + file.string() + "': unusable grid: " + problem);
  if (voxel_count(claimed.size[0], claimed.size[1], claimed.size[2]) > max_voxels)
    throw InputError("'" + file.string() + "': " + std::to_string(claimed.size[0]) + " x " +
                     std::to_string(claimed.size[1]) + " x " + std::to_string(claimed.size[2]) +
                     " voxels exceed max_voxels " + std::to_string(max_voxels));
  const auto image = itk_support::read_image<Image>(file, io);
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
