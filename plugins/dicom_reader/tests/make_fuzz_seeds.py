"""Writes the seed corpora of the DICOM fuzz targets (tests/fuzz/corpus/
dicom_file and dicom_series): tiny series (8 x 8 pixels) made by
make_series.py, in the transfer syntaxes dicom_reader decodes, plus an
enhanced multi-frame file and a few broken variants.

make_fuzz_seeds.py CORPUS_ROOT   (CORPUS_ROOT = tests/fuzz/corpus)
The dicom_series target splits its input at SEPARATOR into files.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEPARATOR = b"--next-file--"


def make(outdir, *args):
    subprocess.run([sys.executable, os.path.join(HERE, "make_series.py"), outdir, "--crop", "8", "--strip-private", "--names", "ordered",
                    "--no-padding", *args], check=True, stderr=subprocess.DEVNULL)
    return sorted(os.path.join(outdir, f) for f in os.listdir(outdir))


def convert(command, src, dst):
    subprocess.run(command + [src, dst], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return dst


def main():
    root = sys.argv[1]
    single, series = os.path.join(root, "dicom_file"), os.path.join(root, "dicom_series")
    for d in (single, series):
        os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        plain = make(os.path.join(tmp, "plain"), "--slices", "3")
        seeds = {"explicit_le": plain[0]}
        for name, command in {"implicit_le": ["dcmconv", "+ti"], "explicit_be": ["dcmconv", "+tb"],
                              "deflated": ["dcmconv", "+td"], "rle": ["dcmcrle"],
                              "jpeg_lossless": ["dcmcjpeg", "+e1"], "jpeg_ls": ["dcmcjpls"],
                              "jpeg2000": ["gdcmconv", "--j2k"]}.items():
            seeds[name] = convert(command, plain[0], os.path.join(tmp, name + ".dcm"))
        seeds["enhanced_ct"] = make(os.path.join(tmp, "enhanced"), "--slices", "3", "--enhanced")[0]
        seeds["eight_bit"] = make(os.path.join(tmp, "eight"), "--slices", "1", "--eight-bit")[0]
        seeds["nan_spacing"] = make(os.path.join(tmp, "nan"), "--slices", "1", "--set", "PixelSpacing=nan\\\\nan")[0]
        seeds["hostile_uid"] = make(os.path.join(tmp, "uid"), "--slices", "1", "--set", "StudyInstanceUID=../..")[0]
        seeds["double_pixel_data"] = make(os.path.join(tmp, "double"), "--slices", "1", "--pixel-data-factor", "2")[0]
        for name, path in seeds.items():
            shutil.copy(path, os.path.join(single, name + ".dcm"))
        with open(plain[0], "rb") as f:
            data = f.read()
        with open(os.path.join(single, "truncated_in_pixel_data.dcm"), "wb") as f:
            f.write(data[: len(data) - 40])

        def join(name, files):
            with open(os.path.join(series, name), "wb") as out:
                out.write(SEPARATOR.join(open(p, "rb").read() for p in files))

        join("three_slices", plain)
        join("three_slices_rle", [convert(["dcmcrle"], p, p + ".rle") for p in plain])
        join("gap", make(os.path.join(tmp, "gap"), "--slices", "4")[:1] + make(os.path.join(tmp, "gap"), "--slices", "4")[2:])
        join("tilted", make(os.path.join(tmp, "tilt"), "--slices", "3", "--tilt", "10"))
        join("mixed_modality", plain[:2] + make(os.path.join(tmp, "pt"), "--slices", "1", "--modality", "PT"))
        join("enhanced", [seeds["enhanced_ct"]])


if __name__ == "__main__":
    main()
