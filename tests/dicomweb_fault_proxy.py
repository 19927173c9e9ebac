"""A DICOMweb proxy in front of a real server that breaks chosen studies, so
that a test can see how a reader reports each failure:

  dicomweb_fault_proxy.py PORT_FILE UPSTREAM [--series-query-fails UID]
                          [--not-dicom UID] [--slow UID] [--slow-seconds S]
                          [--store-refused UID]

--series-query-fails: QIDO-RS for the study's series answers 503.
--not-dicom: WADO-RS retrieve of the study's series answers one part that is
  not DICOM.
--slow: WADO-RS retrieve of the study's series waits S seconds first.
--store-refused: STOW-RS into the study answers 409, every instance failed
  with 0xA700 (out of resources).
Everything else goes to UPSTREAM (http://host:port, the same paths; Accept
and Authorization passed on). The
port it listens on (127.0.0.1) is written to PORT_FILE once it listens.
"""
import argparse
import email.parser
import email.policy
import http.server
import io
import json
import os
import re
import time
import urllib.error
import urllib.request

import pydicom

parser = argparse.ArgumentParser()
parser.add_argument("port_file")
parser.add_argument("upstream")
parser.add_argument("--series-query-fails", default="")
parser.add_argument("--not-dicom", default="")
parser.add_argument("--slow", default="")
parser.add_argument("--slow-seconds", type=float, default=5)
parser.add_argument("--store-refused", default="")
args = parser.parse_args()
upstream = args.upstream.rstrip("/")


class Proxy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        series_query = re.search(r"/studies/([^/]+)/series$", path)
        retrieve = re.search(r"/studies/([^/]+)/series/[^/]+$", path)
        if series_query and series_query.group(1) == args.series_query_fails:
            return self.answer(503, "text/plain", b"injected fault: series query refused")
        if retrieve and retrieve.group(1) == args.not_dicom:
            body = b"--cut\r\nContent-Type: application/dicom\r\n\r\nthis is not DICOM\r\n--cut--\r\n"
            return self.answer(200, 'multipart/related; type="application/dicom"; boundary=cut', body)
        if retrieve and retrieve.group(1) == args.slow:
            time.sleep(args.slow_seconds)
        self.forward(None)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        store = re.search(r"/studies/([^/]+)$", self.path.split("?")[0])
        if store and store.group(1) == args.store_refused:
            failed = [{"00081155": {"vr": "UI", "Value": [uid]}, "00081197": {"vr": "US", "Value": [0xA700]}}
                      for uid in sop_instance_uids(self.headers["Content-Type"], body)]
            answer = json.dumps({"00081198": {"vr": "SQ", "Value": failed}}).encode()
            return self.answer(409, "application/dicom+json", answer)
        self.forward(body)

    def forward(self, body):
        request = urllib.request.Request(upstream + self.path, data=body)
        for name in ("Accept", "Authorization", "Content-Type"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(request) as response:
                self.answer(response.status, response.headers.get("Content-Type", ""), response.read())
        except urllib.error.HTTPError as e:
            self.answer(e.code, e.headers.get("Content-Type", ""), e.read())

    def answer(self, status, content_type, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout being tested)

    def log_message(self, *_):
        pass


def sop_instance_uids(content_type, body):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return [pydicom.dcmread(io.BytesIO(part.get_payload(decode=True))).SOPInstanceUID
            for part in message.iter_parts()]


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(args.port_file + ".tmp", args.port_file)
server.serve_forever()
