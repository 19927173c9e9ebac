// The thresholded map as a binary Segmentation (PS3.3 A.51) with one segment,
// on the map's grid, in the source's frame of reference and study.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmiod/iodutil.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>

#include <memory>
#include <vector>

#include "encoding.h"
#include "frame_groups.h"

namespace screener::dicom_results {

namespace {

DcmSegment* anomaly_segment(const SegmentationOptions& options) {
  DcmSegment* segment = nullptr;
  check(DcmSegment::create(segment, options.segment_label.c_str(),
                           CodeSequenceMacro("49755003", "SCT", "Morphologically Altered Structure"),
                           CodeSequenceMacro("52988006", "SCT", "Lesion"), DcmSegTypes::SAT_AUTOMATIC, "Screener"),
        "creating the segment");
  std::unique_ptr<DcmSegment> owned(segment);
  auto& algorithm = segment->getSegmentationAlgorithmIdentification();
  check(algorithm.getAlgorithmFamilyCode().set("123110", "DCM", "Artificial Intelligence"), "AlgorithmFamilyCodeSequence");
  check(algorithm.setAlgorithmName("Screener"), "AlgorithmName");
  check(algorithm.setAlgorithmVersion("1.0.0"), "AlgorithmVersion");
  check(segment->setSegmentDescription(("score >= " + FrameGrid::decimal(options.threshold)).c_str()),
        "SegmentDescription");
  return owned.release();
}

std::vector<Uint8> pack_bits(const std::vector<Uint8>& pixels) {
  std::vector<Uint8> packed((pixels.size() + 7) / 8 + ((pixels.size() + 7) / 8) % 2, 0);  // even length
  for (std::size_t i = 0; i < pixels.size(); ++i)
    if (pixels[i]) packed[i / 8] |= Uint8(1u << (i % 8));
  return packed;
}

}  // namespace

EncodedObject encode_segmentation(const Volume& map, const Study& study, const SegmentationOptions& options) {
  quiet_dcmtk_log();
  const float* values = map_values(map);
  const SourceSeries source(study);
  const FrameGrid grid(map.geometry);

  DcmSegmentation* created = nullptr;
  const auto eq = equipment();
  check(DcmSegmentation::createBinarySegmentation(
            created, grid.rows(), grid.columns(),
            IODGeneralEquipmentModule::EquipmentInfo(eq.m_Manufacturer, eq.m_ManufacturerModelName,
                                                     eq.m_DeviceSerialNumber, eq.m_SoftwareVersions),
            content_identification("SCREENER", "Screener anomaly map thresholded at " + FrameGrid::decimal(options.threshold))),
        "creating the Segmentation");
  std::unique_ptr<DcmSegmentation> seg(created);

  DcmDataset identity;
  source.fill_identity(identity, true);
  check(seg->importHierarchy(identity, OFTrue, OFTrue, OFTrue, OFFalse), "patient, study and frame of reference");
  check(seg->getSeries().setSeriesDescription(options.series.series_description.c_str()), "SeriesDescription");
  check(seg->getSeries().setSeriesNumber(std::to_string(options.series.series_number).c_str()), "SeriesNumber");

  DcmSegment* segment = anomaly_segment(options);
  Uint16 segment_number = 0;
  if (seg->addSegment(segment, segment_number).bad()) {
    delete segment;
    throw Error("adding the segment to the Segmentation");
  }

  for (const auto& group : shared_plane_groups(grid)) check(seg->addForAllFrames(*group), "shared functional groups");
  const OFString dimensions = DcmIODUtil::createUID(0);
  check(seg->getDimensions().addDimensionIndex(DCM_ReferencedSegmentNumber, dimensions,
                                               DCM_SegmentIdentificationSequence, "Segment number"),
        "dimension index");
  check(seg->getDimensions().addDimensionIndex(DCM_ImagePositionPatient, dimensions, DCM_PlanePositionSequence,
                                               "Frame position"),
        "dimension index");

  std::vector<float> frame_values(grid.pixels_per_frame());
  std::vector<Uint8> frame(grid.pixels_per_frame());
  std::vector<Uint8> all_frames;  // one byte per pixel, the frames written, in order
  std::size_t written = 0;
  for (std::size_t k = 0; k < grid.frames(); ++k) {
    grid.copy_frame(values, k, frame_values.data());
    bool any = false;
    for (std::size_t i = 0; i < frame.size(); ++i) any |= (frame[i] = frame_values[i] >= options.threshold) != 0;
    // A Segmentation has at least one frame, so an empty result keeps its last one.
    if (!any && options.omit_empty_frames && !(written == 0 && k + 1 == grid.frames())) continue;
    const auto groups = frame_groups(grid, k, {segment_number, uint32_t(k + 1)}, source, {"113076", "DCM", "Segmentation"});
    check(seg->addFrame(frame.data(), segment_number, raw(groups)), "frame " + std::to_string(k + 1));
    all_frames.insert(all_frames.end(), frame.begin(), frame.end());
    ++written;
  }

  check(seg->getCommonInstanceReference().addReferences(source.references(), source.study_instance_uid().c_str()) > 0
            ? EC_Normal
            : EC_IllegalCall,
        "source series reference");

  DcmFileFormat file;
  check(seg->writeDataset(*file.getDataset()), "writing the Segmentation");
  source.fill_identity(*file.getDataset(), false);
  // DCMTK 3.6.7 packs frames whose pixel count is not a multiple of 8 wrongly
  // (the second frame on comes out shifted); DICOM packs the bits of all
  // frames as one continuous LSB-first stream, which is what is written here.
  const auto packed = pack_bits(all_frames);
  check(file.getDataset()->putAndInsertUint8Array(DCM_PixelData, packed.data(), packed.size()), "PixelData");
  EncodedObject encoded;
  OFString uid;
  seg->getSOPCommon().getSOPInstanceUID(uid);
  encoded.sop_instance_uid = uid.c_str();
  seg->getSeries().getSeriesInstanceUID(uid);
  encoded.series_instance_uid = uid.c_str();
  encoded.sop_class_uid = UID_SegmentationStorage;
  encoded.transfer_syntax_uid = transfer_syntax_uid(EXS_LittleEndianExplicit);
  encoded.bytes = part10_bytes(file);
  return encoded;
}

}  // namespace screener::dicom_results
