#include "qido_discovery.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "dicom_json.h"
#include "screener/error.h"
#include "screener/files.h"
#include "series_metadata.h"

namespace screener::dicomweb {

namespace {

using Note = std::function<void(const std::string&)>;

constexpr const char* kDicomJson = "application/dicom+json";

// The DICOM JSON array a QIDO-RS or metadata request answers.
Json get_json_array(HttpClient& client, const std::string& url, const std::string& what) {
  const std::string request = what + " GET " + redact_url(url);
  HttpResponse response;
  try {
    response = client.get(url, kDicomJson);
  } catch (const InputError& e) {
    throw InputError(request + ": " + e.what());
  }
  if (response.status == 204 || (response.ok() && response.body.empty())) return Json::array();
  if (!response.ok()) throw InputError(request + ": " + describe_status(response));
  Json parsed;
  try {
    parsed = parse_dicom_json(response.body, request);
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) + " (Content-Type '" + response.content_type + "')");
  }
  if (!parsed.is_array())
    throw InputError(request + ": the answer is not a DICOM JSON array (Content-Type '" + response.content_type + "')");
  return parsed;
}

// Every match of a QIDO-RS query, asked for a page at a time. A server that
// ignores offset would repeat its first page: that ends the loop too.
std::vector<Json> query_all(HttpClient& client, const std::string& url, const Query& filters, int64_t page_size,
                            const char* uid_tag) {
  std::vector<Json> matches;
  std::set<std::string> seen;
  for (int64_t offset = 0;; offset += page_size) {
    Query query = filters;
    if (page_size > 0) {
      query.emplace_back("limit", std::to_string(page_size));
      query.emplace_back("offset", std::to_string(offset));
    }
    const Json page = get_json_array(client, with_query(url, query), "QIDO-RS");
    std::size_t fresh = 0;
    for (const auto& match : page)
      if (seen.insert(dicom_string(match, uid_tag)).second) {
        matches.push_back(match);
        ++fresh;
      }
    if (page_size <= 0 || int64_t(page.size()) < page_size || fresh == 0) break;
  }
  return matches;
}

struct StudyMatch {
  std::string uid, patient_id, date;
};

std::vector<StudyMatch> matching_studies(HttpClient& client, const StudyQuery& query) {
  std::vector<StudyMatch> studies;
  for (const auto& match :
       query_all(client, query.root + "/studies", query.filters, query.page_size, tag::StudyInstanceUID)) {
    StudyMatch s{dicom_string(match, tag::StudyInstanceUID), dicom_string(match, tag::PatientID),
                 dicom_string(match, tag::StudyDate)};
    if (!s.uid.empty()) studies.push_back(std::move(s));
  }
  // The order dicom_reader gives its entries, so ids agree on a clash.
  std::sort(studies.begin(), studies.end(), [](const StudyMatch& a, const StudyMatch& b) {
    return std::tie(a.patient_id, a.date, a.uid) < std::tie(b.patient_id, b.date, b.uid);
  });
  return studies;
}

StudyEntry failed_entry(const std::string& root, const std::string& study_uid, const std::string& series_uid,
                        const std::string& message, const Note& note) {
  note(message);
  StudyEntry e;
  e.id = sanitize_filename(series_uid.empty() ? study_uid : series_uid);
  e.source = root + "/studies/" + study_uid + (series_uid.empty() ? "" : "/series/" + series_uid);
  e.attributes = {{"StudyInstanceUID", study_uid}, {"SeriesInstanceUID", series_uid}};
  e.locator = {
      {"format", "dicomweb"}, {"root", root}, {"study", study_uid}, {"series", series_uid}, {"error", message}};
  return e;
}

// The series of one study, as dicom_reader would select them from files.
std::vector<StudyEntry> series_of_study(HttpClient& client, const StudyQuery& query, const StudyMatch& study,
                                        const dicom::SelectionRules& rules, const Note& note) {
  const std::string study_url = query.root + "/studies/" + percent_encode(study.uid);
  Query by_modality;
  if (!rules.modality.empty() && rules.modality != "any") by_modality.emplace_back("Modality", rules.modality);
  std::vector<Json> series;
  try {
    series = query_all(client, study_url + "/series", by_modality, query.page_size, tag::SeriesInstanceUID);
  } catch (const InputError& e) {
    return {failed_entry(query.root, study.uid, "", "study " + study.uid + ": " + e.what(), note)};
  }

  std::vector<StudyEntry> entries;
  std::vector<dicom::DicomHeader> headers;
  std::map<std::string, std::string> uid_at;  // instance URL -> SOPInstanceUID
  for (const auto& s : series) {
    const std::string series_uid = dicom_string(s, tag::SeriesInstanceUID);
    const std::string series_url = study_url + "/series/" + percent_encode(series_uid);
    std::vector<dicom::DicomHeader> series_headers;
    std::map<std::string, std::string> series_uid_at;
    try {
      const Json metadata = get_json_array(client, series_url + "/metadata", "WADO-RS metadata");
      for (const Json& instance : metadata) {
        const std::string uid = dicom_string(instance, tag::SOPInstanceUID);
        const std::string url = series_url + "/instances/" + percent_encode(uid);
        series_headers.push_back(header_from_metadata(instance, url));
        series_uid_at[url] = uid;
      }
    } catch (const InputError& e) {  // no answer, not DICOM JSON, or an instance refused (absurd sizes)
      entries.push_back(
          failed_entry(query.root, study.uid, series_uid, "series " + series_uid + ": " + e.what(), note));
      continue;
    }
    std::move(series_headers.begin(), series_headers.end(), std::back_inserter(headers));
    uid_at.insert(series_uid_at.begin(), series_uid_at.end());
  }

  // Attributes as dicom_reader gives them (the result writers rely on them),
  // plus where the series came from.
  for (auto& e : dicom::select_series(std::move(headers), rules, note)) {
    Json uids = Json::array();
    for (const auto& url : e.locator.at("files")) uids.push_back(uid_at.at(url.get<std::string>()));
    const std::string series_uid = e.attributes.value("SeriesInstanceUID", "");
    e.source = study_url + "/series/" + series_uid;
    e.attributes["dicomweb_root"] = query.root;
    Json locator = {{"format", "dicomweb"},
                    {"root", query.root},
                    {"study", study.uid},
                    {"series", series_uid},
                    {"instances", std::move(uids)}};
    // The selection's warnings and refusals (see select_series).
    for (const char* key : {"warnings", "error"})
      if (e.locator.contains(key)) locator[key] = e.locator.at(key);
    e.locator = std::move(locator);
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace

std::vector<StudyEntry> discover_series(HttpClient& client, const StudyQuery& query, const dicom::SelectionRules& rules,
                                        const Note& note) {
  const auto studies = matching_studies(client, query);
  note(std::to_string(studies.size()) + (studies.size() == 1 ? " study matches " : " studies match ") +
       with_query(query.root + "/studies", query.filters));
  std::vector<StudyEntry> entries;
  std::set<std::string> used;
  for (const auto& study : studies) {
    for (auto& e : series_of_study(client, query, study, rules, note)) {
      // Ids are unique within a study; a clash across studies gets _2, _3, ...
      const std::string base = e.id;
      for (int n = 2; !used.insert(e.id).second; ++n) e.id = base + "_" + std::to_string(n);
      entries.push_back(std::move(e));
    }
  }
  return entries;
}

}  // namespace screener::dicomweb
