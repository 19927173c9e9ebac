// The map as a Parametric Map (PS3.3 A.75) on the map's grid, in the source's
// frame of reference and study: float32 frames mapped 1:1, or 16-bit frames
// quantised over the map's range with a real-world value slope and intercept.
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
#include <cmath>
#include <vector>

#include "encoding.h"
#include "frame_groups.h"
#include "quantisation.h"

namespace screener::dicom_results {

namespace {

// Stored pixel values to the map's: the real-world value mapping. Float pixels
// are the values themselves; 16-bit pixels are `stored * slope + intercept`.
void add_value_mapping(DPMParametricMapIOD& map, const std::string& quantity, MapPixels pixels, float lowest,
                       float highest, const Quantisation& q) {
  FGRealWorldValueMapping mapping;
  auto* item = new FGRealWorldValueMapping::RWVMItem();
  mapping.getRealWorldValueMapping().push_back(item);
  if (pixels == MapPixels::float32) {
    check(item->setRealWorldValueSlope(1), "RealWorldValueSlope");
    check(item->setRealWorldValueIntercept(0), "RealWorldValueIntercept");
    check(item->setDoubleFloatRealWorldValueFirstValueMapped(lowest), "DoubleFloatRealWorldValueFirstValueMapped");
    check(item->setDoubleFloatRealWorldValueLastValueMapped(highest), "DoubleFloatRealWorldValueLastValueMapped");
  } else {
    check(item->setRealWorldValueSlope(q.slope()), "RealWorldValueSlope");
    check(item->setRealWorldValueIntercept(q.intercept()), "RealWorldValueIntercept");
    check(item->setRealWorldValueFirstValueMappedUnsigned(0), "RealWorldValueFirstValueMapped");
    check(item->setRealWorldValueLastValueMappedUnsigned(q.stored(highest)), "RealWorldValueLastValueMapped");
  }
  check(item->getMeasurementUnitsCode().set("1", "UCUM", "no units"), "MeasurementUnitsCodeSequence");
  check(item->setLUTLabel(quantity.substr(0, 16).c_str()), "LUTLabel");
  check(item->setLUTExplanation(quantity.substr(0, 64).c_str()), "LUTExplanation");
  check(map.addForAllFrames(mapping), "real world value mapping");
}

void add_shared_groups(DPMParametricMapIOD& map, const FrameGrid& grid) {
  for (const auto& group : shared_plane_groups(grid)) check(map.addForAllFrames(*group), "shared functional groups");

  FGFrameAnatomy anatomy;
  check(anatomy.setLaterality(FGFrameAnatomy::LATERALITY_UNPAIRED), "FrameLaterality");
  check(anatomy.getAnatomy().getAnatomicRegion().set("38266002", "SCT", "Entire body"), "AnatomicRegionSequence");
  check(map.addForAllFrames(anatomy), "frame anatomy");

  // The modality rescale is the identity for both pixel types (A.75 requires
  // it); the real-world value mapping carries any scaling.
  FGPixelValueTransformation identity;
  identity.setFGType(FGPixelValueTransformation::E_PixelValTrans_Identity);
  check(map.addForAllFrames(identity), "identity pixel value transformation");

  FGParametricMapFrameType frame_type;
  check(frame_type.setFrameType("DERIVED\\PRIMARY\\VOLUME\\NONE"), "FrameType");
  check(map.addForAllFrames(frame_type), "frame type");
}

template <class Pixel, class Convert>
void add_frames(DPMParametricMapIOD& pm, const FrameGrid& grid, const float* values, const SourceSeries& source,
                Convert convert) {
  auto frames_variant = pm.getFrames();
  auto* frames = OFget<DPMParametricMapIOD::Frames<Pixel>>(&frames_variant);
  if (!frames) throw Error("the Parametric Map was not created with the requested pixel type");
  std::vector<float> frame_values(grid.pixels_per_frame());
  std::vector<Pixel> frame(grid.pixels_per_frame());
  for (std::size_t k = 0; k < grid.frames(); ++k) {
    grid.copy_frame(values, k, frame_values.data());
    std::transform(frame_values.begin(), frame_values.end(), frame.begin(), convert);
    const auto groups = frame_groups(grid, k, {uint32_t(k + 1)}, source, {"ANOMALY_SCORE", "99SCREENER", "Anomaly score"});
    check(frames->addFrame(frame.data(), frame.size(), raw(groups)), "frame " + std::to_string(k + 1));
  }
}

OFvariant<OFCondition, DPMParametricMapIOD> create_map(MapPixels pixels, const SourceSeries& source,
                                                       const FrameGrid& grid, const ParametricMapOptions& options) {
  const OFString modality = source.value("Modality").empty() ? "OT" : source.value("Modality").c_str();
  const OFString series = std::to_string(options.series.series_number).c_str();
  auto content = content_identification("SCREENER", options.quantity);
  if (pixels == MapPixels::float32)
    return DPMParametricMapIOD::create<IODFloatingPointImagePixelModule>(
        modality, series, "1", grid.rows(), grid.columns(), equipment(), content, "VOLUME", "NONE",
        DPMTypes::CQ_RESEARCH);
  return DPMParametricMapIOD::create<IODImagePixelModule<Uint16>>(modality, series, "1", grid.rows(), grid.columns(),
                                                                   equipment(), content, "VOLUME", "NONE",
                                                                   DPMTypes::CQ_RESEARCH);
}

}  // namespace

EncodedObject encode_parametric_map(const Volume& map, const Study& study, const ParametricMapOptions& options) {
  quiet_dcmtk_log();
  const float* values = map_values(map);
  const SourceSeries source(study);
  const FrameGrid grid(map.geometry);

  const std::size_t n = std::size_t(map.voxels.numel());
  if (const auto bad = std::find_if(values, values + n, [](float v) { return !std::isfinite(v); }); bad != values + n)
    throw Error("study '" + study.id + "': the map has a non-finite value (voxel " + std::to_string(bad - values) +
                "); a Parametric Map's values must be finite");
  const auto [low, high] = std::minmax_element(values, values + n);
  const float lowest = n ? *low : 0.0f, highest = n ? *high : 0.0f;
  const Quantisation q(lowest, highest);

  auto created = create_map(options.pixels, source, grid, options);
  if (auto* failed = OFget<OFCondition>(&created)) check(*failed, "creating the Parametric Map");
  DPMParametricMapIOD& pm = *OFget<DPMParametricMapIOD>(&created);
  DcmDataset identity;
  source.fill_identity(identity, true);
  check(pm.importHierarchy(identity, OFTrue, OFTrue, OFTrue, OFFalse), "patient, study and frame of reference");
  check(pm.getSeries().setSeriesDescription(options.series.series_description.c_str()), "SeriesDescription");
  check(pm.getSeries().setSeriesNumber(std::to_string(options.series.series_number).c_str()), "SeriesNumber");

  add_shared_groups(pm, grid);
  add_value_mapping(pm, options.quantity, options.pixels, lowest, highest, q);
  check(pm.getIODMultiframeDimensionModule().addDimensionIndex(DCM_ImagePositionPatient, DcmIODUtil::createUID(0),
                                                               DCM_PlanePositionSequence, "Frame position"),
        "dimension index");

  if (options.pixels == MapPixels::float32)
    add_frames<Float32>(pm, grid, values, source, [](float v) { return Float32(v); });
  else
    add_frames<Uint16>(pm, grid, values, source, [&q](float v) { return Uint16(q.stored(v)); });

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
  const E_TransferSyntax xfer = options.deflate ? EXS_DeflatedLittleEndianExplicit : EXS_LittleEndianExplicit;
  encoded.transfer_syntax_uid = transfer_syntax_uid(xfer);
  encoded.bytes = part10_bytes(file, xfer);
  return encoded;
}

void declare_parametric_map_params(StageSpec& spec) {
  spec.choice("pixels", {"uint16", "float32"}, "uint16",
              "uint16: the map quantised to 65536 levels over its range, the real-world value mapping's slope and "
              "intercept give the scores back within (max - min) / 131070; float32: the scores exactly");
  spec.choice("transfer_syntax", {"deflated", "explicit"}, "deflated",
              "deflated: Deflated Explicit VR Little Endian (zlib, lossless); explicit: Explicit VR Little Endian, "
              "uncompressed");
}

void apply_parametric_map_params(const Params& params, ParametricMapOptions& options) {
  options.pixels = params.get<std::string>("pixels") == "float32" ? MapPixels::float32 : MapPixels::uint16;
  options.deflate = params.get<std::string>("transfer_syntax") == "deflated";
}

}  // namespace screener::dicom_results
