// The HTTP parameters every DICOMweb stage declares (basic authentication,
// timeouts, trusted CAs) and the client options made from them.
#pragma once
#include <string>
#include <string_view>

#include "http_client.h"
#include "screener/spec.h"

namespace screener::dicomweb {

// `timeout_what` says what one request is for this stage ("a series retrieve").
void declare_http_params(StageSpec& spec, double default_timeout_s, const std::string& timeout_what);

// The options as the parameters give them.
HttpOptions http_options(const Params& params);

// User and password completed from `url` and the environment (resolve_credentials).
HttpOptions with_credentials_for(HttpOptions options, std::string_view url);

}  // namespace screener::dicomweb
