#include "http_params.h"

#include "url.h"

namespace screener::dicomweb {

void declare_http_params(StageSpec& spec, double default_timeout_s, const std::string& timeout_what) {
  spec.text("user", "",
            std::string("HTTP basic authentication user; empty: from the URL or $") + kUserVariable +
                " (none when neither has one)");
  spec.text("password", "",
            std::string("HTTP basic authentication password; better left empty and given in $") + kPasswordVariable);
  spec.number("connect_timeout_s", 10, "Seconds to wait for a connection").range(0.1, 600);
  spec.number("timeout_s", default_timeout_s, "Seconds one request (" + timeout_what + ") may take in all; 0: no limit")
      .at_least(0);
  spec.text("ca_bundle", "", "PEM file of trusted certificate authorities for https; empty: the system's");
}

HttpOptions http_options(const Params& params) {
  HttpOptions options;
  options.user = params.get<std::string>("user");
  options.password = params.get<std::string>("password");
  options.connect_timeout_s = params.get<double>("connect_timeout_s");
  options.timeout_s = params.get<double>("timeout_s");
  options.ca_bundle = params.get<std::string>("ca_bundle");
  return options;
}

HttpOptions with_credentials_for(HttpOptions options, std::string_view url) {
  const Credentials credentials = resolve_credentials({options.user, options.password}, url);
  options.user = credentials.user;
  options.password = credentials.password;
  return options;
}

}  // namespace screener::dicomweb
