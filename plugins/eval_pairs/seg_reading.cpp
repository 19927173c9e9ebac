#include "seg_reading.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fginterface.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmseg/segdoc.h>

#include <cmath>
#include <string>

#include "screener/error.h"

namespace screener::eval_pairs {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

struct FrameGeometry {
  Vec3 position;
  Vec3 row, column;  // ImageOrientationPatient
  double row_spacing = 0, column_spacing = 0;  // PixelSpacing
};

FrameGeometry frame_geometry(DcmSegmentation& seg, std::size_t frame, const std::string& where) {
  FGInterface& fg = seg.getFunctionalGroups();
  FrameGeometry g;
  auto* pos = dynamic_cast<FGPlanePosPatient*>(fg.get(Uint32(frame), DcmFGTypes::EFG_PLANEPOSPATIENT));
  if (!pos || pos->getImagePositionPatient(g.position[0], g.position[1], g.position[2]).bad())
    throw InputError(where + ": frame " + std::to_string(frame + 1) + " has no PlanePositionSequence/ImagePositionPatient");
  auto* ori = dynamic_cast<FGPlaneOrientationPatient*>(fg.get(Uint32(frame), DcmFGTypes::EFG_PLANEORIENTPATIENT));
  if (!ori || ori->getImageOrientationPatient(g.row[0], g.row[1], g.row[2], g.column[0], g.column[1], g.column[2]).bad())
    throw InputError(where + ": frame " + std::to_string(frame + 1) + " has no PlaneOrientationSequence");
  auto* px = dynamic_cast<FGPixelMeasures*>(fg.get(Uint32(frame), DcmFGTypes::EFG_PIXELMEASURES));
  if (!px || px->getPixelSpacing(g.row_spacing, 0).bad() || px->getPixelSpacing(g.column_spacing, 1).bad())
    throw InputError(where + ": frame " + std::to_string(frame + 1) + " has no PixelMeasuresSequence/PixelSpacing");
  return g;
}

// The pixel data as bytes (OB, or OW read in host order, which is little
// endian on every platform this builds on).
const Uint8* pixel_bytes(DcmDataset& ds, std::size_t& count, const std::string& where) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || !element)
    throw InputError(where + ": no PixelData");
  Uint8* bytes = nullptr;
  if (element->getUint8Array(bytes).good() && bytes) {
    count = element->getLength();
    return bytes;
  }
  Uint16* words = nullptr;
  if (element->getUint16Array(words).good() && words) {
    count = element->getLength();
    return reinterpret_cast<const Uint8*>(words);
  }
  throw InputError(where + ": unreadable PixelData (encapsulated or compressed Segmentations are not supported)");
}

}  // namespace

bool is_segmentation_file(const std::filesystem::path& file) {
  DcmFileFormat ff;
  if (ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096).bad()) return false;
  OFString sop;
  ff.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop);
  return sop == UID_SegmentationStorage;
}

std::shared_ptr<Volume> read_seg_mask(const std::filesystem::path& file, const Geometry& grid) {
  const std::string where = "DICOM Segmentation '" + file.string() + "'";
  DcmFileFormat ff;
  OFCondition status = ff.loadFile(file.c_str());
  if (status.bad()) throw InputError("cannot read " + where + ": " + status.text());
  DcmDataset& ds = *ff.getDataset();
  OFString sop;
  ds.findAndGetOFString(DCM_SOPClassUID, sop);
  if (sop != UID_SegmentationStorage)
    throw InputError("'" + file.string() + "' is not a DICOM Segmentation (SOP class " + std::string(sop.c_str()) + ")");
  DcmSegmentation* loaded = nullptr;
  status = DcmSegmentation::loadDataset(ds, loaded);
  std::unique_ptr<DcmSegmentation> seg(loaded);
  if (status.bad() || !seg) throw InputError("cannot read " + where + ": " + status.text());

  Uint16 rows = 0, columns = 0;
  ds.findAndGetUint16(DCM_Rows, rows);
  ds.findAndGetUint16(DCM_Columns, columns);
  const int64_t n0 = grid.size[0], n1 = grid.size[1], n2 = grid.size[2];
  if (rows != n1 || columns != n0)
    throw InputError(where + " has frames of " + std::to_string(rows) + " rows × " + std::to_string(columns) +
                     " columns; the map's slices are " + std::to_string(n1) + " × " + std::to_string(n0));
  const bool binary = seg->getSegmentationType() == DcmSegTypes::ST_BINARY;
  const std::size_t frames = seg->getNumberOfFrames();
  const std::size_t pixels = std::size_t(rows) * columns;
  std::size_t count = 0;
  const Uint8* data = pixel_bytes(ds, count, where);
  const std::size_t needed = binary ? (frames * pixels + 7) / 8 : frames * pixels;
  if (count < needed)
    throw InputError(where + ": PixelData holds " + std::to_string(count) + " bytes, " + std::to_string(frames) +
                     " frames need " + std::to_string(needed));

  auto volume = std::make_shared<Volume>();
  volume->geometry = grid;
  volume->voxels = Tensor::zeros({n0, n1, n2}, DType::uint8);
  volume->history = {{"", "read", grid}};
  uint8_t* mask = volume->voxels.data<uint8_t>();
  Vec3 axis0, axis1;
  for (int r = 0; r < 3; ++r) axis0[r] = grid.direction[r][0], axis1[r] = grid.direction[r][1];
  for (std::size_t f = 0; f < frames; ++f) {
    const FrameGeometry g = frame_geometry(*seg, f, where);
    const std::string frame = where + ", frame " + std::to_string(f + 1);
    for (int r = 0; r < 3; ++r)
      if (std::abs(g.row[r] - axis0[r]) > 1e-3 || std::abs(g.column[r] - axis1[r]) > 1e-3)
        throw InputError(frame + ": ImageOrientationPatient (" + num(g.row[0]) + ", " + num(g.row[1]) + ", " +
                         num(g.row[2]) + ", " + num(g.column[0]) + ", " + num(g.column[1]) + ", " + num(g.column[2]) +
                         ") is not the map's in-plane directions");
    if (std::abs(g.row_spacing - grid.spacing[1]) > 1e-3 * grid.spacing[1] ||
        std::abs(g.column_spacing - grid.spacing[0]) > 1e-3 * grid.spacing[0])
      throw InputError(frame + ": PixelSpacing " + num(g.row_spacing) + "\\" + num(g.column_spacing) +
                       " is not the map's (" + num(grid.spacing[1]) + "\\" + num(grid.spacing[0]) + ")");
    const Vec3 index = grid.physical_to_index(g.position);
    if (std::abs(index[0]) > 0.01 || std::abs(index[1]) > 0.01)
      throw InputError(frame + ": ImagePositionPatient (" + num(g.position[0]) + ", " + num(g.position[1]) + ", " +
                       num(g.position[2]) + ") is off the map's in-plane origin by (" + num(index[0]) + ", " +
                       num(index[1]) + ") voxels");
    const int64_t k = int64_t(std::lround(index[2]));
    if (k < 0 || k >= n2)
      throw InputError(frame + ": ImagePositionPatient lies at slice " + num(index[2]) + ", outside the map's 0.." +
                       std::to_string(n2 - 1));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < columns; ++c) {
        const std::size_t i = f * pixels + std::size_t(r) * columns + std::size_t(c);
        const bool in = binary ? ((data[i >> 3] >> (i & 7)) & 1) != 0 : data[i] != 0;
        if (in) mask[(c * n1 + r) * n2 + k] = 1;
      }
  }
  return volume;
}

}  // namespace screener::eval_pairs
