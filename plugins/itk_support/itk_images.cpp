#include "itk_images.h"

#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <itkNrrdImageIO.h>

#include <cctype>
#include <string>
#include <vector>

namespace screener::itk_support {

itk::ImageIOBase::Pointer image_io_for(const std::filesystem::path& file) {
  std::string name = file.filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const auto has = [&](const std::string& ext) {
    return name.size() >= ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (has(".nii") || has(".nii.gz")) return itk::NiftiImageIO::New().GetPointer();
  if (has(".nrrd") || has(".nhdr")) return itk::NrrdImageIO::New().GetPointer();
  if (has(".mha") || has(".mhd")) return itk::MetaImageIO::New().GetPointer();
  throw InputError("'" + file.string() + "' is not a NIfTI, NRRD or MetaImage file");
}

itk::ImageIOBase::Pointer read_image_information(const std::filesystem::path& file) {
  auto io = image_io_for(file);
  io->SetFileName(file.string());
  try {
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw InputError("cannot read '" + file.string() + "': " + e.GetDescription());
  }
  if (io->GetNumberOfDimensions() > 3 || io->GetNumberOfComponents() != 1)
    throw InputError("'" + file.string() + "' is not a one-channel 2-D or 3-D image");
  return io;
}

Geometry geometry_of(const itk::ImageIOBase& io) {
  Geometry g;
  const unsigned dims = io.GetNumberOfDimensions();
  for (unsigned d = 0; d < 3; ++d) {
    g.size[d] = d < dims ? int64_t(io.GetDimensions(d)) : 1;
    g.spacing[d] = d < dims ? io.GetSpacing(d) : 1.0;
    g.origin[d] = d < dims ? io.GetOrigin(d) : 0.0;
    for (unsigned r = 0; r < 3; ++r) {
      const auto column = d < dims ? io.GetDirection(d) : std::vector<double>();
      g.direction[r][d] = d < dims ? (r < column.size() ? column[r] : 0.0) : (r == d ? 1.0 : 0.0);
    }
  }
  return g;
}

}  // namespace screener::itk_support
