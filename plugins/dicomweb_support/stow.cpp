#include "stow.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "dicom_json.h"
#include "multipart.h"
#include "screener/error.h"
#include "url.h"

namespace screener::dicomweb {

namespace {

std::string hex_code(int code) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%04X", unsigned(code) & 0xFFFFu);
  return text;
}

// The response body as DICOM JSON: an object, or an array holding one.
Json response_dataset(const HttpResponse& response) {
  if (response.body.empty()) return Json();
  const Json parsed = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_array() && !parsed.empty() && parsed.front().is_object()) return parsed.front();
  return parsed.is_object() ? parsed : Json();
}

std::vector<const Json*> items(const Json& dataset, const char* tag) {
  std::vector<const Json*> out;
  for (std::size_t i = 0; const Json* item = dicom_item(dataset, tag, i); ++i) out.push_back(item);
  return out;
}

}  // namespace

std::string reason_text(int code) {
  const unsigned c = unsigned(code) & 0xFFFFu;
  const char* meaning = "unknown reason";
  if (c == 0x0110)
    meaning = "processing failure";
  else if (c == 0x0122)
    meaning = "SOP class not supported";
  else if (c == 0x0124)
    meaning = "not authorized";
  else if (c == 0xB000)
    meaning = "coercion of data elements";
  else if (c == 0xB006)
    meaning = "elements discarded";
  else if (c == 0xB007)
    meaning = "data set does not match SOP class";
  else if (c == 0xC122)
    meaning = "transfer syntax not supported";
  else if ((c & 0xFF00) == 0xA700)
    meaning = "refused: out of resources";
  else if ((c & 0xFF00) == 0xA900)
    meaning = "error: data set does not match SOP class";
  else if ((c & 0xF000) == 0xC000)
    meaning = "error: cannot understand";
  return hex_code(code) + " (" + meaning + ")";
}

StowOutcome read_stow_response(const HttpResponse& response, const std::vector<std::string>& sent_uids) {
  if (response.status != 200 && response.status != 202 && response.status != 409)
    throw InputError(describe_status(response));
  StowOutcome outcome;
  outcome.status = response.status;
  const Json dataset = response_dataset(response);
  std::set<std::string> answered;
  for (const Json* item : items(dataset, tag::FailedSOPSequence)) {
    const std::string uid = dicom_string(*item, tag::ReferencedSOPInstanceUID);
    const auto code = dicom_number(*item, tag::FailureReason);
    outcome.failed.push_back({uid, code ? reason_text(int(*code)) : "no reason given"});
    answered.insert(uid);
  }
  const auto referenced = items(dataset, tag::ReferencedSOPSequence);
  for (const Json* item : referenced) {
    const std::string uid = dicom_string(*item, tag::ReferencedSOPInstanceUID);
    if (answered.count(uid)) continue;
    outcome.stored.push_back({uid, dicom_string(*item, tag::RetrieveURL)});
    answered.insert(uid);
    for (const auto& code : dicom_numbers(*item, tag::WarningReason))
      outcome.warnings.push_back("instance " + uid + ": " + reason_text(int(code)));
  }
  for (const auto& code : dicom_numbers(dataset, tag::WarningReason))
    outcome.warnings.push_back(reason_text(int(code)));
  // A server that answers 200 without listing anything stored everything.
  const bool lists_nothing = referenced.empty() && outcome.failed.empty();
  for (const auto& uid : sent_uids) {
    if (answered.count(uid)) continue;
    if (response.status == 200 && lists_nothing)
      outcome.stored.push_back({uid, ""});
    else
      outcome.failed.push_back({uid, "not in the server's response (" + describe_status(response) + ")"});
  }
  return outcome;
}

StowOutcome store_instances(HttpClient& client, const std::string& url, const std::vector<StowInstance>& instances) {
  std::vector<std::string_view> bodies;
  std::vector<std::string> uids;
  for (const auto& i : instances) {
    bodies.push_back(i.bytes);
    uids.push_back(i.sop_instance_uid);
  }
  const std::string boundary = make_boundary(bodies);
  std::vector<Part> parts;
  for (const auto& i : instances) parts.push_back({{{"content-type", "application/dicom"}}, i.bytes});
  const std::string body = build_multipart(parts, boundary);
  parts.clear();
  try {
    const HttpResponse response = client.post(
        url, "multipart/related; type=\"application/dicom\"; boundary=" + boundary, body, "application/dicom+json");
    return read_stow_response(response, uids);
  } catch (const InputError& e) {
    throw InputError("STOW-RS POST " + redact_url(url) + ": " + e.what());
  }
}

}  // namespace screener::dicomweb
