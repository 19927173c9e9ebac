#include "pixel_decoding.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <gdcmImageReader.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "screener/error.h"

namespace screener::dicom {

namespace {

// DCMTK's codec list is process-wide: the decoders are registered on first use
// and deregistered when the plugin is unloaded or the process exits (until then
// every study may need them), so the registry does not leak.
struct DcmtkDecoders {
  DcmtkDecoders() {
    DJDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
  }
  ~DcmtkDecoders() {
    DJLSDecoderRegistration::cleanup();
    DcmRLEDecoderRegistration::cleanup();
    DJDecoderRegistration::cleanup();
  }
};

void register_dcmtk_decoders() { static const DcmtkDecoders decoders; }

std::string where(const DicomHeader& h) { return "'" + h.file.string() + "'"; }

std::size_t expected_bytes(const DicomHeader& h) {
  return std::size_t(h.rows) * std::size_t(h.columns) * std::size_t(h.frames) * std::size_t(h.bits_allocated / 8);
}

void check_pixel_format(const DicomHeader& h) {
  if (h.rows <= 0 || h.columns <= 0) throw InputError(where(h) + ": no Rows/Columns");
  if (h.samples_per_pixel != 1)
    throw InputError(where(h) + ": " + std::to_string(h.samples_per_pixel) + " samples per pixel (only grey images)");
  if (h.bits_allocated != 8 && h.bits_allocated != 16)
    throw InputError(where(h) + ": BitsAllocated " + std::to_string(h.bits_allocated) + " is not supported (8 or 16)");
  if (h.pixel_representation != 0 && h.pixel_representation != 1)
    throw InputError(where(h) + ": PixelRepresentation " + std::to_string(h.pixel_representation) +
                     " is neither 0 (unsigned) nor 1 (signed)");
  if (h.bits_stored < 1 || h.bits_stored > h.bits_allocated || h.high_bit + 1 < h.bits_stored ||
      h.high_bit >= h.bits_allocated)
    throw InputError(where(h) + ": inconsistent BitsStored " + std::to_string(h.bits_stored) + " / HighBit " +
                     std::to_string(h.high_bit));
}

// Raw words (8 or 16 bits, host order) to stored values.
template <class Word> std::vector<int32_t> to_stored_values(const Word* words, const DicomHeader& h) {
  const std::size_t count = std::size_t(h.rows) * std::size_t(h.columns) * std::size_t(h.frames);
  const int shift = h.high_bit + 1 - h.bits_stored;
  const uint32_t mask = (h.bits_stored >= 32) ? 0xffffffffu : ((1u << h.bits_stored) - 1u);
  const uint32_t sign_bit = 1u << (h.bits_stored - 1);
  std::vector<int32_t> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    const uint32_t v = (uint32_t(words[i]) >> shift) & mask;
    values[i] = (h.pixel_representation == 1 && (v & sign_bit)) ? int32_t(v) - int32_t(mask) - 1 : int32_t(v);
  }
  return values;
}

std::vector<int32_t> from_bytes(const char* bytes, std::size_t length, const DicomHeader& h) {
  // Rows x Columns x frames x bytes, plus the pad byte of an odd length; more
  // or less means the attributes do not describe these pixels.
  const std::size_t expected = expected_bytes(h);
  if (length < expected)
    throw InputError(where(h) + ": pixel data holds " + std::to_string(length) + " bytes, " + std::to_string(expected) +
                     " expected (truncated file?)");
  if (length > expected + expected % 2)
    throw InputError(where(h) + ": pixel data holds " + std::to_string(length) + " bytes, " + std::to_string(expected) +
                     " expected from Rows x Columns x NumberOfFrames x BitsAllocated (wrong attributes?)");
  if (h.bits_allocated == 8) return to_stored_values(reinterpret_cast<const uint8_t*>(bytes), h);
  std::vector<uint16_t> words(expected_bytes(h) / 2);
  std::memcpy(words.data(), bytes, words.size() * 2);
  return to_stored_values(words.data(), h);
}

uint32_t big_endian(const Uint8* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// GDCM copies a decoded JPEG 2000 image into a buffer sized from Rows x
// Columns x BitsAllocated without comparing the two (fuzzing: a SIZ marker
// saying 8 x 32520 for an 8 x 8 image wrote far past the buffer, SIGSEGV).
// So every code stream's SIZ marker must describe the image the attributes
// describe: same size, one component, no subsampling, at most BitsAllocated bits.
void check_jpeg2000_code_streams(DcmDataset& ds, E_TransferSyntax xfer, const DicomHeader& h) {
  DcmElement* element = nullptr;
  DcmPixelSequence* fragments = nullptr;
  const DcmRepresentationParameter* parameters = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || !element ||
      OFstatic_cast(DcmPixelData*, element)->getEncapsulatedRepresentation(xfer, parameters, fragments).bad() ||
      !fragments)
    throw InputError(where(h) + ": no encapsulated JPEG 2000 pixel data");
  int code_streams = 0;
  for (unsigned long i = 1; i < fragments->card(); ++i) {  // item 0: the offset table
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    if (fragments->getItem(item, i).bad() || !item || item->getUint8Array(bytes).bad() || !bytes) continue;
    const std::size_t length = item->getLength();
    // A code stream starts with SOC + SIZ (FF4F FF51), possibly inside a JP2 box.
    std::size_t at = 0;
    while (at + 4 <= std::min<std::size_t>(length, 1024) &&
           !(bytes[at] == 0xFF && bytes[at + 1] == 0x4F && bytes[at + 2] == 0xFF && bytes[at + 3] == 0x51))
      ++at;
    if (at + 4 > std::min<std::size_t>(length, 1024)) continue;  // a frame's later fragment
    const Uint8* siz = bytes + at + 4;
    if (at + 4 + 38 > length) throw InputError(where(h) + ": truncated JPEG 2000 SIZ marker");
    const uint32_t width = big_endian(siz + 4, 4) - big_endian(siz + 12, 4);
    const uint32_t height = big_endian(siz + 8, 4) - big_endian(siz + 16, 4);
    const uint32_t components = big_endian(siz + 36, 2);
    if (at + 4 + 38 + 3 * std::size_t(components) > length)
      throw InputError(where(h) + ": truncated JPEG 2000 SIZ marker");
    bool plain = components == 1;
    for (uint32_t c = 0; plain && c < components; ++c) {
      const Uint8* component = siz + 38 + 3 * c;
      plain = (component[0] & 0x7F) + 1 <= h.bits_allocated && component[1] == 1 && component[2] == 1;
    }
    if (width != uint32_t(h.columns) || height != uint32_t(h.rows) || !plain)
      throw InputError(where(h) + ": the JPEG 2000 code stream is " + std::to_string(width) + " x " +
                       std::to_string(height) + " pixels of " + std::to_string(components) +
                       " component(s); Columns x Rows is " + std::to_string(h.columns) + " x " +
                       std::to_string(h.rows) + " of 1 sample, at most " + std::to_string(h.bits_allocated) + " bits");
    ++code_streams;
  }
  if (code_streams == 0) throw InputError(where(h) + ": no JPEG 2000 code stream in the pixel data");
}

// GDCM allocates whatever an element's length claims before reading it
// (fuzzing: 1.1 GB for a 2.7 kB file), so it never parses the file itself: it
// gets the pixel module and pixel data as DCMTK read them, written again by
// DCMTK into memory, every length re-encoded from what was actually there.
std::string rewritten_by_dcmtk(const DicomHeader& h) {
  DcmFileFormat format;
  if (format.loadFile(h.file.c_str()).bad()) throw InputError(where(h) + ": cannot read the JPEG 2000 file");
  DcmDataset& ds = *format.getDataset();
  const E_TransferSyntax xfer = ds.getOriginalXfer();
  check_jpeg2000_code_streams(ds, xfer, h);
  DcmFileFormat copy;
  DcmDataset& out = *copy.getDataset();
  for (const DcmTagKey& tag : {DCM_SOPClassUID, DCM_SOPInstanceUID, DCM_SamplesPerPixel, DCM_PhotometricInterpretation,
                               DCM_Rows, DCM_Columns, DCM_NumberOfFrames, DCM_BitsAllocated, DCM_BitsStored,
                               DCM_HighBit, DCM_PixelRepresentation, DCM_PlanarConfiguration, DCM_PixelData}) {
    DcmElement* element = nullptr;
    if (ds.findAndGetElement(tag, element).good() && element)
      out.insert(OFstatic_cast(DcmElement*, element->clone()), true);
  }
  std::string bytes;
  std::vector<char> chunk(1 << 16);
  DcmOutputBufferStream stream(chunk.data(), offile_off_t(chunk.size()));
  copy.transferInit();
  OFCondition status = EC_StreamNotifyClient;
  while (status == EC_StreamNotifyClient) {
    status = copy.write(stream, xfer, EET_ExplicitLength, nullptr);
    void* written = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(written, length);
    bytes.append(static_cast<const char*>(written), std::size_t(length));
  }
  copy.transferEnd();
  if (status.bad()) throw InputError(where(h) + ": cannot read the JPEG 2000 pixel data: " + status.text());
  return bytes;
}

std::vector<int32_t> decode_with_gdcm(const DicomHeader& h) {
  gdcm::Trace::WarningOff();  // its warnings go to stderr; what matters is in our errors
  std::istringstream rewritten(rewritten_by_dcmtk(h));
  gdcm::ImageReader reader;
  reader.SetStream(rewritten);
  if (!reader.Read()) throw InputError(where(h) + ": GDCM cannot read the JPEG 2000 file");
  const gdcm::Image& image = reader.GetImage();
  std::vector<char> buffer(image.GetBufferLength());
  if (!image.GetBuffer(buffer.data())) throw InputError(where(h) + ": GDCM cannot decode the JPEG 2000 pixel data");
  // Some encoders put more bits in the code stream than BitsStored says;
  // GDCM then widens its pixel format, and the wider one is the truth.
  DicomHeader decoded = h;
  const gdcm::PixelFormat& format = image.GetPixelFormat();
  if (format.GetBitsStored() > h.bits_stored && format.GetBitsStored() <= h.bits_allocated) {
    decoded.bits_stored = format.GetBitsStored();
    decoded.high_bit = format.GetHighBit();
  }
  return from_bytes(buffer.data(), buffer.size(), decoded);
}

std::vector<int32_t> decode_with_dcmtk(const DicomHeader& h) {
  register_dcmtk_decoders();
  silence_dcmtk_log();
  DcmFileFormat format;
  OFCondition status = format.loadFile(h.file.c_str());
  if (status.bad()) throw InputError(where(h) + ": cannot read: " + status.text());
  DcmDataset& ds = *format.getDataset();
  if (!ds.tagExists(DCM_PixelData)) throw InputError(where(h) + ": no pixel data");
  status = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  if (status.bad() || !ds.canWriteXfer(EXS_LittleEndianExplicit))
    throw InputError(where(h) + ": cannot decode transfer syntax " + h.transfer_syntax + " (" +
                     DcmXfer(ds.getOriginalXfer()).getXferName() + "): " + status.text());
  DcmElement* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels) throw InputError(where(h) + ": no pixel data");
  if (h.bits_allocated == 8) {
    Uint8* bytes = nullptr;
    if (pixels->getUint8Array(bytes).bad() || !bytes) throw InputError(where(h) + ": unreadable pixel data");
    return from_bytes(reinterpret_cast<const char*>(bytes), pixels->getLength(), h);
  }
  Uint16* words = nullptr;
  if (pixels->getUint16Array(words).bad() || !words) throw InputError(where(h) + ": unreadable pixel data");
  return from_bytes(reinterpret_cast<const char*>(words), pixels->getLength(), h);
}

}  // namespace

bool is_jpeg2000(const std::string& ts) {
  return ts == "1.2.840.10008.1.2.4.90" || ts == "1.2.840.10008.1.2.4.91" || ts == "1.2.840.10008.1.2.4.92" ||
         ts == "1.2.840.10008.1.2.4.93";
}

std::vector<int32_t> decode_stored_values(const DicomHeader& header) {
  check_pixel_format(header);
  return is_jpeg2000(header.transfer_syntax) ? decode_with_gdcm(header) : decode_with_dcmtk(header);
}

}  // namespace screener::dicom
