// Our volumes and ITK images. ITK dimension d is our axis d (same size,
// spacing, origin and direction column); ITK's buffer has dimension 0
// fastest where ours has axis 2 fastest, so voxels cross in a transpose.
#pragma once
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageIOBase.h>

#include <algorithm>
#include <filesystem>

#include "screener/error.h"
#include "screener/geometry.h"

namespace screener::itk_support {

// NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or MetaImage (.mha, .mhd), chosen
// by the file name (any case). Throws InputError for any other name.
itk::ImageIOBase::Pointer image_io_for(const std::filesystem::path& file);

// image_io_for(file) with the header read. Throws InputError naming the file
// when it cannot be read or is not a one-channel 2-D or 3-D image.
itk::ImageIOBase::Pointer read_image_information(const std::filesystem::path& file);

// The grid a header describes; a 2-D image is one slice, spacing 1.
Geometry geometry_of(const itk::ImageIOBase& io);

template <class Image> Geometry geometry_of(const Image& image) {
  Geometry g;
  const auto size = image.GetLargestPossibleRegion().GetSize();
  for (unsigned d = 0; d < 3; ++d) {
    g.size[d] = int64_t(size[d]);
    g.spacing[d] = image.GetSpacing()[d];
    g.origin[d] = image.GetOrigin()[d];
    for (unsigned r = 0; r < 3; ++r) g.direction[r][d] = image.GetDirection()[r][d];
  }
  return g;
}

// A new image on grid `g`, its buffer allocated.
template <class Image> typename Image::Pointer allocate_image(const Geometry& g) {
  auto image = Image::New();
  typename Image::RegionType region;
  typename Image::SizeType size;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  typename Image::DirectionType direction;
  for (unsigned d = 0; d < 3; ++d) {
    size[d] = itk::SizeValueType(g.size[d]);
    spacing[d] = g.spacing[d];
    origin[d] = g.origin[d];
    for (unsigned r = 0; r < 3; ++r) direction[r][d] = g.direction[r][d];
  }
  region.SetSize(size);
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  return image;
}

// Reads `file` through `io` (from read_image_information) as an Image.
// Throws InputError naming the file.
template <class Image>
typename Image::Pointer read_image(const std::filesystem::path& file, itk::ImageIOBase::Pointer io) {
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetImageIO(io);
  reader->SetFileName(file.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw InputError("cannot read '" + file.string() + "': " + e.GetDescription());
  }
  typename Image::Pointer image = reader->GetOutput();
  return image;
}

// Calls visit(our index, ITK index) for every voxel of a grid of size n, in
// tiles so that both sides' cache lines are read or written once.
template <class Visit> void for_each_voxel_pair(const Index3& n, Visit visit) {
  constexpr int64_t kTile = 16;
  const int64_t plane = n[0] * n[1];
  for (int64_t a0 = 0; a0 < n[0]; a0 += kTile)
    for (int64_t c0 = 0; c0 < n[2]; c0 += kTile) {
      const int64_t a1 = std::min(n[0], a0 + kTile), c1 = std::min(n[2], c0 + kTile);
      for (int64_t b = 0; b < n[1]; ++b)
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t ours = (a * n[1] + b) * n[2], theirs = a + n[0] * b;
          for (int64_t c = c0; c < c1; ++c) visit(ours + c, theirs + c * plane);
        }
    }
}

// dst (ours) = convert(src (ITK's)) voxel by voxel.
template <class In, class Out, class Convert>
void from_itk_order(const In* src, Out* dst, const Index3& n, Convert convert) {
  for_each_voxel_pair(n, [&](int64_t ours, int64_t theirs) { dst[ours] = convert(src[theirs]); });
}

template <class T> void to_itk_order(const T* src, T* dst, const Index3& n) {
  for_each_voxel_pair(n, [&](int64_t ours, int64_t theirs) { dst[theirs] = src[ours]; });
}

}  // namespace screener::itk_support
