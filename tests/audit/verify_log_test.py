#!/usr/bin/env python3
"""Runs verify_log.py (an auditor's verifier written from docs/LOG_FORMAT.md alone) against a
real touchlined and a real export: a log that holds must pass, now and after it grows
(consistency with the head kept from the first run), and each kind of tampering must be caught,
over HTTP and in an exported file.

    verify_log_test.py PATH/TO/touchlined PATH/TO/touchline
"""
import copy
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_log  # noqa: E402

TOKEN = "audit-test-operator-token"


def start(touchlined, data):
    log = open(os.path.join(os.path.dirname(data), "touchlined.log"), "w")
    env = dict(os.environ, TOUCHLINE_OPERATOR_TOKEN=TOKEN)
    proc = subprocess.Popen([touchlined, "--data", data, "--address", "127.0.0.1", "--port", "0"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log.name) as f:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if found:
            return proc, "http://127.0.0.1:" + found.group(1)
        if proc.poll() is not None:
            raise SystemExit("touchlined exited while starting:\n" + open(log.name).read())
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("touchlined did not start within 60 s")


def sign_up(url, n):
    body = json.dumps({"email": "auditee%d@example.com" % n, "password": "a long enough password",
                       "display_name": "Auditee %d \u00e9\u00e8" % n, "membership_role": "coach",
                       "organization_name": "Club %d" % n}).encode()
    request = urllib.request.Request(url + "/v1/commands/SignUp", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 201, answer.status


def run_verifier(url, *extra):
    here = os.path.dirname(os.path.abspath(__file__))
    return subprocess.run([sys.executable, os.path.join(here, "verify_log.py"), "--server", url, "--token", TOKEN,
                           *extra], capture_output=True, text=True, timeout=300)


def run_verifier_file(path, key):
    here = os.path.dirname(os.path.abspath(__file__))
    return subprocess.run([sys.executable, os.path.join(here, "verify_log.py"), "--file", path, "--public-key", key],
                          capture_output=True, text=True, timeout=300)


def expect_failure(what, check):
    try:
        check()
    except verify_log.Failed as failure:
        print("caught, as it should be: %s (%s)" % (what, failure))
        return
    raise SystemExit("NOT caught: " + what)


def main():
    touchlined = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="touchline-audit-") as work:
        data = os.path.join(work, "data")
        proc, url = start(touchlined, data)
        try:
            for n in range(5):
                sign_up(url, n)
            first = run_verifier(url, "--keep-head", os.path.join(work, "head1.json"))
            print(first.stdout + first.stderr)
            if first.returncode != 0:
                raise SystemExit("the verifier refused an untouched log")
            for n in range(5, 12):
                sign_up(url, n)
            second = run_verifier(url, "--earlier-head", os.path.join(work, "head1.json"))
            print(second.stdout + second.stderr)
            if second.returncode != 0 or "extending the head of size" not in second.stdout:
                raise SystemExit("the verifier refused a log that only grew")

            # The same checks in process, on copies of what the server gave, changed one way each.
            server = verify_log.Server(url, TOKEN)
            key = server.get("/v1/log/public-key")["public_key"]
            head = server.get("/v1/log/head")
            events = server.events(head["size"])
            with open(os.path.join(work, "head1.json")) as f:
                earlier = json.load(f)

            def inclusion(position, size):
                return [bytes.fromhex(h) for h in
                        server.get("/v1/log/proof/inclusion?position=%d&size=%d" % (position, size))["audit_path"]]

            def consistency(first_size, second_size):
                return [bytes.fromhex(h) for h in
                        server.get("/v1/log/proof/consistency?from=%d&to=%d" % (first_size, second_size))["proof"]]

            verify_log.check_log(events, head, key, inclusion, earlier, consistency)  # as served: holds

            changed = copy.deepcopy(events)
            changed[3]["payload"]["display_name"] = "Someone Else"
            expect_failure("a changed payload", lambda: verify_log.check_log(changed, head, key, inclusion))
            rehashed = copy.deepcopy(changed)  # ... even with the chain recomputed to match
            prev = "0" * 64
            for e in rehashed:
                e["prev_hash"] = prev
                e["hash"] = prev = verify_log.chain_hash(prev, verify_log.canonical_bytes(e))
            expect_failure("a rewritten log with a consistent chain",
                           lambda: verify_log.check_log(rehashed, head, key, inclusion))
            dropped = events[:5] + events[6:]
            expect_failure("a dropped event", lambda: verify_log.check_log(dropped, head, key, inclusion))
            swapped = copy.deepcopy(events)
            swapped[4], swapped[5] = swapped[5], swapped[4]
            expect_failure("two events swapped", lambda: verify_log.check_log(swapped, head, key, inclusion))
            forged = dict(head, root="00" * 32)
            expect_failure("a head whose root was replaced", lambda: verify_log.check_log(events, forged, key, inclusion))
            later = dict(head, timestamp=head["timestamp"] + 1)
            expect_failure("a head whose time was changed", lambda: verify_log.check_log(events, later, key, inclusion))
            other_key = "11" * 32
            expect_failure("another key", lambda: verify_log.check_log(events, head, other_key, inclusion))

            def bent_inclusion(position, size):
                path = inclusion(position, size)
                if position == 2 and path:
                    path[0] = bytes(32)
                return path
            expect_failure("a changed inclusion proof", lambda: verify_log.check_log(events, head, key, bent_inclusion))

            def bent_consistency(first_size, second_size):
                proof = consistency(first_size, second_size)
                proof[-1] = bytes(32)
                return proof
            expect_failure("a changed consistency proof",
                           lambda: verify_log.check_log(events, head, key, inclusion, earlier, bent_consistency))
            # An earlier head the log does not extend: the server's own proof cannot bridge it.
            fork = dict(earlier, root=head["root"])
            expect_failure("an earlier head with another root (unsigned)",
                           lambda: verify_log.check_log(events, head, key, inclusion, fork, consistency))
            # And the consistency proof itself refuses a root the log does not extend.
            proof = consistency(earlier["size"], head["size"])
            if verify_log.verify_consistency(earlier["size"], head["size"], bytes(32), bytes.fromhex(head["root"]), proof):
                raise SystemExit("NOT caught: a consistency proof from a root the log does not extend")
            print("caught, as it should be: a consistency proof from a forked root")
            # The proofs themselves are what the document says, at every size: check each event
            # of the earlier tree against the earlier head too.
            small = events[:earlier["size"]]
            verify_log.check_log(small, earlier, key, inclusion)

            # An export (made beside the running server) checked offline: untouched, it passes;
            # changed, it does not, and touchline's own verify --file agrees on both.
            touchline = sys.argv[2]
            export = os.path.join(work, "export.ndjson")
            made = subprocess.run([touchline, "export", "--data", data, "--to", export], capture_output=True,
                                  text=True, timeout=300)
            if made.returncode != 0:
                raise SystemExit("touchline export failed:\n" + made.stdout + made.stderr)
            offline = run_verifier_file(export, key)
            print(offline.stdout + offline.stderr)
            if offline.returncode != 0:
                raise SystemExit("the verifier refused an untouched export")
            with open(export, encoding="utf-8") as f:
                lines = f.read().split("\n")
            tampered = list(lines)
            # a byte of the event at position 4: a digit of the time it was recorded
            tampered[4] = re.sub(r'"recorded_at_ms":(\d)', lambda m: '"recorded_at_ms":' + str((int(m.group(1)) + 1) % 10),
                                 tampered[4], count=1)
            if tampered[4] == lines[4]:
                raise SystemExit("the event at position 4 has no recorded time to change")
            for name, content in (("changed", tampered), ("dropped", lines[:3] + lines[4:]),
                                  ("swapped", lines[:3] + [lines[4], lines[3]] + lines[5:])):
                bad = os.path.join(work, name + ".ndjson")
                with open(bad, "w", encoding="utf-8") as f:
                    f.write("\n".join(content))
                caught = run_verifier_file(bad, key)
                print(caught.stdout.strip())
                if caught.returncode == 0:
                    raise SystemExit("the verifier passed an export with an event " + name)
                ours = subprocess.run([touchline, "verify", "--file", bad, "--public-key", key], capture_output=True,
                                      text=True, timeout=300)
                if ours.returncode == 0 or "BAD at position" not in ours.stdout:
                    raise SystemExit("touchline verify --file passed an export with an event " + name)
                print("  touchline verify --file: " + ours.stdout.strip())
            print("verify_log_test: every check held")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
