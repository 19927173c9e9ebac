// URLs of a DICOMweb service: the root given by the user, query strings for
// QIDO-RS, and the form in which a URL may appear in messages.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace screener::dicomweb {

using Query = std::vector<std::pair<std::string, std::string>>;

bool is_http_url(std::string_view text);

// Longer URLs are refused: servers refuse them too (most at 8 KiB).
inline constexpr std::size_t kMaxUrlBytes = 8192;

// The service root without trailing slashes, so paths can be appended.
// Throws Error when it is not an http(s) URL, is longer than kMaxUrlBytes,
// or holds spaces or control characters (they would end up in the request line).
std::string service_root(std::string_view url);

// `url` without "user:password@": URLs go into messages, logs and the run
// summary, credentials never do.
std::string redact_url(std::string_view url);

struct Credentials {
  std::string user, password;
};

// The "user:password@" of a URL (percent-decoded), if it has one.
std::optional<Credentials> credentials_in(std::string_view url);

inline constexpr const char* kUserVariable = "SCREENER_DICOMWEB_USER";
inline constexpr const char* kPasswordVariable = "SCREENER_DICOMWEB_PASSWORD";

// Each of user and password from the first place that has it: the stage's
// parameters, the URL, then $SCREENER_DICOMWEB_USER / $SCREENER_DICOMWEB_PASSWORD.
Credentials resolve_credentials(Credentials parameters, std::string_view url);

// RFC 3986: unreserved characters kept, every other byte as %XX.
std::string percent_encode(std::string_view text);
std::string percent_decode(std::string_view text);

std::string with_query(std::string url, const Query& query);

// "PatientID=123" -> {"PatientID", "123"}. Throws Error naming the filter
// when it has no '=' or no key.
std::pair<std::string, std::string> parse_filter(std::string_view filter);

}  // namespace screener::dicomweb
