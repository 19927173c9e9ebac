#include "volume_reading.h"

#include <nifti1_io.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <type_traits>
#include <memory>
#include <string>
#include <vector>

#include "itk_images.h"
#include "screener/error.h"

namespace screener::eval_pairs {

namespace {

std::string lower_name(const std::filesystem::path& file) {
  std::string name = file.filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return name;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A volume as read: on grid `g`, its history starting there.
std::shared_ptr<Volume> read_volume(const Geometry& g, Tensor voxels) {
  auto volume = std::make_shared<Volume>();
  volume->geometry = g;
  volume->voxels = std::move(voxels);
  volume->history = {{"", "read", g}};
  return volume;
}

// Reads `file` as an ITK image of pixel type T and hands it to `take`, which
// copies what it needs; the ITK buffer is released on return.
template <class T, class Take>
std::shared_ptr<Volume> read_as(const std::filesystem::path& file, itk::ImageIOBase::Pointer io, Take take) {
  const auto image = itk_support::read_image<itk::Image<T, 3>>(file, io);
  const Geometry g = itk_support::geometry_of(*image);
  return read_volume(g, take(image->GetBufferPointer(), g.size));
}

template <class T> std::shared_ptr<Volume> read_mask_as(const std::filesystem::path& file, itk::ImageIOBase::Pointer io) {
  return read_as<T>(file, io, [](const T* src, const Index3& n) {
    Tensor t = Tensor::zeros({n[0], n[1], n[2]}, DType::uint8);
    itk_support::from_itk_order(src, t.data<uint8_t>(), n, [](T v) { return uint8_t(v != T(0)); });
    return t;
  });
}

// ------------------------------------------------------------------ NIfTI
// NIfTI voxels are read slab by slab (16 slices) straight from the (gzip)
// stream into the transposed output, so a volume never exists twice in
// memory; the geometry comes from ITK's NiftiImageIO (header only), so it is
// exactly what ITK (and nifti_writer) make of the file.
bool is_nifti(const std::filesystem::path& file) {
  const std::string name = lower_name(file);
  return ends_with(name, ".nii") || ends_with(name, ".nii.gz");
}

struct NiftiDeleter {
  void operator()(nifti_image* nim) const { nifti_image_free(nim); }
};
struct ZnzCloser {
  void operator()(znzFile f) const { Xznzclose(&f); }
};

// Calls put(target index, value as double after scl_slope/scl_inter) for
// every voxel, in slabs of slices.
template <class Raw, class Put>
void stream_voxels(znzFile fp, const nifti_image& nim, const Index3& n, bool swap, int swapsize, bool rescale,
                   const std::filesystem::path& file, Put put) {
  constexpr int64_t kSlab = 16, kTile = 16;
  const int64_t plane = n[0] * n[1];
  std::vector<Raw> slab(std::size_t(plane * std::min(kSlab, n[2])));
  const double slope = nim.scl_slope, inter = nim.scl_inter;
  for (int64_t z0 = 0; z0 < n[2]; z0 += kSlab) {
    const int64_t nz = std::min(kSlab, n[2] - z0);
    const std::size_t count = std::size_t(plane * nz);
    if (znzread(slab.data(), sizeof(Raw), count, fp) != count)
      throw InputError("'" + file.string() + "' ends early: its voxels are truncated");
    if (swap) nifti_swap_Nbytes(count, swapsize, slab.data());
    for (int64_t a0 = 0; a0 < n[0]; a0 += kTile) {
      const int64_t a1 = std::min(n[0], a0 + kTile);
      for (int64_t b = 0; b < n[1]; ++b)
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t row = (a * n[1] + b) * n[2] + z0;
          const Raw* src = slab.data() + a + n[0] * b;
          for (int64_t c = 0; c < nz; ++c) {
            const double v = double(src[c * plane]);
            put(row + c, rescale ? v * slope + inter : v);
          }
        }
    }
  }
}

template <class Put>
Geometry read_nifti(const std::filesystem::path& file, Put&& put_factory) {
  auto io = itk_support::read_image_information(file);
  const Geometry g = itk_support::geometry_of(*io);
  std::unique_ptr<nifti_image, NiftiDeleter> nim(nifti_image_read(file.c_str(), 0));
  if (!nim) throw InputError("cannot read the NIfTI header of '" + file.string() + "'");
  if (int64_t(nim->nvox) != g.voxel_count() || nim->nx != g.size[0] || nim->ny != g.size[1] ||
      std::max(nim->nz, 1) != g.size[2])
    throw InputError("'" + file.string() + "' is not a one-channel 2-D or 3-D image");
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(nim->datatype, &nbyper, &swapsize);
  const bool swap = nim->byteorder != nifti_short_order() && swapsize > 1;
  // As ITK's NiftiImageIO: scaled unless the slope is 0, or 1 with intercept 0.
  const double eps = std::numeric_limits<double>::epsilon();
  const bool rescale = std::abs(double(nim->scl_slope)) > eps &&
                       (std::abs(double(nim->scl_slope) - 1.0) > eps || std::abs(double(nim->scl_inter)) > eps);
  std::unique_ptr<std::remove_pointer_t<znzFile>, ZnzCloser> fp(
      znzopen(nim->iname, "rb", nifti_is_gzfile(nim->iname)));
  if (znz_isnull(fp.get())) throw InputError("cannot open '" + file.string() + "'");
  if (znzseek(fp.get(), nim->iname_offset, SEEK_SET) < 0)
    throw InputError("'" + file.string() + "' ends before its voxels");
  auto put = put_factory(g);
  const auto stream = [&](auto raw) {
    using Raw = decltype(raw);
    stream_voxels<Raw>(fp.get(), *nim, g.size, swap, swapsize, rescale, file, put);
  };
  switch (nim->datatype) {
    case DT_UINT8: stream(uint8_t()); break;
    case DT_INT8: stream(int8_t()); break;
    case DT_INT16: stream(int16_t()); break;
    case DT_UINT16: stream(uint16_t()); break;
    case DT_INT32: stream(int32_t()); break;
    case DT_UINT32: stream(uint32_t()); break;
    case DT_INT64: stream(int64_t()); break;
    case DT_UINT64: stream(uint64_t()); break;
    case DT_FLOAT32: stream(float()); break;
    case DT_FLOAT64: stream(double()); break;
    default:
      throw InputError("'" + file.string() + "': NIfTI datatype " + std::to_string(nim->datatype) +
                       " is not a scalar voxel type");
  }
  return g;
}

}  // namespace

bool is_image_file(const std::filesystem::path& file) {
  const std::string name = lower_name(file);
  return ends_with(name, ".nii.gz") || ends_with(name, ".nii") || ends_with(name, ".nrrd") || ends_with(name, ".mha");
}

std::shared_ptr<Volume> read_map(const std::filesystem::path& file) {
  if (is_nifti(file)) {
    Tensor t;
    const Geometry g = read_nifti(file, [&](const Geometry& grid) {
      t = Tensor::zeros({grid.size[0], grid.size[1], grid.size[2]}, DType::float32);
      float* out = t.data<float>();
      return [out](int64_t i, double v) { out[i] = float(v); };
    });
    return read_volume(g, std::move(t));
  }
  auto io = itk_support::read_image_information(file);
  return read_as<float>(file, io, [](const float* src, const Index3& n) {
    Tensor t = Tensor::zeros({n[0], n[1], n[2]}, DType::float32);
    itk_support::from_itk_order(src, t.data<float>(), n, [](float v) { return v; });
    return t;
  });
}

std::shared_ptr<Volume> read_mask(const std::filesystem::path& file) {
  if (is_nifti(file)) {
    Tensor t;
    const Geometry g = read_nifti(file, [&](const Geometry& grid) {
      t = Tensor::zeros({grid.size[0], grid.size[1], grid.size[2]}, DType::uint8);
      uint8_t* out = t.data<uint8_t>();
      return [out](int64_t i, double v) { out[i] = uint8_t(v != 0.0); };
    });
    return read_volume(g, std::move(t));
  }
  auto io = itk_support::read_image_information(file);
  using C = itk::IOComponentEnum;
  switch (io->GetComponentType()) {
    case C::UCHAR: return read_mask_as<unsigned char>(file, io);
    case C::CHAR: return read_mask_as<signed char>(file, io);
    case C::USHORT: return read_mask_as<unsigned short>(file, io);
    case C::SHORT: return read_mask_as<short>(file, io);
    case C::UINT: return read_mask_as<unsigned int>(file, io);
    case C::INT: return read_mask_as<int>(file, io);
    case C::ULONG: return read_mask_as<unsigned long>(file, io);
    case C::LONG: return read_mask_as<long>(file, io);
    case C::ULONGLONG: return read_mask_as<unsigned long long>(file, io);
    case C::LONGLONG: return read_mask_as<long long>(file, io);
    case C::FLOAT: return read_mask_as<float>(file, io);
    case C::DOUBLE: return read_mask_as<double>(file, io);
    default: throw InputError("'" + file.string() + "': unsupported voxel type for a mask");
  }
}

}  // namespace screener::eval_pairs
