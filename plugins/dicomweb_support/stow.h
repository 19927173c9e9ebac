// STOW-RS (PS3.18 10.5): DICOM instances POSTed as one multipart/related
// body, and the server's answer read back instance by instance.
#pragma once
#include <string>
#include <vector>

#include "http_client.h"

namespace screener::dicomweb {

struct StowInstance {
  std::string bytes;  // DICOM Part 10, with its meta header
  std::string sop_instance_uid;
};

struct StowOutcome {
  struct Stored {
    std::string sop_instance_uid;
    std::string retrieve_url;  // where the server says it can be fetched; may be empty
  };
  struct Failed {
    std::string sop_instance_uid;
    std::string reason;  // "0xA700 (refused: out of resources)"
  };
  long status = 0;
  std::vector<Stored> stored;
  std::vector<Failed> failed;
  std::vector<std::string> warnings;  // per stored instance, e.g. attribute coercion
};

// The meaning of a STOW-RS failure or warning reason code.
std::string reason_text(int code);

// Reads the response to a STOW-RS request that sent `sent_uids`. An instance
// is stored when the response lists it in ReferencedSOPSequence (or when a
// 200 response lists nothing at all), failed when it is in FailedSOPSequence
// or missing from a list that names others. Throws InputError for a status
// other than 200, 202 and 409.
StowOutcome read_stow_response(const HttpResponse& response, const std::vector<std::string>& sent_uids);

// POSTs the instances to `url` (the service root + "/studies" or
// "/studies/{StudyInstanceUID}") in one request.
StowOutcome store_instances(HttpClient& client, const std::string& url, const std::vector<StowInstance>& instances);

}  // namespace screener::dicomweb
