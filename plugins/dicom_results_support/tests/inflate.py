"""Rewrites a Deflated Explicit VR Little Endian Part 10 file as Explicit VR
Little Endian, byte for byte what was deflated, for tools that cannot read
Deflate (Debian's dciodvfy). Independent of DCMTK: Python's zlib inflates, and
pydicom writes the new meta header. Usage: inflate.py IN OUT"""
import io
import struct
import sys
import zlib

import pydicom
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian

source, target = sys.argv[1:3]
data = open(source, "rb").read()
assert data[128:132] == b"DICM", "not a DICOM Part 10 file"
# Preamble, "DICM", then (0002,0000) UL: 4 + 2 + 2 bytes of header and its value, the meta group's length.
assert data[132:138] == b"\x02\x00\x00\x00UL", "the meta header does not start with its group length"
group_length = struct.unpack("<I", data[140:144])[0]
dataset_start = 144 + group_length

meta = pydicom.dcmread(source, stop_before_pixels=True).file_meta
assert meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian, meta.TransferSyntaxUID
# PS3.5 A.5: the dataset is a raw deflate stream (no zlib header).
inflater = zlib.decompressobj(-zlib.MAX_WBITS)
dataset = inflater.decompress(data[dataset_start:]) + inflater.flush()
assert inflater.eof, "the deflate stream is truncated"
assert not inflater.unused_data.strip(b"\x00"), "bytes after the end of the deflate stream"

meta.TransferSyntaxUID = ExplicitVRLittleEndian
header = io.BytesIO()
header.write(b"\x00" * 128 + b"DICM")
write_file_meta_info(pydicom.filebase.DicomFileLike(header), meta, enforce_standard=True)
open(target, "wb").write(header.getvalue() + dataset)
