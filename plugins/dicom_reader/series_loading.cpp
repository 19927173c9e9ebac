#include "series_loading.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "pixel_decoding.h"
#include "screener/error.h"

namespace screener::dicom {

namespace {

// Collects HU values as int16 until one does not fit exactly, then switches
// the whole buffer to float32.
class HuBuffer {
 public:
  explicit HuBuffer(const Index3& size) : size_(size), shape_{size[0], size[1], size[2]} {
    voxels_ = Tensor::zeros(shape_, DType::int16);
    as_int16_ = voxels_.data<int16_t>();
  }

  // Slices k0 .. k0+count-1, each in DICOM order (row by row), into the
  // slice-fastest layout. Tiles of columns x rows keep both the reads and the
  // runs of `count` consecutive writes in cache.
  void put_slices(const float* slices, int64_t k0, int64_t count, bool fit_int16) {
    if (!fit_int16 && as_int16_) switch_to_float();
    if (as_int16_) scatter(slices, k0, count, as_int16_);
    else scatter(slices, k0, count, as_float_);
  }
  Tensor take() { return std::move(voxels_); }

 private:
  template <class T> void scatter(const float* slices, int64_t k0, int64_t count, T* out) const {
    const int64_t columns = size_[0], rows = size_[1], depth = size_[2], plane = rows * columns;
    constexpr int64_t kTile = 16;
    for (int64_t c0 = 0; c0 < columns; c0 += kTile)
      for (int64_t r0 = 0; r0 < rows; r0 += kTile)
        for (int64_t c = c0; c < std::min(c0 + kTile, columns); ++c)
          for (int64_t r = r0; r < std::min(r0 + kTile, rows); ++r) {
            T* dst = out + (c * rows + r) * depth + k0;
            const float* src = slices + r * columns + c;
            for (int64_t kk = 0; kk < count; ++kk) dst[kk] = static_cast<T>(src[kk * plane]);
          }
  }
  void switch_to_float() {
    Tensor floats = Tensor::zeros(shape_, DType::float32);
    float* dst = floats.data<float>();
    for (int64_t i = 0; i < floats.numel(); ++i) dst[i] = float(as_int16_[i]);
    voxels_ = std::move(floats);
    as_float_ = dst;
    as_int16_ = nullptr;
  }
  Index3 size_;
  Tensor::Shape shape_;
  Tensor voxels_;
  int16_t* as_int16_ = nullptr;
  float* as_float_ = nullptr;
};

bool is_padding(int32_t stored, const DicomHeader& h) {
  if (!h.padding_value) return false;
  if (!h.padding_range_limit) return stored == *h.padding_value;
  const auto [lo, hi] = std::minmax(*h.padding_value, *h.padding_range_limit);
  return stored >= lo && stored <= hi;
}

}  // namespace

std::shared_ptr<Volume> load_dicom_series(const std::vector<std::filesystem::path>& files, const LoadOptions& options) {
  std::map<std::filesystem::path, DicomHeader> headers;
  int64_t voxels = 0;
  for (auto& reading : read_dicom_headers(files)) {
    if (!reading.header) throw InputError(reading.error);
    DicomHeader& header = *reading.header;
    const int64_t in_file = voxel_count(header.rows, header.columns, header.frames);
    voxels = in_file > std::numeric_limits<int64_t>::max() - voxels ? std::numeric_limits<int64_t>::max() : voxels + in_file;
    if (voxels > options.max_voxels)
      throw InputError("more than max_voxels " + std::to_string(options.max_voxels) + " voxels (at '" +
                       header.file.string() + "', " + std::to_string(header.columns) + " x " + std::to_string(header.rows) +
                       " x " + std::to_string(header.frames) + "); raise max_voxels to read the series");
    headers.emplace(header.file, std::move(header));
  }
  std::vector<Slice> slices;
  for (const auto& [file, header] : headers)
    for (int f = 0; f < header.frames; ++f)
      slices.push_back({header.file, f, header.rows, header.columns, header.sop_instance_uid, header.frame_info.at(f)});
  const SliceStack stack = stack_slices(std::move(slices), options.stack);
  const Geometry& g = stack.geometry;
  if (const std::string problem = geometry_problem(g); !problem.empty())
    throw InputError("the slices give an unusable grid: " + problem);

  // Each file is decoded once, also when its frames are spread over the stack.
  // Slices go through in sorted order, a block at a time: HU computed row by
  // row into a slice-major scratch block, then scattered into the volume. A
  // file is decoded once while its frames are consecutive (multi-frame files).
  constexpr int64_t kBlock = 16;
  const int64_t columns = g.size[0], rows = g.size[1], depth = g.size[2], plane = rows * columns;
  HuBuffer hu(g.size);
  std::vector<float> block(std::size_t(std::min(kBlock, depth) * plane));
  std::filesystem::path decoded_file;
  std::vector<int32_t> decoded;
  for (int64_t k0 = 0; k0 < depth; k0 += kBlock) {
    const int64_t count = std::min(kBlock, depth - k0);
    bool fit_int16 = true;
    for (int64_t kk = 0; kk < count; ++kk) {
      const Slice& slice = stack.slices[k0 + kk];
      const DicomHeader& h = headers.at(slice.file);
      if (slice.file != decoded_file) {
        decoded = decode_stored_values(h);
        decoded_file = slice.file;
      }
      const int32_t* frame = decoded.data() + int64_t(slice.frame) * plane;
      float* dst = block.data() + kk * plane;
      for (int64_t i = 0; i < plane; ++i) {
        const double v = is_padding(frame[i], h) ? options.padding_hu : double(frame[i]) * slice.info.slope + slice.info.intercept;
        fit_int16 = fit_int16 && v == std::nearbyint(v) && v >= std::numeric_limits<int16_t>::min() &&
                    v <= std::numeric_limits<int16_t>::max();
        dst[i] = static_cast<float>(v);
      }
    }
    hu.put_slices(block.data(), k0, count, fit_int16);
  }

  auto volume = std::make_shared<Volume>();
  volume->geometry = g;
  volume->voxels = hu.take();
  volume->history = {{"", "read", g}};
  return volume;
}

}  // namespace screener::dicom
