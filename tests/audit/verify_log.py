#!/usr/bin/env python3
"""An auditor's check of a Touchline log, written from docs/LOG_FORMAT.md alone.

It shares no code with Touchline. Against a running server, it reads the log over HTTP (the
operator endpoints), computes each event's canonical bytes, leaf hash and the tree's root
itself, checks the signed tree head with the public key, every event's inclusion proof at the
head's size, and, given a head kept from an earlier run, the consistency proof from that head to
this one. Against an exported file (`touchline export`), it checks the same without a server:
the chain, the root of the file's events against its signed head, and the signature.

    verify_log.py --server http://127.0.0.1:8080 --token TOKEN [--public-key HEX]
                  [--earlier-head FILE] [--keep-head FILE]
    verify_log.py --file EXPORT [--public-key HEX]

--public-key pins the key (otherwise the one the server serves, or the file names, is used and
printed).
Exit status 0 when everything holds, 1 with the first thing that does not.
Needs Python 3 and its `cryptography` package (Debian: python3-cryptography) for Ed25519.
"""
import argparse
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Failed(Exception):
    pass


# --- the document's rules -------------------------------------------------------------------

def sha256(data):
    return hashlib.sha256(data).digest()


def canonical_bytes(envelope):
    """Every member but hash and prev_hash, keys sorted, no whitespace, UTF-8 as is."""
    rest = {k: v for k, v in envelope.items() if k not in ("hash", "prev_hash")}
    return json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def leaf_hash(canonical):
    return sha256(b"\x00" + canonical)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def largest_power_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_root(leaves):
    """MTH(D[n]) by its recursive definition."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = largest_power_below(len(leaves))
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def chain_hash(prev_hash_hex, canonical):
    return hashlib.sha256(bytes.fromhex(prev_hash_hex) + canonical).hexdigest()


def signed_message(head):
    return (b"touchline tree head v1" + b"\x00" + head["size"].to_bytes(8, "big") +
            (head["timestamp"] & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big") + bytes.fromhex(head["root"]))


def check_signature(public_key_hex, head):
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    try:
        key.verify(bytes.fromhex(head["signature"]), signed_message(head))
    except InvalidSignature:
        raise Failed("the tree head of size %d does not carry a valid signature" % head["size"])


def verify_inclusion(index, size, leaf, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    if first == 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- talking to the server ------------------------------------------------------------------

class Server:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token

    def get(self, path):
        request = urllib.request.Request(self.url + path, headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read().decode("utf-8"))

    def events(self, through):
        out, after = [], 0
        while after < through:
            page = self.get("/v1/events?after=%d&limit=1000" % after)
            if not page["events"]:
                break
            out.extend(e for e in page["events"] if e["position"] <= through)
            after = page["events"][-1]["position"]
        return out


def chain_leaves(events):
    """Checks the hash chain from position 1; returns the events' leaf hashes."""
    prev = "0" * 64
    leaves = []
    for expected, e in enumerate(events, start=1):
        if not isinstance(e, dict) or e.get("position") != expected:
            raise Failed("position %d: the event says position %s" %
                         (expected, e.get("position") if isinstance(e, dict) else "nothing"))
        canonical = canonical_bytes(e)
        if e.get("prev_hash") != prev or e.get("hash") != chain_hash(prev, canonical):
            raise Failed("position %d: the hash chain breaks" % expected)
        prev = e["hash"]
        leaves.append(leaf_hash(canonical))
    return leaves


def check_log(events, head, public_key_hex, inclusion_path, earlier=None, consistency_proof=None):
    """Checks a head against the events it covers; raises Failed naming the first problem.

    inclusion_path(position, size) and consistency_proof(from, to) give the server's proofs as
    lists of 32-byte hashes."""
    check_signature(public_key_hex, head)
    size = head["size"]
    if len(events) != size:
        raise Failed("the head covers %d events but %d were read" % (size, len(events)))
    leaves = chain_leaves(events)
    root = bytes.fromhex(head["root"])
    if tree_root(leaves) != root:
        raise Failed("the events do not hash to the signed root of size %d" % size)
    for position in range(1, size + 1):
        if not verify_inclusion(position - 1, size, leaves[position - 1], inclusion_path(position, size), root):
            raise Failed("position %d: the inclusion proof does not lead to the signed root" % position)
    if earlier is not None:
        check_signature(public_key_hex, earlier)
        if earlier["size"] > size:
            raise Failed("the earlier head (size %d) is larger than this one" % earlier["size"])
        if earlier["size"] > 0:
            proof = consistency_proof(earlier["size"], size)
            if not verify_consistency(earlier["size"], size, bytes.fromhex(earlier["root"]), root, proof):
                raise Failed("the log of size %d does not extend the earlier head of size %d" % (size, earlier["size"]))


def read_export(path):
    """The header, the events and the signed head of an exported file (docs/LOG_FORMAT.md)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise Failed("the file is empty")
    try:
        header = json.loads(lines[0])
    except ValueError:
        raise Failed("the first line is not JSON")
    if not isinstance(header, dict) or header.get("format") != "touchline-export" or header.get("version") != 1:
        raise Failed("the first line is not the header of a version 1 export")
    if len(lines) < 2 or not lines[-1].startswith('{"tree_head":'):
        raise Failed("the file does not end with its signed tree head")
    events = []
    for number, line in enumerate(lines[1:-1], start=1):
        try:
            events.append(json.loads(line))
        except ValueError:
            raise Failed("position %d: the line is not JSON" % number)
    return header, events, json.loads(lines[-1])["tree_head"]


def check_export(path, public_key_hex=None):
    """Checks an exported file; returns (events, key used); raises Failed naming the first problem."""
    header, events, head = read_export(path)
    key = public_key_hex or header["public_key"]
    check_signature(key, head)
    leaves = chain_leaves(events)
    if head["size"] != len(events):
        raise Failed("position %d: the signed head covers %d events but the file holds %d" %
                     (min(head["size"], len(events)) + 1, head["size"], len(events)))
    if tree_root(leaves) != bytes.fromhex(head["root"]):
        raise Failed("the events do not hash to the signed root")
    return len(events), key


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server")
    parser.add_argument("--token")
    parser.add_argument("--file")
    parser.add_argument("--public-key")
    parser.add_argument("--earlier-head")
    parser.add_argument("--keep-head")
    args = parser.parse_args()
    if args.file:
        try:
            count, key = check_export(args.file, args.public_key)
        except Failed as failure:
            print("verify_log: FAILED: %s" % failure)
            return 1
        print("verify_log: ok: %s holds %d events, its chain and tree match the head signed by %s"
              % (args.file, count, key))
        return 0
    if not args.server or not args.token:
        parser.error("give --server and --token, or --file")
    server = Server(args.server, args.token)
    public_key = args.public_key or server.get("/v1/log/public-key")["public_key"]
    head = server.get("/v1/log/head")
    earlier = None
    if args.earlier_head:
        with open(args.earlier_head) as f:
            earlier = json.load(f)

    def inclusion_path(position, size):
        answer = server.get("/v1/log/proof/inclusion?position=%d&size=%d" % (position, size))
        return [bytes.fromhex(h) for h in answer["audit_path"]]

    def consistency_proof(first, second):
        answer = server.get("/v1/log/proof/consistency?from=%d&to=%d" % (first, second))
        return [bytes.fromhex(h) for h in answer["proof"]]

    try:
        check_log(server.events(head["size"]), head, public_key, inclusion_path, earlier, consistency_proof)
    except Failed as failure:
        print("verify_log: FAILED: %s" % failure)
        return 1
    if args.keep_head:
        with open(args.keep_head, "w") as f:
            json.dump(head, f)
    print("verify_log: ok: %d events, root %s, signed by %s%s" %
          (head["size"], head["root"], public_key,
           "" if earlier is None else ", extending the head of size %d" % earlier["size"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
