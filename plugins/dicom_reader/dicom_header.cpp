#include "dicom_header.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "screener/error.h"

namespace screener::dicom {

namespace {

// Keeps valid UTF-8 sequences and turns every other byte into '?': values go
// into JSON (study attributes, manifests), which must be UTF-8.
std::string valid_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

std::string text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  std::string s = value.c_str();
  const auto end = s.find_last_not_of(" \0", std::string::npos, 2);
  return end == std::string::npos ? std::string() : valid_utf8(s.substr(0, end + 1));
}

int integer(DcmItem& item, const DcmTagKey& tag, int fallback) {
  Uint16 u = 0;
  if (item.findAndGetUint16(tag, u).good()) return u;
  Sint32 s = 0;
  if (item.findAndGetSint32(tag, s).good()) return s;
  return fallback;
}

template <std::size_t N> std::optional<std::array<double, N>> numbers(DcmItem& item, const DcmTagKey& tag) {
  std::array<double, N> values{};
  for (std::size_t i = 0; i < N; ++i)
    if (item.findAndGetFloat64(tag, values[i], static_cast<unsigned long>(i)).bad()) return std::nullopt;
  return values;
}

std::optional<double> number(DcmItem& item, const DcmTagKey& tag) {
  Float64 value = 0;
  if (item.findAndGetFloat64(tag, value).bad()) return std::nullopt;
  return value;
}

// Pixel Padding Value and its range limit are US or SS depending on the pixel
// representation; in implicit VR files they may come back as either.
std::optional<int64_t> stored_value(DcmItem& item, const DcmTagKey& tag, int pixel_representation) {
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || !element || element->getLength() == 0) return std::nullopt;
  if (element->ident() == EVR_SS) {
    Sint16 s = 0;
    if (element->getSint16(s).good()) return s;
    return std::nullopt;
  }
  Uint16 u = 0;
  if (element->getUint16(u).bad()) return std::nullopt;
  return pixel_representation == 1 ? int64_t(int16_t(u)) : int64_t(u);
}

DcmItem* child(DcmItem* item, const DcmTagKey& sequence, unsigned long index = 0) {
  DcmItem* found = nullptr;
  if (!item || item->findAndGetSequenceItem(sequence, found, static_cast<signed long>(index)).bad()) return nullptr;
  return found;
}

// Reads the plane and value-transformation macros from one frame's functional
// group items: the per-frame item wins over the shared one.
FrameInfo functional_group_frame(DcmItem* per_frame, DcmItem* shared) {
  FrameInfo info;
  for (DcmItem* group : {shared, per_frame}) {
    if (!group) continue;
    if (auto* p = child(group, DCM_PlanePositionSequence)) {
      if (auto v = numbers<3>(*p, DCM_ImagePositionPatient)) info.position = *v;
    }
    if (auto* o = child(group, DCM_PlaneOrientationSequence)) {
      if (auto v = numbers<6>(*o, DCM_ImageOrientationPatient)) info.orientation = *v;
    }
    if (auto* m = child(group, DCM_PixelMeasuresSequence)) {
      if (auto v = numbers<2>(*m, DCM_PixelSpacing)) info.pixel_spacing = *v;
      if (auto v = number(*m, DCM_SpacingBetweenSlices)) info.spacing_between_slices = *v;
      if (auto v = number(*m, DCM_SliceThickness)) info.slice_thickness = *v;
    }
    if (auto* t = child(group, DCM_PixelValueTransformationSequence)) {
      if (auto v = number(*t, DCM_RescaleSlope)) info.slope = *v;
      if (auto v = number(*t, DCM_RescaleIntercept)) info.intercept = *v;
    }
  }
  return info;
}

DicomHeader header_from_dataset(DcmItem& ds, const std::filesystem::path& file, std::string transfer_syntax,
                                std::string media_storage_sop_class) {
  DicomHeader h;
  h.file = file;
  h.transfer_syntax = std::move(transfer_syntax);
  h.media_storage_sop_class = std::move(media_storage_sop_class);
  h.sop_class_uid = text(ds, DCM_SOPClassUID);
  h.sop_instance_uid = text(ds, DCM_SOPInstanceUID);
  h.study_uid = text(ds, DCM_StudyInstanceUID);
  h.series_uid = text(ds, DCM_SeriesInstanceUID);
  h.patient_id = text(ds, DCM_PatientID);
  h.study_date = text(ds, DCM_StudyDate);
  h.series_number = text(ds, DCM_SeriesNumber);
  h.modality = text(ds, DCM_Modality);
  h.series_description = text(ds, DCM_SeriesDescription);
  h.study_description = text(ds, DCM_StudyDescription);
  for (unsigned long i = 0;; ++i) {
    OFString value;
    if (ds.findAndGetOFString(DCM_ImageType, value, i).bad()) break;
    std::string v = value.c_str();
    v.erase(std::remove(v.begin(), v.end(), ' '), v.end());
    h.image_type.push_back(v);
  }
  for (const auto& tag : identity_tags()) {
    std::string value = text(ds, DcmTagKey(tag.group, tag.element));
    if (!value.empty()) h.identity.emplace_back(tag.keyword, std::move(value));
  }
  h.rows = integer(ds, DCM_Rows, 0);
  h.columns = integer(ds, DCM_Columns, 0);
  h.frames = std::max(1, integer(ds, DCM_NumberOfFrames, 1));
  h.samples_per_pixel = integer(ds, DCM_SamplesPerPixel, 1);
  h.bits_allocated = integer(ds, DCM_BitsAllocated, 0);
  h.bits_stored = integer(ds, DCM_BitsStored, h.bits_allocated);
  h.high_bit = integer(ds, DCM_HighBit, h.bits_stored - 1);
  h.pixel_representation = integer(ds, DCM_PixelRepresentation, 0);
  h.padding_value = stored_value(ds, DCM_PixelPaddingValue, h.pixel_representation);
  h.padding_range_limit = stored_value(ds, DCM_PixelPaddingRangeLimit, h.pixel_representation);

  DcmItem* shared = child(&ds, DCM_SharedFunctionalGroupsSequence);
  const bool enhanced = ds.tagExists(DCM_PerFrameFunctionalGroupsSequence);
  // Per-frame bookkeeping is allocated from NumberOfFrames: a hostile value
  // must not reach the allocation.
  if (enhanced) {
    DcmSequenceOfItems* per_frame = nullptr;
    const unsigned long items =
        ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame).good() && per_frame ? per_frame->card() : 0;
    if (static_cast<unsigned long>(h.frames) != items)
      throw InputError("'" + file.string() + "': NumberOfFrames " + std::to_string(h.frames) + " but " +
                       std::to_string(items) + " per-frame functional group item(s)");
  } else if (h.frames > kMaxFrames) {
    throw InputError("'" + file.string() + "': NumberOfFrames " + std::to_string(h.frames) + " is more than " +
                     std::to_string(kMaxFrames));
  }
  if (enhanced) {
    for (int f = 0; f < h.frames; ++f)
      h.frame_info.push_back(functional_group_frame(child(&ds, DCM_PerFrameFunctionalGroupsSequence, f), shared));
  } else {
    FrameInfo info;
    if (auto v = numbers<3>(ds, DCM_ImagePositionPatient)) info.position = *v;
    info.orientation = numbers<6>(ds, DCM_ImageOrientationPatient);
    info.pixel_spacing = numbers<2>(ds, DCM_PixelSpacing);
    info.spacing_between_slices = number(ds, DCM_SpacingBetweenSlices);
    info.slice_thickness = number(ds, DCM_SliceThickness);
    if (auto v = number(ds, DCM_RescaleSlope)) info.slope = *v;
    if (auto v = number(ds, DCM_RescaleIntercept)) info.intercept = *v;
    // A classic multi-frame object has one plane for all frames: left without
    // per-frame positions, so the stack check rejects it.
    h.frame_info.assign(std::size_t(h.frames), info);
    if (h.frames > 1)
      for (auto& frame : h.frame_info) frame.position.reset();
  }
  return h;
}

}  // namespace

const std::vector<IdentityTag>& identity_tags() {
  static const auto tags = [] {
    std::vector<IdentityTag> found;
    for (const char* keyword : kIdentityKeywords) {
      DcmTag tag;
      if (DcmTag::findTagFromName(keyword, tag).bad()) throw Error(std::string("no DICOM keyword ") + keyword);
      found.push_back({keyword, tag.getGroup(), tag.getElement()});
    }
    return found;
  }();
  return tags;
}

bool DicomHeader::is_dicomdir() const { return media_storage_sop_class == UID_MediaStorageDirectoryStorage; }

bool DicomHeader::has_image_type(const std::string& value) const {
  return std::find(image_type.begin(), image_type.end(), value) != image_type.end();
}

void silence_dcmtk_log() {
  // DCMTK logs to stderr: a warning for every header read that stops at the
  // pixel data, errors for every non-DICOM file. Ours are in the exceptions.
  static std::once_flag once;
  std::call_once(once, [] { OFLog::getLogger("dcmtk.dcmdata").setLogLevel(OFLogger::FATAL_LOG_LEVEL); });
}

DicomHeader read_dicom_header(const std::filesystem::path& file) {
  silence_dcmtk_log();
  DcmFileFormat format;
  // Values over 4 KiB stay on disk; parsing stops at the pixel data, so a
  // header read costs the same for a 512x512 slice as for a 16x16 one.
  const OFCondition status = format.loadFileUntilTag(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect,
                                                     DCM_PixelData);
  if (status.bad()) throw InputError("'" + file.string() + "' is not DICOM or is unreadable: " + status.text());
  DcmDataset& ds = *format.getDataset();
  // Names and descriptions in UTF-8 whatever the file's character set; where
  // the conversion fails, valid_utf8() still keeps the values JSON-safe.
  if (ds.tagExistsWithValue(DCM_SpecificCharacterSet)) ds.convertToUTF8();
  DcmMetaInfo& meta = *format.getMetaInfo();
  std::string transfer_syntax = text(meta, DCM_TransferSyntaxUID);
  if (transfer_syntax.empty()) transfer_syntax = DcmXfer(ds.getOriginalXfer()).getXferID();
  return header_from_dataset(ds, file, transfer_syntax, text(meta, DCM_MediaStorageSOPClassUID));
}

namespace {

// Why `file` cannot be opened for reading ("" when it can): DCMTK says only
// that a file is "not DICOM or unreadable".
std::string cannot_open(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return std::error_code(errno, std::generic_category()).message();
  std::fclose(f);
  return "";
}

}  // namespace

std::vector<HeaderReading> read_dicom_headers(const std::vector<std::filesystem::path>& files, int threads) {
  std::vector<HeaderReading> readings(files.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      readings[i].file = files[i];
      try {
        if (const std::string why = cannot_open(files[i]); !why.empty()) {
          readings[i].error = "cannot open '" + files[i].string() + "' (" + why + ")";
          readings[i].unopenable = true;
          continue;
        }
        readings[i].header = read_dicom_header(files[i]);
      } catch (const InputError& e) {
        readings[i].error = e.what();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> readers;
  const std::size_t count = std::min<std::size_t>(std::size_t(std::max(threads, 1)), files.size());
  for (std::size_t t = 1; t < count; ++t) readers.emplace_back(work);
  work();
  for (auto& reader : readers) reader.join();
  if (failure) std::rethrow_exception(failure);
  return readings;
}

}  // namespace screener::dicom
