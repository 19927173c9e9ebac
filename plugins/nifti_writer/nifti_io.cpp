#include "nifti_io.h"

#include <itkImageFileWriter.h>
#include <itkNiftiImageIO.h>

#include "itk_images.h"
#include "screener/files.h"

namespace screener::nifti {

namespace {

template <class T> void write_as(const Volume& v, const std::filesystem::path& file) {
  using Image = itk::Image<T, 3>;
  auto image = itk_support::allocate_image<Image>(v.geometry);
  itk_support::to_itk_order(v.voxels.data<T>(), image->GetBufferPointer(), v.geometry.size);

  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetImageIO(itk::NiftiImageIO::New());
  writer->SetInput(image);
  writer->SetUseCompression(true);
  writer->SetFileName(file.string());
  writer->Update();
}

}  // namespace

void write_volume(const Volume& volume, const std::filesystem::path& file) {
  if (volume.voxels.ndim() != 3) throw Error("nifti: only one-channel volumes {H, W, S} can be written");
  write_atomically(file, [&](const std::filesystem::path& tmp) {
    try {
      switch (volume.voxels.dtype()) {
        case DType::float32: write_as<float>(volume, tmp); break;
        case DType::int16: write_as<int16_t>(volume, tmp); break;
        case DType::uint8: write_as<uint8_t>(volume, tmp); break;
        default: throw Error(std::string("nifti: cannot write ") + dtype_name(volume.voxels.dtype()) + " voxels");
      }
    } catch (const itk::ExceptionObject& e) {
      throw Error("cannot write '" + file.string() + "': " + e.GetDescription());
    }
  });
}

Volume read_volume(const std::filesystem::path& file) {
  const auto image = itk_support::read_image<itk::Image<float, 3>>(file, itk::NiftiImageIO::New().GetPointer());
  Volume v;
  v.geometry = itk_support::geometry_of(*image);
  const auto& n = v.geometry.size;
  v.voxels = Tensor::zeros({n[0], n[1], n[2]}, DType::float32);
  itk_support::from_itk_order(image->GetBufferPointer(), v.voxels.data<float>(), n, [](float x) { return x; });
  return v;
}

}  // namespace screener::nifti
