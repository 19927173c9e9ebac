#include "url.h"

#include <cctype>
#include <cstdlib>

#include "screener/error.h"

namespace screener::dicomweb {

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

// Where "user:password" sits in a URL: [begin, at) with '@' at `at`.
struct UserInfo {
  std::size_t begin = 0, at = std::string_view::npos;
};

UserInfo user_info(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto authority = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", authority);
  const auto at = url.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < authority) return {};
  return {authority, at};
}

}  // namespace

bool is_http_url(std::string_view text) {
  return starts_with_nocase(text, "http://") || starts_with_nocase(text, "https://");
}

std::string service_root(std::string_view url) {
  if (url.size() > kMaxUrlBytes)
    throw Error("a DICOMweb URL of " + std::to_string(url.size()) + " bytes, more than the limit of " +
                std::to_string(kMaxUrlBytes) + ": '" + redact_url(url.substr(0, 60)) + "...'");
  if (!is_http_url(url))
    throw Error("'" + redact_url(url) + "' is not a DICOMweb URL (expected http://host:port/path or https://...)");
  for (unsigned char c : url)
    if (c <= ' ' || c == 0x7f)
      throw Error("'" + redact_url(url) + "': a URL may not hold spaces or control characters (percent-encode them)");
  const auto host_start = url.find("://") + 3;
  const auto host_end = url.find_first_of("/?#", host_start);
  const UserInfo info = user_info(url);
  const auto host_from = info.at == std::string_view::npos ? host_start : info.at + 1;
  if (url.substr(host_from, host_end == std::string_view::npos ? std::string_view::npos : host_end - host_from).empty())
    throw Error("'" + redact_url(url) + "' names no host");
  std::string root(url);
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root;
}

std::string redact_url(std::string_view url) {
  const UserInfo info = user_info(url);
  if (info.at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, info.begin)) + std::string(url.substr(info.at + 1));
}

std::optional<Credentials> credentials_in(std::string_view url) {
  const UserInfo info = user_info(url);
  if (info.at == std::string_view::npos) return std::nullopt;
  const std::string_view text = url.substr(info.begin, info.at - info.begin);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return Credentials{percent_decode(text), ""};
  return Credentials{percent_decode(text.substr(0, colon)), percent_decode(text.substr(colon + 1))};
}

Credentials resolve_credentials(Credentials parameters, std::string_view url) {
  const auto in_url = credentials_in(url);
  const auto pick = [](std::string& value, const std::optional<std::string>& from_url, const char* variable) {
    if (value.empty() && from_url) value = *from_url;
    if (value.empty())
      if (const char* env = std::getenv(variable)) value = env;
  };
  pick(parameters.user, in_url ? std::optional(in_url->user) : std::nullopt, kUserVariable);
  pick(parameters.password, in_url ? std::optional(in_url->password) : std::nullopt, kPasswordVariable);
  return parameters;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += char(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string with_query(std::string url, const Query& query) {
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [key, value] : query) {
    url += separator;
    url += percent_encode(key) + "=" + percent_encode(value);
    separator = '&';
  }
  return url;
}

std::pair<std::string, std::string> parse_filter(std::string_view filter) {
  const auto eq = filter.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw Error("filter '" + std::string(filter) + "' is not of the form Key=Value (e.g. PatientID=123)");
  return {std::string(filter.substr(0, eq)), std::string(filter.substr(eq + 1))};
}

}  // namespace screener::dicomweb
