#include "series_metadata.h"

#include <algorithm>
#include <cstdio>

#include "dicom_json.h"
#include "screener/error.h"

namespace screener::dicomweb {

namespace {

template <std::size_t N>
std::optional<std::array<double, N>> fixed(const Json& dataset, const char* tag) {
  const auto values = dicom_numbers(dataset, tag);
  if (values.size() < N) return std::nullopt;
  std::array<double, N> out{};
  std::copy_n(values.begin(), N, out.begin());
  return out;
}

// Plane position, orientation and spacing of one frame of an enhanced
// multi-frame object: the per-frame item wins over the shared one.
dicom::FrameInfo functional_group_frame(const Json* per_frame, const Json* shared) {
  dicom::FrameInfo info;
  for (const Json* group : {shared, per_frame}) {
    if (!group) continue;
    if (const Json* p = dicom_item(*group, tag::PlanePositionSequence))
      if (auto v = fixed<3>(*p, tag::ImagePositionPatient)) info.position = *v;
    if (const Json* o = dicom_item(*group, tag::PlaneOrientationSequence))
      if (auto v = fixed<6>(*o, tag::ImageOrientationPatient)) info.orientation = *v;
    if (const Json* m = dicom_item(*group, tag::PixelMeasuresSequence))
      if (auto v = fixed<2>(*m, tag::PixelSpacing)) info.pixel_spacing = *v;
  }
  return info;
}

// dicom_reader's identity tags as DICOM JSON writes them ("00100010").
std::string json_tag(const dicom::IdentityTag& tag) {
  char text[9];
  std::snprintf(text, sizeof text, "%04X%04X", unsigned(tag.group), unsigned(tag.element));
  return text;
}

}  // namespace

dicom::DicomHeader header_from_metadata(const Json& ds, const std::string& instance_url) {
  dicom::DicomHeader h;
  h.file = instance_url;
  h.sop_class_uid = dicom_string(ds, tag::SOPClassUID);
  h.sop_instance_uid = dicom_string(ds, tag::SOPInstanceUID);
  h.study_uid = dicom_string(ds, tag::StudyInstanceUID);
  h.series_uid = dicom_string(ds, tag::SeriesInstanceUID);
  h.patient_id = dicom_string(ds, tag::PatientID);
  h.study_date = dicom_string(ds, tag::StudyDate);
  h.series_number = dicom_string(ds, tag::SeriesNumber);
  h.modality = dicom_string(ds, tag::Modality);
  h.series_description = dicom_string(ds, tag::SeriesDescription);
  h.study_description = dicom_string(ds, tag::StudyDescription);
  for (auto value : dicom_strings(ds, tag::ImageType)) {
    value.erase(std::remove(value.begin(), value.end(), ' '), value.end());
    h.image_type.push_back(value);
  }
  for (const auto& tag : dicom::identity_tags()) {
    std::string value = dicom_string(ds, json_tag(tag).c_str());
    if (!value.empty()) h.identity.emplace_back(tag.keyword, std::move(value));
  }
  h.rows = dicom_integer(ds, tag::Rows, 0);
  h.columns = dicom_integer(ds, tag::Columns, 0);
  h.frames = std::max(1, dicom_integer(ds, tag::NumberOfFrames, 1));
  // Declared sizes are a server's word: refused before anything is sized by them.
  if (h.frames > kMaxFramesPerInstance)
    throw InputError(instance_url + ": NumberOfFrames " + std::to_string(h.frames) + ", more than the limit of " +
                     std::to_string(kMaxFramesPerInstance));
  if (h.rows > 65535 || h.columns > 65535)
    throw InputError(instance_url + ": Rows x Columns " + std::to_string(h.rows) + " x " + std::to_string(h.columns) +
                     " (US values: at most 65535)");
  h.samples_per_pixel = dicom_integer(ds, tag::SamplesPerPixel, 1);
  h.bits_allocated = dicom_integer(ds, tag::BitsAllocated, 0);
  h.bits_stored = dicom_integer(ds, tag::BitsStored, h.bits_allocated);
  h.high_bit = dicom_integer(ds, tag::HighBit, h.bits_stored - 1);
  h.pixel_representation = dicom_integer(ds, tag::PixelRepresentation, 0);

  // Positions serve selection only (the extent behind `series: largest`);
  // the loader reads them again from the retrieved files.
  if (dicom_values(ds, tag::PerFrameFunctionalGroupsSequence)) {
    const Json* shared = dicom_item(ds, tag::SharedFunctionalGroupsSequence);
    for (int f = 0; f < h.frames; ++f)
      h.frame_info.push_back(functional_group_frame(dicom_item(ds, tag::PerFrameFunctionalGroupsSequence, f), shared));
  } else {
    dicom::FrameInfo info;
    if (h.frames == 1) info.position = fixed<3>(ds, tag::ImagePositionPatient);
    info.orientation = fixed<6>(ds, tag::ImageOrientationPatient);
    info.pixel_spacing = fixed<2>(ds, tag::PixelSpacing);
    h.frame_info.assign(std::size_t(h.frames), info);
  }
  return h;
}

}  // namespace screener::dicomweb
