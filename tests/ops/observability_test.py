#!/usr/bin/env python3
"""What an operator's tools read from a running touchlined, read by those tools' own code: the
Prometheus scrape of GET /metrics parsed by the Prometheus client library's parser, the JSON log
read line by line, and the request ids a client sees in headers and problem bodies.

    observability_test.py PATH/TO/touchlined
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

TOUCHLINED = None
TOKEN = "observability-test-operator-token"
PASSWORD = "correct horse battery"


class Server:
    def __init__(self, *flags):
        self.dir = tempfile.TemporaryDirectory(prefix="touchline-ops-")
        self.log_path = os.path.join(self.dir.name, "touchlined.log")
        self.log = open(self.log_path, "w")
        env = dict(os.environ, TOUCHLINE_OPERATOR_TOKEN=TOKEN)
        self.proc = subprocess.Popen([TOUCHLINED, "--data", os.path.join(self.dir.name, "data"), "--address",
                                      "127.0.0.1", "--port", "0", *flags],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.output())
            if found:
                self.url = "http://127.0.0.1:" + found.group(1)
                return
            if self.proc.poll() is not None:
                raise AssertionError("touchlined exited while starting:\n" + self.output())
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError("touchlined did not start within 60 s")

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()
        self.dir.cleanup()

    def call(self, method, path, body=None, token=None, headers=None):
        """(status, headers, body) of one request; errors are answers too."""
        data = json.dumps(body).encode() if body is not None else None
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = "Bearer " + token
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def scrape(self):
        status, headers, text = self.call("GET", "/metrics", token=TOKEN)
        assert status == 200, (status, text)
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers["Content-Type"]
        return {family.name: family for family in text_string_to_metric_families(text)}


def value(families, family, sample_name, **labels):
    for sample in families[family].samples:
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return None


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_a_scrape_counts_requests_commands_appends_and_the_cache(self):
        s = self.server
        status, _, body = s.call("POST", "/v1/commands/SignUp",
                                 {"email": "hana@example.com", "password": PASSWORD, "display_name": "Hana",
                                  "membership_role": "coach", "organization_name": "Harbour Runners"})
        self.assertEqual(status, 201, body)
        coach = json.loads(body)
        status, _, body = s.call("POST", "/v1/sessions", {"email": "hana@example.com", "password": PASSWORD})
        self.assertEqual(status, 201, body)
        token = json.loads(body)["token"]
        for _ in range(7):
            status, _, body = s.call("POST", "/v1/check", {"organization_id": coach["organization_id"],
                                                            "subject": coach["account_id"],
                                                            "permission": "members.view",
                                                            "min_position": coach["position"]}, token)
            self.assertEqual(status, 200, body)
        # The same organisation's commands: the second and third are decided on the folded state.
        for _ in range(3):
            status, _, body = s.call("POST", "/v1/commands/ChangeTier",
                                     {"organization_id": coach["organization_id"], "tier": "club"}, token)
            self.assertIn(status, (200, 201), body)
        status, _, body = s.call("POST", "/v1/commands/NoSuchCommand", {}, token)
        self.assertEqual(status, 404, body)

        m = s.scrape()
        self.assertEqual(value(m, "touchline_http_requests", "touchline_http_requests_total",
                               method="POST", route="/v1/check", status="200"), 7)
        self.assertEqual(value(m, "touchline_commands", "touchline_commands_total", command="SignUp", outcome="ok"), 1)
        self.assertEqual(value(m, "touchline_commands", "touchline_commands_total",
                               command="(unknown)", outcome="not_found"), 1)
        histogram = "touchline_http_request_duration_seconds"
        buckets = [x for x in m[histogram].samples
                   if x.name == histogram + "_bucket" and x.labels["route"] == "/v1/check"]
        counts = [x.value for x in sorted(buckets, key=lambda x: float(x.labels["le"]))]
        self.assertEqual(counts, sorted(counts), "buckets are cumulative")
        self.assertEqual(buckets[-1].labels["le"], "+Inf")
        self.assertEqual(counts[-1], 7)
        self.assertEqual(value(m, histogram, histogram + "_count", route="/v1/check"), 7)

        head = value(m, "touchline_log_position", "touchline_log_position")
        self.assertGreaterEqual(head, coach["position"])
        for projection in ("permissions", "audit"):
            lag = value(m, "touchline_projection_lag_events", "touchline_projection_lag_events", projection=projection)
            position = value(m, "touchline_projection_position", "touchline_projection_position",
                             projection=projection)
            self.assertEqual(lag, head - position)
        appends = value(m, "touchline_store_appends", "touchline_store_appends_total")
        self.assertGreaterEqual(appends, 2)  # the sign-up, a tier change; the server keys too
        self.assertEqual(value(m, "touchline_store_batch_appends", "touchline_store_batch_appends_sum"), appends)
        self.assertEqual(value(m, "touchline_store_batch_write_seconds", "touchline_store_batch_write_seconds_count"),
                         value(m, "touchline_store_batches", "touchline_store_batches_total"))
        self.assertGreater(value(m, "touchline_write_cache_hits", "touchline_write_cache_hits_total"), 0)
        self.assertGreater(value(m, "touchline_write_cache_entries", "touchline_write_cache_entries"), 0)
        self.assertGreaterEqual(value(m, "touchline_http_open_connections", "touchline_http_open_connections"), 1)

    def test_metrics_are_for_the_operator(self):
        status, _, body = self.server.call("GET", "/metrics")
        self.assertEqual(status, 401, body)
        status, _, body = self.server.call("GET", "/metrics", token="not-the-token")
        self.assertEqual(status, 403, body)


class RequestIdsAndLogs(unittest.TestCase):
    def test_every_answer_has_a_request_id_and_the_json_log_a_line_for_it(self):
        s = Server("--log-format", "json")
        try:
            status, headers, _ = s.call("GET", "/healthz", headers={"X-Request-Id": "client-chosen.id_1"})
            self.assertEqual(status, 200)
            self.assertEqual(headers["X-Request-Id"], "client-chosen.id_1")
            status, headers, body = s.call("POST", "/v1/check", {"organization_id": "x"},
                                           headers={"X-Request-Id": "not valid!"})
            self.assertEqual(status, 401)
            made_up = headers["X-Request-Id"]
            self.assertRegex(made_up, r"^[0-9a-f]{16}$")
            self.assertEqual(json.loads(body)["request_id"], made_up, "the problem body names the request")
            s.proc.terminate()
            s.proc.wait(timeout=60)
            lines = [json.loads(line) for line in s.output().splitlines()]  # every line is one JSON object
            for line in lines:
                self.assertEqual(set(line) >= {"time", "level", "message"}, True, line)
                self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                self.assertIn(line["level"], ("info", "warning", "error"))
            requests = {line["request_id"]: line for line in lines if line["message"] == "request"}
            self.assertEqual(requests["client-chosen.id_1"]["route"], "/healthz")
            self.assertEqual(requests["client-chosen.id_1"]["status"], 200)
            self.assertEqual(requests[made_up]["route"], "/v1/check")
            self.assertEqual(requests[made_up]["status"], 401)
            self.assertEqual(requests[made_up]["method"], "POST")
            self.assertGreaterEqual(requests[made_up]["latency_ms"], 0)
            self.assertTrue(any("listening on" in line["message"] for line in lines))
        finally:
            if s.proc.poll() is None:
                s.proc.kill()
            s.log.close()
            s.dir.cleanup()

    def test_the_access_log_can_be_turned_off(self):
        s = Server("--log-requests", "false")
        try:
            self.assertEqual(s.call("GET", "/healthz")[0], 200)
            s.proc.terminate()
            s.proc.wait(timeout=60)
            self.assertNotIn("/healthz", s.output())
            self.assertIn("touchlined: touchlined listening on", s.output())
        finally:
            s.log.close()
            s.dir.cleanup()


if __name__ == "__main__":
    TOUCHLINED = sys.argv.pop(1)
    unittest.main(verbosity=2)
