"""Tests of tools/verify_bundle.py that need no Ward binary.

    python3 -m unittest discover -s tools -p 'test_*.py' -v

They anchor each building block to published test vectors (RFC 8032 for Ed25519,
the Certificate Transparency Merkle roots for RFC 9162 hashing, the signed-note
example of Go's golang.org/x/mod/sumdb/note, RFC 8785's canonicalization sample),
check the iterative RFC 9162 proof verifiers against proofs built here by the
RFC's recursive definitions, and then build whole bundles in Python, signed with
RFC 8032's TEST 1 key, and tamper with them the ways an attacker could.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import verify_bundle as vb  # noqa: E402  (the path is set just above)

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "verify_bundle.py")

# ---------------------------------------------------------------------------
# Ed25519
# ---------------------------------------------------------------------------

#: RFC 8032 §7.1 TEST 1, TEST 2, TEST 3: (secret key, public key, message, signature).
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def ed25519_public_key(secret: bytes) -> bytes:
    """RFC 8032 §5.1.5 key generation (tests only: the verifier never signs)."""
    a = _clamped_scalar(secret)
    return vb._encode_point(vb._scalar_mult(a, vb._BASE))


def _clamped_scalar(secret: bytes) -> int:
    h = hashlib.sha512(secret).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a


def ed25519_sign(secret: bytes, message: bytes) -> bytes:
    """RFC 8032 §5.1.6 signing, to make signed notes for the tests."""
    h = hashlib.sha512(secret).digest()
    a = _clamped_scalar(secret)
    public = vb._encode_point(vb._scalar_mult(a, vb._BASE))
    r = int.from_bytes(hashlib.sha512(h[32:] + message).digest(), "little") % vb._L
    big_r = vb._encode_point(vb._scalar_mult(r, vb._BASE))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little")
    s = (r + k % vb._L * a) % vb._L
    return big_r + s.to_bytes(32, "little")


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


class Ed25519Test(unittest.TestCase):
    def test_rfc8032_vectors_verify(self):
        for secret, public, message, signature in RFC8032_VECTORS:
            with self.subTest(public=public[:8]):
                self.assertTrue(
                    vb.ed25519_verify(
                        bytes.fromhex(public),
                        bytes.fromhex(message),
                        bytes.fromhex(signature),
                    )
                )

    def test_the_point_arithmetic_reproduces_the_rfc8032_keys_and_signatures(self):
        # Signing is deterministic, so this checks scalar multiplication and point
        # encoding against the RFC byte for byte, not just for self-consistency.
        for secret, public, message, signature in RFC8032_VECTORS:
            with self.subTest(public=public[:8]):
                secret_bytes = bytes.fromhex(secret)
                self.assertEqual(ed25519_public_key(secret_bytes).hex(), public)
                signed = ed25519_sign(secret_bytes, bytes.fromhex(message))
                self.assertEqual(signed.hex(), signature)

    def test_a_flipped_bit_anywhere_fails(self):
        _, public, message, signature = RFC8032_VECTORS[2]
        public_b, message_b, signature_b = (
            bytes.fromhex(public),
            bytes.fromhex(message),
            bytes.fromhex(signature),
        )
        for bit in (0, 7, 100, 255, 256, 300, 511):
            with self.subTest(signature_bit=bit):
                self.assertFalse(
                    vb.ed25519_verify(public_b, message_b, flip_bit(signature_b, bit))
                )
        for bit in (0, 9):
            with self.subTest(message_bit=bit):
                self.assertFalse(
                    vb.ed25519_verify(public_b, flip_bit(message_b, bit), signature_b)
                )
        for bit in (0, 128, 254):
            with self.subTest(public_key_bit=bit):
                self.assertFalse(
                    vb.ed25519_verify(flip_bit(public_b, bit), message_b, signature_b)
                )

    def test_a_non_canonical_s_is_refused(self):
        # S + L is the same scalar mod L, so the group equation still holds: only
        # the S < L check stops this malleated signature.
        _, public, message, signature = RFC8032_VECTORS[0]
        sig = bytes.fromhex(signature)
        s = int.from_bytes(sig[32:], "little")
        malleated = sig[:32] + (s + vb._L).to_bytes(32, "little")
        self.assertFalse(
            vb.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message), malleated)
        )

    def test_bad_point_encodings_are_refused(self):
        # y = p is y = 0 written non-canonically (y must be < p).
        self.assertIsNone(vb._decode_point(vb._P.to_bytes(32, "little")))
        # y = 1, x = 0 is the identity; with the sign bit set it is non-canonical.
        self.assertIsNotNone(vb._decode_point((1).to_bytes(32, "little")))
        self.assertIsNone(vb._decode_point((1 | 1 << 255).to_bytes(32, "little")))
        # y = 2 has no x on the curve (x^2 is not a square).
        self.assertIsNone(vb._decode_point((2).to_bytes(32, "little")))
        self.assertIsNone(vb._decode_point(b"\x00" * 31))
        _, public, message, signature = RFC8032_VECTORS[0]
        bad_r = (2).to_bytes(32, "little") + bytes.fromhex(signature)[32:]
        self.assertFalse(
            vb.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message), bad_r)
        )
        self.assertFalse(
            vb.ed25519_verify(
                (2).to_bytes(32, "little"), b"", bytes.fromhex(signature)
            )
        )

    def test_wrong_lengths_fail(self):
        _, public, message, signature = RFC8032_VECTORS[0]
        self.assertFalse(
            vb.ed25519_verify(bytes.fromhex(public)[:31], b"", bytes.fromhex(signature))
        )
        self.assertFalse(
            vb.ed25519_verify(bytes.fromhex(public), b"", bytes.fromhex(signature)[:63])
        )

    def test_points_round_trip_through_their_encoding(self):
        point = vb._BASE
        for _ in range(10):
            point = vb._point_add(point, vb._scalar_mult(7, point))
            decoded = vb._decode_point(vb._encode_point(point))
            self.assertIsNotNone(decoded)
            self.assertTrue(vb._point_equal(decoded, point))


# ---------------------------------------------------------------------------
# RFC 8785 canonical JSON
# ---------------------------------------------------------------------------


class CanonicalJsonTest(unittest.TestCase):
    def test_the_rfc8785_sample(self):
        source = (
            '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, '
            "0.000000000000000000000000001],\n"
            '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
            '  "literals": [null, true, false]\n}'
        )
        expected = (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,'
            '0.002,1e-27],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        )
        self.assertEqual(vb.canonical_json(vb.parse_json(source)), expected)
        self.assertEqual(vb.check_canonical(expected), vb.parse_json(source))
        with self.assertRaises(vb.NotCanonical):
            vb.check_canonical(source)

    def test_members_sort_by_utf16_code_units(self):
        # RFC 8785 §3.2.3's example: U+1F600 (a surrogate pair, D83D DE00) sorts
        # before U+FB33, although its code point is larger.
        value = vb.parse_json(
            '{"\\u20ac":1,"\\r":2,"\\ufb33":3,"1":4,"\\ud83d\\ude00":5,'
            '"\\u0080":6,"\\u00f6":7}'
        )
        names = [name for name in vb.parse_json(vb.canonical_json(value))]
        self.assertEqual(
            names, ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
        )

    def test_numbers_are_written_the_ecmascript_way(self):
        # IEEE 754 bit patterns and the form ECMAScript (so RFC 8785) gives them.
        samples = [
            ("0000000000000000", "0"),
            ("8000000000000000", "0"),
            ("0000000000000001", "5e-324"),
            ("8000000000000001", "-5e-324"),
            ("7fefffffffffffff", "1.7976931348623157e+308"),
            ("4340000000000000", "9007199254740992"),
            ("c340000000000000", "-9007199254740992"),
            ("4430000000000000", "295147905179352830000"),
            ("44b52d02c7e14af5", "9.999999999999997e+22"),
            ("44b52d02c7e14af6", "1e+23"),
            ("444b1ae4d6e2ef4f", "999999999999999900000"),
            ("444b1ae4d6e2ef50", "1e+21"),
            ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
            ("3eb0c6f7a0b5ed8d", "0.000001"),
            ("41b3de4355555553", "333333333.3333332"),
            ("43143ff3c1cb0959", "1424953923781206.2"),
        ]
        for bits, expected in samples:
            with self.subTest(bits=bits):
                (value,) = struct.unpack(">d", bytes.fromhex(bits))
                self.assertEqual(vb.ecmascript_number(value), expected)
        self.assertEqual(vb.canonical_json([1.0, 0.5, 100.0, 1e-7]), "[1,0.5,100,1e-7]")

    def test_it_agrees_with_sorted_compact_json_dumps_on_ward_like_records(self):
        record = {
            "version": 1,
            "time": "2026-11-23T07:06:07.211042Z",
            "role": {"agent": "claude-code", "session_id": "s-1"},
            "request": {
                "event": "PreToolUse",
                "input": {"command": "echo 'h\u00e9' \"\\\" \t\u0001\u2028 \U0001f600"},
                "targets": [{"kind": "delete", "path": "/home/dev"}],
            },
            "reference": {"seq": 17, "session_seq": 3, "prev_hash": "ab" * 32},
            "resource": {"input_bytes": 74, "usage": {"context_tokens": 41230}},
            "result": {"decision": "deny", "enforced": True, "error": None},
        }
        text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        self.assertEqual(vb.canonical_json(record), text)
        self.assertEqual(vb.check_canonical(text), record)

    def test_non_canonical_texts_are_refused(self):
        cases = {
            "whitespace": '{"a": 1}',
            "member order": '{"b":1,"a":2}',
            "needless escape": '{"a":"\\u0041"}',
            "upper-case escape": '{"a":"\\u001F"}',
            "escaped slash": '{"a":"\\/"}',
            "a float written as 1.0": '{"a":1.0}',
            "an exponent": '{"a":1E3}',
            "minus zero": '{"a":-0}',
            "duplicate names": '{"a":1,"a":1}',
            "NaN": '{"a":NaN}',
            "a lone surrogate": '{"a":"\\ud800"}',
            "an integer beyond doubles": '{"a":9007199254740993}',
            "trailing newline": '{"a":1}\n',
            "not JSON": '{"a":',
        }
        for reason, text in cases.items():
            with self.subTest(reason):
                with self.assertRaises(vb.NotCanonical):
                    vb.check_canonical(text)

    def test_non_ascii_is_written_as_itself(self):
        self.assertEqual(vb.check_canonical('{"a":"\u00e9\u2028\U0001f600\x7f"}'),
                         {"a": "\u00e9\u2028\U0001f600\x7f"})


# ---------------------------------------------------------------------------
# RFC 9162 Merkle trees
# ---------------------------------------------------------------------------


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_path(m: int, leaves: Sequence[bytes]) -> List[bytes]:
    """PATH(m, D[n]) by RFC 9162 §2.1.3.1's recursive definition."""
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return reference_path(m, leaves[:k]) + [vb.merkle_root(leaves[k:])]
    return reference_path(m - k, leaves[k:]) + [vb.merkle_root(leaves[:k])]


def reference_proof(m: int, leaves: Sequence[bytes]) -> List[bytes]:
    """PROOF(m, D[n]) by RFC 9162 §2.1.4.1's recursive definition (0 < m <= n)."""

    def subproof(m: int, leaves: Sequence[bytes], whole: bool) -> List[bytes]:
        n = len(leaves)
        if m == n:
            return [] if whole else [vb.merkle_root(leaves)]
        k = _split(n)
        if m <= k:
            return subproof(m, leaves[:k], whole) + [vb.merkle_root(leaves[k:])]
        return subproof(m - k, leaves[k:], False) + [vb.merkle_root(leaves[:k])]

    return subproof(m, leaves, True)


#: The leaves of Certificate Transparency's reference tests, and the roots of
#: their first 1..8 leaves.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


class MerkleTest(unittest.TestCase):
    leaves = [f"leaf {i}".encode() for i in range(7)]

    def test_roots_match_certificate_transparency(self):
        self.assertEqual(
            vb.merkle_root([]).hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        for n, root in enumerate(CT_ROOTS, start=1):
            self.assertEqual(vb.merkle_root(CT_LEAVES[:n]).hex(), root)

    def test_every_inclusion_proof_of_a_seven_leaf_tree_verifies(self):
        for n in range(1, 8):
            root = vb.merkle_root(self.leaves[:n])
            for m in range(n):
                with self.subTest(size=n, index=m):
                    path = reference_path(m, self.leaves[:n])
                    leaf = vb.leaf_hash(self.leaves[m])
                    self.assertTrue(vb.verify_inclusion(leaf, m, n, path, root))

    def test_tampered_inclusion_proofs_fail(self):
        n = 7
        root = vb.merkle_root(self.leaves)
        other = vb.sha256(b"other")
        for m in range(n):
            path = reference_path(m, self.leaves)
            leaf = vb.leaf_hash(self.leaves[m])
            with self.subTest(index=m):
                self.assertFalse(vb.verify_inclusion(vb.leaf_hash(b"x"), m, n, path, root))
                self.assertFalse(vb.verify_inclusion(leaf, m, n, path, other))
                self.assertFalse(vb.verify_inclusion(leaf, (m + 1) % n, n, path, root))
                # (Sizes 6 and 8 are not tried: for some leaves a proof in the tree
                # of 7 is also a proof in a tree of 6 or 8 with the same root, a tree
                # that does not exist. The signed checkpoint, not the proof, binds
                # the size to the root.)
                self.assertFalse(vb.verify_inclusion(leaf, m, n + 2, path, root))
                self.assertFalse(vb.verify_inclusion(leaf, m + n, n, path, root))
                self.assertFalse(vb.verify_inclusion(leaf, m, n, path + [other], root))
                self.assertFalse(vb.verify_inclusion(leaf, m, n, path[:-1], root))
                for i in range(len(path)):
                    broken = list(path)
                    broken[i] = flip_bit(broken[i], 3)
                    self.assertFalse(vb.verify_inclusion(leaf, m, n, broken, root))
                # The leaf entry itself is not the leaf hash (0x00 prefix).
                self.assertFalse(
                    vb.verify_inclusion(vb.sha256(self.leaves[m]), m, n, path, root)
                )

    def test_a_single_leaf_tree_has_an_empty_path(self):
        root = vb.merkle_root(self.leaves[:1])
        self.assertEqual(root, vb.leaf_hash(self.leaves[0]))
        self.assertTrue(vb.verify_inclusion(root, 0, 1, [], root))
        self.assertFalse(vb.verify_inclusion(root, 0, 0, [], root))

    def test_every_consistency_proof_of_a_seven_leaf_tree_verifies(self):
        for n in range(1, 8):
            new_root = vb.merkle_root(self.leaves[:n])
            for m in range(0, n + 1):
                with self.subTest(old=m, new=n):
                    proof = reference_proof(m, self.leaves[:n]) if m else []
                    old_root = vb.merkle_root(self.leaves[:m])
                    self.assertTrue(
                        vb.verify_consistency(m, n, old_root, new_root, proof)
                    )

    def test_tampered_consistency_proofs_fail(self):
        other = vb.sha256(b"other")
        n = 7
        new_root = vb.merkle_root(self.leaves)
        for m in range(1, n):
            proof = reference_proof(m, self.leaves)
            old_root = vb.merkle_root(self.leaves[:m])
            with self.subTest(old=m):
                self.assertFalse(vb.verify_consistency(m, n, other, new_root, proof))
                self.assertFalse(vb.verify_consistency(m, n, old_root, other, proof))
                self.assertFalse(vb.verify_consistency(m, n, old_root, new_root, []))
                self.assertFalse(
                    vb.verify_consistency(m, n, old_root, new_root, proof + [other])
                )
                self.assertFalse(
                    vb.verify_consistency(m, n, old_root, new_root, proof[:-1])
                )
                self.assertFalse(vb.verify_consistency(m, n + 2, old_root, new_root, proof))
                self.assertFalse(vb.verify_consistency(n, m, new_root, old_root, proof))
                for i in range(len(proof)):
                    broken = list(proof)
                    broken[i] = flip_bit(broken[i], 200)
                    self.assertFalse(
                        vb.verify_consistency(m, n, old_root, new_root, broken)
                    )
                # A tree that is not a prefix: change an old leaf.
                forged = list(self.leaves)
                forged[m - 1] = b"forged"
                self.assertFalse(
                    vb.verify_consistency(
                        m, n, vb.merkle_root(forged[:m]), new_root, proof
                    )
                )

    def test_consistency_edge_cases(self):
        root = vb.merkle_root(self.leaves)
        self.assertTrue(vb.verify_consistency(7, 7, root, root, []))
        self.assertFalse(vb.verify_consistency(7, 7, root, root, [root]))
        self.assertFalse(vb.verify_consistency(7, 7, vb.sha256(b"x"), root, []))
        self.assertTrue(vb.verify_consistency(0, 7, vb.EMPTY_ROOT, root, []))
        self.assertFalse(vb.verify_consistency(0, 7, root, root, []))


# ---------------------------------------------------------------------------
# Signed notes and checkpoints
# ---------------------------------------------------------------------------

SECRET = bytes.fromhex(RFC8032_VECTORS[0][0])
PUBLIC = bytes.fromhex(RFC8032_VECTORS[0][1])
KEY_ID = hashlib.sha256(PUBLIC).hexdigest()[:16]
ORIGIN = "ward/" + KEY_ID
OTHER_SECRET = bytes.fromhex(RFC8032_VECTORS[1][0])
OTHER_PUBLIC = bytes.fromhex(RFC8032_VECTORS[1][1])


def signature_line(name: str, public: bytes, secret: bytes, body: str) -> str:
    blob = vb.key_hash(name, public) + ed25519_sign(secret, body.encode("utf-8"))
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


def checkpoint_body(size: int, root: bytes, origin: str = ORIGIN) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_note(body: str, name: str = ORIGIN, secret: bytes = SECRET) -> str:
    return body + "\n" + signature_line(name, ed25519_public_key(secret), secret, body)


OTHER_KEY_ID = hashlib.sha256(OTHER_PUBLIC).hexdigest()[:16]
#: A third log key (seed 32 bytes of 0x09), for a second rotation.
THIRD_SECRET = bytes([9] * 32)
THIRD_PUBLIC = ed25519_public_key(THIRD_SECRET)
THIRD_KEY_ID = hashlib.sha256(THIRD_PUBLIC).hexdigest()[:16]


def endorsement_note(
    new_public: bytes,
    size: int,
    secret: bytes = SECRET,
    origin: str = ORIGIN,
    header: str = "ward-key-rotation/v1",
) -> str:
    """The note by which the key `secret` (retired at `size`) introduces
    `new_public`, written from docs/ledger-format.md rather than with the
    verifier's endorsement_body: five lines, each ending in "\n", signed under the
    origin like a checkpoint."""
    new_id = hashlib.sha256(new_public).hexdigest()[:16]
    body = (f"{header}\n{origin}\n{new_id}\n"
            f"{base64.b64encode(new_public).decode()}\n{size}\n")
    return sign_note(body, name=origin, secret=secret)


# Witnesses. Everything here is computed from the C2SP tlog-cosignature text
# (docs/ledger-format.md, "Witness cosignatures"), not with the verifier's helpers,
# so that a verifier that hashed or framed the bytes differently would fail.

WITNESS_SECRET = bytes.fromhex(RFC8032_VECTORS[2][0])
WITNESS_PUBLIC = bytes.fromhex(RFC8032_VECTORS[2][1])
WITNESS_NAME = "ward-witness/" + hashlib.sha256(WITNESS_PUBLIC).hexdigest()[:16]
#: A second witness key (seed 32 bytes of 0x07), for "another witness" cases.
SECOND_WITNESS_SECRET = bytes([7] * 32)
SECOND_WITNESS_PUBLIC = ed25519_public_key(SECOND_WITNESS_SECRET)
SECOND_WITNESS_NAME = "witness.example/second"


def witness_key_hash(name: str, public: bytes) -> bytes:
    """SHA-256(name || "\n" || 0x04 || key), first four bytes."""
    return hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]


def witness_vkey(name: str = WITNESS_NAME, public: bytes = WITNESS_PUBLIC) -> str:
    """<name>+<key hash hex>+<base64(0x04 || key)>."""
    encoded = base64.b64encode(b"\x04" + public).decode()
    return f"{name}+{witness_key_hash(name, public).hex()}+{encoded}"


def cosignature_line(
    body: str,
    timestamp: int,
    name: str = WITNESS_NAME,
    secret: bytes = WITNESS_SECRET,
) -> str:
    """— <name> base64(key hash || timestamp u64 BE || Ed25519 signature)."""
    message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + body.encode()
    blob = (
        witness_key_hash(name, ed25519_public_key(secret))
        + timestamp.to_bytes(8, "big")
        + ed25519_sign(secret, message)
    )
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n"


#: A POSIX time for cosignatures (2026-11-23T08:00:00Z).
COSIGNED_AT = 1795420800


THE_KEY = vb.Key(ORIGIN, KEY_ID, PUBLIC)


class SignedNoteTest(unittest.TestCase):
    root = vb.sha256(b"root")

    def test_the_go_sumdb_note_example_verifies(self):
        # The example of golang.org/x/mod/sumdb/note: verifier key
        # PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
        # (0x01 = Ed25519, then the public key) and a note it signed.
        key = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]
        self.assertEqual(vb.key_hash("PeterNeumann", key).hex(), "c74f20a3")
        text = (
            "If you think cryptography is the answer to your problem,\n"
            "then you don't know what your problem is.\n"
            "\n"
            "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
            "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        )
        note = vb.parse_note(text)
        self.assertEqual(len(note.signatures), 1)
        (signature,) = note.signatures
        self.assertEqual(signature.name, "PeterNeumann")
        self.assertEqual(signature.key_hash.hex(), "c74f20a3")
        self.assertTrue(vb.ed25519_verify(key, note.body.encode(), signature.signature))
        self.assertTrue(note.body.endswith("problem is.\n"))

    def test_a_signed_checkpoint_parses_and_verifies(self):
        text = sign_note(checkpoint_body(12, self.root))
        checkpoint, signer = vb.verify_note(text, [THE_KEY])
        self.assertEqual(
            (checkpoint.origin, checkpoint.size, checkpoint.root, signer.name),
            (ORIGIN, 12, self.root, ORIGIN),
        )

    def test_signatures_by_unlisted_keys_are_ignored(self):
        body = checkpoint_body(3, self.root)
        witness = signature_line("witness.example/w1", OTHER_PUBLIC, OTHER_SECRET, body)
        ours = signature_line(ORIGIN, PUBLIC, SECRET, body)
        for block in (witness + ours, ours + witness):
            checkpoint, _ = vb.verify_note(body + "\n" + block, [THE_KEY])
            self.assertEqual(checkpoint.size, 3)
        with self.assertRaisesRegex(vb.NoteError, "no signature by a listed key"):
            vb.verify_note(body + "\n" + witness, [THE_KEY])

    def test_a_signature_under_our_name_by_another_key_is_not_ours(self):
        body = checkpoint_body(3, self.root)
        # Another key's hash: C2SP treats it as an unknown key, so the note is unsigned.
        impostor = signature_line(ORIGIN, OTHER_PUBLIC, OTHER_SECRET, body)
        with self.assertRaisesRegex(vb.NoteError, "no signature by a listed key"):
            vb.verify_note(body + "\n" + impostor, [THE_KEY])
        # Our key hash, another key's signature: a bad signature, an error.
        blob = vb.key_hash(ORIGIN, PUBLIC) + ed25519_sign(OTHER_SECRET, body.encode())
        forged = f"{body}\n\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n"
        with self.assertRaisesRegex(vb.NoteError, "does not verify"):
            vb.verify_note(forged, [THE_KEY])

    def test_an_edited_body_fails_its_signature(self):
        text = sign_note(checkpoint_body(12, self.root))
        for edited in (
            text.replace("\n12\n", "\n13\n"),
            text.replace(base64.b64encode(self.root).decode(),
                         base64.b64encode(vb.sha256(b"other")).decode()),
        ):
            self.assertNotEqual(edited, text)
            with self.assertRaisesRegex(vb.NoteError, "does not verify"):
                vb.verify_note(edited, [THE_KEY])

    def test_the_origin_must_be_the_signers_name(self):
        other_origin = "ward/" + "0" * 16
        text = sign_note(checkpoint_body(1, self.root, origin=other_origin))
        with self.assertRaisesRegex(vb.NoteError, "its origin is"):
            vb.verify_note(text, [THE_KEY])

    def test_malformed_notes_are_refused(self):
        body = checkpoint_body(5, self.root)
        good = sign_note(body)
        sig = good[len(body) + 1 :]
        cases = {
            "no final newline": good[:-1],
            "no blank line": body + sig,
            "no signature lines": body + "\n",
            "a hyphen, not an em dash": body + "\n- " + sig[2:],
            "no space after the name": body + "\n\u2014 " + ORIGIN + "\n",
            "an empty key name": body + "\n\u2014  " + sig[2 + len(ORIGIN) + 1 :],
            "a key name with '+'": sig.replace(ORIGIN, ORIGIN + "+x"),
            "bad base64": body + "\n" + sig.replace("=", "!"),
            "base64 without padding": body + "\n" + sig.replace("=\n", "\n"),
            "a too short signature": body + "\n\u2014 " + ORIGIN + " AAAA\n",
            "a carriage return": good.replace("\n5\n", "\r\n5\n"),
            "a tab": good.replace(ORIGIN + "\n", ORIGIN + "\t\n", 1),
            "a trailing blank line": good + "\n",
        }
        for reason, text in cases.items():
            with self.subTest(reason):
                with self.assertRaises(vb.NoteError):
                    vb.verify_note(text, [THE_KEY])

    def test_the_body_must_be_a_three_line_checkpoint(self):
        root64 = base64.b64encode(self.root).decode()
        url_safe = base64.urlsafe_b64encode(bytes([0xFF] * 32)).decode()
        cases = {
            "an extension line": f"{ORIGIN}\n5\n{root64}\nextension\n",
            "two lines": f"{ORIGIN}\n5\n",
            "an empty origin": f"\n5\n{root64}\n",
            "a leading zero": f"{ORIGIN}\n05\n{root64}\n",
            "a sign": f"{ORIGIN}\n+5\n{root64}\n",
            "a space": f"{ORIGIN}\n5 \n{root64}\n",
            "non-ASCII digits": f"{ORIGIN}\n\u0665\n{root64}\n",
            "an empty size": f"{ORIGIN}\n\n{root64}\n",
            "a short root": f"{ORIGIN}\n5\n{base64.b64encode(self.root[:31]).decode()}\n",
            "a hex root": f"{ORIGIN}\n5\n{self.root.hex()}\n",
            "a URL-safe base64 root": f"{ORIGIN}\n5\n{url_safe}\n",
        }
        for reason, body in cases.items():
            with self.subTest(reason):
                with self.assertRaises(vb.NoteError):
                    vb.parse_checkpoint(body)
        self.assertEqual(vb.parse_checkpoint(f"{ORIGIN}\n0\n{root64}\n").size, 0)

    def test_base64_must_be_canonical(self):
        self.assertEqual(vb.strict_base64("AAE="), b"\x00\x01")
        for text in ("AAF=", "AAE", "AA E=", "AAE=\n"):
            with self.subTest(text=text):
                with self.assertRaises(vb.NoteError):
                    vb.strict_base64(text)


class RotationNoteTest(unittest.TestCase):
    """verify_note with several keys of one log, all signing under its origin."""

    root = vb.sha256(b"root")
    retired = vb.Key(ORIGIN, KEY_ID, PUBLIC, valid_until_size=5)
    current = vb.Key(ORIGIN, hashlib.sha256(OTHER_PUBLIC).hexdigest()[:16], OTHER_PUBLIC)

    def test_each_key_is_found_by_its_key_hash_under_the_one_name(self):
        keys = [self.current, self.retired]
        old = sign_note(checkpoint_body(5, self.root))
        new = sign_note(checkpoint_body(9, self.root), secret=OTHER_SECRET)
        self.assertIs(vb.verify_note(old, keys)[1], self.retired)
        self.assertIs(vb.verify_note(new, keys)[1], self.current)

    def test_a_retired_key_signs_only_up_to_its_limit(self):
        keys = [self.current, self.retired]
        for size in (0, 4, 5):
            with self.subTest(size=size):
                text = sign_note(checkpoint_body(size, self.root))
                self.assertEqual(vb.verify_note(text, keys)[0].size, size)
        text = sign_note(checkpoint_body(6, self.root))
        with self.assertRaisesRegex(
            vb.NoteError,
            f"signed by the retired key {KEY_ID} for 6 records, but that key was "
            "retired at 5",
        ):
            vb.verify_note(text, keys)

    def test_the_most_limited_signer_decides(self):
        # The current key and the key retired at 5 both signed a tree of 8: the
        # retired key's limit holds, in either order; within it, the note is fine.
        for keys in ([self.current, self.retired], [self.retired, self.current]):
            for size in (5, 8):
                with self.subTest(first=keys[0].key_id, size=size):
                    body = checkpoint_body(size, self.root)
                    text = (body + "\n" + signature_line(ORIGIN, OTHER_PUBLIC, OTHER_SECRET, body)
                            + signature_line(ORIGIN, PUBLIC, SECRET, body))
                    if size <= 5:
                        self.assertIs(vb.verify_note(text, keys)[1], self.retired)
                        continue
                    with self.assertRaisesRegex(
                            vb.NoteError, f"retired key {KEY_ID} for 8 records"):
                        vb.verify_note(text, keys)

    def test_a_bad_line_by_a_listed_key_fails_even_beside_a_good_one(self):
        body = checkpoint_body(3, self.root)
        blob = vb.key_hash(ORIGIN, PUBLIC) + ed25519_sign(OTHER_SECRET, body.encode())
        forged = f"\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n"
        text = body + "\n" + signature_line(ORIGIN, OTHER_PUBLIC, OTHER_SECRET, body) + forged
        with self.assertRaisesRegex(vb.NoteError, f"key {KEY_ID}, retired at 5.*does not verify"):
            vb.verify_note(text, [self.current, self.retired])


class EndorsementTest(unittest.TestCase):
    """Key endorsements (check_endorsement) and rule 1's chain (chain_keys)."""

    def keys(self, limit: int = 12, endorsement: Optional[str] = None):
        first = vb.Key(ORIGIN, KEY_ID, PUBLIC, valid_until_size=limit)
        second = vb.Key(ORIGIN, OTHER_KEY_ID, OTHER_PUBLIC,
                        endorsement=endorsement or endorsement_note(OTHER_PUBLIC, 12))
        return first, second

    def test_the_endorsement_body_is_the_specified_bytes(self):
        # RFC 8032 TEST 2's key introduced into the log of TEST 1's key, which was
        # retired at 12 records: five lines, each ending in a newline.
        expected = (
            b"ward-key-rotation/v1\n"
            b"ward/21fe31dfa154a261\n"
            b"39f713d0a644253f\n"
            b"PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n"
            b"12\n"
        )
        body = vb.endorsement_body(ORIGIN, OTHER_KEY_ID, OTHER_PUBLIC, 12)
        self.assertEqual(body.encode("utf-8"), expected)
        self.assertEqual((ORIGIN, OTHER_KEY_ID), ("ward/21fe31dfa154a261", "39f713d0a644253f"))
        # Signed like a checkpoint (Ed25519 is deterministic, so the whole note is
        # fixed too), and it never parses as one.
        note = endorsement_note(OTHER_PUBLIC, 12)
        self.assertEqual(
            note,
            expected.decode() + "\n\u2014 ward/21fe31dfa154a261 o9qVhHmB/rcvtvnxbXmEE89NxA/"
            "RXvqB67fI2y6ATcaetcRZQPK0Y8ZVxdMBTAdtBjvgurR2+B8anlo1QtzhdQYpKgU=\n",
        )
        with self.assertRaises(vb.NoteError):
            vb.parse_checkpoint(vb.parse_note(note).body)
        with self.assertRaises(vb.NoteError):
            vb.verify_note(note, [self.keys()[0]])

    def test_an_endorsement_verifies_under_its_endorser_only(self):
        first, second = self.keys()
        vb.check_endorsement(second.endorsement, second, first)
        # Signed by the new key itself, it is no endorsement by the first.
        self_signed = endorsement_note(OTHER_PUBLIC, 12, secret=OTHER_SECRET)
        with self.assertRaisesRegex(vb.NoteError, f"no signature by key {KEY_ID}"):
            vb.check_endorsement(self_signed, second, first)
        # A key still current endorses nothing.
        with self.assertRaisesRegex(vb.NoteError, "not retired"):
            vb.check_endorsement(self_signed, second, second)
        third = vb.Key(ORIGIN, THIRD_KEY_ID, THIRD_PUBLIC, valid_until_size=12)
        with self.assertRaisesRegex(vb.NoteError, "does not state key"):
            vb.check_endorsement(second.endorsement, third, first)

    def test_the_stated_size_must_be_the_endorsers_limit(self):
        for limit in (11, 13, None):
            with self.subTest(limit=limit):
                first, second = self.keys(limit=limit)
                with self.assertRaises(vb.NoteError):
                    vb.check_endorsement(second.endorsement, second, first)

    def test_an_edited_endorsement_fails_its_signature(self):
        first, second = self.keys()
        edited = second.endorsement.replace("\n12\n", "\n13\n")
        first = vb.Key(ORIGIN, KEY_ID, PUBLIC, valid_until_size=13)
        with self.assertRaisesRegex(vb.NoteError, "does not verify"):
            vb.check_endorsement(edited, second, first)

    def test_the_chain_accepts_keys_in_any_order(self):
        first, second = self.keys()
        for order in ([first, second], [second, first]):
            accepted, refused = vb.chain_keys(ORIGIN, order)
            self.assertEqual((accepted, refused), ([first, second], []))
            self.assertEqual(second.accepted_by, first)
            self.assertEqual(first.accepted_by, vb.ORIGIN_PINNED)
            self.assertEqual(vb.key_chain(second), [first, second])

    def test_the_chain_refuses_what_nothing_endorses(self):
        first, second = self.keys()
        self.assertEqual(vb.chain_keys("ward/0123456789abcdef", [first, second]),
                         ([], [first, second]))
        accepted, refused = vb.chain_keys("ward/0123456789abcdef", [first, second],
                                          trusted_key_ids=[KEY_ID])
        self.assertEqual((accepted, refused), ([first, second], []))
        self.assertEqual(first.accepted_by, vb.TRUSTED_BY_AUDITOR)


# ---------------------------------------------------------------------------
# Verifier keys and witness cosignatures
# ---------------------------------------------------------------------------


class VerifierKeyTest(unittest.TestCase):
    def test_the_go_sumdb_vkey_parses_as_a_log_key(self):
        # golang.org/x/mod/sumdb/note's example verifier key: an independent
        # implementation's vkey, with its key hash computed there.
        text = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        key = vb.parse_vkey(text)
        self.assertEqual((key.name, key.key_type, key.hash.hex()),
                         ("PeterNeumann", vb.LOG_KEY_TYPE, "c74f20a3"))
        self.assertEqual(key.text(), text)

    def test_a_witness_vkey_round_trips(self):
        text = witness_vkey()
        key = vb.parse_vkey(text)
        self.assertEqual(
            (key.name, key.key_type, key.public_key, key.hash),
            (WITNESS_NAME, vb.WITNESS_KEY_TYPE, WITNESS_PUBLIC,
             witness_key_hash(WITNESS_NAME, WITNESS_PUBLIC)),
        )
        self.assertEqual(key.text(), text)
        self.assertEqual(vb.parse_vkey(" " + text + "\n").text(), text)

    def test_bad_vkeys_are_refused(self):
        good = witness_vkey()
        name, hash_hex, encoded = good.split("+", 2)
        wrong_digit = ("0" if hash_hex[0] != "0" else "1") + hash_hex[1:]
        as_log_key = base64.b64encode(b"\x01" + WITNESS_PUBLIC).decode()
        cases = {
            "another name, same hash": good.replace(name, "witness.example/x", 1),
            "a wrong hash digit": f"{name}+{wrong_digit}+{encoded}",
            "an upper-case hash": f"{name}+{hash_hex.upper()}+{encoded}"
            if hash_hex != hash_hex.upper() else "x",
            "the hash of another type": f"{name}+{hash_hex}+{as_log_key}",
            "an unknown type": f"{name}+{hash_hex}+"
            + base64.b64encode(b"\x02" + WITNESS_PUBLIC).decode(),
            "a short key": f"{name}+{hash_hex}+"
            + base64.b64encode(b"\x04" + WITNESS_PUBLIC[:31]).decode(),
            "no type byte": f"{name}+{hash_hex}+" + base64.b64encode(WITNESS_PUBLIC).decode(),
            "not base64": f"{name}+{hash_hex}+!!!",
            "two parts": f"{name}+{hash_hex}",
            "an empty name": f"+{hash_hex}+{encoded}",
            "a name with a space": f"a b+{hash_hex}+{encoded}",
            "not a point": f"{name}+{hash_hex}+"
            + base64.b64encode(b"\x04" + (2).to_bytes(32, "little")).decode(),
        }
        for reason, text in cases.items():
            with self.subTest(reason):
                with self.assertRaises(vb.VerifierKeyError):
                    vb.parse_vkey(text)


class CosignatureTest(unittest.TestCase):
    root = vb.sha256(b"root")
    witness = vb.VerifierKey(WITNESS_NAME, vb.WITNESS_KEY_TYPE, WITNESS_PUBLIC)

    def cosigned(self, timestamp: int = COSIGNED_AT) -> str:
        body = checkpoint_body(7, self.root)
        return sign_note(body) + cosignature_line(body, timestamp)

    def test_the_cosigned_message_is_the_specified_bytes(self):
        # The example of C2SP tlog-cosignature: header, time line, then the body.
        self.assertEqual(
            vb.cosigned_message(1679315147, "example.com/behind-the-sofa\n20852163\nCsUY=\n"),
            b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
            b"CsUY=\n",
        )
        # Key hash: SHA-256(name || "\n" || 0x04 || key), first four bytes.
        digest = hashlib.sha256(b"witness/a\n\x04" + WITNESS_PUBLIC).digest()
        self.assertEqual(vb.key_hash("witness/a", WITNESS_PUBLIC, vb.WITNESS_KEY_TYPE),
                         digest[:4])
        self.assertNotEqual(vb.key_hash("witness/a", WITNESS_PUBLIC), digest[:4])

    def test_a_cosignature_verifies_and_gives_its_time(self):
        note = vb.parse_note(self.cosigned())
        self.assertEqual(vb.verify_cosignature(note, self.witness), COSIGNED_AT)
        # The log's own signature still verifies beside it, and the other way round.
        self.assertEqual(vb.verify_note(self.cosigned(), [THE_KEY])[0].size, 7)

    def test_an_unlisted_witness_is_ignored(self):
        note = vb.parse_note(self.cosigned())
        for other in (
            vb.VerifierKey(WITNESS_NAME, vb.WITNESS_KEY_TYPE, SECOND_WITNESS_PUBLIC),
            vb.VerifierKey(SECOND_WITNESS_NAME, vb.WITNESS_KEY_TYPE, WITNESS_PUBLIC),
        ):
            with self.subTest(name=other.name, type=other.key_type):
                self.assertIsNone(vb.verify_cosignature(note, other))
        # A note with only the log's signature has no cosignature.
        plain = vb.parse_note(sign_note(checkpoint_body(7, self.root)))
        self.assertIsNone(vb.verify_cosignature(plain, self.witness))

    def test_an_edited_timestamp_fails(self):
        text = self.cosigned()
        signature_block = text.rsplit("\u2014 ", 1)
        name, encoded = signature_block[1].rstrip("\n").split(" ")
        blob = bytearray(base64.b64decode(encoded))
        blob[4 + 7] ^= 1  # the timestamp's last byte
        edited = (signature_block[0] + "\u2014 " + name + " "
                  + base64.b64encode(bytes(blob)).decode() + "\n")
        with self.assertRaisesRegex(vb.NoteError, f"witness `{WITNESS_NAME}` does not verify"):
            vb.verify_cosignature(vb.parse_note(edited), self.witness)

    def test_an_edited_body_fails(self):
        # The log's signature breaks too, but the cosignature is checked on its own.
        edited = self.cosigned().replace("\n7\n", "\n8\n", 1)
        with self.assertRaisesRegex(vb.NoteError, "does not verify"):
            vb.verify_cosignature(vb.parse_note(edited), self.witness)

    def test_a_cosignature_of_the_bare_body_fails(self):
        # Signing the body without the cosignature/v1 header is a plain note
        # signature, which must not pass for a cosignature.
        body = checkpoint_body(7, self.root)
        blob = (witness_key_hash(WITNESS_NAME, WITNESS_PUBLIC) + COSIGNED_AT.to_bytes(8, "big")
                + ed25519_sign(WITNESS_SECRET, body.encode()))
        text = sign_note(body) + f"\u2014 {WITNESS_NAME} {base64.b64encode(blob).decode()}\n"
        with self.assertRaises(vb.NoteError):
            vb.verify_cosignature(vb.parse_note(text), self.witness)

    def test_a_timestamp_beyond_2_63_fails_even_if_signed(self):
        body = checkpoint_body(7, self.root)
        self.assertIsNotNone(vb.verify_cosignature(
            vb.parse_note(sign_note(body) + cosignature_line(body, 2**63 - 1)), self.witness))
        text = sign_note(body) + cosignature_line(body, 2**63)
        with self.assertRaises(vb.NoteError):
            vb.verify_cosignature(vb.parse_note(text), self.witness)

    def test_a_short_cosignature_fails(self):
        body = checkpoint_body(7, self.root)
        blob = witness_key_hash(WITNESS_NAME, WITNESS_PUBLIC) + COSIGNED_AT.to_bytes(8, "big")
        text = sign_note(body) + f"\u2014 {WITNESS_NAME} {base64.b64encode(blob).decode()}\n"
        with self.assertRaises(vb.NoteError):
            vb.verify_cosignature(vb.parse_note(text), self.witness)


# ---------------------------------------------------------------------------
# Whole bundles, built here and tampered with
# ---------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """Canonical JSON of an ASCII-named value (independent of the verifier's code)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def make_records(sessions: Sequence[str]) -> List[str]:
    """Ward-like record texts, one per entry of `sessions`, chained per session."""
    texts: List[str] = []
    heads: Dict[str, tuple] = {}
    for seq, session in enumerate(sessions, start=1):
        count, prev = heads.get(session, (0, None))
        reference: Dict[str, Any] = {"seq": seq, "session_seq": count + 1}
        if prev is not None:
            reference["prev_hash"] = prev
        record = {
            "version": 1,
            "time": f"2026-11-23T07:06:{seq:02d}.000000Z",
            "role": {"agent": "claude-code", "session_id": session},
            "request": {"event": "PreToolUse", "tool": "Bash",
                        "input": {"command": f"echo {seq} \u00e9"}},
            "reference": reference,
            "resource": {"input_bytes": 20 + seq, "usage": {"cost_usd": 0.125 + 0.25 * seq}},
            "result": {"decision": "allow", "enforced": True},
        }
        text = canonical(record)
        texts.append(text)
        heads[session] = (count + 1, hashlib.sha256(text.encode()).hexdigest())
    return texts


#: The ledger the bundles come from: 7 records over two interleaved sessions.
LEDGER_SESSIONS = ["a", "a", "b", "a", "b", "a", "b"]


def key_entry(public: bytes, valid_until_size: Optional[int] = None,
              name: str = ORIGIN, endorsement: Optional[str] = None) -> Dict[str, Any]:
    """A keys.json entry for `public`, named by the origin unless told otherwise."""
    entry: Dict[str, Any] = {"name": name,
                             "key_id": hashlib.sha256(public).hexdigest()[:16],
                             "public_key": public.hex()}
    if valid_until_size is not None:
        entry["valid_until_size"] = valid_until_size
    if endorsement is not None:
        entry["endorsement"] = endorsement
    return entry


def write_bundle(
    directory: str,
    texts: Sequence[str],
    select: Optional[str] = None,
    earlier: Sequence[int] = (2, 5),
    keys: Optional[Sequence[Dict[str, Any]]] = None,
    signer: Callable[[int], bytes] = lambda size: SECRET,
    cosigners: Sequence[Tuple[str, bytes]] = (),
    witnesses: Optional[Sequence[str]] = None,
) -> None:
    """Write a bundle of the records of `texts` (all, or session `select`'s).

    `keys` is keys.json (by default the one key of SECRET); `signer(size)` is the
    secret that signs the checkpoint of `size` records, so a bundle can span a key
    rotation; `cosigners` are (witness name, secret) pairs that cosign the anchor
    checkpoint; `witnesses` is witnesses.json, not written when None.
    """
    leaves = [text.encode() for text in texts]
    size = len(leaves)
    root = vb.merkle_root(leaves)
    os.makedirs(directory, exist_ok=True)

    def write(name: str, content: str) -> None:
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="") as f:
            f.write(content)

    selection = {} if select is None else {"session": select}
    bundle = {"format": "ward-bundle", "version": 1, "origin": ORIGIN,
              "tree_size": size, "selection": selection,
              "created_at": "2026-11-23T08:00:00.000000Z"}
    lines = []
    for seq, text in enumerate(texts, start=1):
        if select is not None and json.loads(text)["role"]["session_id"] != select:
            continue
        lines.append(json.dumps({
            "seq": seq,
            "hash": hashlib.sha256(text.encode()).hexdigest(),
            "record": text,
            "path": [h.hex() for h in reference_path(seq - 1, leaves)],
        }) + "\n")
    bundle["records"] = len(lines)
    write("bundle.json", json.dumps(bundle, indent=2) + "\n")
    if keys is None:
        keys = [key_entry(PUBLIC)]
    write("keys.json", json.dumps(keys, indent=2) + "\n")
    body = checkpoint_body(size, root)
    anchor = sign_note(body, secret=signer(size))
    for name, secret in cosigners:
        anchor += cosignature_line(body, COSIGNED_AT, name, secret)
    write("checkpoint.note", anchor)
    write("records.jsonl", "".join(lines))
    write("checkpoints.jsonl", "".join(
        json.dumps({
            "tree_size": m,
            "note": sign_note(checkpoint_body(m, vb.merkle_root(leaves[:m])),
                              secret=signer(m)),
            "consistency": [h.hex() for h in reference_proof(m, leaves)],
        }) + "\n"
        for m in earlier
    ))
    if witnesses is not None:
        write("witnesses.json", json.dumps(list(witnesses), indent=2) + "\n")


def run_checker(directory: str, *options: str):
    """main() in this process: (exit code, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = vb.main([directory, *options])
    return code, out.getvalue()


class BundleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="verify-bundle-test-")
        self.texts = make_records(LEDGER_SESSIONS)
        self.bundle = os.path.join(self.tmp, "bundle")
        write_bundle(self.bundle, self.texts)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    # -- helpers ---------------------------------------------------------------

    def path(self, name: str) -> str:
        return os.path.join(self.bundle, name)

    def read(self, name: str) -> str:
        with open(self.path(name), encoding="utf-8", newline="") as f:
            return f.read()

    def write(self, name: str, text: str) -> None:
        with open(self.path(name), "w", encoding="utf-8", newline="") as f:
            f.write(text)

    def edit_json(self, name: str, change) -> None:
        value = json.loads(self.read(name))
        change(value)
        self.write(name, json.dumps(value))

    def edit_line(self, name: str, index: int, change) -> None:
        lines = self.read(name).splitlines(keepends=True)
        entry = json.loads(lines[index])
        change(entry)
        lines[index] = json.dumps(entry) + "\n"
        self.write(name, "".join(lines))

    def assert_fails(self, *fragments: str, options: Sequence[str] = ()) -> List[str]:
        """The checker (given `options`) exits 1, the first problem holding every
        fragment."""
        code, out = run_checker(self.bundle, *options)
        self.assertEqual(code, 1, out)
        self.assertTrue(out.startswith("FAILED: "), out)
        for fragment in fragments:
            self.assertIn(fragment, out.splitlines()[0])
        code, out = run_checker(self.bundle, "--json", *options)
        self.assertEqual(code, 1, out)
        report = json.loads(out)
        self.assertFalse(report["ok"])
        return report["problems"]

    # -- bundles that check out --------------------------------------------------

    def test_a_whole_ledger_bundle_checks_out(self):
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)
        lines = out.splitlines()
        self.assertEqual(
            lines[0],
            f"ok: 7 records of 7 checked against the checkpoint of 7 records signed by {ORIGIN}",
        )
        self.assertEqual(len(lines), 4)
        self.assertIn("earlier checkpoint of 2 records", lines[1])
        self.assertIn(f"with key {KEY_ID} (checkpoints.jsonl line 1)", lines[1])
        self.assertEqual(lines[3], "witnesses: no listed witness cosigned the checkpoint")
        code, out = run_checker(self.bundle, "--json")
        self.assertEqual(code, 0)
        report = json.loads(out)
        self.assertEqual(
            (report["ok"], report["records"], report["tree_size"], report["problems"]),
            (True, 7, 7, []),
        )
        self.assertEqual((report["key_id"], report["witnesses"]), (KEY_ID, []))
        self.assertEqual(report["root"], vb.merkle_root([t.encode() for t in self.texts]).hex())

    def test_a_one_session_bundle_checks_out(self):
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, select="b", earlier=())
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)
        self.assertTrue(out.startswith("ok: 3 records of 7 checked"), out)

    def test_the_empty_ledger_bundle_checks_out(self):
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, [], earlier=())
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)

    def test_the_command_line(self):
        done = subprocess.run([sys.executable, SCRIPT, self.bundle, "--json"],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertTrue(json.loads(done.stdout)["ok"])
        missing = os.path.join(self.tmp, "nowhere")
        done = subprocess.run([sys.executable, SCRIPT, missing], capture_output=True, text=True)
        self.assertEqual(done.returncode, 2, done.stderr)
        done = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        done = subprocess.run([sys.executable, SCRIPT, self.bundle, "--frobnicate"],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)

    # -- rule 1: keys ------------------------------------------------------------

    def test_a_changed_public_key_fails_its_key_id(self):
        self.edit_json("keys.json", lambda keys: keys[0].update(
            public_key=OTHER_PUBLIC.hex()))
        self.assert_fails("keys.json", "key_id")

    def test_a_swapped_key_with_matching_id_is_not_the_logs(self):
        # A well-formed entry (named by the origin, as every key of a log is) for
        # another key: the origin does not name it and nothing endorses it, so
        # rule 1 refuses it; trusted by hand, it still did not sign (rule 2).
        self.edit_json("keys.json", lambda keys: keys.__setitem__(
            0, key_entry(OTHER_PUBLIC)))
        problems = self.assert_fails(f"keys.json: key `{OTHER_KEY_ID}`: no earlier key "
                                     "of the log endorses it")
        self.assertEqual(problems[1],
                         f"keys.json: no valid key named `{ORIGIN}` (the bundle's origin)")
        self.assert_fails("checkpoint.note", "no signature by a listed key",
                          options=["--trust-key", OTHER_KEY_ID])

    def test_a_key_named_ward_slash_its_own_id_is_no_longer_enough(self):
        # Before keys rotated a key was named ward/<its id>; now its name must be
        # the origin, whatever its id.
        other_id = hashlib.sha256(OTHER_PUBLIC).hexdigest()[:16]
        self.edit_json("keys.json", lambda keys: keys.append(
            key_entry(OTHER_PUBLIC, name="ward/" + other_id)))
        self.assert_fails("keys.json: key 2", f"'ward/{other_id}' is not the bundle's origin")

    def test_an_origin_without_a_key_fails(self):
        self.edit_json("bundle.json", lambda b: b.update(origin="ward/0123456789abcdef"))
        self.assert_fails("keys.json", "ward/0123456789abcdef")

    # -- rule 2: the checkpoint ---------------------------------------------------

    def test_a_forged_checkpoint_fails_its_signature(self):
        note = self.read("checkpoint.note")
        self.write("checkpoint.note", note.replace("\n7\n", "\n6\n"))
        self.assert_fails("checkpoint.note", "does not verify")

    def test_an_edited_tree_size_fails(self):
        self.edit_json("bundle.json", lambda b: b.update(tree_size=8))
        self.assert_fails("checkpoint.note", "tree_size 8")

    def test_a_checkpoint_signed_by_another_key_fails(self):
        leaves = [t.encode() for t in self.texts]
        body = checkpoint_body(7, vb.merkle_root(leaves))
        self.write("checkpoint.note", body + "\n" + signature_line(
            ORIGIN, OTHER_PUBLIC, OTHER_SECRET, body))
        self.assert_fails("checkpoint.note", "no signature by a listed key")

    # -- rule 3: records -----------------------------------------------------------

    def test_an_edited_record_fails_its_hash(self):
        self.edit_line("records.jsonl", 3, lambda e: e.update(
            record=e["record"].replace("PreToolUse", "PostToolUse")))
        self.assert_fails("records.jsonl line 4 (seq 4)", "hash")

    def test_an_edited_record_with_a_fixed_hash_fails_its_proof(self):
        def change(entry):
            entry["record"] = entry["record"].replace("PreToolUse", "PostToolUse")
            entry["hash"] = hashlib.sha256(entry["record"].encode()).hexdigest()
        self.edit_line("records.jsonl", 3, change)
        self.assert_fails("records.jsonl line 4 (seq 4)", "inclusion proof")

    def test_a_non_canonical_record_fails(self):
        def change(entry):
            entry["record"] = json.dumps(json.loads(entry["record"]))
            entry["hash"] = hashlib.sha256(entry["record"].encode()).hexdigest()
        self.edit_line("records.jsonl", 0, change)
        self.assert_fails("records.jsonl line 1 (seq 1)", "canonical")

    def test_a_seq_that_disagrees_with_the_record_fails(self):
        self.edit_line("records.jsonl", 1, lambda e: e.update(seq=3))
        self.assert_fails("records.jsonl line 2 (seq 3)", "reference.seq")

    def test_swapped_lines_fail(self):
        lines = self.read("records.jsonl").splitlines(keepends=True)
        lines[2], lines[3] = lines[3], lines[2]
        self.write("records.jsonl", "".join(lines))
        self.assert_fails("records.jsonl line 4 (seq 3)", "out of order")

    def test_a_duplicated_line_fails(self):
        lines = self.read("records.jsonl").splitlines(keepends=True)
        lines.insert(2, lines[2])
        self.write("records.jsonl", "".join(lines))
        self.edit_json("bundle.json", lambda b: b.update(records=8))
        self.assert_fails("records.jsonl line 4 (seq 3)", "out of order")

    def test_a_wrong_path_element_fails(self):
        self.edit_line("records.jsonl", 6, lambda e: e["path"].__setitem__(0, "00" * 32))
        self.assert_fails("records.jsonl line 7 (seq 7)", "inclusion proof")

    def test_a_record_beyond_the_tree_fails(self):
        text = make_records(LEDGER_SESSIONS + ["b"])[-1]
        with open(self.path("records.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps({"seq": 8, "hash": hashlib.sha256(text.encode()).hexdigest(),
                                "record": text, "path": []}) + "\n")
        self.edit_json("bundle.json", lambda b: b.update(records=8))
        self.assert_fails("records.jsonl line 8 (seq 8)", "beyond the tree of 7")

    def test_a_line_that_is_not_json_fails(self):
        self.write("records.jsonl", self.read("records.jsonl").replace("}\n", "\n", 1))
        self.assert_fails("records.jsonl line 1", "not JSON")

    # -- rule 4: chains -------------------------------------------------------------

    def test_a_deleted_record_of_a_selected_session_fails(self):
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, select="a", earlier=())
        lines = self.read("records.jsonl").splitlines(keepends=True)
        del lines[1]  # session a's session_seq 2 (seq 2)
        self.write("records.jsonl", "".join(lines))
        self.edit_json("bundle.json", lambda b: b.update(records=3))
        self.assert_fails("records.jsonl line 2 (seq 4)", "session_seq 3 where 2")

    def test_a_deleted_line_of_a_whole_ledger_bundle_fails(self):
        lines = self.read("records.jsonl").splitlines(keepends=True)
        del lines[1]
        self.write("records.jsonl", "".join(lines))
        problems = self.assert_fails("records.jsonl line 2 (seq 3)", "seq 2 is missing")
        self.assertIn("bundle.json: records is 7 but records.jsonl has 6 lines", problems)
        # With the count made to match, the gap in seq still shows.
        self.edit_json("bundle.json", lambda b: b.update(records=6))
        self.assertEqual(
            self.assert_fails("records.jsonl line 2 (seq 3)", "seq 2 is missing"),
            [problems[0]],
        )

    def test_a_cut_tail_of_a_whole_ledger_bundle_fails(self):
        lines = self.read("records.jsonl").splitlines(keepends=True)
        self.write("records.jsonl", "".join(lines[:-2]))
        self.edit_json("bundle.json", lambda b: b.update(records=5))
        self.assert_fails("records.jsonl", "ends at seq 5 but the tree has 7 records")

    def test_another_session_in_a_one_session_bundle_fails(self):
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, select="a", earlier=())
        self.edit_json("bundle.json", lambda b: b.update(selection={"session": "b"}))
        self.assert_fails("records.jsonl line 1 (seq 1)", "session a is not the selected session b")

    def test_a_broken_chain_fails(self):
        # A ledger whose 4th record (session a's 3rd) names the wrong prev_hash,
        # correctly signed: only the chain check can see it.
        texts = list(self.texts)
        record = json.loads(texts[3])
        record["reference"]["prev_hash"] = "00" * 32
        texts[3] = canonical(record)
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, texts)
        self.assert_fails("records.jsonl line 4 (seq 4)", "chain broken")

    def test_a_first_record_with_a_prev_hash_fails(self):
        texts = list(self.texts)
        record = json.loads(texts[0])
        record["reference"]["prev_hash"] = "00" * 32
        texts[0] = canonical(record)
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, texts)
        self.assert_fails("records.jsonl line 1 (seq 1)", "prev_hash must be absent")

    # -- rule 5: earlier checkpoints ------------------------------------------------

    def test_a_wrong_consistency_proof_fails(self):
        self.edit_line("checkpoints.jsonl", 1, lambda e: e["consistency"].reverse())
        self.assert_fails("checkpoints.jsonl line 2", "consistency proof fails")

    def test_an_earlier_checkpoint_of_another_history_fails(self):
        forked = make_records(["a", "a", "b", "c", "c"])
        leaves = [t.encode() for t in forked]
        note = sign_note(checkpoint_body(5, vb.merkle_root(leaves)))
        self.edit_line("checkpoints.jsonl", 1, lambda e: e.update(note=note))
        self.assert_fails("checkpoints.jsonl line 2", "consistency proof fails")

    def test_an_earlier_checkpoint_with_a_mismatched_size_fails(self):
        self.edit_line("checkpoints.jsonl", 0, lambda e: e.update(tree_size=3))
        self.assert_fails("checkpoints.jsonl line 1", "not 3")

    def test_an_unsigned_earlier_checkpoint_fails(self):
        def change(entry):
            entry["note"] = entry["note"].replace("\n2\n", "\n3\n")
            entry["tree_size"] = 3
        self.edit_line("checkpoints.jsonl", 0, change)
        self.assert_fails("checkpoints.jsonl line 1", "does not verify")

    # -- keys and rotation ------------------------------------------------------------

    def rotated(self, retired_at: int = 5, anchor_secret: bytes = OTHER_SECRET,
                endorsed_at: Optional[int] = None) -> None:
        """A bundle of a log whose first key (SECRET) was retired at `retired_at`
        records and endorsed the current key (OTHER_SECRET) stating `endorsed_at`
        (by default `retired_at`, as Ward writes it): the checkpoints of up to 5
        records are by the first key, later ones by the current key, unless
        `anchor_secret` says otherwise. keys.json lists them oldest first."""
        shutil.rmtree(self.bundle)
        endorsement = endorsement_note(
            OTHER_PUBLIC, retired_at if endorsed_at is None else endorsed_at)
        write_bundle(
            self.bundle, self.texts,
            keys=[key_entry(PUBLIC, valid_until_size=retired_at),
                  key_entry(OTHER_PUBLIC, endorsement=endorsement)],
            signer=lambda size: SECRET if size <= 5 else anchor_secret,
        )

    def test_a_bundle_across_a_key_rotation_checks_out(self):
        self.rotated()
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)
        lines = out.splitlines()
        # The origin stays the first key's, whichever key signs now.
        self.assertEqual(
            lines[0],
            f"ok: 7 records of 7 checked against the checkpoint of 7 records signed by {ORIGIN}",
        )
        self.assertIn(f"earlier checkpoint of 5 records signed by {ORIGIN} with key "
                      f"{KEY_ID}, retired at 5 records", out)
        self.assertEqual(lines[1], f"ok: key {OTHER_KEY_ID} is endorsed by the log's "
                                   f"earlier keys: {KEY_ID} -> {OTHER_KEY_ID}")
        report = json.loads(run_checker(self.bundle, "--json")[1])
        self.assertEqual((report["ok"], report["key_id"]), (True, OTHER_KEY_ID))

    def test_the_order_of_keys_json_does_not_matter(self):
        self.rotated()
        self.edit_json("keys.json", lambda keys: keys.reverse())
        self.assertEqual(run_checker(self.bundle)[0], 0)

    def test_a_chain_of_two_rotations_checks_out_in_any_order(self):
        # SECRET (retired at 2) -> OTHER_SECRET (retired at 5) -> THIRD_SECRET.
        shutil.rmtree(self.bundle)
        keys = [
            key_entry(PUBLIC, valid_until_size=2),
            key_entry(OTHER_PUBLIC, valid_until_size=5,
                      endorsement=endorsement_note(OTHER_PUBLIC, 2)),
            key_entry(THIRD_PUBLIC,
                      endorsement=endorsement_note(THIRD_PUBLIC, 5, secret=OTHER_SECRET)),
        ]
        write_bundle(self.bundle, self.texts, keys=keys, signer=lambda size: (
            SECRET if size <= 2 else OTHER_SECRET if size <= 5 else THIRD_SECRET))
        for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
            with self.subTest(order=order):
                self.write("keys.json", json.dumps([keys[i] for i in order]))
                code, out = run_checker(self.bundle)
                self.assertEqual(code, 0, out)
                self.assertIn(f"{KEY_ID} -> {OTHER_KEY_ID} -> {THIRD_KEY_ID}", out)

    def test_a_key_without_its_endorsement_is_refused_unless_trusted(self):
        # The key a deployment replaced, or one an attacker added and re-signed
        # the bundle with: keys.json alone says nothing for it.
        self.rotated()
        self.edit_json("keys.json", lambda keys: keys[1].pop("endorsement"))
        problems = self.assert_fails(
            f"keys.json: key `{OTHER_KEY_ID}`: no earlier key of the log endorses it "
            "(a key the deployment replaced, or one added to keys.json); trust it "
            "explicitly only if you know its id")
        # Its signature counts for nothing: the anchor is then unsigned.
        self.assertIn("checkpoint.note: it carries no signature by a listed key",
                      problems[1])
        code, out = run_checker(self.bundle, "--trust-key", OTHER_KEY_ID)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.splitlines()[1],
                         f"note: key {OTHER_KEY_ID} is trusted because --trust-key "
                         "names it, not because a key of the log endorsed it")

    def test_an_added_key_re_signing_the_bundle_is_refused(self):
        # The attack rule 1's chain closes: a stranger's key listed under the
        # origin signs a checkpoint of its own.
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, earlier=(),
                     keys=[key_entry(PUBLIC), key_entry(THIRD_PUBLIC)],
                     signer=lambda size: THIRD_SECRET)
        self.assert_fails(f"keys.json: key `{THIRD_KEY_ID}`: no earlier key")
        # Even with an "endorsement" it signed itself, or one by a key that is
        # not the log's: only an accepted key endorses.
        for endorser in (THIRD_SECRET, OTHER_SECRET):
            with self.subTest(endorser=endorser[:2].hex()):
                self.edit_json("keys.json", lambda keys: keys[1].update(
                    endorsement=endorsement_note(THIRD_PUBLIC, 7, secret=endorser)))
                self.assert_fails(f"keys.json: key `{THIRD_KEY_ID}`: its endorsement is "
                                  "not signed by an earlier key of the log, or states "
                                  "another key or retirement size (keys.json edited?)")

    def test_an_endorsement_by_an_unaccepted_key_is_refused(self):
        # OTHER endorses THIRD properly, but OTHER itself is not chained (its own
        # endorsement is gone), so THIRD is not either.
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, earlier=(), keys=[
            key_entry(PUBLIC, valid_until_size=2),
            key_entry(OTHER_PUBLIC, valid_until_size=5),
            key_entry(THIRD_PUBLIC,
                      endorsement=endorsement_note(THIRD_PUBLIC, 5, secret=OTHER_SECRET)),
        ], signer=lambda size: THIRD_SECRET)
        problems = self.assert_fails(f"keys.json: key `{OTHER_KEY_ID}`: no earlier key")
        self.assertTrue(problems[1].startswith(
            f"keys.json: key `{THIRD_KEY_ID}`: its endorsement is not signed"), problems)
        # Trusting OTHER by hand lets its endorsement of THIRD count.
        self.assertEqual(run_checker(self.bundle, "--trust-key", OTHER_KEY_ID)[0], 0)

    def test_an_edited_retirement_size_breaks_the_endorsement(self):
        # keys.json's valid_until_size must be the size the endorsement states:
        # raised (to let a leaked old key sign further), lowered, or dropped (to
        # make the old key look current), it no longer is.
        for edit in (6, 4, None):
            with self.subTest(valid_until_size=edit):
                self.rotated()
                if edit is None:
                    self.edit_json("keys.json", lambda keys: keys[0].pop("valid_until_size"))
                else:
                    self.edit_json("keys.json",
                                   lambda keys: keys[0].update(valid_until_size=edit))
                self.assert_fails(f"keys.json: key `{OTHER_KEY_ID}`: its endorsement")

    def test_an_endorsement_stating_another_size_or_key_is_refused(self):
        for what, note in (
            ("size", endorsement_note(OTHER_PUBLIC, 6)),
            ("key", endorsement_note(THIRD_PUBLIC, 5)),
            ("origin", endorsement_note(OTHER_PUBLIC, 5, origin="ward/elsewhere")),
            ("header", endorsement_note(OTHER_PUBLIC, 5, header="ward-key-rotation/v2")),
            ("leading zero", endorsement_note(OTHER_PUBLIC, 5).replace("\n5\n", "\n05\n")),
            ("not a note", "ward-key-rotation/v1\n"),
        ):
            with self.subTest(what=what):
                self.rotated()
                self.edit_json("keys.json", lambda keys: keys[1].update(endorsement=note))
                self.assert_fails(f"keys.json: key `{OTHER_KEY_ID}`: its endorsement")

    def test_a_bad_endorsement_member_fails(self):
        self.rotated()
        self.edit_json("keys.json", lambda keys: keys[1].update(endorsement=5))
        self.assert_fails(f"keys.json: key 2 (`{OTHER_KEY_ID}`)", "endorsement is not a string")

    def test_a_trust_key_that_is_not_a_key_id_is_a_usage_error(self):
        for bad in ("ABCDEF0123456789", "0123", "ward/0123456789abcdef"):
            with self.subTest(bad=bad):
                done = subprocess.run(
                    [sys.executable, SCRIPT, self.bundle, "--trust-key", bad],
                    capture_output=True, text=True)
                self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
                self.assertIn("--trust-key", done.stderr)

    def test_an_anchor_signed_by_the_retired_key_shows_it(self):
        self.rotated(retired_at=7, anchor_secret=SECRET)
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.splitlines()[1],
                         f"ok: the checkpoint is signed with the retired key {KEY_ID}, "
                         "retired at 7 records")

    def test_an_earlier_checkpoint_beyond_the_retired_keys_limit_fails(self):
        self.rotated(retired_at=4)
        self.assert_fails(
            "checkpoints.jsonl line 2",
            f"signed by the retired key {KEY_ID} for 5 records, but that key was "
            "retired at 4",
        )

    def test_an_anchor_beyond_the_retired_keys_limit_fails(self):
        self.rotated(anchor_secret=SECRET)
        self.assert_fails(
            "checkpoint.note",
            f"signed by the retired key {KEY_ID} for 7 records, but that key was "
            "retired at 5",
        )

    def test_a_retired_keys_limit_holds_beside_the_current_keys_signature(self):
        # Both keys signed the anchor of 7 records; the retired one (limit 5) is
        # the most limited signer and decides, in either order of keys.json.
        self.rotated()
        note = self.read("checkpoint.note")
        body = note[: note.index("\n\n") + 1]
        self.write("checkpoint.note", note + signature_line(ORIGIN, PUBLIC, SECRET, body))
        for reverse in (False, True):
            with self.subTest(reverse=reverse):
                if reverse:
                    self.edit_json("keys.json", lambda keys: keys.reverse())
                self.assert_fails("checkpoint.note", f"signed by the retired key {KEY_ID} "
                                  "for 7 records, but that key was retired at 5")

    def test_a_key_not_named_by_the_origin_fails(self):
        self.rotated()
        self.edit_json("keys.json", lambda keys: keys[1].update(name="ward/elsewhere"))
        self.assert_fails(f"keys.json: key 2 (`{OTHER_KEY_ID}`)",
                          "'ward/elsewhere' is not the bundle's origin")

    def test_a_bad_retirement_size_fails(self):
        self.rotated()
        for limit in (-1, "5", 5.5, True):
            with self.subTest(limit=limit):
                self.edit_json("keys.json",
                               lambda keys: keys[0].update(valid_until_size=limit))
                self.assert_fails(f"keys.json: key 1 (`{KEY_ID}`)", "valid_until_size")

    def test_a_leaked_retired_key_can_still_drop_or_replace_its_successor(self):
        # What endorsements cannot show: keys.json is not signed, so an exporter
        # holding the first key (stolen after its retirement) may list it alone,
        # unretired, and sign a later tree with it; or keep its limit and endorse a
        # key of their own (THIRD) in place of the real successor. The document
        # says so ("What a bundle cannot prove"); this pins that limit down.
        self.rotated(anchor_secret=SECRET)
        self.edit_json("keys.json", lambda keys: (keys.pop(1), keys[0].pop("valid_until_size")))
        self.assertEqual(run_checker(self.bundle)[0], 0)
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, keys=[
            key_entry(PUBLIC, valid_until_size=5),
            key_entry(THIRD_PUBLIC, endorsement=endorsement_note(THIRD_PUBLIC, 5)),
        ], signer=lambda size: SECRET if size <= 5 else THIRD_SECRET)
        self.assertEqual(run_checker(self.bundle)[0], 0)

    # -- rule 7: witnesses -------------------------------------------------------------

    def cosigned(self, witnesses: Optional[Sequence[str]] = None, **options: Any) -> None:
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts, witnesses=witnesses,
                     cosigners=[(WITNESS_NAME, WITNESS_SECRET)], **options)

    def test_a_listed_witnesss_cosignature_is_counted(self):
        self.cosigned([witness_vkey()])
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.splitlines()[-1],
                         f"witnesses: 1 cosigned the checkpoint: {WITNESS_NAME}")
        report = json.loads(run_checker(self.bundle, "--json")[1])
        self.assertEqual(report["witnesses"], [WITNESS_NAME])

    def test_a_witness_given_on_the_command_line_is_counted_once(self):
        self.cosigned()  # no witnesses.json
        self.assertFalse(os.path.exists(self.path("witnesses.json")))
        code, out = run_checker(self.bundle)
        self.assertEqual((code, out.splitlines()[-1]),
                         (0, "witnesses: no listed witness cosigned the checkpoint"))
        code, out = run_checker(self.bundle, "--witness", witness_vkey(), "--json")
        self.assertEqual((code, json.loads(out)["witnesses"]), (0, [WITNESS_NAME]))
        self.write("witnesses.json", json.dumps([witness_vkey()]))
        code, out = run_checker(self.bundle, "--witness", witness_vkey(), "--json")
        self.assertEqual((code, json.loads(out)["witnesses"]), (0, [WITNESS_NAME]))

    def test_an_unlisted_witness_is_ignored(self):
        self.cosigned([witness_vkey(SECOND_WITNESS_NAME, SECOND_WITNESS_PUBLIC)])
        code, out = run_checker(self.bundle, "--json")
        self.assertEqual((code, json.loads(out)["witnesses"]), (0, []))

    def test_two_witnesses_are_both_named(self):
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts,
                     cosigners=[(WITNESS_NAME, WITNESS_SECRET),
                                (SECOND_WITNESS_NAME, SECOND_WITNESS_SECRET)],
                     witnesses=[witness_vkey(),
                                witness_vkey(SECOND_WITNESS_NAME, SECOND_WITNESS_PUBLIC)])
        code, out = run_checker(self.bundle)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.splitlines()[-1],
                         f"witnesses: 2 cosigned the checkpoint: {WITNESS_NAME}, "
                         f"{SECOND_WITNESS_NAME}")

    def test_an_edited_cosignature_timestamp_fails(self):
        self.cosigned([witness_vkey()])
        head, line = self.read("checkpoint.note").rsplit("\u2014 ", 1)
        name, encoded = line.rstrip("\n").split(" ")
        blob = bytearray(base64.b64decode(encoded))
        blob[4 + 7] ^= 2
        self.write("checkpoint.note",
                   f"{head}\u2014 {name} {base64.b64encode(bytes(blob)).decode()}\n")
        self.assert_fails("checkpoint.note",
                          f"the cosignature by witness `{WITNESS_NAME}` does not verify")

    def test_a_cosignature_moved_to_another_checkpoint_fails(self):
        # The witness's line taken from the anchor and pasted onto the earlier
        # checkpoint of 5 records, now the anchor of a cut bundle: the log's
        # signature on it is genuine, the cosignature is not for it.
        self.cosigned([witness_vkey()])
        witness_line = self.read("checkpoint.note").splitlines(keepends=True)[-1]
        shutil.rmtree(self.bundle)
        write_bundle(self.bundle, self.texts[:5], earlier=(2,), witnesses=[witness_vkey()])
        self.write("checkpoint.note", self.read("checkpoint.note") + witness_line)
        self.assert_fails("checkpoint.note", "does not verify")

    def test_a_malformed_witnesses_file_fails(self):
        self.cosigned([witness_vkey()])
        wrong = witness_vkey().replace(WITNESS_NAME, WITNESS_NAME + "x", 1)
        cases = {
            "key hash": [wrong],
            "not a string": [7],
            "is not a cosignature key": [
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"],
        }
        for fragment, value in cases.items():
            with self.subTest(fragment):
                self.write("witnesses.json", json.dumps(value))
                self.assert_fails("witnesses.json: entry 1", fragment)
        self.write("witnesses.json", json.dumps({"keys": []}))
        self.assert_fails("witnesses.json", "not a JSON array")

    def test_a_bad_witness_option_is_a_usage_error(self):
        for text in ("nonsense", witness_vkey().replace(WITNESS_NAME, "someone", 1),
                     "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"):
            with self.subTest(text=text):
                with contextlib.redirect_stderr(io.StringIO()):
                    with self.assertRaises(SystemExit) as exit:
                        vb.main([self.bundle, "--witness", text])
                self.assertEqual(exit.exception.code, 2)

    # -- files -------------------------------------------------------------------------

    def test_a_missing_file_fails(self):
        for name in vb.BUNDLE_FILES:
            with self.subTest(name):
                saved = self.read(name)
                os.remove(self.path(name))
                self.assert_fails(name, "missing")
                self.write(name, saved)

    def test_an_unknown_version_fails(self):
        self.edit_json("bundle.json", lambda b: b.update(version=2))
        self.assert_fails("bundle.json", "version 2")

    def test_duplicate_members_fail(self):
        text = self.read("bundle.json")
        self.write("bundle.json", text.replace('"tree_size": 7', '"tree_size": 7, "tree_size": 7'))
        self.assert_fails("bundle.json", "appears twice")


if __name__ == "__main__":
    unittest.main()
