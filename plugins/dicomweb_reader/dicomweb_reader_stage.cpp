// Source stage: CT series from a DICOMweb server (QIDO-RS to find them,
// WADO-RS to retrieve them), read like dicom_reader reads files.
#include "http_client.h"
#include "http_params.h"
#include "qido_discovery.h"
#include "screener/screener.h"
#include "series_params.h"
#include "series_retrieval.h"
#include "url.h"

using namespace screener;

class DicomwebReader final : public SourceStage {
 public:
  static void setup(StageSpec& spec) {
    spec.output("volume", payload_type::volume,
                "HU, int16 when exact else float32; axis 0 = DICOM column, 1 = row, 2 = slice (LPS geometry)");
    spec.text("url", "",
              "DICOMweb service root (e.g. http://host:8042/dicom-web); an http(s) URL given as --input wins");
    spec.param("filters", ParamType::string_list, Json::array(),
               "Study-level QIDO-RS matching, each Key=Value (PatientID=123, StudyDate=20240101-20240131, "
               "AccessionNumber=A1, StudyInstanceUID=1.2.3, ...)");
    dicom::declare_series_params(spec);
    spec.integer("page_size", 1000, "QIDO-RS matches asked for per request (limit/offset); 0: all at once").at_least(0);
    spec.text(
        "transfer_syntax", "*",
        "Transfer syntax asked for in WADO-RS; \"*\": as stored; \"\": the server's default (explicit little endian)");
    spec.text("temp_dir", "",
              "Where a series is spooled while it is read (one series at a time per load); empty: $TMPDIR or /tmp");
    dicomweb::declare_http_params(spec, 600, "a whole series retrieve too");
    spec.concurrency(Concurrency::limited(2));
  }

  explicit DicomwebReader(const StageContext& ctx) : log_(ctx.log) {
    const auto& p = ctx.params;
    url_ = p.get<std::string>("url");
    if (!url_.empty()) dicomweb::service_root(url_);  // a malformed URL is a setup error
    for (const auto& filter : p.get<std::vector<std::string>>("filters"))
      query_.filters.push_back(dicomweb::parse_filter(filter));
    query_.page_size = p.get<int64_t>("page_size");
    const auto series = dicom::read_series_params(p);
    rules_ = series.rules;
    retrieval_.load = series.load;
    retrieval_.transfer_syntax = p.get<std::string>("transfer_syntax");
    retrieval_.temp_dir = p.get<std::string>("temp_dir");
    http_ = dicomweb::http_options(p);
  }

  std::vector<StudyEntry> discover(const std::string& input,
                                   const std::function<void(const std::string&)>& note) override {
    const std::string url = choose_url(input, note);
    http_ = dicomweb::with_credentials_for(http_, url);
    query_.root = dicomweb::redact_url(dicomweb::service_root(url));
    dicomweb::HttpClient client(http_);
    auto entries = dicomweb::discover_series(client, query_, rules_, note);
    log_(std::to_string(entries.size()) + " series to read from " + query_.root);
    return entries;
  }

  void load(const StudyEntry& entry, Emitter& out) override {
    for (const auto& warning : entry.locator.value("warnings", Json::array())) out.warn(warning.get<std::string>());
    dicomweb::HttpClient client(http_);
    out.emit("volume", dicomweb::retrieve_series(client, entry.locator, retrieval_));
  }

 private:
  // --input is the URL when it is one: the command line overrides the
  // pipeline file. Anything else (a label like "pacs") leaves the parameter.
  std::string choose_url(const std::string& input, const std::function<void(const std::string&)>& note) const {
    if (dicomweb::is_http_url(input)) {
      if (!url_.empty() && dicomweb::service_root(url_) != dicomweb::service_root(input))
        note("reading from --input " + dicomweb::redact_url(input) + ", not from the url parameter " +
             dicomweb::redact_url(url_));
      return input;
    }
    if (url_.empty())
      throw Error("no DICOMweb server: give its URL as --input (http://host:port/dicom-web) or in the url parameter");
    return url_;
  }

  std::string url_;
  dicomweb::StudyQuery query_;
  dicom::SelectionRules rules_;
  dicomweb::RetrievalOptions retrieval_;
  dicomweb::HttpOptions http_;
  std::function<void(const std::string&)> log_;
};

SCREENER_PLUGIN(DicomwebReader, "dicomweb_reader", "1.0.0",
                "CT series from a DICOMweb server: QIDO-RS query, WADO-RS retrieve, read like dicom_reader")
