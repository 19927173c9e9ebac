// Sends each study's score map back to a DICOMweb server with STOW-RS, as a
// DICOM Parametric Map and/or a binary Segmentation in the source study.
#include <algorithm>

#include "dicom_results.h"
#include "http_client.h"
#include "http_params.h"
#include "screener/screener.h"
#include "stow.h"
#include "url.h"

using namespace screener;

namespace {
struct Encoded {
  std::string kind;  // "pmap" or "seg"
  dicom_results::EncodedObject object;
};
}  // namespace

class DicomwebWriter final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("map", payload_type::volume, "Score map, float32, one channel, usually on the source grid");
    spec.text("url", "",
              "DICOMweb service root to store into; empty: the server the study was read from (dicomweb_reader)");
    spec.param("objects", ParamType::string_list, Json::array({"pmap", "seg"}),
               "What to send: \"pmap\" (Parametric Map of the scores), \"seg\" (Segmentation of the thresholded map)");
    spec.text("pmap_series_description", "Screener anomaly score", "SeriesDescription of the Parametric Map");
    spec.integer("pmap_series_number", 9001, "SeriesNumber of the Parametric Map").range(0, 2147483647);
    spec.text("quantity", "anomaly score", "What the values are (LUT label and explanation of the value mapping)");
    dicom_results::declare_segment_params(spec);
    spec.text("seg_series_description", "Screener anomalies", "SeriesDescription of the Segmentation");
    spec.integer("seg_series_number", 9002, "SeriesNumber of the Segmentation").range(0, 2147483647);
    spec.text("receipt", "dicomweb_stored",
              "JSON file (without .json) in the study's folder listing what the server stored; empty: none");
    dicomweb::declare_http_params(spec, 300, "the store of one study's objects");
    spec.concurrency(Concurrency::limited(2));
  }

  explicit DicomwebWriter(const StageContext& ctx) : dir_(ctx.output_dir), log_(ctx.log), segment_(ctx.params) {
    const auto& p = ctx.params;
    url_ = p.get<std::string>("url");
    if (!url_.empty()) dicomweb::service_root(url_);  // a malformed URL is a setup error
    for (const auto& kind : p.get<std::vector<std::string>>("objects")) {
      if (kind != "pmap" && kind != "seg") throw Error("objects: '" + kind + "' is not one of \"pmap\", \"seg\"");
      if (std::find(kinds_.begin(), kinds_.end(), kind) == kinds_.end()) kinds_.push_back(kind);
    }
    if (kinds_.empty()) throw Error("objects: nothing to send (give \"pmap\", \"seg\" or both)");
    pmap_.series.series_description = p.get<std::string>("pmap_series_description");
    pmap_.series.series_number = int(p.get<int64_t>("pmap_series_number"));
    pmap_.quantity = p.get<std::string>("quantity");
    seg_.series.series_description = p.get<std::string>("seg_series_description");
    seg_.series.series_number = int(p.get<int64_t>("seg_series_number"));
    receipt_ = p.get<std::string>("receipt");
    http_ = dicomweb::http_options(p);
  }

  void process(const Inputs& in, Emitter& out) override {
    const auto& map = in.payload<Volume>("map");
    const Study& study = in.study();
    dicomweb::HttpOptions http = http_;
    const std::string root = server_of(study, http);
    std::vector<Encoded> objects = encode(map, study);

    const std::string target =
        root + "/studies/" + dicomweb::percent_encode(study.attributes.value("StudyInstanceUID", ""));
    std::vector<dicomweb::StowInstance> instances;
    for (auto& o : objects) instances.push_back({std::move(o.object.bytes), o.object.sop_instance_uid});
    dicomweb::HttpClient client(http);
    const auto outcome = dicomweb::store_instances(client, target, instances);

    for (const auto& warning : outcome.warnings) out.warn("STOW-RS " + target + ": " + warning);
    if (!outcome.failed.empty()) throw InputError(failure_message(target, objects, outcome));
    for (const auto& o : objects)
      log_(study.id + ": stored " + label(o.kind) + " " + o.object.sop_instance_uid + " (series " +
           o.object.series_instance_uid + ") at " + target);
    if (!receipt_.empty()) write_receipt(study, target, objects, outcome, out);
  }

 private:
  static std::string label(const std::string& kind) { return kind == "pmap" ? "Parametric Map" : "Segmentation"; }

  std::vector<Encoded> encode(const Volume& map, const Study& study) const {
    std::vector<Encoded> objects;
    for (const auto& kind : kinds_) {
      if (kind == "pmap") {
        objects.push_back({kind, dicom_results::encode_parametric_map(map, study, pmap_)});
      } else {
        objects.push_back({kind, dicom_results::encode_segmentation(map, study, segment_.for_map(map, seg_))});
      }
    }
    return objects;
  }

  // The url parameter, else the server the study was read from; credentials
  // in the URL go to `http`, never into messages.
  std::string server_of(const Study& study, dicomweb::HttpOptions& http) const {
    std::string url = url_.empty() ? study.attributes.value("dicomweb_root", "") : url_;
    if (url.empty())
      throw InputError("study " + study.id +
                       ": no url parameter, and the study was not read from a DICOMweb server to send results back to");
    http = dicomweb::with_credentials_for(http, url);
    return dicomweb::redact_url(dicomweb::service_root(url));
  }

  static std::string failure_message(const std::string& target, const std::vector<Encoded>& objects,
                                     const dicomweb::StowOutcome& outcome) {
    auto kind_of = [&](const std::string& uid) {
      for (const auto& o : objects)
        if (o.object.sop_instance_uid == uid) return label(o.kind) + " ";
      return std::string("instance ");
    };
    std::string message = "STOW-RS POST " + target + " (HTTP " + std::to_string(outcome.status) + "):";
    for (const auto& f : outcome.failed)
      message += " " + kind_of(f.sop_instance_uid) + f.sop_instance_uid + " failed: " + f.reason + ";";
    for (const auto& s : outcome.stored)
      message += " " + kind_of(s.sop_instance_uid) + s.sop_instance_uid + " was stored;";
    message.pop_back();
    return message;
  }

  void write_receipt(const Study& study, const std::string& target, const std::vector<Encoded>& objects,
                     const dicomweb::StowOutcome& outcome, Emitter& out) const {
    Json stored = Json::array();
    for (const auto& o : objects) {
      std::string retrieve_url;
      for (const auto& s : outcome.stored)
        if (s.sop_instance_uid == o.object.sop_instance_uid) retrieve_url = dicomweb::redact_url(s.retrieve_url);
      stored.push_back({{"object", o.kind},
                        {"SOPClassUID", o.object.sop_class_uid},
                        {"SOPInstanceUID", o.object.sop_instance_uid},
                        {"SeriesInstanceUID", o.object.series_instance_uid},
                        {"RetrieveURL", retrieve_url}});
    }
    const Json receipt = {{"url", target},
                          {"status", outcome.status},
                          {"StudyInstanceUID", study.attributes.value("StudyInstanceUID", "")},
                          {"source_series", study.attributes.value("SeriesInstanceUID", "")},
                          {"stored", stored},
                          {"warnings", outcome.warnings}};
    const auto folder = dir_ / sanitize_filename(study.id);
    std::filesystem::create_directories(folder);
    const auto file = folder / (sanitize_filename(receipt_) + ".json");
    write_file_atomic(file, receipt.dump(2) + "\n");
    out.record_output(file);
  }

  std::filesystem::path dir_;
  std::function<void(const std::string&)> log_;
  dicom_results::SegmentRule segment_;
  std::string url_;
  std::vector<std::string> kinds_;
  dicom_results::ParametricMapOptions pmap_;
  dicom_results::SegmentationOptions seg_;
  std::string receipt_;
  dicomweb::HttpOptions http_;
};

SCREENER_PLUGIN(DicomwebWriter, "dicomweb_writer", "1.0.0",
                "Sends score maps to a DICOMweb server (STOW-RS) as a DICOM Parametric Map and/or Segmentation")
