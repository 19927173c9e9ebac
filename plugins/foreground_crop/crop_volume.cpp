#include "crop_volume.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "screener/error.h"

namespace screener::foreground_crop {

namespace {
std::string shape_text(const Index3& s) {
  std::ostringstream o;
  o << s[0] << "x" << s[1] << "x" << s[2];
  return o.str();
}

template <class T> std::optional<Box> box_of(const Volume& in, const Index3& block, double threshold) {
  return foreground_box(in.voxels.data<T>(), in.geometry.size, block, threshold);
}

template <class T> void set_outside(T* voxels, const std::vector<uint8_t>& body, T air) {
  for (std::size_t i = 0; i < body.size(); ++i)
    if (!body[i]) voxels[i] = air;
}

template <class T> std::vector<uint8_t> mask_of(const Volume& in, double threshold, BodyBorder border) {
  return body_mask(in.voxels.data<T>(), in.geometry.size, threshold, border);
}
}  // namespace

CropResult crop_to_foreground(const Volume& in, const CropOptions& options, const std::string& stage_id,
                              const std::string& study_id) {
  const Index3& size = in.geometry.size;
  const Tensor& voxels = in.voxels;
  if (voxels.shape() != Tensor::Shape{size[0], size[1], size[2]})
    throw InputError("study " + study_id + ": foreground_crop expects one-channel voxels shaped like the grid (" +
                     shape_text(size) + ")");
  const DType dtype = voxels.dtype();
  if (dtype != DType::float32 && dtype != DType::int16)
    throw InputError("study " + study_id + ": foreground_crop takes float32 or int16 voxels, got " + dtype_name(dtype));

  const Index3 block = block_size(in.geometry.spacing, options.block_mm);
  const auto box = dtype == DType::int16 ? box_of<int16_t>(in, block, options.threshold_hu)
                                         : box_of<float>(in, block, options.threshold_hu);
  if (!box) {
    std::ostringstream msg;
    msg << "study " << study_id << ": no foreground: no block of " << shape_text(block) << " voxels ("
        << options.block_mm << " mm) of the " << shape_text(size) << " volume is entirely >= " << options.threshold_hu
        << " HU";
    throw InputError(msg.str());
  }

  CropResult result;
  result.box = *box;
  const Geometry grid = in.geometry.sub_grid(box->start, box->size);
  const Tensor::Shape shape{box->size[0], box->size[1], box->size[2]};
  Tensor cropped = Tensor::zeros(shape, dtype);
  copy_box(voxels.raw(), size, *box, dtype_size(dtype), cropped.raw());

  if (options.body_mask || options.air_outside_body) {
    // On the whole volume: "the border" is the scanned volume's, not the box's.
    const auto body = dtype == DType::int16 ? mask_of<int16_t>(in, options.threshold_hu, options.body_border)
                                            : mask_of<float>(in, options.threshold_hu, options.body_border);
    std::vector<uint8_t> in_box(std::size_t(box->size[0] * box->size[1] * box->size[2]));
    copy_box(body.data(), size, *box, 1, in_box.data());
    outline_body(in_box, box->size, grid.spacing, options.outline);
    if (options.air_outside_body) {
      if (dtype == DType::int16) set_outside(cropped.data<int16_t>(), in_box, int16_t(std::lround(options.air_hu)));
      else set_outside(cropped.data<float>(), in_box, float(options.air_hu));
    }
    if (options.body_mask) {
      Tensor mask = Tensor::zeros(shape, DType::uint8);
      std::copy(in_box.begin(), in_box.end(), mask.data<uint8_t>());
      result.body_mask = in.derive(stage_id, "body_mask", grid, std::move(mask));
    }
  }
  result.volume = in.derive(stage_id, "crop", grid, std::move(cropped));
  return result;
}

}  // namespace screener::foreground_crop
