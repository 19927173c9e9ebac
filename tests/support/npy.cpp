#include "npy.h"

#include <cstdlib>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace screener::test {

template <> std::string npy_descr<float>() { return "<f4"; }
template <> std::string npy_descr<double>() { return "<f8"; }
template <> std::string npy_descr<int16_t>() { return "<i2"; }
template <> std::string npy_descr<uint16_t>() { return "<u2"; }
template <> std::string npy_descr<int32_t>() { return "<i4"; }
template <> std::string npy_descr<int64_t>() { return "<i8"; }
template <> std::string npy_descr<uint8_t>() { return "|u1"; }

int64_t NpyArray::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

namespace {
template <class T> void append(std::vector<double>& out, const std::vector<char>& bytes, int64_t n) {
  const T* p = reinterpret_cast<const T*>(bytes.data());
  for (int64_t i = 0; i < n; ++i) out.push_back(double(p[i]));
}
std::size_t descr_size(const std::string& d) { return std::size_t(std::stoi(d.substr(2))); }
}  // namespace

std::vector<double> NpyArray::as_double() const {
  std::vector<double> out;
  out.reserve(std::size_t(numel()));
  if (descr == "<f4") append<float>(out, bytes, numel());
  else if (descr == "<f8") append<double>(out, bytes, numel());
  else if (descr == "<i2") append<int16_t>(out, bytes, numel());
  else if (descr == "<u2") append<uint16_t>(out, bytes, numel());
  else if (descr == "<i4") append<int32_t>(out, bytes, numel());
  else if (descr == "<i8") append<int64_t>(out, bytes, numel());
  else if (descr == "|u1" || descr == "|b1") append<uint8_t>(out, bytes, numel());
  else throw std::runtime_error("npy: unsupported dtype " + descr);
  return out;
}

template <class T> void save_npy(const std::filesystem::path& file, const T* data, const std::vector<int64_t>& shape) {
  std::string dims;
  for (auto d : shape) dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '" + npy_descr<T>() + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded to 64 bytes.
  const std::size_t total = ((10 + header.size() + 1 + 63) / 64) * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::ofstream out(file, std::ios::binary);
  if (!out) throw std::runtime_error("npy: cannot write " + file.string());
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(header.size());
  out.put(char(len & 0xff)).put(char(len >> 8));
  out << header;
  const int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  out.write(reinterpret_cast<const char*>(data), std::streamsize(n * int64_t(sizeof(T))));
}

NpyArray load_npy(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("npy: cannot read " + file.string());
  char magic[8];
  in.read(magic, 8);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("npy: not a .npy file: " + file.string());
  std::size_t len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    len = b[0] | (std::size_t(b[1]) << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    len = b[0] | (std::size_t(b[1]) << 8) | (std::size_t(b[2]) << 16) | (std::size_t(b[3]) << 24);
  }
  std::string header(len, ' ');
  in.read(header.data(), std::streamsize(len));
  if (header.find("'fortran_order': True") != std::string::npos)
    throw std::runtime_error("npy: Fortran order not supported: " + file.string());
  NpyArray a;
  const auto d = header.find("'descr': '") + 10;
  a.descr = header.substr(d, header.find('\'', d) - d);
  const auto s = header.find('(', header.find("'shape'")) + 1;
  const std::string dims = header.substr(s, header.find(')', s) - s);
  std::size_t pos = 0;
  while (pos < dims.size()) {
    const auto comma = dims.find(',', pos);
    const std::string tok = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (tok.find_first_of("0123456789") != std::string::npos) a.shape.push_back(std::stoll(tok));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  a.bytes.resize(std::size_t(a.numel()) * descr_size(a.descr));
  in.read(a.bytes.data(), std::streamsize(a.bytes.size()));
  if (!in) throw std::runtime_error("npy: truncated data in " + file.string());
  return a;
}

void run_python(const std::filesystem::path& script, const std::vector<std::string>& args) {
  // Debian's python3 has the oracles (numpy, scipy, skimage); the one first on
  // PATH may not. SCREENER_PYTHON names another (the GPU machine's PyTorch).
  const char* python = std::getenv("SCREENER_PYTHON");
  std::string cmd = std::string(python && *python ? python : "/usr/bin/python3") + " '" + script.string() + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start " + cmd);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) throw std::runtime_error("oracle failed: " + cmd + "\n" + out);
}

template void save_npy<float>(const std::filesystem::path&, const float*, const std::vector<int64_t>&);
template void save_npy<double>(const std::filesystem::path&, const double*, const std::vector<int64_t>&);
template void save_npy<int16_t>(const std::filesystem::path&, const int16_t*, const std::vector<int64_t>&);
template void save_npy<uint16_t>(const std::filesystem::path&, const uint16_t*, const std::vector<int64_t>&);
template void save_npy<int32_t>(const std::filesystem::path&, const int32_t*, const std::vector<int64_t>&);
template void save_npy<int64_t>(const std::filesystem::path&, const int64_t*, const std::vector<int64_t>&);
template void save_npy<uint8_t>(const std::filesystem::path&, const uint8_t*, const std::vector<int64_t>&);

}  // namespace screener::test
