// The map as a Parametric Map (PS3.3 A.75): float32 frames with a real-world
// value mapping of identity, on the map's grid, in the source's frame of
// reference and study.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmfg/fgframeanatomy.h>
#include <dcmtk/dcmfg/fgpixeltransform.h>
#include <dcmtk/dcmfg/fgparametricmapframetype.h>
#include <dcmtk/dcmfg/fgrealworldvaluemapping.h>
#include <dcmtk/dcmiod/iodutil.h>
#include <dcmtk/dcmpmap/dpmparametricmapiod.h>

#include <algorithm>
#include <vector>

#include "encoding.h"
#include "frame_groups.h"

namespace screener::dicom_results {

namespace {

void add_shared_groups(DPMParametricMapIOD& map, const FrameGrid& grid, const std::string& quantity, float lowest,
                       float highest) {
  for (const auto& group : shared_plane_groups(grid)) check(map.addForAllFrames(*group), "shared functional groups");

  FGFrameAnatomy anatomy;
  check(anatomy.setLaterality(FGFrameAnatomy::LATERALITY_UNPAIRED), "FrameLaterality");
  check(anatomy.getAnatomy().getAnatomicRegion().set("38266002", "SCT", "Entire body"), "AnatomicRegionSequence");
  check(map.addForAllFrames(anatomy), "frame anatomy");

  FGPixelValueTransformation identity;  // slope 1, intercept 0: the stored floats are the values
  identity.setFGType(FGPixelValueTransformation::E_PixelValTrans_Identity);
  check(map.addForAllFrames(identity), "identity pixel value transformation");

  FGParametricMapFrameType frame_type;
  check(frame_type.setFrameType("DERIVED\\PRIMARY\\VOLUME\\NONE"), "FrameType");
  check(map.addForAllFrames(frame_type), "frame type");

  // The stored floats are the scores: slope 1, intercept 0, unitless.
  FGRealWorldValueMapping mapping;
  auto* item = new FGRealWorldValueMapping::RWVMItem();
  mapping.getRealWorldValueMapping().push_back(item);
  check(item->setRealWorldValueSlope(1), "RealWorldValueSlope");
  check(item->setRealWorldValueIntercept(0), "RealWorldValueIntercept");
  check(item->setDoubleFloatRealWorldValueFirstValueMapped(lowest), "DoubleFloatRealWorldValueFirstValueMapped");
  check(item->setDoubleFloatRealWorldValueLastValueMapped(highest), "DoubleFloatRealWorldValueLastValueMapped");
  check(item->getMeasurementUnitsCode().set("1", "UCUM", "no units"), "MeasurementUnitsCodeSequence");
  check(item->setLUTLabel(quantity.substr(0, 16).c_str()), "LUTLabel");
  check(item->setLUTExplanation(quantity.substr(0, 64).c_str()), "LUTExplanation");
  check(map.addForAllFrames(mapping), "real world value mapping");
}

}  // namespace

EncodedObject encode_parametric_map(const Volume& map, const Study& study, const ParametricMapOptions& options) {
  quiet_dcmtk_log();
  const float* values = map_values(map);
  const SourceSeries source(study);
  const FrameGrid grid(map.geometry);

  auto created = DPMParametricMapIOD::create<IODFloatingPointImagePixelModule>(
      source.value("Modality").empty() ? "OT" : source.value("Modality").c_str(),
      std::to_string(options.series.series_number).c_str(), "1", grid.rows(), grid.columns(), equipment(),
      content_identification("SCREENER", options.quantity), "VOLUME", "NONE", DPMTypes::CQ_RESEARCH);
  if (auto* failed = OFget<OFCondition>(&created)) check(*failed, "creating the Parametric Map");
  DPMParametricMapIOD& pm = *OFget<DPMParametricMapIOD>(&created);

  DcmDataset identity;
  source.fill_identity(identity, true);
  check(pm.importHierarchy(identity, OFTrue, OFTrue, OFTrue, OFFalse), "patient, study and frame of reference");
  check(pm.getSeries().setSeriesDescription(options.series.series_description.c_str()), "SeriesDescription");
  check(pm.getSeries().setSeriesNumber(std::to_string(options.series.series_number).c_str()), "SeriesNumber");

  const std::size_t n = std::size_t(map.voxels.numel());
  const auto [low, high] = std::minmax_element(values, values + n);
  add_shared_groups(pm, grid, options.quantity, n ? *low : 0.0f, n ? *high : 0.0f);

  check(pm.getIODMultiframeDimensionModule().addDimensionIndex(DCM_ImagePositionPatient, DcmIODUtil::createUID(0),
                                                               DCM_PlanePositionSequence, "Frame position"),
        "dimension index");

  auto frames_variant = pm.getFrames();
  auto* frames = OFget<DPMParametricMapIOD::Frames<Float32>>(&frames_variant);
  if (!frames) throw Error("the Parametric Map has no float32 frames");
  std::vector<Float32> frame(grid.pixels_per_frame());
  for (std::size_t k = 0; k < grid.frames(); ++k) {
    grid.copy_frame(values, k, frame.data());
    const auto groups = frame_groups(grid, k, {uint32_t(k + 1)}, source, {"ANOMALY_SCORE", "99SCREENER", "Anomaly score"});
    check(frames->addFrame(frame.data(), frame.size(), raw(groups)), "frame " + std::to_string(k + 1));
  }

  check(pm.getCommonInstanceReference().addReferences(source.references(), source.study_instance_uid().c_str()) > 0
            ? EC_Normal
            : EC_IllegalCall,
        "source series reference");

  DcmFileFormat file;
  check(pm.writeDataset(*file.getDataset()), "writing the Parametric Map");
  source.fill_identity(*file.getDataset(), false);
  EncodedObject encoded;
  OFString uid;
  pm.getSOPCommon().getSOPInstanceUID(uid);
  encoded.sop_instance_uid = uid.c_str();
  pm.getSeries().getSeriesInstanceUID(uid);
  encoded.series_instance_uid = uid.c_str();
  encoded.sop_class_uid = UID_ParametricMapStorage;
  encoded.bytes = part10_bytes(file);
  return encoded;
}

}  // namespace screener::dicom_results
